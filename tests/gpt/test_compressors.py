"""Compressor baselines: conditional code lengths that behave like code lengths."""

from __future__ import annotations

import random

import pytest

from dlip.gpt.compressors import (
    COMPRESSORS,
    conditional_bits,
    conditional_bits_per_byte,
    repeated_fraction,
)


def random_text(n: int, seed: int) -> bytes:
    rng = random.Random(seed)
    return bytes(rng.choice(b"abcdefghij ") for _ in range(n))


@pytest.mark.parametrize("name", sorted(COMPRESSORS))
def test_a_repeat_of_what_was_read_costs_little(name: str):
    before = random_text(20_000, 1)
    fresh = random_text(2_000, 2)
    repeat = before[5_000:7_000]
    # Random bytes from 11 symbols need about log2(11) = 3.46 bits each...
    fresh_bits = conditional_bits_per_byte(name, before, fresh)
    assert fresh_bits > 3.0
    # ...but a passage the compressor has already read costs less. The LZ family codes
    # it as a pointer back; bzip2's sorted contexts gain less on random text.
    repeat_bits = conditional_bits_per_byte(name, before, repeat)
    assert repeat_bits < (fresh_bits if name == "bzip2" else 0.5)


def test_conditional_bits_is_the_difference_of_two_lengths():
    def fake(data: bytes) -> bytes:
        return data[: len(data) // 2]

    assert conditional_bits(fake, b"x" * 100, b"y" * 50) == 8 * (75 - 50)


def test_unknown_name_and_empty_text_are_errors():
    with pytest.raises(KeyError, match="unknown compressor 'lz4'"):
        conditional_bits_per_byte("lz4", b"a", b"b")
    with pytest.raises(ValueError, match="empty"):
        conditional_bits_per_byte("xz", b"a", b"")


def test_repeated_fraction_counts_bytes_inside_earlier_spans():
    before = random_text(500, 3)
    fresh = random_text(100, 4)
    assert repeated_fraction(before, fresh, span=16) == 0.0
    # 40 bytes copied from `before`, then 60 fresh: exactly the 40 are covered.
    assert repeated_fraction(before, before[100:140] + fresh[:60], span=16) == 0.4
    # A repeat inside the text itself counts too (its second reading).
    assert repeated_fraction(b"", fresh[:50] + fresh[:50], span=16) == 0.5
