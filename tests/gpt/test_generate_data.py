"""Generation (greedy, seeded sampling, top-k / top-p) and the data windows and split."""

from __future__ import annotations

import pytest
import torch

from dlip.gpt.config import preset
from dlip.gpt.data import (
    TokenWindows,
    split_by_position,
    split_three_by_position,
    windows_scoring_each_target_once,
)
from dlip.gpt.generate import filter_logits, generate
from dlip.gpt.model import GPTModel
from dlip.gpt.train import sum_nll


def test_windows_shift_targets_by_one_and_respect_stride():
    ds = TokenWindows(list(range(10)), context=4, stride=3)
    assert len(ds) == 2
    x, y = ds[1]
    assert x.tolist() == [3, 4, 5, 6] and y.tolist() == [4, 5, 6, 7]
    bx, by = ds.batch(torch.tensor([1, 0]))
    assert bx[0].tolist() == x.tolist() and by[1].tolist() == [1, 2, 3, 4]
    with pytest.raises(ValueError, match="too few"):
        TokenWindows([1, 2], context=4, stride=1)


def test_split_by_position_keeps_order_and_cuts_at_a_line():
    data = b"".join(b"line %d\n" % i for i in range(100))
    train, val = split_by_position(data, 0.1)
    assert train + val == data
    assert train.endswith(b"\n") and val.startswith(b"line ")
    assert 0.08 < len(val) / len(data) < 0.12


def test_split_three_by_position_keeps_order_and_sizes():
    data = b"".join(b"line %d\n" % i for i in range(1000))
    train, val, test = split_three_by_position(data, 0.1, 0.1)
    assert train + val + test == data
    for part in (train, val):
        assert part.endswith(b"\n")
    assert val.startswith(b"line ") and test.startswith(b"line ")
    assert 0.09 < len(val) / len(data) < 0.11 and 0.09 < len(test) / len(data) < 0.11
    with pytest.raises(ValueError, match="sum below 1"):
        split_three_by_position(data, 0.5, 0.5)


def test_filter_logits_top_k_and_top_p():
    logits = torch.log(torch.tensor([[0.5, 0.3, 0.15, 0.05]]))
    assert torch.isinf(filter_logits(logits, top_k=2)).tolist() == [[False, False, True, True]]
    kept = ~torch.isinf(filter_logits(logits, top_p=0.7))
    assert kept.tolist() == [[True, True, False, False]]  # 0.5 < 0.7 needs the second
    kept = ~torch.isinf(filter_logits(logits, top_p=0.1))
    assert kept.tolist() == [[True, False, False, False]]  # the best token always stays


def test_generation_is_seeded_and_greedy_is_deterministic():
    torch.manual_seed(0)
    model = GPTModel(preset("tiny-test"))
    a = generate(model, [1, 2, 3], 20, temperature=1.0, top_k=10, seed=42)
    b = generate(model, [1, 2, 3], 20, temperature=1.0, top_k=10, seed=42)
    c = generate(model, [1, 2, 3], 20, temperature=1.0, top_k=10, seed=43)
    assert a == b and a != c and len(a) == 23 and a[:3] == [1, 2, 3]
    g = generate(model, [5], 30, temperature=0)  # longer than the context of 16
    logits = model(torch.tensor([g[:-1][-16:]]))[0, -1]
    assert g[-1] == int(logits.argmax())


@pytest.mark.parametrize("n, context, stride, batch", [
    (50, 16, None, 16), (50, 16, 5, 3), (50, 16, 16, 1), (17, 16, None, 4), (10, 16, 3, 2),
    (200, 32, 7, 5),
])
def test_the_scoring_windows_cover_every_target_exactly_once(n, context, stride, batch):
    ids = torch.arange(1000, 1000 + n)  # a token's value says where it stands
    seen, batches = [], 0
    for rows, skips in windows_scoring_each_target_once(ids, context, stride, batch):
        batches += 1
        assert rows.shape[0] == len(skips) <= batch
        assert rows.shape[1] == min(context, n - 1) + 1
        for row, skip in zip(rows, skips, strict=True):
            assert torch.equal(row[1:] - row[:-1], torch.ones(len(row) - 1, dtype=torch.long))
            seen += (row[1 + skip :] - 1000).tolist()
    assert seen == list(range(1, n))  # each target once, in order
    assert batches >= 1


def test_sum_nll_scores_every_target_once():
    torch.manual_seed(0)
    model = GPTModel(preset("tiny-test")).eval()
    ids = torch.randint(64, (50,))
    total, count = sum_nll(model, ids, stride=5)
    assert count == 49
    # Brute force: each target with as much context as fits, one window per target.
    expected = 0.0
    with torch.no_grad():
        first = -torch.log_softmax(model(ids[None, :9])[0], -1)[torch.arange(9), ids[1:10]].sum()
    for j in range(1, 50):
        s = max(0, j - 16)
        with torch.no_grad():
            logp = torch.log_softmax(model(ids[None, s:j])[0, -1], -1)
        expected -= float(logp[ids[j]])
    # Windowed scoring gives some targets less context than brute force: close, not equal.
    assert total == pytest.approx(expected, rel=0.05)
    short_total, short_count = sum_nll(model, ids[:10])
    assert short_count == 9 and short_total == pytest.approx(float(first), rel=1e-5)
