"""Prequential scoring: predict each token from the tokens before it, then learn from it.

This is how a compressor codes a file, and how the GPT is scored against one. The text
is read in order, one chunk of tokens at a time. For each chunk:

1. score: every token of the chunk gets its probability from the model's window of the
   `context_length` tokens before it (causal attention sees nothing later), optionally
   mixed with a retrieval cache over the text read so far (`dlip.gpt.knn`);
2. then, and only then, learn from the chunk: add its positions to the cache, and with
   dynamic evaluation (Krause et al., 2018) take a few gradient steps on its tokens, so
   the model adapts to the text it is reading.

Nothing of a chunk reaches the model or the cache before all of that chunk is scored,
so each probability depends only on the tokens before it. An arithmetic coder driven by
these probabilities would code the text in (almost exactly) the sum of their -log2:
the number is a code length, directly comparable with `dlip.gpt.compressors`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch.nn import functional as F

from dlip.gpt.data import windows_scoring_each_target_once
from dlip.gpt.knn import KNNCache, NeighbourTable, mix_log_probs
from dlip.gpt.model import GPTModel


@dataclass(frozen=True)
class ScoringConfig:
    """How the text is read. The defaults score a frozen model with no cache."""

    chunk: int = 64  # tokens scored between two updates (at most the context length)
    adapt_lr: float = 0.0  # dynamic evaluation's Adam learning rate; 0 = frozen model
    adapt_steps: int = 1  # gradient steps on each chunk after scoring it
    knn_lambda: float = 0.0  # weight of the cache's prediction; 0 = no cache
    knn_k: int = 32
    knn_temperature: float = 1.0

    def __post_init__(self) -> None:
        if self.chunk < 1 or self.adapt_steps < 1 or self.knn_k < 1:
            raise ValueError("chunk, adapt_steps and knn_k must be positive")
        if self.adapt_lr < 0 or self.knn_temperature <= 0 or not 0 <= self.knn_lambda < 1:
            raise ValueError("need adapt_lr >= 0, knn_temperature > 0, 0 <= knn_lambda < 1")


@torch.no_grad()
def fill_cache(cache: KNNCache, model: GPTModel, ids: torch.Tensor, stride: int | None = None,
               batch_size: int = 16) -> None:
    """Add one entry per target of `ids` (ids[1:]) to `cache`, from overlapping windows,
    each target keyed by the model's state after the `context_length` tokens before it."""
    was_training = model.training
    model.eval()
    for rows, skips in windows_scoring_each_target_once(ids, model.cfg.context_length, stride,
                                                        batch_size):
        feats = model.features(rows[:, :-1])
        for row, skip in enumerate(skips):
            cache.add(feats[row, skip:], rows[row, 1 + skip :], rows[row, skip:-1])
    model.train(was_training)


def prequential_log_probs(
    model: GPTModel,
    ids: torch.Tensor,
    start: int,
    cfg: ScoringConfig = ScoringConfig(),
    cache: KNNCache | None = None,
    on_chunk: Callable[[int, int], None] | None = None,
) -> torch.Tensor:
    """log p(ids[t] | ids[:t]) in nats for every t >= start, in order, as float64.

    `ids[:start]` is history: read as context, never scored (the training text, say).
    With `cfg.adapt_lr > 0` the model's weights change (work on a copy if the original
    matters). With `cfg.knn_lambda > 0`, `cache` must hold the history's entries
    (`fill_cache`), keyed by the model as it was before any adaptation; a frozen copy
    of that model keeps keying the new entries, so old and new keys stay comparable.
    """
    ids = torch.as_tensor(ids, dtype=torch.long)
    n = len(ids)
    if not 1 <= start < n:
        raise ValueError(f"start must be in [1, {n - 1}], got {start}")
    context = model.cfg.context_length
    chunk = min(cfg.chunk, context)
    use_cache = cfg.knn_lambda > 0
    if use_cache and cache is None:
        raise ValueError("knn_lambda > 0 needs a cache")
    adapting = cfg.adapt_lr > 0
    key_model = copy.deepcopy(model).eval() if (use_cache and adapting) else model
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.adapt_lr) if adapting else None
    was_training = model.training
    model.eval()  # no dropout while scoring or adapting
    out = torch.empty(n - start, dtype=torch.float64)
    for s in range(start, n, chunk):
        e = min(s + chunk, n)  # score targets ids[s:e]
        w0 = max(0, e - 1 - context)  # window ids[w0 : e-1] predicts ids[w0+1 : e]
        window = ids[w0 : e - 1].unsqueeze(0)
        targets = ids[s:e]
        first = s - 1 - w0  # output position that predicts ids[s]
        current = window[0, first:]  # the token at each predicting position
        with torch.set_grad_enabled(adapting):
            feats = model.features(window)
            logits = model.out_head(feats[0, first:])
        log_p = F.log_softmax(logits.detach().float(), dim=-1)
        if use_cache:
            with torch.no_grad():
                keys = feats[0, first:] if key_model is model else \
                    key_model.features(window)[0, first:]
            log_p = mix_log_probs(log_p, cache.probabilities(keys, current),
                                  cfg.knn_lambda)
        out[s - start : e - start] = log_p.gather(1, targets[:, None])[:, 0].double()
        # Everything below happens after the chunk is scored: learning from it.
        if use_cache:
            cache.add(keys, targets, current)
        if adapting:
            for step in range(cfg.adapt_steps):
                if step:
                    logits = model(window)[0, first:]
                loss = F.cross_entropy(logits, targets)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
        if on_chunk:
            on_chunk(e - start, n - start)
    model.train(was_training)
    return out


@torch.no_grad()
def neighbour_table(model: GPTModel, ids: torch.Tensor, start: int, cache: KNNCache,
                    chunk: int = 64, k: int = 64) -> NeighbourTable:
    """The cache's view of every target ids[t], t >= start, read in order exactly as
    `prequential_log_probs` reads it with a frozen key model: each chunk's neighbours are
    looked up, then its positions are added. `cache` grows as the text is read."""
    ids = torch.as_tensor(ids, dtype=torch.long)
    n, context = len(ids), model.cfg.context_length
    chunk = min(chunk, context)
    was_training = model.training
    model.eval()
    dist = torch.empty(n - start, k)
    hit = torch.empty(n - start, k, dtype=torch.bool)
    for s in range(start, n, chunk):
        e = min(s + chunk, n)
        w0 = max(0, e - 1 - context)
        window = ids[w0 : e - 1].unsqueeze(0)
        first = s - 1 - w0
        keys, current, targets = model.features(window)[0, first:], window[0, first:], ids[s:e]
        d, values = cache.neighbours(keys, current, k)
        dist[s - start : e - start] = d
        hit[s - start : e - start] = values == targets[:, None]
        cache.add(keys, targets, current)
    model.train(was_training)
    return NeighbourTable(dist, hit)
