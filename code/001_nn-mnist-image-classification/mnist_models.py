"""Two classifiers for 28x28 images, and how to save and reload them.

- `MLP`: the image flattened to 784 numbers, two hidden layers. It has no idea that
  neighbouring pixels belong together.
- `SmallCNN`: two convolution blocks that look at 3x3 neighbourhoods, then a small dense
  head. The same filter slides over the whole image, so a stroke is recognised wherever
  it is.

A checkpoint is two files: `name.safetensors` (the weights, a plain tensor format that
cannot run code when loaded, unlike a pickle) and `name.json` (what to build before the
weights can go in).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import torch
from mnist_data import BadInputError
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn


class MLP(nn.Module):
    """784 -> hidden -> hidden/2 -> 10, ReLU, dropout between layers."""

    def __init__(self, hidden: int = 256, dropout: float = 0.2, classes: int = 10):
        super().__init__()
        self.net = nn.Sequential(
            nn.Flatten(),
            nn.Linear(28 * 28, hidden), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(hidden, hidden // 2), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(hidden // 2, classes),
        )

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.net(images)


class SmallCNN(nn.Module):
    """[conv 3x3 -> batch norm -> ReLU -> 2x2 max pool] twice, then a dense head.

    28x28 -> 14x14 with `width` channels -> 7x7 with 2*width channels -> 128 -> 10.
    """

    def __init__(self, width: int = 16, dropout: float = 0.3, classes: int = 10):
        super().__init__()

        def block(c_in: int, c_out: int) -> list[nn.Module]:
            return [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out),
                    nn.ReLU(), nn.MaxPool2d(2)]

        self.features = nn.Sequential(*block(1, width), *block(width, 2 * width))
        self.head = nn.Sequential(
            nn.Flatten(), nn.Dropout(dropout),
            nn.Linear(2 * width * 7 * 7, 128), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(128, classes),
        )

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(images))


MODELS = {"mlp": MLP, "cnn": SmallCNN}


def build_model(kind: str, **options: Any) -> nn.Module:
    """`build_model("cnn", width=16)`; options are the class's keyword arguments."""
    if kind not in MODELS:
        raise ValueError(f"unknown model {kind!r}; choose from {sorted(MODELS)}")
    return MODELS[kind](**options)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


# --- Checkpoints ----------------------------------------------------------------------

def _write_atomically(path: Path, write) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    write(tmp)
    os.replace(tmp, path)


def save_checkpoint(model: nn.Module, config: dict[str, Any], path: str | Path) -> Path:
    """Save weights to `path` (.safetensors) and `config` (with "kind") beside it as .json."""
    path = Path(path).with_suffix(".safetensors")
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    _write_atomically(path, lambda p: save_file(state, str(p)))
    text = json.dumps(config, indent=2, sort_keys=True)
    _write_atomically(path.with_suffix(".json"), lambda p: p.write_text(text))
    return path


def load_checkpoint(path: str | Path) -> tuple[nn.Module, dict[str, Any]]:
    """Rebuild the model from its JSON config and load the weights, in eval mode."""
    path = Path(path).with_suffix(".safetensors")
    config_path = path.with_suffix(".json")
    for needed in (path, config_path):
        if not needed.is_file():
            raise BadInputError(f"{needed}: checkpoint file not found")
    try:
        config = json.loads(config_path.read_text())
        kind, options = config["kind"], config.get("options", {})
        model = build_model(kind, **options)
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise BadInputError(f"{config_path}: not a usable model config ({exc})") from None
    try:
        state = load_file(str(path))
    except (SafetensorError, OSError) as exc:
        raise BadInputError(f"{path}: corrupt checkpoint ({exc})") from None
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()
        reason = " ".join(line.strip() for line in first[:3])
        raise BadInputError(f"{path}: weights do not fit a {kind} model ({reason})") from None
    model.eval()
    return model, config
