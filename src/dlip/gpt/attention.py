"""Causal multi-head self-attention, written out by hand, with an SDPA fast path.

Each position asks a question (its query), every earlier position offers a label (its
key) and a content (its value). The weights are softmax(query . key / sqrt(head_dim)),
with the future masked out, and the output is the weighted sum of values. Several heads
do this in parallel on slices of the model width, then an output projection mixes them.

`causal_attention` is the by-hand version and can return its weights for plotting.
`use_sdpa=True` calls `torch.nn.functional.scaled_dot_product_attention`, which computes
the same thing with a fused kernel and without storing the T x T weight matrix.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F


def causal_mask(t: int, device: torch.device | None = None) -> torch.Tensor:
    """Boolean (t, t) mask, True where attention is FORBIDDEN (key after query).

    This is the convention of `nn.MultiheadAttention`'s `attn_mask`. SDPA's boolean
    `attn_mask` means the opposite (True = may attend), so pass `~causal_mask(t)` there.
    """
    return torch.triu(torch.ones(t, t, dtype=torch.bool, device=device), diagonal=1)


def causal_attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    dropout_p: float = 0.0,
    return_weights: bool = False,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """softmax(q k^T / sqrt(d) with the future masked) v, for (..., T, d) tensors."""
    t, d = q.shape[-2], q.shape[-1]
    scores = q @ k.transpose(-2, -1) / math.sqrt(d)  # (..., T, T): query rows, key columns
    scores = scores.masked_fill(causal_mask(t, q.device), float("-inf"))
    weights = torch.softmax(scores, dim=-1)  # each row sums to 1 over the past
    if dropout_p > 0.0:
        weights = F.dropout(weights, p=dropout_p)
    out = weights @ v
    return out, (weights if return_weights else None)


class CausalSelfAttention(nn.Module):
    def __init__(
        self,
        d_model: int,
        n_heads: int,
        dropout: float = 0.0,
        qkv_bias: bool = False,
        use_sdpa: bool = True,
        attn_dropout: float = 0.0,
    ) -> None:
        super().__init__()
        if d_model % n_heads:
            raise ValueError(f"d_model {d_model} is not divisible by n_heads {n_heads}")
        self.n_heads = n_heads
        self.head_dim = d_model // n_heads
        self.use_sdpa = use_sdpa
        self.attn_dropout = attn_dropout  # on the attention weights
        self.W_query = nn.Linear(d_model, d_model, bias=qkv_bias)
        self.W_key = nn.Linear(d_model, d_model, bias=qkv_bias)
        self.W_value = nn.Linear(d_model, d_model, bias=qkv_bias)
        self.out_proj = nn.Linear(d_model, d_model)
        self.resid_dropout = nn.Dropout(dropout)  # on the layer's output
        self.last_weights: torch.Tensor | None = None  # filled when keep_weights is True
        self.keep_weights = False

    def _split_heads(self, x: torch.Tensor) -> torch.Tensor:
        b, t, _ = x.shape  # (B, T, D) -> (B, heads, T, head_dim)
        return x.view(b, t, self.n_heads, self.head_dim).transpose(1, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        q = self._split_heads(self.W_query(x))
        k = self._split_heads(self.W_key(x))
        v = self._split_heads(self.W_value(x))
        p = self.attn_dropout if self.training else 0.0
        if self.use_sdpa and not self.keep_weights:
            out = F.scaled_dot_product_attention(q, k, v, dropout_p=p, is_causal=True)
        else:
            out, weights = causal_attention(q, k, v, p, return_weights=self.keep_weights)
            self.last_weights = weights.detach() if weights is not None else None
        out = out.transpose(1, 2).contiguous().view(b, t, d)  # heads side by side again
        return self.resid_dropout(self.out_proj(out))
