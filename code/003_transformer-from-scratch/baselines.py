"""Count-based baselines and general-purpose compressors on the validation and test text,
in bits per byte.

What can a model do with no learning beyond counting? A unigram model knows only how
common each byte is. A Kneser-Ney n-gram model of order n predicts each byte from the
n - 1 bytes before it. These are the numbers the GPT has to beat on exactly the same
bytes. Every model is fitted on the training part only; the best order is picked on the
validation part, and the test part is scored once, for every order, at the end.

A compressor is the stronger bar: it finds long repeats anywhere in what it has read.
Each one is measured as a conditional code length, the bits it adds to code the
validation text after the training text, and the test text after training + validation
(`dlip.gpt.compressors`): exactly what the GPT's prequential score measures.

Run: python baselines.py [--text PATH] [--max-order 5]
"""

from __future__ import annotations

import argparse
import time

from results_io import load_corpus, split_corpus, update_metrics, write_text

from dlip.gpt.compressors import (
    COMPRESSORS,
    SETTINGS,
    conditional_bits_per_byte,
    repeated_fraction,
)
from dlip.gpt.ngram import KneserNey, unigram_bits_per_byte


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--text", help="train on this UTF-8 file instead of the default corpus")
    parser.add_argument("--max-order", type=int, default=5)
    args = parser.parse_args()

    data, sha = load_corpus(args.text)
    train, val, test = split_corpus(data)
    print(f"corpus: {len(data):,} bytes (sha256 {sha[:16]}...)")
    print(f"train: {len(train):,} bytes, validation: {len(val):,}, test: {len(test):,}")

    # (name, order, validation bits, test bits)
    rows = [("unigram (add-one)", 1, unigram_bits_per_byte(train, val),
             unigram_bits_per_byte(train, test))]
    print(f"unigram (add-one)       validation {rows[0][2]:.3f}  test {rows[0][3]:.3f} bits/byte")
    for order in range(2, args.max_order + 1):
        t0 = time.perf_counter()
        model = KneserNey(train, order)
        # Each part follows the text before it: its first bytes get that text as context.
        k = order - 1
        val_bits = model.bits_per_byte(val, history=train[-k:])
        test_bits = model.bits_per_byte(test, history=val[-k:])
        seconds = time.perf_counter() - t0
        rows.append((f"{order}-gram Kneser-Ney", order, val_bits, test_bits))
        print(f"{order}-gram Kneser-Ney      validation {val_bits:.3f}  test {test_bits:.3f} "
              f"bits/byte  ({seconds:.1f} s)")

    # The choice of order is made on validation; its test score is reported as it falls.
    best_name, best_order, best_val, best_test = min(rows, key=lambda r: r[2])
    lines = [
        "| model | context (bytes) | validation bits per byte | test bits per byte |",
        "|---|---:|---:|---:|",
        *(f"| {name} | {order - 1} | {v:.3f} | {t:.3f} |" for name, order, v, t in rows),
        "",
        f"Best on validation: {best_name}.",
    ]
    print(f"best on validation: {best_name} at {best_val:.3f} bits/byte "
          f"(test: {best_test:.3f})")

    compressed = compressor_rows(train, val, test)
    lines += ["", "| compressor | validation bits per byte | test bits per byte |",
              "|---|---:|---:|",
              *(f"| {SETTINGS[name]} | {v:.3f} | {t:.3f} |" for name, v, t in compressed)]
    write_text("baselines.md", "\n".join(lines) + "\n")

    metrics = {}
    for name, v, t in compressed:
        metrics[f"compressor_{name}_val_bits_per_byte"] = round(v, 4)
        metrics[f"compressor_{name}_test_bits_per_byte"] = round(t, 4)
    # A compressor has no setting to choose, so the bar is the hardest one: the lowest
    # figure of the four on each text (not necessarily the same compressor on both).
    best_test_name, _, best_test_bits = min(compressed, key=lambda r: r[2])
    best_val_name, best_val_bits, _ = min(compressed, key=lambda r: r[1])
    # How much of each text repeats a 32-byte stretch read before it: what the
    # compressors feed on, and why they do so much better on test than on validation.
    repeats = {"val": repeated_fraction(train, val), "test": repeated_fraction(train + val, test)}
    print(f"bytes inside a 32-byte stretch seen before: validation {repeats['val']:.1%}, "
          f"test {repeats['test']:.1%}")
    metrics |= {
        "repeated_fraction_val": round(repeats["val"], 4),
        "repeated_fraction_test": round(repeats["test"], 4),
        "best_compressor_test_bits_per_byte": round(best_test_bits, 4),
        "best_compressor_test_name": best_test_name,
        "best_compressor_val_bits_per_byte": round(best_val_bits, 4),
        "best_compressor_val_name": best_val_name,
    }
    for _, order, v, t in rows:
        metrics[f"ngram_order{order}_val_bits_per_byte"] = round(v, 4)
        metrics[f"ngram_order{order}_test_bits_per_byte"] = round(t, 4)
    metrics |= {
        "best_ngram_val_bits_per_byte": round(best_val, 4),
        "best_ngram_test_bits_per_byte": round(best_test, 4),
        "best_ngram_order": best_order,
        "corpus_sha256": sha,
        "corpus_bytes": len(data),
        "train_bytes": len(train),
        "val_bytes": len(val),
        "test_bytes": len(test),
    }
    update_metrics(metrics)


def compressor_rows(train: bytes, val: bytes, test: bytes) -> list[tuple[str, float, float]]:
    """(name, validation bits, test bits): validation given train, test given both."""
    rows = []
    for name in COMPRESSORS:
        t0 = time.perf_counter()
        v = conditional_bits_per_byte(name, train, val)
        t = conditional_bits_per_byte(name, train + val, test)
        rows.append((name, v, t))
        print(f"{SETTINGS[name]:<22}  validation {v:.3f}  test {t:.3f} bits/byte  "
              f"({time.perf_counter() - t0:.1f} s)")
    return rows


if __name__ == "__main__":
    main()
