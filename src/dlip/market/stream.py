"""Training windows streamed from a dataset folder larger than memory.

`TokenWindows` is a PyTorch IterableDataset over the Parquet partitions: it reads one
row batch of one symbol at a time (only the columns it needs), keeps the last
`length - 1` tokens of the symbol across batches, and yields (tokens, target) for every
valid window end of the split, the same examples as `Dataset.window_ends`. With several
DataLoader workers, each reads its own share of the partitions.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from dlip.market.dataset import iter_partitions, read_meta

COLUMNS = ["symbol", "token", "split", "target_in_split", "position"]


def window_examples(folder: Path, split: str, length: int, target: str = "next_direction",
                    worker: int = 0, workers: int = 1, batch_rows: int = 1 << 16
                    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(windows [n, length] int64, targets [n]) per row batch, in table order."""
    meta = read_meta(folder)
    warmup = meta["settings"]["features"]["warmup"]
    parts = meta.get("partitions")
    if parts is not None:
        meta = meta | {"partitions": parts[worker::workers]}
    tail: dict[str, np.ndarray] = {}
    for b in iter_partitions(folder, columns=[*COLUMNS, target], batch_rows=batch_rows,
                             meta=meta, arrays=True):
        sym = str(b["symbol"][0])
        tokens = np.concatenate([tail.get(sym, np.empty(0, np.int64)),
                                 b["token"].astype(np.int64)])
        keep = len(tokens) - len(b["token"])
        tail[sym] = tokens[-(length - 1):] if length > 1 else np.empty(0, np.int64)
        split_col = np.asarray(b["split"]).astype(str)
        ok = (split_col == split) & b["target_in_split"] & (b["position"] >= warmup + length - 1)
        ends = np.flatnonzero(ok) + keep
        if not len(ends):
            continue
        idx = ends[:, None] - np.arange(length - 1, -1, -1)[None, :]
        yield tokens[idx], np.asarray(b[target])[ends - keep]


def _torch_dataset():
    import torch

    class TokenWindows(torch.utils.data.IterableDataset):
        """Streamed (tokens, target) examples of one split; see the module docstring."""

        def __init__(self, folder: Path, split: str, length: int,
                     target: str = "next_direction") -> None:
            self.folder, self.split, self.length, self.target = (
                Path(folder), split, length, target)

        def __iter__(self):
            info = torch.utils.data.get_worker_info()
            worker, workers = (info.id, info.num_workers) if info else (0, 1)
            for windows, targets in window_examples(self.folder, self.split, self.length,
                                                    self.target, worker, workers):
                w = torch.from_numpy(windows)
                t = torch.from_numpy(np.asarray(targets).astype(np.int64))
                yield from zip(w, t, strict=True)

    return TokenWindows


def __getattr__(name: str):
    if name == "TokenWindows":  # torch is imported only when this is asked for
        return _torch_dataset()
    raise AttributeError(name)
