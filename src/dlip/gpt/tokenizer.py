"""Byte-level BPE: learn merges on a corpus, encode text to ids, decode ids to text.

The alphabet is the 256 byte values, so every string encodes and nothing is ever unknown.
Training repeatedly merges the most frequent adjacent pair of ids into a new id. Before
that, text is cut into pieces in the manner of GPT-2 (words with their leading space,
numbers, runs of punctuation, whitespace) and merges never cross a piece boundary, so a
token is never "end of one word + start of the next".

GPT-2 writes that split with the third-party `regex` module (`\\p{L}`, `\\p{N}`). This
module uses the standard `re` instead, with classes that approximate it:

- letters  `[^\\W\\d_]`: word characters minus digits and underscore. Python counts
  characters such as "²" or "Ⅻ" (numbers that are not decimal digits) as word
  characters, so here they join letters where GPT-2 calls them numbers.
- numbers  `\\d`: Unicode decimal digits.
- other    `[^\\s\\w]|_`: everything that is neither space, letter nor digit.

The pieces always cover the whole text (checked in `pretokenize`), which is what makes
`decode(encode(text)) == text` hold for any Unicode string.

Saved as JSON: the merges in order, the special tokens and the split pattern's name.
"""

from __future__ import annotations

import heapq
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path

from dlip import atomic

GPT2_STYLE_PATTERN = re.compile(
    r"""'(?:[sdmt]|ll|ve|re)| ?[^\W\d_]+| ?\d+| ?(?:[^\s\w]|_)+|\s+(?!\S)|\s+"""
)
PATTERN_NAME = "gpt2-style-re-v1"
ENDOFTEXT = "<|endoftext|>"
FORMAT_VERSION = 1


class TokenizerError(ValueError):
    """A tokenizer file that cannot be read, or an id that is not in the vocabulary."""


def pretokenize(text: str) -> list[str]:
    """Cut text into GPT-2-style pieces whose concatenation is exactly `text`."""
    pieces = GPT2_STYLE_PATTERN.findall(text)
    if sum(map(len, pieces)) != len(text):  # the pattern must leave nothing out
        raise AssertionError("pre-tokenizer dropped characters")
    return pieces


def _merge_word(word: tuple[int, ...], pair: tuple[int, int], new_id: int) -> tuple[int, ...]:
    out: list[int] = []
    i = 0
    while i < len(word):
        if i + 1 < len(word) and word[i] == pair[0] and word[i + 1] == pair[1]:
            out.append(new_id)
            i += 2
        else:
            out.append(word[i])
            i += 1
    return tuple(out)


def _pairs(word: tuple[int, ...]) -> Iterable[tuple[int, int]]:
    return zip(word, word[1:], strict=False)


def learn_merges(text: str, num_merges: int) -> list[tuple[int, int]]:
    """The `num_merges` most useful merges, most frequent pair first.

    Ties in frequency go to the smallest pair of ids, so training is deterministic.
    Counts are kept up to date incrementally: a merge only touches the words that hold
    the merged pair, not the whole corpus.
    """
    word_counts = Counter(pretokenize(text))
    words = [tuple(piece.encode("utf-8")) for piece in word_counts]
    freqs = list(word_counts.values())

    pair_counts: Counter[tuple[int, int]] = Counter()
    where: defaultdict[tuple[int, int], set[int]] = defaultdict(set)
    for index, word in enumerate(words):
        for pair in _pairs(word):
            pair_counts[pair] += freqs[index]
            where[pair].add(index)
    heap = [(-count, pair) for pair, count in pair_counts.items()]
    heapq.heapify(heap)

    merges: list[tuple[int, int]] = []
    while len(merges) < num_merges and heap:
        neg_count, pair = heapq.heappop(heap)
        if pair_counts.get(pair, 0) != -neg_count:  # stale entry: count changed since push
            continue
        if -neg_count < 1:
            break
        new_id = 256 + len(merges)
        merges.append(pair)
        changed: set[tuple[int, int]] = set()
        for index in list(where[pair]):
            old = words[index]
            new = _merge_word(old, pair, new_id)
            if new == old:
                continue
            freq = freqs[index]
            for p in _pairs(old):
                pair_counts[p] -= freq
                changed.add(p)
            for p in _pairs(new):
                pair_counts[p] += freq
                where[p].add(index)
                changed.add(p)
            words[index] = new
        del where[pair]
        pair_counts.pop(pair, None)
        for p in changed:
            count = pair_counts.get(p, 0)
            if count > 0:
                heapq.heappush(heap, (-count, p))
            else:
                pair_counts.pop(p, None)
    return merges


