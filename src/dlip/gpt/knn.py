"""A retrieval cache over the text seen so far: the kNN-LM of Khandelwal et al. (2020).

Every position of text the model has read leaves one entry: a key, the model's final
state there (`GPTModel.features`, the vector its output layer reads), and a value, the
token that actually came next. To predict the next token somewhere new, look up the k
stored keys nearest to the current state and spread probability over their values:

    p_knn(v) = sum over the k nearest (key, value = v) of softmax(-distance / temperature)

then mix it with the model's own prediction, p = (1 - lam) p_model + lam p_knn. Where
the text repeats a passage seen before (a reference manual does, a lot), the states
before the repeat are nearly the same, so the neighbours say exactly which token comes
next; elsewhere their vote is spread thin and the model's prediction dominates. It is
the continuous cache of Grave et al. (2017) grown to everything read so far, and the
text version of milestone 005's search of history for similar situations.

Search is exact within an inverted index keyed by the current token: a query is compared
with the stored positions that held the same token, not with all of them (the role
FAISS's IVF lists play in the paper, with the token as the list). Two states after
different tokens are rarely neighbours anyway, and it computes about 150 times fewer
distances (the validation text of milestone 003 against its training text: 2.0 billion
query-key pairs in all, 14 million within the same token), which is what lets it run in
seconds on two CPU cores. A query whose token was never seen
has no neighbours; the model's prediction then stands alone.

The cache only ever holds what was added to it, and `dlip.gpt.prequential` adds a
position's entry only after that position has been scored: nothing looks ahead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch


class _Block:
    """The stored entries of one token: keys, their squared norms, next tokens."""

    def __init__(self, dim: int, capacity: int = 16) -> None:
        self.keys = torch.empty(capacity, dim)
        self.sq_norms = torch.empty(capacity)
        self.values = torch.empty(capacity, dtype=torch.long)
        self.size = 0

    def append(self, keys: torch.Tensor, values: torch.Tensor) -> None:
        n = len(keys)
        if self.size + n > len(self.keys):
            capacity = max(2 * len(self.keys), self.size + n)
            for name in ("keys", "sq_norms", "values"):
                old = getattr(self, name)
                new = old.new_empty((capacity, *old.shape[1:]))
                new[: self.size] = old[: self.size]
                setattr(self, name, new)
        self.keys[self.size : self.size + n] = keys
        self.sq_norms[self.size : self.size + n] = (keys * keys).sum(-1)
        self.values[self.size : self.size + n] = values
        self.size += n


class KNNCache:
    """(key, next token) pairs, grouped by the token at the key's position; the k nearest
    by squared L2 distance among the entries of the query's own token."""

    def __init__(self, dim: int, vocab_size: int, k: int = 32, temperature: float = 1.0) -> None:
        if k < 1 or temperature <= 0:
            raise ValueError(f"need k >= 1 and temperature > 0, got {k} and {temperature}")
        self.dim, self.vocab_size = dim, vocab_size
        self.k, self.temperature = k, temperature
        self.blocks: dict[int, _Block] = {}
        self.size = 0

    def __len__(self) -> int:
        return self.size

    def add(self, keys: torch.Tensor, values: torch.Tensor, tokens: torch.Tensor) -> None:
        """Store (n, dim) keys with the (n,) tokens that followed them, filed under the
        (n,) tokens at their positions."""
        keys = keys.detach().reshape(-1, self.dim).float()
        values, tokens = values.reshape(-1), tokens.reshape(-1)
        if not len(keys) == len(values) == len(tokens):
            raise ValueError(f"{len(keys)} keys, {len(values)} values, {len(tokens)} tokens")
        order = torch.argsort(tokens, stable=True)
        groups, counts = torch.unique_consecutive(tokens[order], return_counts=True)
        for token, rows in zip(groups.tolist(), torch.split(order, counts.tolist()), strict=True):
            block = self.blocks.setdefault(token, _Block(self.dim))
            block.append(keys[rows], values[rows])
        self.size += len(keys)

    @torch.no_grad()
    def neighbours(self, queries: torch.Tensor, tokens: torch.Tensor,
                   k: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """The k nearest entries of each query's token: (m, k) squared distances, nearest
        first, and the (m, k) tokens that followed them; missing ones are (inf, -1)."""
        k = k or self.k
        queries = queries.detach().float()
        dist_out = torch.full((len(queries), k), float("inf"))
        value_out = torch.full((len(queries), k), -1, dtype=torch.long)
        for token in torch.unique(tokens).tolist():
            block = self.blocks.get(token)
            if block is None:
                continue
            rows = (tokens == token).nonzero()[:, 0]
            q = queries[rows]
            keys = block.keys[: block.size]
            # |q - k|^2 = |q|^2 - 2 q.k + |k|^2, one matrix product per token.
            dist = (q * q).sum(-1, keepdim=True) - 2 * q @ keys.T + block.sq_norms[: block.size]
            found = min(k, block.size)
            nearest, index = torch.topk(dist, found, dim=-1, largest=False)
            dist_out[rows, :found] = nearest
            value_out[rows, :found] = block.values[index]
        return dist_out, value_out

    def probabilities(self, queries: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        """(m, dim) queries at positions holding (m,) tokens -> (m, vocab) p_knn; a row is
        all zeros when no stored position held that token."""
        dist, values = self.neighbours(queries, tokens)
        weights = neighbour_weights(dist, self.temperature)
        out = torch.zeros(len(queries), self.vocab_size)
        return out.scatter_add_(1, values.clamp(min=0), weights)


def neighbour_weights(dist: torch.Tensor, temperature: float) -> torch.Tensor:
    """softmax(-distance / temperature) over each row's neighbours; rows with none are 0."""
    weights = torch.softmax(-(dist - dist[:, :1]) / temperature, dim=-1)
    return torch.nan_to_num(weights, nan=0.0)  # a row of inf (no neighbour) gives nan


def mix_log_probs(log_p_model: torch.Tensor, p_knn: torch.Tensor, lam: float) -> torch.Tensor:
    """log((1 - lam) p_model + lam p_knn), row by row; rows where the cache found no
    neighbour (p_knn all zero) keep the model's prediction unchanged."""
    if not 0.0 <= lam < 1.0:
        raise ValueError(f"the cache weight must be in [0, 1), got {lam}")
    if lam == 0.0:
        return log_p_model
    mixed = torch.logaddexp(log_p_model + torch.log1p(torch.tensor(-lam)),
                            torch.log(lam * p_knn))
    found = p_knn.sum(-1, keepdim=True) > 0
    return torch.where(found, mixed, log_p_model)


@dataclass(frozen=True)
class NeighbourTable:
    """For each scored token: its nearest entries' distances and whether each entry's next
    token was the right one. Enough to replay the cache for any k, temperature and weight
    without searching again."""

    dist: torch.Tensor  # (n, k_max) squared distances, nearest first; inf where none
    hit: torch.Tensor  # (n, k_max) bool: that neighbour's next token is the target

    def p_target(self, k: int, temperature: float) -> torch.Tensor:
        """p_knn(the actual next token) for each scored token, float64."""
        weights = neighbour_weights(self.dist[:, :k], temperature)
        return (weights * self.hit[:, :k]).sum(-1).double()

    def mix(self, log_p_model: torch.Tensor, k: int, temperature: float,
            lam: float) -> torch.Tensor:
        """log((1 - lam) p_model + lam p_knn) of each target, as `mix_log_probs` gives."""
        found = torch.isfinite(self.dist[:, 0])
        mixed = torch.log((1 - lam) * log_p_model.exp() + lam * self.p_target(k, temperature))
        return torch.where(found, mixed, log_p_model)

    def choose(self, log_p_model: torch.Tensor, ks: Sequence[int],
               temperatures: Sequence[float], lambdas: Sequence[float]
               ) -> tuple[float, int, float, float]:
        """The (total nats, k, temperature, lambda) of the grid that codes these targets in
        the fewest nats: how the cache's settings are chosen on validation text."""
        best = None
        for k in ks:
            for temperature in temperatures:
                for lam in lambdas:
                    nats = float(-self.mix(log_p_model, k, temperature, lam).sum())
                    if best is None or nats < best[0]:
                        best = (nats, k, temperature, lam)
        if best is None:
            raise ValueError("empty grid")
        return best
