"""Count-based baselines: byte-level unigram and interpolated Kneser-Ney n-gram models.

A Transformer is only interesting if it beats what counting can do. These models read
the same training bytes and are scored on the same held-out bytes as the GPT, in bits
per byte, so the numbers compare directly.

Interpolated Kneser-Ney (Chen and Goodman's formulation, one absolute discount per
order, D = n1 / (n1 + 2 n2) from the counts of counts):

    P(w | h) = max(c(h w) - D, 0) / c(h)  +  D * N1+(h .) / c(h) * P(w | h')

where h' drops the oldest byte of h. The highest order uses raw counts c; every lower
order uses continuation counts (how many distinct bytes precede "h w"), which is what
lets a byte that only ever follows one context count for little elsewhere. The recursion
ends in a uniform distribution over the 256 byte values, so no byte gets probability 0.
A context never seen in training hands all its mass to the shorter context.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict

VOCAB = 256


def unigram_bits_per_byte(train: bytes, heldout: bytes) -> float:
    """Add-one unigram: each byte scored by its training frequency alone."""
    counts = Counter(train)
    total = len(train) + VOCAB
    bits = sum(-math.log2((counts[b] + 1) / total) for b in heldout)
    return bits / len(heldout)


class KneserNey:
    """Interpolated Kneser-Ney over bytes, up to `order` (context of order - 1 bytes)."""

    def __init__(self, train: bytes, order: int) -> None:
        if order < 1:
            raise ValueError("order must be at least 1")
        self.order = order
        # counts[n][(context, byte)]: raw counts for the top order, continuation counts below.
        self.counts: list[dict[tuple[bytes, int], int]] = [{} for _ in range(order + 1)]
        self.context_total: list[dict[bytes, int]] = [{} for _ in range(order + 1)]
        self.context_types: list[dict[bytes, int]] = [{} for _ in range(order + 1)]
        self.discount = [0.0] * (order + 1)
        self._fit(train)

    def _fit(self, data: bytes) -> None:
        top = self.order
        raw = Counter(data[i - top + 1 : i + 1] for i in range(top - 1, len(data)))
        grams = {top: raw}
        # Lower orders: continuation counts = number of distinct left extensions.
        for n in range(top - 1, 0, -1):
            cont: Counter[bytes] = Counter()
            for gram in grams[n + 1]:
                cont[gram[1:]] += 1
            # n-grams at the very start of the text have no left extension; count them once.
            head = data[:n]
            if len(head) == n and head not in cont:
                cont[head] = 1
            grams[n] = cont
        for n in range(1, top + 1):
            counts: dict[tuple[bytes, int], int] = {}
            total: defaultdict[bytes, int] = defaultdict(int)
            types: defaultdict[bytes, int] = defaultdict(int)
            for gram, c in grams[n].items():
                context, byte = gram[:-1], gram[-1]
                counts[(context, byte)] = c
                total[context] += c
                types[context] += 1
            self.counts[n] = counts
            self.context_total[n] = dict(total)
            self.context_types[n] = dict(types)
            of_count = Counter(grams[n].values())
            n1, n2 = of_count.get(1, 0), of_count.get(2, 0)
            self.discount[n] = n1 / (n1 + 2 * n2) if n1 + n2 > 0 else 0.5

    def prob(self, history: bytes, byte: int) -> float:
        """P(byte | last order-1 bytes of history)."""
        p = 1.0 / VOCAB
        for n in range(1, self.order + 1):
            context = history[len(history) - (n - 1) :] if n > 1 else b""
            if len(context) != n - 1:
                break
            total = self.context_total[n].get(context)
            if not total:
                break  # unseen context: keep the shorter context's estimate
            d = self.discount[n]
            c = self.counts[n].get((context, byte), 0)
            p = max(c - d, 0.0) / total + d * self.context_types[n][context] / total * p
        return p

    def bits_per_byte(self, heldout: bytes, history: bytes = b"") -> float:
        """Average -log2 P over `heldout`; `history` is text that precedes it."""
        text = history + heldout
        start = len(history)
        k = self.order - 1
        bits = 0.0
        for i in range(start, len(text)):
            bits -= math.log2(self.prob(text[max(0, i - k) : i], text[i]))
        return bits / len(heldout)
