"""Score the trained GPT the way a compressor codes text, and against the compressors.

The trained model (from train_gpt.py) reads the validation text after the training
text, then the test text after both, exactly the condition under which baselines.py
measured xz, bzip2, zlib and zstd. Each token is scored from the tokens before it only
(`dlip.gpt.prequential`). On the validation text, one row per technique, each with its
cost in seconds, so the table shows what each one buys:

  context 64       the trained weights reading only half their window back
  context 128      the full window the model was trained with
  + dynamic eval   after scoring each chunk, a gradient step on it (Krause et al., 2018)
  + cache          a kNN-LM over everything read so far (Khandelwal et al., 2020)
  + both           dynamic evaluation and the cache together

Every setting is chosen here, on the validation text: the learning rate of dynamic
evaluation from three, and the cache's k, temperature and weight on a grid replayed
from one search of the validation text (`NeighbourTable.choose`). The chosen
configuration then reads validation and test in one pass, and its test figure is the
one test score.

Run: python score_gpt.py [--text PATH]   (after train_gpt.py)
"""

from __future__ import annotations

import argparse
import copy
import math
import os
import time
from dataclasses import replace

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # see train_gpt.py

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402
from results_io import (  # noqa: E402
    CHECKPOINT_DIR,
    load_corpus,
    read_metrics,
    results_dir,
    split_corpus,
    update_metrics,
    write_text,
)

from dlip.figures import use_house_style  # noqa: E402
from dlip.gpt.checkpoint import CheckpointError, load_checkpoint  # noqa: E402
from dlip.gpt.compressors import SETTINGS  # noqa: E402
from dlip.gpt.knn import KNNCache  # noqa: E402
from dlip.gpt.model import GPTModel  # noqa: E402
from dlip.gpt.prequential import (  # noqa: E402
    ScoringConfig,
    fill_cache,
    neighbour_table,
    prequential_log_probs,
)
from dlip.gpt.tokenizer import BPETokenizer  # noqa: E402


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--text", help="the same UTF-8 file train_gpt.py was given, if any")
    p.add_argument("--short-context", type=int, default=64,
                   help="the shorter window of the first row (tokens)")
    p.add_argument("--chunk", type=int, default=64, help="tokens scored between updates")
    p.add_argument("--adapt-lrs", type=float, nargs="+", default=[1e-4, 3e-4, 1e-3],
                   help="dynamic evaluation's Adam learning rates to choose from")
    p.add_argument("--adapt-steps", type=int, default=1)
    p.add_argument("--threads", type=int, default=2, help="torch CPU threads (default 2)")
    return p.parse_args()


# The cache's settings are chosen on validation from this grid.
KNN_KS = (8, 16, 32, 64)
KNN_TEMPERATURES = (0.3, 1.0, 3.0, 10.0)
KNN_LAMBDAS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)


def bits_per_byte(log_probs: torch.Tensor, n_bytes: int) -> float:
    return float(-log_probs.sum()) / math.log(2) / n_bytes


def with_context(model: GPTModel, context: int) -> GPTModel:
    """A copy of the model that reads at most `context` tokens back (same weights)."""
    short = copy.deepcopy(model)
    short.cfg = model.cfg.with_(context_length=min(context, model.cfg.context_length))
    return short


def score(model: GPTModel, ids: torch.Tensor, start: int, cfg: ScoringConfig,
          cache: KNNCache | None = None, boundary: int | None = None
          ) -> tuple[torch.Tensor, float]:
    """Prequential log-probs from a fresh copy of the model and cache; returns them with the
    seconds taken to reach `boundary` targets (all of them when None)."""
    model, cache = copy.deepcopy(model), copy.deepcopy(cache)
    t0 = time.perf_counter()
    seconds = {}

    def at(done: int, total: int) -> None:
        if done >= (boundary or total) and "t" not in seconds:
            seconds["t"] = time.perf_counter() - t0

    log_probs = prequential_log_probs(model, ids, start, cfg, cache if cfg.knn_lambda else None,
                                      on_chunk=at)
    return log_probs, seconds["t"]


