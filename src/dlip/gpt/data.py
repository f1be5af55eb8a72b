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
