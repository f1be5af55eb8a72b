"""Train a tiny GPT on the corpus and measure it on unseen text in bits per byte.

Steps: split the corpus by position (80% train, 10% validation, 10% test); learn a
byte-level BPE tokenizer on the training part only; train the model with AdamW, warmup
and cosine decay, evaluating on the validation text as it goes (every setting was picked
by watching that number). Nats per token become bits per byte of the same bytes the
baselines saw. Last, write a few generated samples. The test text is not read here:
score_gpt.py scores it once, with the trained model this script saves.

Run: python train_gpt.py [--text PATH] [--steps N] [--resume] ...   (--help for all)
"""

from __future__ import annotations

import argparse
import math
import os
import time

# Waiting torch threads sleep instead of spinning: on a machine shared with other work,
# spinning threads that wait for each other made training ten times slower (measured).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402
from results_io import (  # noqa: E402
    CHECKPOINT_DIR,
    load_corpus,
    results_dir,
    split_corpus,
    update_metrics,
    write_text,
)

from dlip.gpt.config import preset  # noqa: E402
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
    p.add_argument("--dropout", type=float, default=0.2)
    p.add_argument("--steps", type=int, default=1800)
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


def main() -> None:
    args = parse_args()
    torch.set_num_threads(args.threads)
    wall0, cpu0 = time.perf_counter(), time.process_time()

    data, sha = load_corpus(args.text)
    train_bytes, val_bytes, test_bytes = split_corpus(data)
    print(f"corpus: {len(data):,} bytes (sha256 {sha[:16]}...), train {len(train_bytes):,}, "
          f"validation {len(val_bytes):,}, test {len(test_bytes):,}")

    tokenizer = BPETokenizer.train(train_bytes.decode("utf-8"), args.vocab_size)
    tokenizer.save(results_dir() / "tokenizer.json")
    eot = tokenizer.special_tokens[ENDOFTEXT]
    train_ids = torch.tensor(tokenizer.encode(train_bytes.decode("utf-8"), allow_special=False))
    # Scored ids start with <|endoftext|>, so the first real token is scored too.
    val_ids = torch.tensor([eot] + tokenizer.encode(val_bytes.decode("utf-8"), False))
    train_bpt = len(train_bytes) / len(train_ids)
    print(f"BPE: {tokenizer.vocab_size} ids; {len(train_ids):,} training tokens "
          f"({train_bpt:.2f} bytes per token), {len(val_ids) - 1:,} validation tokens, "
          f"(the test text stays unread)")

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
              f"validation {row['val_loss']:.3f} nats/token = {val_bits:.3f} bits/byte  "
              f"({row['seconds']:.0f} s)", flush=True)

    result = train(model, train_ids, val_ids, train_cfg, resume=args.resume, on_eval=report)
    tokenizer.save(CHECKPOINT_DIR / "tokenizer.json")

    val_bits = bits_per_byte(result.history[-1]["val_nats_total"], len(val_bytes))
    print(f"validation at the end of training: {val_bits:.3f} bits/byte")

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

    metrics = {
        "training_val_bits_per_byte": round(val_bits, 4),
        "params": params,
        "context_tokens": args.context,
        "train_tokens_per_second": round(result.tokens_per_second, 1),
        "train_seconds": round(result.seconds, 1),
        "train_steps": args.steps,
        "dropout": args.dropout,
        "learning_rate": args.lr,
        "train_tokens": tokens_total,
        "bpe_vocab_size": tokenizer.vocab_size,
        "bytes_per_token": round(train_bpt, 3),
        "corpus_sha256": sha,
        "torch_threads": args.threads,
        "script_wall_seconds": round(time.perf_counter() - wall0, 1),
        "script_cpu_seconds": round(time.process_time() - cpu0, 1),
    }
    update_metrics(metrics)
    print(f"training throughput: {result.tokens_per_second:,.0f} tokens/s "
          f"({args.threads} threads); results in {results_dir()}")


if __name__ == "__main__":
    main()