def plot_curves(history: list[dict], train_bpt: float, val_bytes: int, metrics: dict,
                final_val: float) -> None:
    """Training and validation bits per byte as training goes, with every baseline."""
    tokens = [row["tokens_seen"] / 1e6 for row in history]
    train_bits = [row["train_loss"] / math.log(2) / train_bpt for row in history]
    val_bits = [row["val_nats_total"] / math.log(2) / val_bytes for row in history]
    fig, ax = plt.subplots(figsize=(6.9, 6.2))  # house width; room for the legend below
    ax.plot(tokens, train_bits, "o-", ms=3, label="GPT, training batches (mean since last eval)")
    ax.plot(tokens, val_bits, "o-", ms=3, label="GPT, validation text")
    ax.plot(tokens[-1:], [final_val], "*", ms=12, color="C3",
            label="GPT + dynamic evaluation + cache, validation")
    greys = plt.cm.Greys([0.45, 0.6, 0.75, 0.9])
    for color, order in zip(greys, (2, 3, 4, 5), strict=False):
        value = metrics.get(f"ngram_order{order}_val_bits_per_byte")
        if value is not None:
            ax.axhline(value, ls="--", lw=1, color=color,
                       label=f"{order}-gram Kneser-Ney, validation")
    for i, name in enumerate(("zlib", "zstd", "xz", "bzip2")):
        value = metrics.get(f"compressor_{name}_val_bits_per_byte")
        if value is not None:
            ax.axhline(value, ls=":", lw=1.4, color=plt.cm.Oranges(0.45 + 0.15 * i),
                       label=f"{SETTINGS[name]}, validation given training")
    ax.set_xlabel("training tokens seen (millions)")
    ax.set_ylabel("bits per byte (lower is better)")
    ax.set_title("Learning curves against n-grams and compressors")
    ax.set_ylim(min(train_bits + [final_val]) * 0.9, 3.5)
    fig.legend(loc="outside lower center", ncol=2, fontsize=10)
    fig.savefig(results_dir() / "learning_curves.png")
    plt.close(fig)


def main() -> None:
    args = parse_args()
    torch.set_num_threads(args.threads)
    use_house_style()
    wall0 = time.perf_counter()
    try:
        ckpt = load_checkpoint(CHECKPOINT_DIR / "model.safetensors")
        tokenizer = BPETokenizer.load(CHECKPOINT_DIR / "tokenizer.json")
    except (CheckpointError, OSError, ValueError) as exc:
        raise SystemExit(f"error: {exc} (run train_gpt.py first)") from None
    model = ckpt.model.eval()
    data, _ = load_corpus(args.text)
    train_bytes, val_bytes, test_bytes = split_corpus(data)
    train_ids = tokenizer.encode(train_bytes.decode("utf-8"), allow_special=False)
    val_ids = tokenizer.encode(val_bytes.decode("utf-8"), allow_special=False)
    test_ids = tokenizer.encode(test_bytes.decode("utf-8"), allow_special=False)
    start = len(train_ids)
    stream = torch.tensor(train_ids + val_ids + test_ids)
    val_stream = stream[: start + len(val_ids)]  # the rows never see the test text

    frozen = ScoringConfig(chunk=args.chunk)
    context = model.cfg.context_length
    n_val = len(val_bytes)

    t0 = time.perf_counter()
    cache = KNNCache(model.cfg.d_model, model.cfg.vocab_size)
    fill_cache(cache, model, stream[:start])
    fill_seconds = time.perf_counter() - t0
    print(f"cache: {len(cache):,} entries from the training text in {fill_seconds:.1f} s")

    results = []  # (metric key, label, validation bits per byte, seconds)

    def row(key: str, label: str, log_probs: torch.Tensor, seconds: float) -> None:
        results.append((key, label, bits_per_byte(log_probs, n_val), seconds))
        print(f"{label:<44} validation {results[-1][2]:.4f} bits/byte  ({seconds:.1f} s)",
              flush=True)

    short, seconds = score(with_context(model, args.short_context), val_stream, start, frozen)
    row(f"context{args.short_context}", f"GPT, context {args.short_context} tokens", short,
        seconds)
    static, static_seconds = score(model, val_stream, start, frozen)
    row(f"context{context}", f"GPT, context {context} tokens", static, static_seconds)
    tried = []
    for lr in args.adapt_lrs:
        dynamic = ScoringConfig(chunk=args.chunk, adapt_lr=lr, adapt_steps=args.adapt_steps)
        log_probs, seconds = score(model, val_stream, start, dynamic)
        tried.append((float(-log_probs.sum()), lr, log_probs, seconds, dynamic))
        print(f"  dynamic evaluation, learning rate {lr:g}: "
              f"{bits_per_byte(log_probs, n_val):.4f} bits/byte ({seconds:.1f} s)", flush=True)
    _, lr, adapted, seconds, dynamic = min(tried, key=lambda t: t[0])
    row("dynamic_eval", f"+ dynamic evaluation (learning rate {lr:g})", adapted, seconds)

    # One search of the validation text, replayed for every setting of the grid.
    t0 = time.perf_counter()
    table = neighbour_table(model, val_stream, start, copy.deepcopy(cache), args.chunk,
                            max(KNN_KS))
    table_seconds = time.perf_counter() - t0 + fill_seconds
    grid = (KNN_KS, KNN_TEMPERATURES, KNN_LAMBDAS)
    _, k, temperature, lam = table.choose(static, *grid)
    row("knn_cache", f"+ kNN cache (k {k}, temperature {temperature:g}, weight {lam:g})",
        table.mix(static, k, temperature, lam), static_seconds + table_seconds)
    _, k, temperature, lam = table.choose(adapted, *grid)
    final = replace(dynamic, knn_k=k, knn_temperature=temperature, knn_lambda=lam)
    cache.k, cache.temperature = k, temperature

    # The chosen configuration reads validation then test in one pass; the test text is
    # scored here, once.
    log_probs, val_seconds = score(model, stream, start, final, cache, boundary=len(val_ids))
    val_bits = bits_per_byte(log_probs[: len(val_ids)], n_val)
    test_bits = bits_per_byte(log_probs[len(val_ids) :], len(test_bytes))
    row("dynamic_eval_knn_cache",
        f"+ dynamic evaluation + kNN cache (k {k}, temperature {temperature:g}, weight {lam:g})",
        log_probs[: len(val_ids)], val_seconds + fill_seconds)
    print(f"test, scored once: {test_bits:.4f} bits/byte")

    metrics = read_metrics()
    report(results, val_bits, test_bits, metrics, args, final, ckpt, wall0,
           len(train_bytes) / len(train_ids), n_val)


