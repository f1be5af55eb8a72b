"""The hand-written attention against PyTorch's two implementations, and causality."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from dlip.gpt.attention import CausalSelfAttention, causal_attention, causal_mask
from dlip.gpt.config import preset
from dlip.gpt.model import GPTModel

D, HEADS, T, B = 32, 4, 10, 3


def _pair(qkv_bias: bool) -> tuple[CausalSelfAttention, nn.MultiheadAttention]:
    torch.manual_seed(0)
    ours = CausalSelfAttention(D, HEADS, qkv_bias=qkv_bias, use_sdpa=False).eval()
    ref = nn.MultiheadAttention(D, HEADS, bias=True, batch_first=True).eval()
    with torch.no_grad():
        ref.in_proj_weight.copy_(
            torch.cat([ours.W_query.weight, ours.W_key.weight, ours.W_value.weight])
        )
        if qkv_bias:
            ref.in_proj_bias.copy_(
                torch.cat([ours.W_query.bias, ours.W_key.bias, ours.W_value.bias])
            )
        else:
            ref.in_proj_bias.zero_()
        ref.out_proj.weight.copy_(ours.out_proj.weight)
        ref.out_proj.bias.copy_(ours.out_proj.bias)
    return ours, ref


def test_mask_convention_is_true_where_forbidden():
    mask = causal_mask(3)
    assert mask.tolist() == [[False, True, True], [False, False, True], [False, False, False]]


def test_hand_written_equals_multihead_attention_with_causal_mask():
    for qkv_bias in (False, True):
        ours, ref = _pair(qkv_bias)
        x = torch.randn(B, T, D)
        # nn.MultiheadAttention: boolean attn_mask True = may NOT attend.
        expected, _ = ref(x, x, x, attn_mask=causal_mask(T), need_weights=False)
        torch.testing.assert_close(ours(x), expected, atol=1e-6, rtol=1e-6)


def test_the_other_mask_convention_would_be_wrong():
    """SDPA's mask (True = may attend) given to MultiheadAttention looks at the future."""
    ours, ref = _pair(False)
    x = torch.randn(B, T, D)
    wrong, _ = ref(x, x, x, attn_mask=~causal_mask(T), need_weights=False)
    # Row 0 may then see every later position but itself: finite, and different.
    assert torch.isfinite(wrong[:, 0]).all()
    assert not torch.allclose(ours(x)[:, 0], wrong[:, 0], atol=1e-3)


def test_hand_written_equals_sdpa_path_and_sdpa_boolean_mask():
    torch.manual_seed(1)
    q, k, v = (torch.randn(B, HEADS, T, D // HEADS) for _ in range(3))
    ours, _ = causal_attention(q, k, v)
    is_causal = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    # SDPA: boolean attn_mask True = MAY attend, the opposite of MultiheadAttention.
    masked = F.scaled_dot_product_attention(q, k, v, attn_mask=~causal_mask(T))
    torch.testing.assert_close(ours, is_causal, atol=1e-6, rtol=1e-6)
    torch.testing.assert_close(ours, masked, atol=1e-6, rtol=1e-6)

    module, _ = _pair(True)
    x = torch.randn(B, T, D)
    slow = module(x)
    module.use_sdpa = True
    torch.testing.assert_close(module(x), slow, atol=1e-6, rtol=1e-6)


def test_weights_rows_sum_to_one_and_ignore_the_future():
    q, k, v = (torch.randn(1, 2, 6, 8) for _ in range(3))
    _, weights = causal_attention(q, k, v, return_weights=True)
    torch.testing.assert_close(weights.sum(-1), torch.ones(1, 2, 6))
    assert torch.all(weights[..., causal_mask(6)] == 0)


def test_changing_later_tokens_leaves_earlier_logits_unchanged():
    torch.manual_seed(2)
    cfg = preset("tiny-test")
    for use_sdpa in (False, True):
        model = GPTModel(cfg.with_(use_sdpa=use_sdpa)).eval()
        idx = torch.randint(cfg.vocab_size, (2, cfg.context_length))
        t = 6
        changed = idx.clone()
        changed[:, t + 1 :] = (changed[:, t + 1 :] + 1) % cfg.vocab_size
        with torch.no_grad():
            a, b = model(idx), model(changed)
        torch.testing.assert_close(a[:, : t + 1], b[:, : t + 1], atol=0, rtol=0)
        assert not torch.allclose(a[:, t + 1 :], b[:, t + 1 :])
