"""Train a tiny GPT on the corpus and measure it on held-out text in bits per byte.

Steps: split the corpus by position (last tenth held out); learn a byte-level BPE
tokenizer on the training part only; train the model with AdamW, warmup and cosine
decay, evaluating every few hundred steps; then score every held-out token once, turn
nats per token into bits per byte of the same held-out text the n-gram baselines saw,
draw the learning curves and write a few generated samples.

Run: python train_gpt.py [--text PATH] [--steps N] [--resume] ...   (--help for all)
"""

from __future__ import annotations

import argparse
import math
import os
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402
from results_io import (  # noqa: E402
    CHECKPOINT_DIR,
    VAL_FRACTION,
    load_corpus,
    read_metrics,
    results_dir,
    update_metrics,
    write_text,
)

from dlip.gpt.config import preset  # noqa: E402
from dlip.gpt.data import split_by_position  # noqa: E402
from dlip.gpt.generate import generate  # noqa: E402
from dlip.gpt.model import GPTModel, count_parameters  # noqa: E402
from dlip.gpt.tokenizer import ENDOFTEXT, BPETokenizer  # noqa: E402
from dlip.gpt.train import TrainConfig, train  # noqa: E402

PROMPTS = ["The \"for\" statement", "A class definition", "def "]


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--text", help="train on this UTF-8 file instead of the default corpus")
    p.add_argument("--vocab-size", type=int, default=1024)
    p.add_argument("--context", type=int, default=128)
    p.add_argument("--d-model", type=int, default=128)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--dropout", type=float, default=0.1)
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--warmup", type=int, default=50)
    p.add_argument("--eval-every", type=int, default=100)
    p.add_argument("--seed", type=int, default=int(os.environ.get("DLIP_SEED", "0")))
    p.add_argument("--threads", type=int, default=2, help="torch CPU threads (default 2)")
    p.add_argument("--resume", action="store_true", help="continue from the last checkpoint")
    return p.parse_args()


def bits_per_byte(nats: float, n_bytes: int) -> float:
    return nats / math.log(2) / n_bytes


def plot_curves(history: list[dict], train_bpt: float, val_bytes: int, baselines: dict) -> None:
    """Train and validation loss in bits per byte against tokens seen, with n-gram lines."""
    tokens = [row["tokens_seen"] / 1e6 for row in history]
    train_bits = [row["train_loss"] / math.log(2) / train_bpt for row in history]
    val_bits = [bits_per_byte(row["val_nats_total"], val_bytes) for row in history]
    fig, ax = plt.subplots(figsize=(7, 4.2))
    ax.plot(tokens, train_bits, "o-", label="GPT, training batches (mean since last eval)")
    ax.plot(tokens, val_bits, "o-", label="GPT, held-out text")
    colors = plt.cm.Greys([0.45, 0.6, 0.75, 0.9])
    for color, order in zip(colors, (2, 3, 4, 5), strict=False):
        value = baselines.get(f"ngram_order{order}_val_bits_per_byte")
        if value is not None:
            ax.axhline(value, ls="--", lw=1, color=color, label=f"{order}-gram Kneser-Ney")
    ax.set_xlabel("training tokens seen (millions)")
    ax.set_ylabel("bits per byte (lower is better)")
    ax.set_title("Learning curves against the n-gram baselines")
    low = min(val_bits + train_bits) * 0.9
    ax.set_ylim(low, max(val_bits[0], train_bits[0], 3.5) * 1.02)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(results_dir() / "learning_curves.png", dpi=120)
    plt.close(fig)


