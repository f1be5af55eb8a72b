"""Token windows for next-token training, and a split of text by position.

A window of `context + 1` ids gives an input (the first `context`) and a target (the
same ids shifted by one). `stride` sets how far apart window starts are: stride equal to
the context gives disjoint windows, a smaller stride overlapping ones.

The split is by position: the first part of the text trains, the last part validates.
Nothing is shuffled across that boundary, so no validation sentence leaks into training.
`split_three_by_position` cuts once more: train, then validation (for every choice made
while developing), then test (scored once, at the end).
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
from torch.utils.data import Dataset


def split_by_position(data: bytes, val_fraction: float) -> tuple[bytes, bytes]:
    """Cut `data` into (train, val) at a line boundary near 1 - val_fraction."""
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction}")
    cut = int(len(data) * (1.0 - val_fraction))
    newline = data.find(b"\n", cut)
    cut = newline + 1 if newline != -1 else cut
    return data[:cut], data[cut:]


def split_three_by_position(
    data: bytes, val_fraction: float, test_fraction: float
) -> tuple[bytes, bytes, bytes]:
    """Cut `data` into (train, val, test) in that order, each cut at a line boundary."""
    if not (val_fraction > 0.0 and test_fraction > 0.0 and val_fraction + test_fraction < 1.0):
        raise ValueError(
            f"need val_fraction, test_fraction > 0 with a sum below 1, "
            f"got {val_fraction} and {test_fraction}"
        )
    rest, test = split_by_position(data, test_fraction)
    train, val = split_by_position(rest, val_fraction * len(data) / len(rest))
    return train, val, test


class TokenWindows(Dataset):
    """Windows over a 1-D tensor of ids: item i is (ids[s : s+T], ids[s+1 : s+T+1])."""

    def __init__(self, ids: torch.Tensor | list[int], context: int, stride: int) -> None:
        self.ids = torch.as_tensor(ids, dtype=torch.long)
        if context < 1 or stride < 1:
            raise ValueError("context and stride must be positive")
        if len(self.ids) < context + 1:
            raise ValueError(
                f"{len(self.ids)} tokens is too few for one window of context {context}"
            )
        self.context = context
        self.starts = torch.arange(0, len(self.ids) - context, stride)

    def __len__(self) -> int:
        return len(self.starts)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        s = int(self.starts[i])
        return self.ids[s : s + self.context], self.ids[s + 1 : s + self.context + 1]

    def batch(self, indices: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Stack the windows at `indices` into (B, T) inputs and targets."""
        offsets = self.starts[indices].unsqueeze(1) + torch.arange(self.context + 1)
        rows = self.ids[offsets]
        return rows[:, :-1], rows[:, 1:]


def windows_scoring_each_target_once(
    ids: torch.Tensor | list[int], context_length: int, stride: int | None = None,
    batch_size: int = 16,
) -> Iterator[tuple[torch.Tensor, list[int]]]:
    """Overlapping windows that together cover every target ids[1:] exactly once.

    Windows of `min(context_length, len(ids) - 1)` inputs start every `stride` tokens
    (half the context by default), the last one flush with the end, so most targets are
    read with plenty of context before them. Yields batches of (rows, skips): `rows` is
    (B, context + 1) ids (inputs rows[:, :-1], targets rows[:, 1:]), and `skips[b]` says
    how many of row b's leading targets an earlier window already covered. Scoring a
    text (`dlip.gpt.train.sum_nll`) and keying a cache (`dlip.gpt.prequential.fill_cache`)
    both read a text this way.
    """
    ids = torch.as_tensor(ids, dtype=torch.long)
    n_targets = len(ids) - 1
    context = min(context_length, n_targets)
    stride = stride or max(1, context // 2)
    starts = list(range(0, n_targets - context, stride)) + [n_targets - context]
    done = 0  # targets ids[1 : done + 1] are covered
    for first in range(0, len(starts), batch_size):
        chunk = starts[first : first + batch_size]
        rows = torch.stack([ids[s : s + context + 1] for s in chunk])
        skips = []
        for s in chunk:
            skips.append(max(0, done - s))
            done = s + context
        yield rows, skips
