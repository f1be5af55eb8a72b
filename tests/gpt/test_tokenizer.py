"""Byte-level BPE: exact round trip on any Unicode, and the merges a small text implies."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlip.gpt.tokenizer import (
    ENDOFTEXT,
    BPETokenizer,
    TokenizerError,
    learn_merges,
    pretokenize,
)

SMALL = " ".join(["low"] * 5 + ["lower"] * 2 + ["newest"] * 6 + ["widest"] * 3)
TRAINED = BPETokenizer.train(SMALL * 3 + " the café naïve 日本語 123 4567", vocab_size=300)


def test_pretokenize_splits_like_gpt2():
    text = "Hello, world! It's 2024:  x_y\n\tend"
    assert pretokenize(text) == [
        "Hello", ",", " world", "!", " It", "'s", " 2024", ":",
        " ", " x", "_", "y", "\n", "\t", "end",
    ]


def test_merges_on_a_known_text():
    # Pairs inside the pieces "low", " low" x4, " lower" x2, " newest" x6, " widest" x3:
    # "es" and "st" tie at 9 and the smaller pair of ids wins, then "est" (9); then "lo"
    # and "ow" tie at 7 (1 + 4 + 2): "lo" wins, then "low" (7).
    merges = learn_merges(SMALL, 4)
    vocab = {i: bytes([i]) for i in range(256)}
    names = []
    for rank, (a, b) in enumerate(merges):
        vocab[256 + rank] = vocab[a] + vocab[b]
        names.append(vocab[256 + rank])
    assert names == [b"es", b"est", b"lo", b"low"]


def test_encode_uses_merges_and_special_tokens():
    tok = BPETokenizer.train(SMALL, vocab_size=256 + 4 + 1)
    ids = tok.encode(" newest" + ENDOFTEXT)
    assert tok.decode_bytes(ids[:-1]) == b" newest"
    assert [tok.decode_bytes([i]) for i in ids[:-1]] == [b" ", b"n", b"e", b"w", b"est"]
    assert ids[-1] == tok.special_tokens[ENDOFTEXT]
    assert len(tok.encode(ENDOFTEXT, allow_special=False)) > 1  # just text then
    assert tok.decode(tok.encode(ENDOFTEXT, allow_special=False)) == ENDOFTEXT


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_round_trip_any_unicode(text):
    assert "".join(pretokenize(text)) == text
    assert TRAINED.decode(TRAINED.encode(text, allow_special=False)) == text


def test_save_and_load_give_the_same_encoding(tmp_path):
    path = tmp_path / "tok.json"
    TRAINED.save(path)
    loaded = BPETokenizer.load(path)
    text = "the newest café, 日本語!"
    assert loaded.encode(text) == TRAINED.encode(text)
    assert loaded.vocab_size == TRAINED.vocab_size == 300


def test_bad_tokenizer_file_names_the_file(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{not json")
    with pytest.raises(TokenizerError, match="broken.json"):
        BPETokenizer.load(path)
    path.write_text(
        '{"format": "dlip-bpe", "pretokenizer": "gpt2-style-re-v1", "merges": [[0, 999]]}'
    )
    with pytest.raises(TokenizerError, match="broken.json: merge 0"):
        BPETokenizer.load(path)
    with pytest.raises(TokenizerError, match="not in the vocabulary"):
        TRAINED.decode([10**6])
