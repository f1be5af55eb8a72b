"""The retrieval cache: exact neighbours, a proper distribution, a correct mixture."""

from __future__ import annotations

import pytest
import torch

from dlip.gpt.config import preset
from dlip.gpt.knn import KNNCache, mix_log_probs
from dlip.gpt.model import GPTModel
from dlip.gpt.prequential import fill_cache


def test_a_query_on_a_stored_key_votes_for_its_value():
    cache = KNNCache(dim=2, vocab_size=5, k=1)
    cache.add(torch.tensor([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]]), torch.tensor([1, 2, 3]),
              torch.tensor([0, 0, 0]))
    p = cache.probabilities(torch.tensor([[9.0, 1.0], [0.0, 9.5]]), torch.tensor([0, 0]))
    assert torch.equal(p, torch.tensor([[0.0, 0, 1, 0, 0], [0, 0, 0, 1, 0]]))
    assert len(cache) == 3


def test_only_positions_of_the_same_token_are_searched():
    cache = KNNCache(dim=1, vocab_size=4, k=1)
    cache.add(torch.tensor([[0.0], [5.0]]), torch.tensor([1, 2]), torch.tensor([7, 8]))
    p = cache.probabilities(torch.tensor([[0.0], [0.0], [0.0]]), torch.tensor([8, 7, 9]))
    # Token 8's only entry is far away but still its nearest; token 9 has none.
    assert torch.equal(p, torch.tensor([[0.0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 0]]))


def test_neighbours_are_weighted_by_distance_and_sum_to_one():
    cache = KNNCache(dim=1, vocab_size=3, k=3, temperature=1.0)
    cache.add(torch.tensor([[0.0], [1.0], [2.0]]), torch.tensor([0, 1, 1]), torch.zeros(3).long())
    # Added one at a time too: blocks grow past their first capacity.
    for i in range(40):
        cache.add(torch.tensor([[100.0 + i]]), torch.tensor([2]), torch.tensor([0]))
    p = cache.probabilities(torch.tensor([[0.0]]), torch.tensor([0]))[0]
    w = torch.softmax(-torch.tensor([0.0, 1.0, 4.0]), 0)  # squared distances
    assert torch.allclose(p, torch.tensor([w[0], w[1] + w[2], 0.0]))
    assert torch.isclose(p.sum(), torch.tensor(1.0))
    assert len(cache) == 43


def test_empty_cache_and_the_mixture():
    cache = KNNCache(dim=2, vocab_size=4)
    assert torch.equal(cache.probabilities(torch.zeros(3, 2), torch.zeros(3).long()),
                       torch.zeros(3, 4))
    log_p = torch.log_softmax(torch.randn(3, 4), -1)
    p_knn = torch.tensor([[1.0, 0, 0, 0], [0.5, 0.5, 0, 0], [0, 0, 0, 0]])
    mixed = mix_log_probs(log_p, p_knn, 0.25)
    expected = 0.75 * log_p.exp() + 0.25 * p_knn
    expected[2] = log_p[2].exp()  # no neighbours: the model's prediction stands
    assert torch.allclose(mixed.exp(), expected)
    assert torch.equal(mix_log_probs(log_p, p_knn, 0.0), log_p)
    with pytest.raises(ValueError):
        mix_log_probs(log_p, p_knn, 1.0)


def test_fill_cache_keys_each_target_once_with_the_models_state():
    cfg = preset("tiny-test")
    torch.manual_seed(0)
    model = GPTModel(cfg).eval()
    ids = torch.randint(cfg.vocab_size, (50,))
    cache = KNNCache(cfg.d_model, cfg.vocab_size)
    fill_cache(cache, model, ids)
    assert len(cache) == 49
    with torch.no_grad():  # the first window's states key the first 16 targets
        first = model.features(ids[None, : cfg.context_length])[0]
    token = int(ids[3])  # position 3 holds this token; its entry predicts ids[4]
    block = cache.blocks[token]
    stored = {int(v) for v in block.values[: block.size]}
    assert block.size == int((ids[:-1] == token).sum()) and int(ids[4]) in stored
    assert (block.keys[: block.size] - first[3]).abs().sum(-1).min() < 1e-5
