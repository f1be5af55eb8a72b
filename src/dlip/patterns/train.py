"""Fitting, in three stages, each on the training split (choices on validation):

1. Pretrain: next-token prediction on every symbol's training candles (the language model
   of candles). Half of the sequences hide the continuous context, so one model gives both
   a token-only perplexity (comparable to token n-grams) and a with-context one. The step
   with the best validation loss is kept: 13,000 candles overfit within a few hundred steps.
2. Fine-tune for search. The loss is the analog estimator itself, made differentiable
   (neighbourhood components analysis, Goldberger et al. 2004): inside a batch, each window
   weighs every other by softmax(similarity / tau) and is scored by the log-probability its
   own outcome gets from those weighted neighbours. Minimising it pulls together windows
   whose next bars had the same range class (and direction) exactly as far as that makes
   the neighbours' outcomes predictive, which is what the search is used for; a label that
   carries no signal (direction, mostly) gives gradients that cancel instead of a forced
   clustering, as hard supervised-contrastive pairs would. Beside it, cross-entropy heads
   for an up close and the range class read the same embedding. The fine-tuning step with
   the best validation loss is kept (early stopping on validation).
3. The pretrained-only comparison: linear-probe heads on the frozen pretrained embedding.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch.nn import functional as F
from tqdm import tqdm

from dlip.patterns.encoder import EncoderConfig, WindowEncoder, pretrained_embedding
from dlip.patterns.windows import CONTEXT_FEATURES, Prepared


@dataclass(frozen=True)
class FitSettings:
    context: int = 32
    d_model: int = 64
    n_heads: int = 4
    n_layers: int = 2
    embed_dim: int = 32
    dropout: float = 0.1
    pretrain_steps: int = 300  # 13,000 training candles: validation loss is best near 200
    pretrain_batch: int = 64
    pretrain_lr: float = 2e-3
    feature_hide: float = 0.5  # share of pretraining sequences without continuous context
    finetune_steps: int = 300  # validation cross-entropy was best at step 100 of 1,000
    finetune_batch: int = 256
    finetune_lr: float = 1e-3
    tau: float = 0.1  # temperature of the neighbour softmax (training and analogs)
    nca_weight: float = 1.0
    eval_every: int = 25
    k: int = 100  # analogs behind a probability
    prior_strength: float = 10.0
    threads: int = 1  # 2 cores shared: a second OpenMP thread spins and runs 10x slower

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def tiny(cls) -> FitSettings:
        """For tests: seconds, not minutes."""
        return cls(context=8, d_model=16, n_heads=2, n_layers=1, embed_dim=8,
                   pretrain_steps=20, pretrain_batch=16, finetune_steps=20,
                   finetune_batch=64, eval_every=10, k=20)


def _lr(step: int, total: int, peak: float, warmup: int = 50) -> float:
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


def _optimizer(model: WindowEncoder, lr: float) -> torch.optim.AdamW:
    decay = [p for p in model.parameters() if p.dim() >= 2]
    rest = [p for p in model.parameters() if p.dim() < 2]
    return torch.optim.AdamW([{"params": decay, "weight_decay": 0.1},
                              {"params": rest, "weight_decay": 0.0}], lr=lr, betas=(0.9, 0.95))


def _t(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(a))


# --- 1. pretraining -------------------------------------------------------------------

def lm_targets(prep: Prepared, split: str) -> np.ndarray:
    """Rows of `split` with a real token whose previous bar (same symbol) has one too."""
    prev_ok = np.zeros(len(prep.tokens), dtype=bool)
    prev_ok[1:] = prep.real[:-1] & (prep.starts[1:] < np.arange(1, len(prep.tokens)))
    return np.flatnonzero(prep.real & prev_ok & (prep.split == split))


def _lm_batch(prep: Prepared, targets: np.ndarray, context: int):
    """Inputs: the window ending at the bar before each target; labels: the next tokens
    at every position (pad where the next bar is padding or another split's future)."""
    tok, feat = prep.windows(targets - 1, context)
    nxt, _ = prep.windows(targets, context)
    return tok, feat, nxt


@torch.no_grad()
def lm_nll(model: WindowEncoder, prep: Prepared, targets: np.ndarray, context: int,
           with_context: bool, batch: int = 512) -> float:
    """Mean negative log-likelihood (nats) of each target token given its `context` bars;
    each target scored once, at the last position of its own window."""
    model.eval()
    total = 0.0
    for a in range(0, len(targets), batch):
        tok, feat, _ = _lm_batch(prep, targets[a:a + batch], context)
        f = _t(feat) if with_context else torch.zeros(feat.shape)
        logits = model.lm_logits(model.trunk(_t(tok), f)[:, -1])
        y = _t(prep.tokens[targets[a:a + batch]])
        total += float(F.cross_entropy(logits, y, reduction="sum"))
    return total / max(1, len(targets))


def pretrain(model: WindowEncoder, prep: Prepared, s: FitSettings, seed: int,
             bar: tqdm | None = None) -> list[dict]:
    train_t = lm_targets(prep, "train")
    val_sub = lm_targets(prep, "val")
    val_sub = val_sub[:: max(1, len(val_sub) // 2000)]  # a fixed subsample keeps it quick

    def batch_loss(g: torch.Generator):
        pick = train_t[torch.randint(len(train_t), (s.pretrain_batch,), generator=g).numpy()]
        tok, feat, nxt = _lm_batch(prep, pick, s.context)
        hide = torch.rand(len(pick), 1, 1, generator=g) < s.feature_hide
        f = _t(feat).masked_fill(hide, 0.0)
        logits = model.lm_logits(model.trunk(_t(tok), f))
        y = _t(nxt).masked_fill(_t(nxt) == model.pad, -100)
        loss = F.cross_entropy(logits.flatten(0, 1), y.flatten(), ignore_index=-100)
        return loss, {"train_loss": loss}

    return _train_keeping_best(
        model, s.pretrain_steps, s.pretrain_lr, seed * 1_000_003, s.eval_every, batch_loss,
        lambda: lm_nll(model, prep, val_sub, s.context, True), "pretrain", "val_loss", bar)


def _train_keeping_best(model: WindowEncoder, steps: int, peak_lr: float, seed_base: int,
                        eval_every: int, batch_loss, validate, stage: str, val_name: str,
                        bar: tqdm | None) -> list[dict]:
    """The loop both stages share: AdamW on the warm-up + cosine rate, gradients clipped
    at 1, every step's batch drawn from its own generator (seed_base + step), validation
    every `eval_every` steps and at the end, and the best validated weights kept (early
    stopping). `batch_loss(generator)` returns (loss, {history name: tensor}).

    Returns the history: one row per validation, then {"best_step", "best_" + val_name}.
    """
    opt = _optimizer(model, peak_lr)
    history = []
    best = (float("inf"), None, 0)
    model.train()
    for step in range(steps):
        g = torch.Generator().manual_seed(seed_base + step)
        for group in opt.param_groups:
            group["lr"] = _lr(step, steps, peak_lr)
        loss, parts = batch_loss(g)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if bar is not None:
            bar.update(1)
            bar.set_postfix(stage=stage, loss=f"{loss.item():.3f}", refresh=False)
        if (step + 1) % eval_every == 0 or step + 1 == steps:
            v = validate()
            history.append({"step": step + 1, **{k: float(x.item()) for k, x in parts.items()},
                            val_name: v})
            if v < best[0]:
                best = (v, {k: x.clone() for k, x in model.state_dict().items()}, step + 1)
            model.train()
    if best[1] is not None:
        model.load_state_dict(best[1])
    history.append({"best_step": best[2], f"best_{val_name}": best[0]})
    return history


# --- 2. fine-tuning -------------------------------------------------------------------

def nca_loss(z: torch.Tensor, y: torch.Tensor, n_classes: int, tau: float) -> torch.Tensor:
    """-mean log P(own class | the other windows of the batch, weighted by softmax(sim/tau))."""
    sim = z @ z.T / tau
    sim = sim.masked_fill(torch.eye(len(z), dtype=torch.bool), float("-inf"))
    p = torch.softmax(sim, dim=1)
    onehot = F.one_hot(y, n_classes).float()
    q = p @ onehot  # (B, C): the neighbours' outcome distribution
    q = 0.98 * q + 0.02 / n_classes  # a floor, so one unlucky batch cannot explode
    return -torch.log(q.gather(1, y[:, None])).mean()


def _head_losses(model, tok, feat, up, rng, s: FitSettings):
    z, lu, lr = model(tok, feat)
    ce = F.binary_cross_entropy_with_logits(lu, up.float()) + F.cross_entropy(lr, rng)
    nca = nca_loss(z, rng, 3, s.tau) + nca_loss(z, up, 2, s.tau)
    return ce, nca


@torch.no_grad()
def finetune_val_loss(model, prep: Prepared, rows: np.ndarray, s: FitSettings) -> float:
    """Heads' cross-entropy (up + range) on validation examples."""
    model.eval()
    total = 0.0
    for a in range(0, len(rows), 1024):
        r = rows[a:a + 1024]
        tok, feat = prep.windows(r, s.context)
        _, lu, lr = model(_t(tok), _t(feat))
        total += float(F.binary_cross_entropy_with_logits(
            lu, _t(prep.next_up[r]).float(), reduction="sum"))
        total += float(F.cross_entropy(lr, _t(prep.range_class[r].astype(np.int64)),
                                       reduction="sum"))
    model.train()
    return total / max(1, len(rows))


def finetune(model: WindowEncoder, prep: Prepared, s: FitSettings, seed: int,
             bar: tqdm | None = None) -> list[dict]:
    train_r = prep.examples("train")
    val_r = prep.examples("val")
    val_sub = val_r[:: max(1, len(val_r) // 4000)]

    def batch_loss(g: torch.Generator):
        pick = train_r[torch.randint(len(train_r), (s.finetune_batch,), generator=g).numpy()]
        tok, feat = prep.windows(pick, s.context)
        up = _t(prep.next_up[pick].astype(np.int64))
        rng = _t(prep.range_class[pick].astype(np.int64))
        ce, nca = _head_losses(model, _t(tok), _t(feat), up, rng, s)
        return ce + s.nca_weight * nca, {"train_ce": ce, "train_nca": nca}

    return _train_keeping_best(
        model, s.finetune_steps, s.finetune_lr, seed * 1_000_003 + 500_000, s.eval_every,
        batch_loss, lambda: finetune_val_loss(model, prep, val_sub, s), "fine-tune", "val_ce",
        bar)


# --- 3. the pretrained-only comparison ------------------------------------------------

@torch.no_grad()
def embed_rows(model: WindowEncoder, prep: Prepared, rows: np.ndarray, context: int,
               variant: str, batch: int = 1024) -> np.ndarray:
    """Unit embeddings of the windows ending at `rows` ('finetuned' or 'pretrained')."""
    model.eval()
    out = []
    for a in range(0, len(rows), batch):
        tok, feat = prep.windows(rows[a:a + batch], context)
        if variant == "finetuned":
            z = model(_t(tok), _t(feat))[0]
        elif variant == "pretrained":
            z = pretrained_embedding(model, _t(tok), _t(feat))
        else:
            raise ValueError(f"unknown variant {variant!r} (finetuned, pretrained)")
        out.append(z.numpy().astype(np.float32))
    return np.concatenate(out) if out else np.zeros((0, 1), np.float32)


@torch.no_grad()
def set_pretrained_standardisation(model: WindowEncoder, prep: Prepared, s: FitSettings) -> None:
    rows = prep.examples("train")
    model.eval()
    tok, feat = prep.windows(rows, s.context)
    v = model.pooled(model.trunk(_t(tok), _t(feat)), _t(tok))
    model.pre_center.copy_(v.mean(0))
    model.pre_scale.copy_(v.std(0).clamp(min=1e-6))


def fit_probe(x: np.ndarray, y: np.ndarray, n_classes: int, l2: float = 1e-3) -> dict:
    """Multinomial logistic regression (weights, bias) by L-BFGS: the linear probe."""
    xt, yt = _t(x.astype(np.float32)), _t(y.astype(np.int64))
    w = torch.zeros(x.shape[1], n_classes, requires_grad=True)
    b = torch.zeros(n_classes, requires_grad=True)
    opt = torch.optim.LBFGS([w, b], max_iter=200, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = F.cross_entropy(xt @ w + b, yt) + l2 * (w**2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    return {"w": w.detach().numpy().tolist(), "b": b.detach().numpy().tolist()}


def build_encoder(prep: Prepared, s: FitSettings) -> WindowEncoder:
    cfg = EncoderConfig(vocab_size=prep.vocab_size, n_features=len(CONTEXT_FEATURES),
                        context=s.context, d_model=s.d_model, n_heads=s.n_heads,
                        n_layers=s.n_layers, embed_dim=s.embed_dim, dropout=s.dropout)
    return WindowEncoder(cfg)


def train_all(prep: Prepared, s: FitSettings, seed: int, progress: bool | None = None):
    """Pretrain, snapshot, fine-tune. Returns (pretrained, finetuned, report)."""
    import copy

    torch.manual_seed(seed)
    t0 = time.perf_counter()
    model = build_encoder(prep, s)
    bar = tqdm(total=s.pretrain_steps + s.finetune_steps, desc="fit", unit="step",
               mininterval=1.0, disable=None if progress is None else not progress)
    pre_hist = pretrain(model, prep, s, seed, bar)
    pre_seconds = time.perf_counter() - t0
    set_pretrained_standardisation(model, prep, s)
    pretrained = copy.deepcopy(model)
    ft_hist = finetune(model, prep, s, seed, bar)
    bar.close()
    report = {"pretrain_history": pre_hist, "finetune_history": ft_hist,
              "pretrain_seconds": pre_seconds,
              "finetune_seconds": time.perf_counter() - t0 - pre_seconds}
    return pretrained, model, report


# --- token n-grams: the bar the candle language model is read against -----------------

def token_ngram_bits(prep: Prepared, targets: np.ndarray,
                     strengths: tuple[float, ...] = (1.0, 10.0, 100.0)) -> dict[str, float]:
    """Bits per token of unigram, bigram and trigram token models on `targets`.

    Counted on the training split's token streams (every symbol pooled, as the
    Transformer sees them); each order backs off to the one below with a Dirichlet prior
    of the given strength (as 004's n-grams do). The strength is the best of a few on
    these very targets, which flatters the n-grams, never the Transformer.
    """
    v = prep.vocab_size
    tok = prep.tokens
    pos = np.arange(len(tok))

    def ctx(rows: np.ndarray, order: int) -> np.ndarray:
        """Key of the `order` tokens before each row; -1 where one is missing."""
        key = np.zeros(len(rows), dtype=np.int64)
        ok = np.ones(len(rows), dtype=bool)
        for i in range(1, order + 1):
            r = rows - i
            ok &= (r >= prep.starts[rows]) & (tok[np.maximum(r, 0)] >= 0)
            key = key * (v + 1) + np.where(ok, tok[np.maximum(r, 0)], 0)
        return np.where(ok, key, -1)

    train = pos[(prep.split == "train") & prep.real]
    y_train, y = tok[train], tok[targets]
    uni = (np.bincount(y_train, minlength=v) + 1.0) / (len(y_train) + v)
    out = {"unigram": float(-np.mean(np.log2(uni[y])))}
    for name, order in (("bigram", 1), ("trigram", 2)):
        best = float("inf")
        for a in strengths:
            p = uni[y]
            for k in range(1, order + 1):
                kt, kq = ctx(train, k), ctx(targets, k)
                good = kt >= 0
                pair = kt[good] * v + y_train[good]
                up, cp = np.unique(pair, return_counts=True)
                uc, cc = np.unique(kt[good], return_counts=True)
                n_ctx = _count_of(uc, cc, kq)
                n_pair = _count_of(up, cp, np.where(kq >= 0, kq * v + y, -1))
                p = np.where(kq >= 0, (n_pair + a * p) / (n_ctx + a), p)
            best = min(best, float(-np.mean(np.log2(p))))
        out[name] = best
    return out


def _count_of(keys: np.ndarray, counts: np.ndarray, query: np.ndarray) -> np.ndarray:
    i = np.minimum(np.searchsorted(keys, query), max(0, len(keys) - 1))
    hit = (len(keys) > 0) & (keys[i] == query) & (query >= 0)
    return np.where(hit, counts[i], 0).astype(float)
