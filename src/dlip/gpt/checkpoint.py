"""Checkpoints: weights (and optimizer moments) in safetensors, config and state in JSON.

`model.safetensors` holds tensors only, so loading never runs pickled code. Beside it,
`model.json` holds the model config, the training state (step, history) and the
optimizer's hyperparameters. Anything wrong with either file (missing, corrupt, or
weights that do not fit the config) raises `CheckpointError` with the file's name.
Both files are written to a temporary name first, then renamed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from dlip import atomic
from dlip.gpt.config import GPTConfig
from dlip.gpt.model import GPTModel

FORMAT = "dlip-gpt-checkpoint"
VERSION = 1
OPTIM_PREFIX = "optimizer."


class CheckpointError(ValueError):
    """A checkpoint that cannot be loaded; the message starts with the file's path."""


@dataclass
class Checkpoint:
    model: GPTModel
    config: GPTConfig
    state: dict = field(default_factory=dict)
    optimizer_state: dict | None = None  # ready for optimizer.load_state_dict


def config_path_for(path: Path) -> Path:
    return path.with_suffix(".json")


def _model_tensors(model: GPTModel) -> dict[str, torch.Tensor]:
    tensors = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    if model.cfg.tie_weights:
        tensors.pop("out_head.weight")  # the same matrix as tok_emb.weight
    return tensors


def save_checkpoint(
    path: str | Path,
    model: GPTModel,
    state: dict | None = None,
    optimizer: torch.optim.Optimizer | None = None,
) -> Path:
    """Write `path` (tensors) and the JSON beside it; returns the tensor file's path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tensors = _model_tensors(model)
    meta: dict = {
        "format": FORMAT,
        "version": VERSION,
        "config": model.cfg.to_dict(),
        "state": state or {},
    }
    if optimizer is not None:
        opt = optimizer.state_dict()
        for index, slots in opt["state"].items():
            for name, value in slots.items():
                tensors[f"{OPTIM_PREFIX}{index}.{name}"] = torch.as_tensor(value).contiguous()
        meta["optimizer_param_groups"] = opt["param_groups"]
    atomic.write_with(path, lambda tmp: save_file(tensors, str(tmp)))
    atomic.write_with(
        config_path_for(path),
        lambda tmp: tmp.write_text(json.dumps(meta, indent=1), encoding="utf-8"),
    )
    return path


def _read_meta(path: Path) -> dict:
    meta_path = config_path_for(path)
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CheckpointError(f"{meta_path}: config file missing beside {path.name}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"{meta_path}: not a readable JSON config ({exc})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"{meta_path}: not a dlip GPT checkpoint config")
    return meta


def _split_optimizer(tensors: dict[str, torch.Tensor], meta: dict) -> dict | None:
    groups = meta.get("optimizer_param_groups")
    if groups is None:
        return None
    state: dict[int, dict[str, torch.Tensor]] = {}
    for key in [k for k in tensors if k.startswith(OPTIM_PREFIX)]:
        index, name = key[len(OPTIM_PREFIX) :].split(".", 1)
        state.setdefault(int(index), {})[name] = tensors.pop(key)
    return {"state": state, "param_groups": groups}


def load_checkpoint(path: str | Path) -> Checkpoint:
    """Rebuild the model from its config and weights; check every tensor's name and shape."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint file")
    meta = _read_meta(path)
    try:
        config = GPTConfig.from_dict(meta["config"])
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"{config_path_for(path)}: bad model config ({exc})") from None
    try:
        tensors = load_file(str(path))
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise CheckpointError(f"{path}: not a readable safetensors file ({exc})") from None
    optimizer_state = _split_optimizer(tensors, meta)

    model = GPTModel(config)
    expected = _model_tensors(model)
    missing = sorted(set(expected) - set(tensors))
    unexpected = sorted(set(tensors) - set(expected))
    if missing or unexpected:
        raise CheckpointError(
            f"{path}: weights do not match the config "
            f"(missing: {', '.join(missing[:3]) or 'none'}; "
            f"unexpected: {', '.join(unexpected[:3]) or 'none'})"
        )
    for name, tensor in tensors.items():
        if tensor.shape != expected[name].shape:
            raise CheckpointError(
                f"{path}: tensor {name} has shape {tuple(tensor.shape)}, "
                f"the config needs {tuple(expected[name].shape)}"
            )
    model.load_state_dict(tensors, strict=False)  # strict=False: the tied head is implicit
    return Checkpoint(model, config, meta.get("state", {}), optimizer_state)
