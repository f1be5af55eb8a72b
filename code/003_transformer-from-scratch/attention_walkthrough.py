"""Attention step by step on one short sentence: every tensor's shape, then a heatmap of
each head's weights over the sentence read twice, which shows the induction heads.

It uses the model train_gpt.py just trained (from ./results-local/checkpoint/); without
one it says so and uses an untrained model, whose heads attend almost uniformly.
The first layer's attention is recomputed here by hand from the model's own weights and
checked against the layer's output, so the printed steps are the real computation.

The heatmap feeds the sentence twice in a row. A head that, on the second reading,
looks at the token just AFTER the earlier occurrence of the current token is an
induction head (Olsson et al., 2022): "last time I saw this token, that came next".
It is the attention version of what a compressor does with a repeat, and its score is
the mean weight it puts there.

Run: python attention_walkthrough.py [--sentence TEXT]
"""

from __future__ import annotations

import argparse
import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402
from results_io import CHECKPOINT_DIR, results_dir, update_metrics  # noqa: E402

from dlip.figures import use_house_style  # noqa: E402
from dlip.gpt.attention import causal_mask  # noqa: E402
from dlip.gpt.checkpoint import load_checkpoint  # noqa: E402
from dlip.gpt.config import preset  # noqa: E402
from dlip.gpt.model import GPTModel  # noqa: E402
from dlip.gpt.tokenizer import BPETokenizer  # noqa: E402

SENTENCE = "The return statement leaves the current function call with the value of the expression."


def shape(t: torch.Tensor) -> str:
    return "(" + ", ".join(str(s) for s in t.shape) + ")"


def load_model() -> tuple[GPTModel, BPETokenizer, bool]:
    weights = CHECKPOINT_DIR / "model.safetensors"
    tokenizer_file = CHECKPOINT_DIR / "tokenizer.json"
    if weights.is_file() and tokenizer_file.is_file():
        return load_checkpoint(weights).model, BPETokenizer.load(tokenizer_file), True
    print(f"no trained model in {CHECKPOINT_DIR}: run train_gpt.py first; "
          "using an untrained model and a byte-level tokenizer")
    torch.manual_seed(0)
    return GPTModel(preset("tiny-cpu", vocab_size=257)), BPETokenizer([]), False


def walk_first_layer(model: GPTModel, idx: torch.Tensor, labels: list[str]) -> None:
    """Print the shapes of the first block's attention, computed by hand."""
    cfg = model.cfg
    attn = model.blocks[0].attn
    b, t = idx.shape
    h, hd = cfg.n_heads, cfg.head_dim
    print(f"\n1. {t} token ids {shape(idx)}: {labels}")
    tok = model.tok_emb(idx)
    pos = model.pos_emb(torch.arange(t))
    x = tok + pos
    print(f"2. token embeddings {shape(tok)} + position embeddings {shape(pos)} = x {shape(x)}")
    a = model.blocks[0].norm1(x)
    print(f"3. LayerNorm(x) {shape(a)}: each position scaled to mean 0, variance 1")
    q, k, v = attn.W_query(a), attn.W_key(a), attn.W_value(a)
    print(f"4. queries, keys, values = three linear maps of it: {shape(q)} each")
    q, k, v = (z.view(b, t, h, hd).transpose(1, 2) for z in (q, k, v))
    print(f"5. split into {h} heads of width {hd}: {shape(q)} (batch, head, position, width)")
    scores = q @ k.transpose(-2, -1) / math.sqrt(hd)
    print(f"6. scores = q @ k^T / sqrt({hd}): {shape(scores)}, one row per query position")
    scores = scores.masked_fill(causal_mask(t), float("-inf"))
    print(f"7. causal mask: the {t * (t - 1) // 2} entries above the diagonal set to -inf")
    weights = torch.softmax(scores, dim=-1)
    print(f"8. softmax over each row: weights {shape(weights)}, rows sum to "
          f"{weights.sum(-1).min():.4f}..{weights.sum(-1).max():.4f}")
    mixed = weights @ v
    print(f"9. weights @ values: {shape(mixed)}, each position a blend of earlier values")
    merged = mixed.transpose(1, 2).reshape(b, t, cfg.d_model)
    out = attn.out_proj(merged)
    print(f"10. heads side by side {shape(merged)}, output projection {shape(out)}")
    with torch.no_grad():
        reference = attn(a)
    print(f"    same as the model's own attention layer: max difference "
          f"{(out - reference).abs().max():.2e}")
    logits = model(idx)
    print(f"11. after {cfg.n_layers} blocks, final norm and output layer: logits {shape(logits)}"
          f", a score for each of {cfg.vocab_size} tokens at each position")


def induction_scores(weights: list[torch.Tensor], n: int) -> torch.Tensor:
    """(layers, heads): mean weight from each token of the second reading (after its
    first token) to the token after its earlier occurrence, for a sequence read twice."""
    queries = torch.arange(n + 1, 2 * n)
    return torch.stack([w[0][:, queries, queries - n + 1].mean(-1) for w in weights])


