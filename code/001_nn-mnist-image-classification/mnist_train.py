"""The training loop: shuffle, (optionally) shift, step, and measure after every epoch.

Kept in plain PyTorch with no trainer framework so every step is visible: batches are
slices of one tensor, the optimizer is Adam, and the learning rate follows a one-cycle
schedule (warm up, then anneal), which converges in few epochs.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm import tqdm


def set_seed(seed: int) -> torch.Generator:
    """Seed every random source we use; return a generator for shuffling and shifts."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def to_tensor(images: np.ndarray) -> torch.Tensor:
    """uint8 (n, 28, 28) -> float32 (n, 1, 28, 28) scaled to [0, 1]."""
    return torch.from_numpy(images).float().div_(255.0).unsqueeze(1)


def random_shift(images: torch.Tensor, max_shift: int, generator: torch.Generator) -> torch.Tensor:
    """Move each image by up to `max_shift` pixels in x and y, filling with black.

    Pad every image, then cut a 28x28 window at a random offset per image. A digit
    moved two pixels is still the same digit, so the model sees more variety for free.
    """
    if max_shift <= 0:
        return images
    n, _, height, width = images.shape
    padded = F.pad(images[:, 0], (max_shift,) * 4)
    dy = torch.randint(0, 2 * max_shift + 1, (n,), generator=generator)
    dx = torch.randint(0, 2 * max_shift + 1, (n,), generator=generator)
    rows = (dy[:, None] + torch.arange(height))[:, :, None]  # (n, h, 1)
    cols = (dx[:, None] + torch.arange(width))[:, None, :]  # (n, 1, w)
    return padded[torch.arange(n)[:, None, None], rows, cols].unsqueeze(1)


@dataclass
class Recipe:
    """How to train one model; chosen on a validation split, never on the test set."""

    epochs: int
    lr: float = 3e-3
    batch_size: int = 128
    weight_decay: float = 1e-4
    max_shift: int = 0


@dataclass
class History:
    """Per-epoch numbers for the curves, plus the throughput of the training steps."""

    train_loss: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    images_seen: int = 0
    train_seconds: float = 0.0

    @property
    def images_per_second(self) -> float:
        return self.images_seen / self.train_seconds if self.train_seconds else 0.0


@torch.no_grad()
def predict(model: nn.Module, images: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    """Logits for every image, in eval mode (dropout off, batch norm frozen)."""
    model.eval()
    return torch.cat([model(images[i:i + batch_size]) for i in range(0, len(images), batch_size)])


def evaluate(model: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> tuple[float, float]:
    """(mean cross-entropy loss, accuracy) on a held-out set."""
    logits = predict(model, images)
    loss = F.cross_entropy(logits, labels).item()
    accuracy = (logits.argmax(1) == labels).float().mean().item()
    return loss, accuracy


def train(
    model: nn.Module,
    train_images: torch.Tensor,
    train_labels: torch.Tensor,
    val_images: torch.Tensor,
    val_labels: torch.Tensor,
    recipe: Recipe,
    generator: torch.Generator,
    label: str = "train",
    progress: bool = True,
) -> History:
    """Train for `recipe.epochs` epochs; evaluate on the validation set after each one."""
    optimizer = torch.optim.AdamW(model.parameters(), lr=recipe.lr,
                                  weight_decay=recipe.weight_decay)
    steps_per_epoch = -(-len(train_images) // recipe.batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=recipe.lr, epochs=recipe.epochs, steps_per_epoch=steps_per_epoch)
    history = History()
    bar = tqdm(total=recipe.epochs * steps_per_epoch, desc=label, unit="batch",
               disable=None if progress else True, leave=False)  # None: off when not a terminal
    for _epoch in range(recipe.epochs):
        model.train()
        order = torch.randperm(len(train_images), generator=generator)
        loss_sum, correct = 0.0, 0
        started = time.perf_counter()
        for start in range(0, len(order), recipe.batch_size):
            batch = order[start:start + recipe.batch_size]
            images = random_shift(train_images[batch], recipe.max_shift, generator)
            labels = train_labels[batch]
            logits = model(images)
            loss = F.cross_entropy(logits, labels)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            loss_sum += loss.item() * len(batch)
            correct += (logits.argmax(1) == labels).sum().item()
            bar.update()
        history.train_seconds += time.perf_counter() - started
        history.images_seen += len(order)
        history.train_loss.append(loss_sum / len(order))
        history.train_accuracy.append(correct / len(order))
        val_loss, val_accuracy = evaluate(model, val_images, val_labels)
        history.val_loss.append(val_loss)
        history.val_accuracy.append(val_accuracy)
        bar.set_postfix(val_acc=f"{val_accuracy:.4f}")
    bar.close()
    return history
