"""Windows streamed from the partitions are the in-memory `window_ends` examples."""

from __future__ import annotations

import numpy as np
import pytest

from dlip.market.dataset import load_dataset, write_dataset
from dlip.market.stream import window_examples


@pytest.fixture(scope="module")
def folder(tmp_path_factory, synthetic_csv):
    tmp = tmp_path_factory.mktemp("stream")
    write_dataset([str(synthetic_csv(tmp / "b.csv", 3, 900))], tmp / "ds")
    return tmp / "ds"


@pytest.mark.parametrize("split", ["train", "val", "test"])
def test_streamed_windows_equal_the_in_memory_ones(folder, split) -> None:
    ds = load_dataset(folder)
    ends = ds.window_ends(split, length=16)
    tokens = ds.table["token"].to_numpy()
    want = tokens[ends[:, None] - np.arange(15, -1, -1)[None, :]]
    got = [w for w, _ in window_examples(folder, split, 16, batch_rows=101)]
    got_targets = np.concatenate([t for _, t in window_examples(folder, split, 16)])
    assert np.array_equal(np.concatenate(got), want)
    assert np.array_equal(got_targets, ds.table["next_direction"].to_numpy()[ends])


def test_torch_iterable_dataset_with_two_workers_covers_every_example(folder) -> None:
    torch = pytest.importorskip("torch")
    from dlip.market.stream import TokenWindows

    data = TokenWindows(folder, "train", 8)
    one = sum(1 for _ in data)
    loader = torch.utils.data.DataLoader(data, batch_size=64, num_workers=2)
    assert sum(len(t) for _, t in loader) == one == len(load_dataset(folder).window_ends(
        "train", length=8))