def plot_heads(weights: list[torch.Tensor], labels: list[str], trained: bool,
               scores: torch.Tensor) -> None:
    """Sized for the page (house style): the strongest induction head large, as its second
    reading against its first so every token label is legible, then every head's whole map
    small, without labels, for the overall pattern."""
    layers, heads = len(weights), weights[0].shape[1]
    n = len(labels) // 2
    best_l, best_h = divmod(int(scores.argmax()), heads)
    fig = plt.figure(figsize=(6.9, 12.0))
    top, bottom = fig.subfigures(2, 1, height_ratios=[1.2, 1])
    ax = top.subplots()
    block = weights[best_l][0, best_h, n:, :n].numpy()  # rows: 2nd reading, cols: 1st
    im = ax.imshow(block, cmap="viridis", vmin=0)
    ax.grid(False)
    ax.set_xticks(range(n), labels[:n], rotation=90)
    ax.set_yticks(range(n), labels[n:])
    rows = range(1, n - 1)  # where an induction head would look: the token after the match
    ax.plot([r + 1 for r in rows], list(rows), "s", ms=9, mfc="none", mec="white", mew=1)
    ax.set_xlabel("key: first reading (white squares: the token after\nthe earlier "
                  "occurrence, where an induction head looks)")
    ax.set_ylabel("query: second reading")
    top.colorbar(im, ax=ax, shrink=0.8, label="attention weight")
    state = "trained" if trained else "UNTRAINED"
    top.suptitle(f"Layer {best_l + 1}, head {best_h + 1} ({state} model), the strongest "
                 f"induction head\n(score {float(scores[best_l, best_h]):.2f}): how the "
                 "second reading looks back at the first", fontsize=12)
    grid = bottom.subplots(layers, heads, squeeze=False)
    for li, layer in enumerate(weights):
        for hi in range(heads):
            ax = grid[li][hi]
            ax.imshow(layer[0, hi].numpy(), cmap="viridis", vmin=0, vmax=1)
            ax.grid(False)
            ax.axhline(n - 0.5, color="white", lw=0.6)
            ax.axvline(n - 0.5, color="white", lw=0.6)
            ax.set_xticks([])
            ax.set_yticks([])
            score = float(scores[li, hi])
            ax.set_title(f"L{li + 1} H{hi + 1}: {score:.2f}", fontsize=10,
                         fontweight="bold" if (li, hi) == (best_l, best_h) else "normal")
    bottom.suptitle("Every head over the sentence read twice (white lines: where the second "
                    "reading starts)\nrow = token asking, column = earlier token it reads; "
                    "title = induction score", fontsize=11)
    fig.savefig(results_dir() / "attention_heads.png")
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentence", default=SENTENCE)
    args = parser.parse_args()
    torch.set_num_threads(2)
    use_house_style()

    model, tokenizer, trained = load_model()
    model.eval()
    ids = tokenizer.encode(args.sentence, allow_special=False)[: model.cfg.context_length // 2]
    labels = [tokenizer.decode([i]).replace(" ", "·") for i in ids]
    idx = torch.tensor([ids])
    twice = torch.tensor([ids + ids])
    print(f"sentence: {args.sentence!r}")
    print(f"model: {model.cfg.n_layers} layers, {model.cfg.n_heads} heads, "
          f"width {model.cfg.d_model} ({'trained' if trained else 'untrained'})")
    with torch.no_grad():
        walk_first_layer(model, idx, labels)
        model.keep_attention_weights(True)
        model(twice)
        model.keep_attention_weights(False)
    weights = [block.attn.last_weights for block in model.blocks]
    scores = induction_scores(weights, len(ids))
    plot_heads(weights, labels + labels, trained, scores)

    # Where does each head look? Mean distance back from the query to what it reads.
    print("\nmean distance (in tokens) from each query to the keys it weights, per head, "
          "over the sentence read twice:")
    n = 2 * len(ids)
    distance = (torch.arange(n)[:, None] - torch.arange(n)[None, :]).clamp(min=0)
    for li, w in enumerate(weights):
        per_head = (w[0] * distance).sum(-1).mean(-1)
        print(f"  layer {li + 1}: " + "  ".join(f"{d:5.2f}" for d in per_head.tolist()))
    prev = torch.stack([w[0].diagonal(offset=-1, dim1=-2, dim2=-1).mean(-1) for w in weights])
    layer, head = divmod(int(prev.argmax()), prev.shape[1])
    print(f"the head that most reads the token just before: layer {layer + 1}, head {head + 1} "
          f"(average weight {prev.max():.2f} on the previous token)")
    print("induction score of each head (weight on the token after the earlier occurrence):")
    for li, row in enumerate(scores):
        print(f"  layer {li + 1}: " + "  ".join(f"{v:5.2f}" for v in row.tolist()))
    layer_i, head_i = divmod(int(scores.argmax()), scores.shape[1])
    print(f"the strongest induction head: layer {layer_i + 1}, head {head_i + 1} "
          f"(average weight {scores.max():.2f}; a head that ignored the repeat would put "
          f"about {1 / (1.5 * len(ids)):.2f} there)")
    update_metrics({"walkthrough_tokens": len(ids),
                    "previous_token_head_weight": round(float(prev.max()), 3),
                    "induction_head_score": round(float(scores.max()), 3),
                    "induction_head": f"layer {layer_i + 1}, head {head_i + 1}"})
    print(f"figure: {results_dir() / 'attention_heads.png'}")


if __name__ == "__main__":
    main()
