"""The count-based baselines: proper distributions, and sensible orderings."""

from __future__ import annotations

import math

import pytest

from dlip.gpt.ngram import KneserNey, unigram_bits_per_byte

TEXT = b"the cat sat on the mat. the dog sat on the log. " * 20


@pytest.mark.parametrize("order", [1, 2, 3, 5])
def test_probabilities_sum_to_one(order):
    model = KneserNey(TEXT, order)
    for history in (b"", b"the c", b"zzzz", b"on th"):
        assert sum(model.prob(history, b) for b in range(256)) == pytest.approx(1.0, abs=1e-9)


def test_unigram_is_add_one_over_bytes():
    train, heldout = b"aab", b"a"
    assert unigram_bits_per_byte(train, heldout) == pytest.approx(-math.log2(3 / 259))


def test_longer_context_helps_on_repetitive_text_and_unseen_bytes_stay_finite():
    heldout = b"the cat sat on the log. "
    bits = [KneserNey(TEXT, n).bits_per_byte(heldout, history=b"mat. ") for n in (1, 2, 3, 5)]
    assert bits == sorted(bits, reverse=True)
    assert bits[-1] < 0.5 < bits[0]
    assert math.isfinite(KneserNey(TEXT, 3).bits_per_byte(b"\x00\xff"))