class BPETokenizer:
    """Byte-level BPE with optional special tokens (ids after the merges)."""

    def __init__(
        self, merges: list[tuple[int, int]], special_tokens: Iterable[str] = (ENDOFTEXT,)
    ) -> None:
        self.merges = [tuple(pair) for pair in merges]
        self.ranks = {pair: rank for rank, pair in enumerate(self.merges)}
        self.vocab: dict[int, bytes] = {i: bytes([i]) for i in range(256)}
        for rank, (a, b) in enumerate(self.merges):
            self.vocab[256 + rank] = self.vocab[a] + self.vocab[b]
        first_special = 256 + len(self.merges)
        self.special_tokens = {tok: first_special + i for i, tok in enumerate(special_tokens)}
        self.special_by_id = {i: tok for tok, i in self.special_tokens.items()}
        self._cache: dict[str, list[int]] = {}
        self._special_split = (
            re.compile("(" + "|".join(map(re.escape, self.special_tokens)) + ")")
            if self.special_tokens
            else None
        )

    @classmethod
    def train(
        cls, text: str, vocab_size: int, special_tokens: Iterable[str] = (ENDOFTEXT,)
    ) -> BPETokenizer:
        """Learn merges so that bytes + merges + special tokens make `vocab_size` ids."""
        special_tokens = tuple(special_tokens)
        num_merges = vocab_size - 256 - len(special_tokens)
        if num_merges < 0:
            raise ValueError(f"vocab_size {vocab_size} is below 256 bytes + special tokens")
        return cls(learn_merges(text, num_merges), special_tokens)

    @property
    def vocab_size(self) -> int:
        return 256 + len(self.merges) + len(self.special_tokens)

    def _encode_piece(self, piece: str) -> list[int]:
        cached = self._cache.get(piece)
        if cached is not None:
            return cached
        word = list(piece.encode("utf-8"))
        while len(word) > 1:
            ranked = [(self.ranks.get(p, len(self.ranks)), i) for i, p in enumerate(_pairs(word))]
            rank, _ = min(ranked)
            if rank == len(self.ranks):
                break
            word = list(_merge_word(tuple(word), self.merges[rank], 256 + rank))
        if len(self._cache) < 200_000:
            self._cache[piece] = word
        return word

    def encode(self, text: str, allow_special: bool = True) -> list[int]:
        """Ids for `text`. Special-token strings become their id when `allow_special`."""
        ids: list[int] = []
        chunks = (
            self._special_split.split(text)
            if allow_special and self._special_split
            else [text]
        )
        for chunk in chunks:
            if chunk in self.special_tokens and allow_special:
                ids.append(self.special_tokens[chunk])
                continue
            for piece in pretokenize(chunk):
                ids.extend(self._encode_piece(piece))
        return ids

    def decode_bytes(self, ids: Iterable[int]) -> bytes:
        out = bytearray()
        for i in ids:
            if i in self.vocab:
                out += self.vocab[i]
            elif i in self.special_by_id:
                out += self.special_by_id[i].encode("utf-8")
            else:
                raise TokenizerError(f"token id {i} is not in the vocabulary ({self.vocab_size})")
        return bytes(out)

    def decode(self, ids: Iterable[int]) -> str:
        """Text for `ids`; a cut through a multi-byte character shows as U+FFFD."""
        return self.decode_bytes(ids).decode("utf-8", errors="replace")

    def to_dict(self) -> dict:
        return {
            "format": "dlip-bpe",
            "version": FORMAT_VERSION,
            "pretokenizer": PATTERN_NAME,
            "merges": [list(pair) for pair in self.merges],
            "special_tokens": self.special_tokens,
        }

    def save(self, path: str | Path) -> None:
        path = Path(path)
        atomic.write_text(path, json.dumps(self.to_dict()))

    @classmethod
    def load(cls, path: str | Path) -> BPETokenizer:
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise TokenizerError(f"{path}: cannot read tokenizer: {exc}") from None
        if not isinstance(data, dict) or data.get("format") != "dlip-bpe":
            raise TokenizerError(f"{path}: not a dlip BPE tokenizer file")
        if data.get("pretokenizer") != PATTERN_NAME:
            raise TokenizerError(f"{path}: unknown pre-tokenizer {data.get('pretokenizer')!r}")
        merges = [tuple(pair) for pair in data.get("merges", [])]
        for rank, pair in enumerate(merges):
            if len(pair) != 2 or not all(isinstance(i, int) and 0 <= i < 256 + rank for i in pair):
                raise TokenizerError(f"{path}: merge {rank} {list(pair)} refers to unknown ids")
        specials = data.get("special_tokens", {})
        ordered = sorted(specials, key=specials.get)
        tokenizer = cls(merges, ordered)
        if tokenizer.special_tokens != specials:
            raise TokenizerError(f"{path}: special token ids do not follow the merges")
        return tokenizer
