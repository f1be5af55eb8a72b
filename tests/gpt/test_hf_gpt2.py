"""The Hugging Face GPT-2 loader, on a tiny checkpoint written here in that layout.

The reference forward pass below follows GPT-2's own conventions (Conv1D: x @ W + b,
one fused c_attn), so it checks the loader's splitting and transposing independently.
"""

from __future__ import annotations

import json
import math

import pytest
import torch
from safetensors.torch import save_file
from torch.nn import functional as F

from dlip.gpt.hf_gpt2 import HFWeightsError, load_hf_gpt2

VOCAB, CTX, D, HEADS, LAYERS = 50, 12, 16, 2, 2


def hf_tensors(seed: int = 0) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)

    def r(*shape):
        return torch.randn(*shape, generator=g) * 0.2

    t = {"wte.weight": r(VOCAB, D), "wpe.weight": r(CTX, D),
         "ln_f.weight": 1 + r(D), "ln_f.bias": r(D)}
    for i in range(LAYERS):
        h = f"h.{i}."
        t |= {
            h + "ln_1.weight": 1 + r(D), h + "ln_1.bias": r(D),
            h + "attn.c_attn.weight": r(D, 3 * D), h + "attn.c_attn.bias": r(3 * D),
            h + "attn.c_proj.weight": r(D, D), h + "attn.c_proj.bias": r(D),
            h + "ln_2.weight": 1 + r(D), h + "ln_2.bias": r(D),
            h + "mlp.c_fc.weight": r(D, 4 * D), h + "mlp.c_fc.bias": r(4 * D),
            h + "mlp.c_proj.weight": r(4 * D, D), h + "mlp.c_proj.bias": r(D),
            h + "attn.bias": torch.tril(torch.ones(1, 1, CTX, CTX)),  # mask buffer
        }
    return t


def reference_logits(t: dict[str, torch.Tensor], idx: torch.Tensor) -> torch.Tensor:
    """GPT-2's forward pass written directly against the HF tensors."""
    T = idx.shape[1]
    x = t["wte.weight"][idx] + t["wpe.weight"][:T]
    for i in range(LAYERS):
        h = f"h.{i}."
        a = F.layer_norm(x, (D,), t[h + "ln_1.weight"], t[h + "ln_1.bias"])
        qkv = a @ t[h + "attn.c_attn.weight"] + t[h + "attn.c_attn.bias"]
        q, k, v = (z.view(1, T, HEADS, D // HEADS).transpose(1, 2) for z in qkv.split(D, -1))
        w = (q @ k.transpose(-1, -2)) / math.sqrt(D // HEADS)
        w = w.masked_fill(t[h + "attn.bias"][:, :, :T, :T] == 0, float("-inf")).softmax(-1)
        y = (w @ v).transpose(1, 2).reshape(1, T, D)
        x = x + y @ t[h + "attn.c_proj.weight"] + t[h + "attn.c_proj.bias"]
        m = F.layer_norm(x, (D,), t[h + "ln_2.weight"], t[h + "ln_2.bias"])
        m = F.gelu(m @ t[h + "mlp.c_fc.weight"] + t[h + "mlp.c_fc.bias"], approximate="tanh")
        x = x + m @ t[h + "mlp.c_proj.weight"] + t[h + "mlp.c_proj.bias"]
    x = F.layer_norm(x, (D,), t["ln_f.weight"], t["ln_f.bias"])
    return x @ t["wte.weight"].T


def write_checkpoint(folder, tensors, prefix="", with_config=True):
    folder.mkdir(exist_ok=True)
    save_file({prefix + k: v.contiguous() for k, v in tensors.items()},
              str(folder / "model.safetensors"))
    if with_config:
        config = {"vocab_size": VOCAB, "n_positions": CTX, "n_embd": D, "n_head": HEADS,
                  "n_layer": LAYERS, "layer_norm_epsilon": 1e-5}
        (folder / "config.json").write_text(json.dumps(config))


@pytest.mark.parametrize("prefix", ["", "transformer."])
def test_loaded_model_matches_gpt2_forward(tmp_path, prefix):
    tensors = hf_tensors()
    write_checkpoint(tmp_path / "gpt2", tensors, prefix)
    model = load_hf_gpt2(tmp_path / "gpt2")
    idx = torch.randint(VOCAB, (1, CTX))
    with torch.no_grad():
        torch.testing.assert_close(model(idx), reference_logits(tensors, idx),
                                   atol=1e-5, rtol=1e-5)
    assert model.cfg.qkv_bias and model.cfg.tie_weights


def test_config_inferred_from_shapes_without_config_json(tmp_path):
    write_checkpoint(tmp_path / "gpt2", hf_tensors(), with_config=False)
    model = load_hf_gpt2(tmp_path / "gpt2" / "model.safetensors", n_heads=HEADS)
    assert (model.cfg.d_model, model.cfg.n_layers, model.cfg.vocab_size) == (D, LAYERS, VOCAB)


def test_missing_tensor_and_corrupt_file_name_the_file(tmp_path):
    tensors = hf_tensors()
    del tensors["h.1.mlp.c_fc.bias"]
    write_checkpoint(tmp_path / "gpt2", tensors)
    with pytest.raises(HFWeightsError, match=r"model\.safetensors: tensor h\.1\.mlp\.c_fc\.bias"):
        load_hf_gpt2(tmp_path / "gpt2")
    (tmp_path / "gpt2" / "model.safetensors").write_bytes(b"junk")
    with pytest.raises(HFWeightsError, match=r"model\.safetensors: not a readable"):
        load_hf_gpt2(tmp_path / "gpt2")
