"""Prequential scoring: each token's probability uses only the tokens before it, with a
frozen model, with dynamic evaluation and with the retrieval cache."""

from __future__ import annotations

import pytest
import torch
from torch.nn import functional as F

from dlip.gpt.config import preset
from dlip.gpt.knn import KNNCache
from dlip.gpt.model import GPTModel
from dlip.gpt.prequential import (
    ScoringConfig,
    fill_cache,
    neighbour_table,
    prequential_log_probs,
)

CFG = preset("tiny-test")  # vocab 64, context 16, width 32


def model(seed: int = 0) -> GPTModel:
    torch.manual_seed(seed)
    return GPTModel(CFG).eval()


def random_ids(n: int, seed: int = 1) -> torch.Tensor:
    return torch.randint(CFG.vocab_size, (n,), generator=torch.Generator().manual_seed(seed))


def score(ids: torch.Tensor, start: int, cfg: ScoringConfig, history: int = 0) -> torch.Tensor:
    """Score from a fresh copy of one model (and a fresh cache over ids[:history])."""
    m = model()
    cache = None
    if cfg.knn_lambda:
        cache = KNNCache(CFG.d_model, CFG.vocab_size, cfg.knn_k, cfg.knn_temperature)
        fill_cache(cache, m, ids[:history] if history else ids[:start])
    return prequential_log_probs(m, ids, start, cfg, cache)


SETTINGS = {
    "frozen": ScoringConfig(chunk=5),
    "dynamic evaluation": ScoringConfig(chunk=5, adapt_lr=0.01, adapt_steps=2),
    "cache": ScoringConfig(chunk=5, knn_lambda=0.5, knn_k=4),
    "both": ScoringConfig(chunk=5, adapt_lr=0.01, adapt_steps=2, knn_lambda=0.5, knn_k=4),
}


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_changing_a_later_token_changes_no_earlier_probability(name: str):
    cfg = SETTINGS[name]
    ids = random_ids(90)
    start, later = 30, 61  # later sits inside a chunk (chunks start at 30, 35, ..., 60)
    changed = ids.clone()
    changed[later] = (ids[later] + 1) % CFG.vocab_size
    a, b = score(ids, start, cfg), score(changed, start, cfg)
    before = later - start  # index of target `later` in the output
    assert torch.equal(a[:before], b[:before])  # bit for bit, the same chunk included
    assert not torch.equal(a[before:], b[before:])  # the change itself is seen


@pytest.mark.parametrize("chunk", [1, 3, 16])
def test_frozen_scores_are_the_models_own_and_do_not_depend_on_chunking(chunk: int):
    ids = random_ids(CFG.context_length + 1)  # one window holds all of it
    got = score(ids, 1, ScoringConfig(chunk=chunk))
    with torch.no_grad():
        log_p = F.log_softmax(model()(ids[None, :-1])[0], dim=-1)
    expected = log_p.gather(1, ids[1:, None])[:, 0].double()
    assert torch.allclose(got, expected, atol=1e-5)


def test_dynamic_evaluation_and_the_cache_learn_a_repeat():
    # A random passage read three times; the context (16) is too short to see the
    # previous reading, so only learning from it (or retrieving it) can help.
    passage = random_ids(40, seed=7)
    ids = torch.cat([passage, passage, passage])
    frozen = -score(ids, 80, SETTINGS["frozen"]).sum()
    learners = {"dynamic evaluation": ScoringConfig(chunk=10, adapt_lr=0.01),
                "cache": SETTINGS["cache"]}
    for name, cfg in learners.items():
        assert -score(ids, 1, cfg)[79:].sum() < 0.9 * frozen, name


def test_start_and_cache_are_checked():
    with pytest.raises(ValueError, match="start must be in"):
        prequential_log_probs(model(), random_ids(10), 10)
    with pytest.raises(ValueError, match="needs a cache"):
        prequential_log_probs(model(), random_ids(10), 1, ScoringConfig(knn_lambda=0.1))
    with pytest.raises(ValueError):
        ScoringConfig(knn_lambda=1.0)


def test_the_neighbour_table_replays_the_cache_exactly():
    ids = random_ids(120, seed=3)
    m = model()
    cfg = ScoringConfig(chunk=7, knn_lambda=0.3, knn_k=5, knn_temperature=2.0)
    frozen = prequential_log_probs(m, ids, 60, ScoringConfig(chunk=7))
    direct = score(ids, 60, cfg)
    cache = KNNCache(CFG.d_model, CFG.vocab_size)
    fill_cache(cache, m, ids[:60])
    table = neighbour_table(m, ids, 60, cache, chunk=7, k=8)
    replayed = table.mix(frozen, k=5, temperature=2.0, lam=0.3)
    assert torch.allclose(replayed, direct, atol=1e-5)
    nats, k, temperature, lam = table.choose(frozen, [1, 5], [2.0], [0.0, 0.3])
    assert nats == pytest.approx(float(-table.mix(frozen, k, temperature, lam).sum()))
    assert nats <= float(-replayed.sum()) + 1e-9