def report(results, val_bits, test_bits, metrics, args, final, ckpt, wall0, train_bpt,
           val_bytes) -> None:
    """The ablation and comparison tables, the learning curves, the metrics."""
    new: dict = {}
    for key, _, bits, seconds in results:
        new[f"ablation_{key}_val_bits_per_byte"] = round(bits, 4)
        new[f"ablation_{key}_seconds"] = round(seconds, 1)
    new |= {
        "val_bits_per_byte": round(val_bits, 4),
        "test_bits_per_byte": round(test_bits, 4),
        "scoring_chunk_tokens": args.chunk,
        "dynamic_eval_lr": final.adapt_lr,
        "dynamic_eval_steps": args.adapt_steps,
        "knn_lambda": final.knn_lambda,
        "knn_k": final.knn_k,
        "knn_temperature": final.knn_temperature,
    }
    lines = ["Validation text, read after the training text; every row is the same trained "
             "model.", "", "| technique | validation bits per byte | seconds |",
             "|---|---:|---:|"]
    lines += [f"| {label} | {bits:.3f} | {seconds:.0f} |" for _, label, bits, seconds in results]
    comparison = [("best n-gram (Kneser-Ney, order chosen on validation)",
                   metrics.get("best_ngram_val_bits_per_byte"),
                   metrics.get("best_ngram_test_bits_per_byte"))]
    comparison += [(SETTINGS[name], metrics.get(f"compressor_{name}_val_bits_per_byte"),
                    metrics.get(f"compressor_{name}_test_bits_per_byte"))
                   for name in SETTINGS]
    comparison.append(("GPT + dynamic evaluation + kNN cache", val_bits, test_bits))
    lines += ["", "| model | validation bits per byte | test bits per byte |", "|---|---:|---:|"]
    lines += [f"| {name} | {v:.3f} | {t:.3f} |" for name, v, t in comparison
              if v is not None and t is not None]

    xz = metrics.get("compressor_xz_test_bits_per_byte")
    best = metrics.get("best_compressor_test_bits_per_byte")
    if xz is not None and best is not None:
        new |= {
            "gpt_beats_xz": "yes" if test_bits < xz else "no",
            "gpt_beats_every_compressor": "yes" if test_bits < best else "no",
            "test_margin_vs_xz_bits_per_byte": round(xz - test_bits, 4),
            "test_margin_vs_best_compressor_bits_per_byte": round(best - test_bits, 4),
            "test_vs_xz_percent": round(100 * (test_bits / xz - 1), 1),
        }
        verdict = "below" if test_bits < xz else "NOT below"
        lines += ["", f"Test: the GPT codes the test text in {test_bits:.3f} bits per byte, "
                  f"{verdict} xz -9e ({xz:.3f}); best compressor {best:.3f}."]
        print(lines[-1])
    best_ngram = metrics.get("best_ngram_test_bits_per_byte")
    if best_ngram is not None:
        ngram_tests = [metrics.get(f"ngram_order{n}_test_bits_per_byte") for n in range(1, 6)]
        new["gpt_beats_every_ngram"] = "yes" if all(
            test_bits < v for v in ngram_tests if v is not None) else "no"
        new["test_margin_bits_per_byte"] = round(best_ngram - test_bits, 4)
    write_text("summary.md", "\n".join(lines) + "\n")
    history = ckpt.state.get("history", [])
    if history:
        plot_curves(history, train_bpt, val_bytes, metrics | new, val_bits)
    new["score_wall_seconds"] = round(time.perf_counter() - wall0, 1)
    update_metrics(new)
    print(f"results in {results_dir()}")


if __name__ == "__main__":
    main()