def summary_table(val_bits: float, baselines: dict, params: int, result, args) -> str:
    """The held-out comparison as Markdown: every model on the same bytes."""
    rows = [("unigram (add-one)", baselines.get("ngram_order1_val_bits_per_byte"))]
    rows += [(f"{n}-gram Kneser-Ney ({n - 1} bytes of context)",
              baselines.get(f"ngram_order{n}_val_bits_per_byte")) for n in range(2, 6)]
    rows.append((f"GPT, {params:,} parameters ({args.context} tokens of context)", val_bits))
    lines = ["| model | held-out bits per byte |", "|---|---:|"]
    lines += [f"| {name} | {value:.3f} |" for name, value in rows if value is not None]
    lines += [
        "",
        f"Training: {args.steps} steps of {args.batch_size} x {args.context} tokens, "
        f"{result.tokens_per_second:,.0f} tokens/s over {result.seconds:.0f} s "
        f"on {args.threads} CPU threads (evaluation time excluded).",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    args = parse_args()
    torch.set_num_threads(args.threads)
    wall0, cpu0 = time.perf_counter(), time.process_time()

    data, sha = load_corpus(args.text)
    train_bytes, val_bytes = split_by_position(data, VAL_FRACTION)
    print(f"corpus: {len(data):,} bytes (sha256 {sha[:16]}...), held out: {len(val_bytes):,}")

    tokenizer = BPETokenizer.train(train_bytes.decode("utf-8"), args.vocab_size)
    tokenizer.save(results_dir() / "tokenizer.json")
    eot = tokenizer.special_tokens[ENDOFTEXT]
    train_ids = torch.tensor(tokenizer.encode(train_bytes.decode("utf-8"), allow_special=False))
    # The held-out ids start with <|endoftext|>, so its first real token is scored too.
    val_ids = torch.tensor([eot] + tokenizer.encode(val_bytes.decode("utf-8"), False))
    train_bpt = len(train_bytes) / len(train_ids)
    print(f"BPE: {tokenizer.vocab_size} ids; {len(train_ids):,} training tokens "
          f"({train_bpt:.2f} bytes per token), {len(val_ids) - 1:,} held-out tokens")

    cfg = preset(
        "tiny-cpu", vocab_size=tokenizer.vocab_size, context_length=args.context,
        d_model=args.d_model, n_heads=args.heads, n_layers=args.layers, dropout=args.dropout,
    )
    torch.manual_seed(args.seed)
    model = GPTModel(cfg)
    params = count_parameters(model)
    print(f"model: {args.layers} layers x {args.heads} heads, width {args.d_model}, "
          f"context {args.context} tokens; {params:,} parameters")

    train_cfg = TrainConfig(
        max_steps=args.steps, batch_size=args.batch_size, lr=args.lr,
        warmup_steps=args.warmup, eval_interval=args.eval_every, seed=args.seed,
        checkpoint_path=str(CHECKPOINT_DIR / "model.safetensors"),
    )
    tokens_total = args.steps * args.batch_size * args.context
    print(f"training: {args.steps} steps x {args.batch_size} x {args.context} tokens "
          f"= {tokens_total / 1e6:.2f}M tokens, {tokens_total / len(train_ids):.1f} epochs")

    def report(row: dict) -> None:
        val_bits = bits_per_byte(row["val_nats_total"], len(val_bytes))
        print(f"step {row['step']:5d}  train {row['train_loss']:.3f} nats/token  "
              f"held-out {row['val_loss']:.3f} nats/token = {val_bits:.3f} bits/byte  "
              f"({row['seconds']:.0f} s)", flush=True)

    result = train(model, train_ids, val_ids, train_cfg, resume=args.resume, on_eval=report)
    tokenizer.save(CHECKPOINT_DIR / "tokenizer.json")

    val_bits = bits_per_byte(result.history[-1]["val_nats_total"], len(val_bytes))
    baselines = read_metrics()
    plot_curves(result.history, train_bpt, len(val_bytes), baselines)

    samples = []
    for i, prompt in enumerate(PROMPTS):
        ids = generate(model, tokenizer.encode(prompt), 120, temperature=0.8, top_k=40,
                       seed=args.seed + i)
        samples.append(f"--- prompt {prompt!r}, temperature 0.8, top-k 40, seed {args.seed + i}\n"
                       f"{tokenizer.decode(ids)}\n")
    greedy = generate(model, tokenizer.encode(PROMPTS[0]), 60, temperature=0)
    samples.append(f"--- prompt {PROMPTS[0]!r}, greedy\n{tokenizer.decode(greedy)}\n")
    write_text("samples.txt", "\n".join(samples))
    print("\n" + "\n".join(samples))

    best = baselines.get("best_ngram_val_bits_per_byte")
    write_text("summary.md", summary_table(val_bits, baselines, params, result, args))
    metrics = {
        "val_bits_per_byte": round(val_bits, 4),
        "val_nats_per_token": round(result.history[-1]["val_loss"], 4),
        "params": params,
        "train_tokens_per_second": round(result.tokens_per_second, 1),
        "train_seconds": round(result.seconds, 1),
        "train_steps": args.steps,
        "train_tokens": tokens_total,
        "bpe_vocab_size": tokenizer.vocab_size,
        "bytes_per_token": round(train_bpt, 3),
        "corpus_sha256": sha,
        "torch_threads": args.threads,
        "script_wall_seconds": round(time.perf_counter() - wall0, 1),
        "script_cpu_seconds": round(time.process_time() - cpu0, 1),
    }
    if best is not None:
        metrics["gpt_beats_every_ngram"] = "yes" if val_bits < best else "no"
        verdict = "below" if val_bits < best else "NOT below"
        print(f"GPT held-out: {val_bits:.3f} bits/byte, {verdict} the best n-gram "
              f"({best:.3f}, order {baselines.get('best_ngram_order')})")
    update_metrics(metrics)
    print(f"training throughput: {result.tokens_per_second:,.0f} tokens/s "
          f"({args.threads} threads); results in {results_dir()}")


if __name__ == "__main__":
    main()
