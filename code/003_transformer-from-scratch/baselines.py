"""Count-based baselines on the held-out text, in bits per byte.

What can a model do with no learning beyond counting? A unigram model knows only how
common each byte is. A Kneser-Ney n-gram model of order n predicts each byte from the
n - 1 bytes before it. These are the numbers the GPT has to beat on exactly the same
held-out bytes (the last tenth of the corpus).

Run: python baselines.py [--text PATH] [--max-order 5]
"""

from __future__ import annotations

import argparse
import time

from results_io import VAL_FRACTION, load_corpus, update_metrics, write_text

from dlip.gpt.data import split_by_position
from dlip.gpt.ngram import KneserNey, unigram_bits_per_byte


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--text", help="train on this UTF-8 file instead of the default corpus")
    parser.add_argument("--max-order", type=int, default=5)
    args = parser.parse_args()

    data, sha = load_corpus(args.text)
    train, val = split_by_position(data, VAL_FRACTION)
    print(f"corpus: {len(data):,} bytes (sha256 {sha[:16]}...)")
    print(f"train: {len(train):,} bytes, held out: {len(val):,} bytes")

    rows = [("unigram (add-one)", 1, unigram_bits_per_byte(train, val), 0.0)]
    print(f"unigram (add-one)       {rows[0][2]:.3f} bits/byte")
    for order in range(2, args.max_order + 1):
        t0 = time.perf_counter()
        model = KneserNey(train, order)
        # The held-out text follows the training text: its first bytes get that context.
        bits = model.bits_per_byte(val, history=train[-(order - 1) :])
        seconds = time.perf_counter() - t0
        rows.append((f"{order}-gram Kneser-Ney", order, bits, seconds))
        print(f"{order}-gram Kneser-Ney      {bits:.3f} bits/byte  ({seconds:.1f} s)")

    best_name, best_order, best_bits, _ = min(rows, key=lambda r: r[2])
    lines = [
        "| model | context (bytes) | held-out bits per byte |",
        "|---|---:|---:|",
        *(f"| {name} | {order - 1} | {bits:.3f} |" for name, order, bits, _ in rows),
    ]
    table = "\n".join(lines) + "\n"
    write_text("ngram_baselines.md", table)
    print(f"best: {best_name} at {best_bits:.3f} bits/byte")

    metrics = {
        f"ngram_order{order}_val_bits_per_byte": round(bits, 4) for _, order, bits, _ in rows
    }
    metrics |= {
        "best_ngram_val_bits_per_byte": round(best_bits, 4),
        "best_ngram_order": best_order,
        "corpus_sha256": sha,
        "corpus_bytes": len(data),
        "val_bytes": len(val),
    }
    update_metrics(metrics)


if __name__ == "__main__":
    main()
