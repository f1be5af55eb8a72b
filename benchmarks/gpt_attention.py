"""The attention written out by hand against `scaled_dot_product_attention`, at context
256 and 1,024: time of a forward and backward pass, and peak memory.

The by-hand version stores the full (batch, heads, T, T) weight matrix for backward;
SDPA's fused kernel need not. A last line times SDPA with dropout on the weights, which
leaves the fused kernel on CPU. Each measurement runs in a fresh subprocess so its peak
resident memory (ru_maxrss) is its own; memory is reported above the worker's baseline
after building the inputs. Prints each time, the ratio hand / SDPA, and the memory.

    python benchmarks/gpt_attention.py [--batch-size 8] [--repeats 3] [--threads 2]
    python benchmarks/gpt_attention.py --quick   # seconds: context 64, batch 2
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

HEADS, HEAD_DIM = 4, 32  # the milestone model's attention shape


def worker(kind: str, t: int, batch: int, repeats: int, threads: int) -> None:
    import torch
    from torch.nn import functional as F

    from dlip.gpt.attention import causal_attention

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    q, k, v = (torch.randn(batch, HEADS, t, HEAD_DIM, requires_grad=True) for _ in range(3))

    def step() -> None:
        if kind == "hand":
            out, _ = causal_attention(q, k, v)
        else:
            p = 0.1 if kind == "sdpa-dropout" else 0.0
            out = F.scaled_dot_product_attention(q, k, v, dropout_p=p, is_causal=True)
        out.sum().backward()

    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # inputs built, nothing run
    step()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": min(times), "peak_kib": peak, "base_kib": base}))


def measure(kind: str, t: int, args: argparse.Namespace) -> dict:
    cmd = [sys.executable, __file__, "--worker", kind, "--context", str(t),
           "--batch-size", str(args.batch_size), "--repeats", str(args.repeats),
           "--threads", str(args.threads)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--worker", choices=["hand", "sdpa", "sdpa-dropout"],
                        help=argparse.SUPPRESS)
    parser.add_argument("--context", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true",
                        help="context 64, batch 2, one timing: seconds, for the tests")
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.context, args.batch_size, args.repeats, args.threads)
        return
    contexts = (256, 1024)
    if args.quick:
        contexts, args.batch_size, args.repeats = (64,), 2, 1

    print(f"batch {args.batch_size}, {HEADS} heads of width {HEAD_DIM}, forward + backward, "
          f"best of {args.repeats}, {args.threads} threads")
    sdpa_at: dict[int, dict] = {}
    for t in contexts:
        hand, sdpa = measure("hand", t, args), measure("sdpa", t, args)
        sdpa_at[t] = sdpa
        weights_mib = args.batch_size * HEADS * t * t * 4 / 2**20
        print(f"context {t:5d}: by hand {hand['seconds'] * 1e3:8.1f} ms, "
              f"SDPA {sdpa['seconds'] * 1e3:8.1f} ms, ratio hand/SDPA "
              f"{hand['seconds'] / sdpa['seconds']:.2f}")
        print(f"               peak memory above baseline: by hand "
              f"{(hand['peak_kib'] - hand['base_kib']) / 1024:7.1f} MiB, SDPA "
              f"{(sdpa['peak_kib'] - sdpa['base_kib']) / 1024:7.1f} MiB "
              f"(one T x T weight matrix for all heads: {weights_mib:.0f} MiB)")
    # Why the milestone keeps dropout off the attention weights on CPU.
    short = contexts[0]
    slow, fast = measure("sdpa-dropout", short, args), sdpa_at[short]
    print(f"context {short:5d}: SDPA with dropout 0.1 on the weights "
          f"{slow['seconds'] * 1e3:.1f} ms, without {fast['seconds'] * 1e3:.1f} ms, "
          f"ratio {slow['seconds'] / fast['seconds']:.1f}")


if __name__ == "__main__":
    main()
