"""Training throughput of dlip.gpt (SDPA fast path) against the same model built from
`torch.nn.TransformerEncoderLayer` with a causal mask.

Same width, depth, heads, context, vocabulary, tied output layer, pre-norm, tanh GELU,
AdamW, batch; the two are timed in alternating rounds in this one process, and the
script prints tokens per second for each and the ratio dlip / reference (goal >= 0.9).
Timings on a shared machine are noisy: compare the ratio, not the absolute numbers.

    python benchmarks/gpt_throughput.py [--steps 8] [--rounds 3] [--threads 2]
    python benchmarks/gpt_throughput.py --quick   # seconds: batch 2, one step, one round
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch import nn
from torch.nn import functional as F

from dlip.gpt.config import preset
from dlip.gpt.model import GPTModel, count_parameters


class EncoderStackGPT(nn.Module):
    """The reference: PyTorch's encoder layers used as a decoder-only GPT."""

    def __init__(self, vocab: int, context: int, d: int, heads: int, layers: int) -> None:
        super().__init__()
        self.tok_emb = nn.Embedding(vocab, d)
        self.pos_emb = nn.Embedding(context, d)
        layer = nn.TransformerEncoderLayer(
            d, heads, dim_feedforward=4 * d, dropout=0.0, batch_first=True, norm_first=True,
            activation=nn.GELU(approximate="tanh"),
        )
        self.blocks = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, vocab, bias=False)
        self.head.weight = self.tok_emb.weight
        self.register_buffer("mask", nn.Transformer.generate_square_subsequent_mask(context))

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        t = idx.shape[1]
        x = self.tok_emb(idx) + self.pos_emb(torch.arange(t))
        x = self.blocks(x, mask=self.mask[:t, :t], is_causal=True)
        return self.head(self.norm(x))


def tokens_per_second(model: nn.Module, x: torch.Tensor, steps: int) -> float:
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    start = time.perf_counter()
    for _ in range(steps):
        loss = F.cross_entropy(model(x).flatten(0, 1), x.flatten())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return steps * x.numel() / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=8, help="training steps per timing")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--quick", action="store_true",
                        help="batch 2, one step, one round: seconds, for the tests")
    args = parser.parse_args()
    if args.quick:
        args.batch_size, args.steps, args.rounds = 2, 1, 1
    torch.set_num_threads(args.threads)

    # The milestone's model: 4 layers, 4 heads, width 128, context 128, 1,024 tokens.
    cfg = preset("tiny-cpu", vocab_size=1024, dropout=0.0)
    torch.manual_seed(0)
    ours = GPTModel(cfg)
    ref = EncoderStackGPT(cfg.vocab_size, cfg.context_length, cfg.d_model, cfg.n_heads,
                          cfg.n_layers)
    print(f"parameters: dlip.gpt {count_parameters(ours):,}, "
          f"TransformerEncoderLayer stack {count_parameters(ref):,}")
    x = torch.randint(cfg.vocab_size, (args.batch_size, cfg.context_length))
    for model in (ours, ref):
        tokens_per_second(model, x, 2)  # warm up allocators and kernels

    results: dict[str, list[float]] = {"dlip.gpt": [], "reference": []}
    for r in range(args.rounds):
        for name, model in (("dlip.gpt", ours), ("reference", ref)):
            results[name].append(tokens_per_second(model, x, args.steps))
        print(f"round {r + 1}: dlip.gpt {results['dlip.gpt'][-1]:,.0f} tok/s, "
              f"reference {results['reference'][-1]:,.0f} tok/s")
    a, b = statistics.median(results["dlip.gpt"]), statistics.median(results["reference"])
    print(f"median: dlip.gpt {a:,.0f} tok/s, reference {b:,.0f} tok/s, "
          f"ratio dlip/reference = {a / b:.2f} (goal >= 0.9; {args.threads} threads)")


if __name__ == "__main__":
    main()
