"""General-purpose compressors as baselines, measured the way a language model is.

A compressor that has read some text codes what follows it in fewer bits: it finds the
long repeats. So the fair comparison with a model that was trained on the training text
is the compressor's *conditional* code length of the held-out text given everything
before it:

    bits(test | train + val) = 8 * (len(C(train + val + test)) - len(C(train + val)))

divided by the number of test bytes. A language model scored prequentially (each byte
predicted from the bytes before it) is exactly such a code: an arithmetic coder driven
by its probabilities would produce that many bits, to within a few bytes.

The four compressors, each at its strongest standard setting:
  xz     LZMA2, preset 9 with the extreme flag (`xz -9e`)
  bzip2  Burrows-Wheeler, 900 kB blocks (`bzip2 -9`)
  zlib   Deflate, level 9 (`gzip -9` without the header)
  zstd   Zstandard, level 22 (`zstd --ultra -22`), from the `zstandard` package
"""

from __future__ import annotations

import bz2
import lzma
import zlib
from collections.abc import Callable


def _xz(data: bytes) -> bytes:
    return lzma.compress(data, preset=9 | lzma.PRESET_EXTREME)


def _bzip2(data: bytes) -> bytes:
    return bz2.compress(data, compresslevel=9)


def _zlib(data: bytes) -> bytes:
    return zlib.compress(data, 9)


def _zstd(data: bytes) -> bytes:
    import zstandard  # the [ml] extra; imported here so the other three need nothing

    return zstandard.ZstdCompressor(level=22).compress(data)


COMPRESSORS: dict[str, Callable[[bytes], bytes]] = {
    "xz": _xz,
    "bzip2": _bzip2,
    "zlib": _zlib,
    "zstd": _zstd,
}

# What each name means on the command line, for tables and figure legends.
SETTINGS: dict[str, str] = {
    "xz": "xz -9e",
    "bzip2": "bzip2 -9",
    "zlib": "zlib -9",
    "zstd": "zstd --ultra -22",
}


def conditional_bits(compress: Callable[[bytes], bytes], before: bytes, text: bytes) -> int:
    """Bits the compressor spends on `text` once it has read `before`."""
    if not text:
        raise ValueError("the text to code is empty")
    return 8 * (len(compress(before + text)) - len(compress(before)))


def conditional_bits_per_byte(name: str, before: bytes, text: bytes) -> float:
    """Conditional code length of `text` given `before`, per byte of `text`."""
    if name not in COMPRESSORS:
        raise KeyError(f"unknown compressor {name!r}; known: {', '.join(COMPRESSORS)}")
    return conditional_bits(COMPRESSORS[name], before, text) / len(text)


def repeated_fraction(before: bytes, text: bytes, span: int = 32) -> float:
    """Fraction of `text`'s bytes that lie inside some `span`-byte string which already
    occurred earlier (in `before`, or earlier in `text`): the long repeats an LZ-style
    compressor codes as a pointer back. It measures the text, not any model."""
    if not text:
        raise ValueError("the text to measure is empty")
    seen = {before[i : i + span] for i in range(len(before) - span + 1)}
    covered = bytearray(len(text))
    for i in range(len(text) - span + 1):
        window = text[i : i + span]
        if window in seen:
            covered[i : i + span] = b"\x01" * span
        seen.add(window)
    return sum(covered) / len(text)
