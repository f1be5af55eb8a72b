"""Load GPT-2 weights stored in the Hugging Face layout into `GPTModel`.

Someone who has `model.safetensors` (and ideally `config.json`) of a released GPT-2
gets the real model here without the `transformers` package. Two differences of layout:

- The query, key and value projections are one fused matrix, `attn.c_attn`, of width
  3 x d_model, in that order; it is cut into `W_query`, `W_key`, `W_value`.
- GPT-2 uses a `Conv1D` module whose weight is stored (in_features, out_features), the
  transpose of `nn.Linear`'s (out_features, in_features); every such matrix is transposed.

Key names may carry a `transformer.` prefix (GPT2LMHeadModel) and may include the causal
mask buffers `attn.bias` / `attn.masked_bias`, which hold no weights and are skipped.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file

from dlip.gpt.config import GPTConfig
from dlip.gpt.model import GPTModel


class HFWeightsError(ValueError):
    """GPT-2 weights that cannot be loaded; the message starts with the file's path."""


def config_from_hf(hf: dict) -> GPTConfig:
    """Our config from a Hugging Face GPT-2 `config.json` dict."""
    return GPTConfig(
        vocab_size=int(hf["vocab_size"]),
        context_length=int(hf.get("n_positions", hf.get("n_ctx", 1024))),
        d_model=int(hf["n_embd"]),
        n_heads=int(hf["n_head"]),
        n_layers=int(hf["n_layer"]),
        dropout=0.0,
        qkv_bias=True,
        tie_weights=True,
        layer_norm_eps=float(hf.get("layer_norm_epsilon", 1e-5)),
    )


def _strip(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    out = {}
    for key, value in tensors.items():
        key = key.removeprefix("transformer.")
        if key.endswith((".attn.bias", ".attn.masked_bias")) and value.dim() != 1:
            continue  # causal-mask buffer, not a weight
        out[key] = value
    return out


def _infer_config(tensors: dict[str, torch.Tensor], n_heads: int | None) -> GPTConfig:
    vocab, d = tensors["wte.weight"].shape
    layers = 1 + max(int(k.split(".")[1]) for k in tensors if k.startswith("h."))
    if n_heads is None:
        n_heads = d // 64  # every released GPT-2 size uses 64-wide heads
    return config_from_hf(
        {"vocab_size": vocab, "n_positions": tensors["wpe.weight"].shape[0],
         "n_embd": d, "n_head": n_heads, "n_layer": layers}
    )


def convert_hf_state(tensors: dict[str, torch.Tensor], cfg: GPTConfig) -> dict[str, torch.Tensor]:
    """Map Hugging Face GPT-2 tensor names and layouts to `GPTModel`'s state dict."""
    d = cfg.d_model
    state = {
        "tok_emb.weight": tensors["wte.weight"],
        "pos_emb.weight": tensors["wpe.weight"],
        "final_norm.weight": tensors["ln_f.weight"],
        "final_norm.bias": tensors["ln_f.bias"],
    }
    for i in range(cfg.n_layers):
        h, b = f"h.{i}.", f"blocks.{i}."
        q, k, v = tensors[h + "attn.c_attn.weight"].split(d, dim=1)  # Conv1D: (in, 3*out)
        qb, kb, vb = tensors[h + "attn.c_attn.bias"].split(d, dim=0)
        state |= {
            b + "norm1.weight": tensors[h + "ln_1.weight"],
            b + "norm1.bias": tensors[h + "ln_1.bias"],
            b + "attn.W_query.weight": q.T, b + "attn.W_query.bias": qb,
            b + "attn.W_key.weight": k.T, b + "attn.W_key.bias": kb,
            b + "attn.W_value.weight": v.T, b + "attn.W_value.bias": vb,
            b + "attn.out_proj.weight": tensors[h + "attn.c_proj.weight"].T,
            b + "attn.out_proj.bias": tensors[h + "attn.c_proj.bias"],
            b + "norm2.weight": tensors[h + "ln_2.weight"],
            b + "norm2.bias": tensors[h + "ln_2.bias"],
            b + "ff.fc.weight": tensors[h + "mlp.c_fc.weight"].T,
            b + "ff.fc.bias": tensors[h + "mlp.c_fc.bias"],
            b + "ff.proj.weight": tensors[h + "mlp.c_proj.weight"].T,
            b + "ff.proj.bias": tensors[h + "mlp.c_proj.bias"],
        }
    return {k: v.contiguous() for k, v in state.items()}


def load_hf_gpt2(path: str | Path, n_heads: int | None = None) -> GPTModel:
    """A `GPTModel` with GPT-2 weights from a folder or a `.safetensors` file.

    The config comes from `config.json` beside the weights when it exists; otherwise it
    is read off the tensor shapes (heads assumed 64 wide unless `n_heads` is given).
    """
    path = Path(path)
    weights = path / "model.safetensors" if path.is_dir() else path
    if not weights.is_file():
        raise HFWeightsError(f"{weights}: no such weights file")
    try:
        tensors = _strip(load_file(str(weights)))
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise HFWeightsError(f"{weights}: not a readable safetensors file ({exc})") from None

    config_file = weights.parent / "config.json"
    try:
        if config_file.is_file():
            cfg = config_from_hf(json.loads(config_file.read_text(encoding="utf-8")))
        else:
            cfg = _infer_config(tensors, n_heads)
    except (KeyError, ValueError, TypeError) as exc:
        raise HFWeightsError(f"{config_file}: cannot build a GPT-2 config ({exc})") from None

    model = GPTModel(cfg)
    try:
        state = convert_hf_state(tensors, cfg)
    except KeyError as exc:
        raise HFWeightsError(f"{weights}: tensor {exc.args[0]} is missing") from None
    except RuntimeError as exc:
        raise HFWeightsError(f"{weights}: tensors do not fit the config ({exc})") from None
    expected = model.state_dict()
    for name, tensor in state.items():
        if tensor.shape != expected[name].shape:
            raise HFWeightsError(
                f"{weights}: {name} has shape {tuple(tensor.shape)}, "
                f"expected {tuple(expected[name].shape)}"
            )
    model.load_state_dict(state, strict=False)  # out_head is tied to tok_emb
    head = tensors.get("lm_head.weight")
    if head is not None and not torch.equal(head, state["tok_emb.weight"]):
        raise HFWeightsError(f"{weights}: lm_head.weight differs from wte.weight (untied head)")
    model.eval()
    return model
