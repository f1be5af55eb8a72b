"""Training: AdamW, linear warmup then cosine decay, gradient clipping, periodic
evaluation, checkpoints and resume.

Every step reseeds from (seed, step): the batch it draws and the dropout it applies
depend only on those two numbers. Two runs with one seed see the same losses, and a run
resumed from a checkpoint continues exactly as if it had never stopped.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from torch.nn import functional as F
from tqdm import tqdm

from dlip.gpt.checkpoint import load_checkpoint, save_checkpoint
from dlip.gpt.data import TokenWindows, windows_scoring_each_target_once
from dlip.gpt.model import GPTModel


@dataclass
class TrainConfig:
    max_steps: int
    batch_size: int = 32
    lr: float = 3e-3
    min_lr_ratio: float = 0.1  # the cosine ends at lr * min_lr_ratio
    warmup_steps: int = 50
    weight_decay: float = 0.1
    betas: tuple[float, float] = (0.9, 0.95)
    grad_clip: float = 1.0
    eval_interval: int = 100
    seed: int = 0
    checkpoint_path: str | None = None  # saved at every evaluation when set


@dataclass
class TrainResult:
    history: list[dict] = field(default_factory=list)  # one row per evaluation
    losses: list[float] = field(default_factory=list)  # every step's training loss
    tokens_per_second: float = 0.0
    seconds: float = 0.0


def lr_at(step: int, cfg: TrainConfig) -> float:
    """Learning rate for `step` (0-based): linear warmup, then cosine down to the floor."""
    if step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / cfg.warmup_steps
    span = max(1, cfg.max_steps - cfg.warmup_steps)
    progress = min(1.0, (step - cfg.warmup_steps) / span)
    floor = cfg.lr * cfg.min_lr_ratio
    return floor + (cfg.lr - floor) * 0.5 * (1.0 + math.cos(math.pi * progress))


def make_optimizer(model: GPTModel, cfg: TrainConfig) -> torch.optim.AdamW:
    """AdamW with weight decay on matrices only (not on biases, norms)."""
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    groups = [
        {"params": decay, "weight_decay": cfg.weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(groups, lr=cfg.lr, betas=cfg.betas)


@torch.no_grad()
def sum_nll(
    model: GPTModel, ids: torch.Tensor | list[int], stride: int | None = None, batch_size: int = 16
) -> tuple[float, int]:
    """Total negative log-likelihood (nats) of ids[1:], each target scored exactly once.

    Windows of the model's full context overlap by `context - stride`; a window scores
    only the targets the previous one did not, so most tokens see plenty of context.
    Returns (total nats, number of targets) = (.., len(ids) - 1).
    """
    was_training = model.training
    model.eval()
    total = 0.0
    for rows, skips in windows_scoring_each_target_once(ids, model.cfg.context_length, stride,
                                                        batch_size):
        logits = model(rows[:, :-1])
        nll = F.cross_entropy(logits.transpose(1, 2), rows[:, 1:], reduction="none")
        for row, skip in enumerate(skips):
            total += float(nll[row, skip:].sum())
    model.train(was_training)
    return total, len(ids) - 1


def train(
    model: GPTModel,
    train_ids: torch.Tensor | list[int],
    val_ids: torch.Tensor | list[int],
    cfg: TrainConfig,
    resume: bool = False,
    on_eval: Callable[[dict], None] | None = None,
    progress: bool | None = None,
    stop_at: int | None = None,
) -> TrainResult:
    """Train `model` in place; `progress=None` shows the bar only on a terminal.

    `stop_at` ends the session after that step (the schedule still spans `max_steps`);
    with `checkpoint_path` set, a later call with `resume=True` picks up from there.
    """
    windows = TokenWindows(train_ids, model.cfg.context_length, stride=1)
    optimizer = make_optimizer(model, cfg)
    result = TrainResult()
    start_step = 0
    if resume and cfg.checkpoint_path and Path(cfg.checkpoint_path).is_file():
        ckpt = load_checkpoint(cfg.checkpoint_path)
        model.load_state_dict(ckpt.model.state_dict())
        if ckpt.optimizer_state is not None:
            optimizer.load_state_dict(ckpt.optimizer_state)
        start_step = int(ckpt.state.get("step", 0))
        result.history = list(ckpt.state.get("history", []))
        result.losses = list(ckpt.state.get("losses", []))

    tokens_per_step = cfg.batch_size * model.cfg.context_length
    bar = tqdm(
        range(start_step, min(cfg.max_steps, stop_at or cfg.max_steps)),
        initial=start_step,
        total=cfg.max_steps,
        desc="training",
        unit="step",
        mininterval=1.0,
        disable=None if progress is None else not progress,
    )
    model.train()
    t0 = time.perf_counter()
    trained_steps = 0
    for step in bar:
        torch.manual_seed(cfg.seed * 1_000_003 + step)
        indices = torch.randint(len(windows), (cfg.batch_size,))
        x, y = windows.batch(indices)
        lr = lr_at(step, cfg)
        for group in optimizer.param_groups:
            group["lr"] = lr
        logits = model(x)
        loss = F.cross_entropy(logits.flatten(0, 1), y.flatten())
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        optimizer.step()
        result.losses.append(loss.item())
        trained_steps += 1
        elapsed = time.perf_counter() - t0
        tok_s = trained_steps * tokens_per_step / elapsed
        bar.set_postfix(loss=f"{result.losses[-1]:.3f}", tok_s=f"{tok_s:,.0f}", refresh=False)

        done = step + 1
        if done % cfg.eval_interval == 0 or done == cfg.max_steps or done == stop_at:
            nats, count = sum_nll(model, val_ids)
            recent = result.losses[-cfg.eval_interval :]
            row = {
                "step": done,
                "tokens_seen": done * tokens_per_step,
                "lr": lr,
                "train_loss": sum(recent) / len(recent),
                "val_loss": nats / count,
                "val_nats_total": nats,
                "seconds": elapsed,
            }
            result.history.append(row)
            if on_eval:
                on_eval(row)
            if cfg.checkpoint_path:
                state = {
                    "step": done,
                    "history": result.history,
                    "losses": result.losses,
                    "train_config": asdict(cfg),
                }
                save_checkpoint(cfg.checkpoint_path, model, state, optimizer)
            t0 += time.perf_counter() - t0 - elapsed  # evaluation time is not training time
    bar.close()
    result.seconds = time.perf_counter() - t0
    if trained_steps:
        result.tokens_per_second = trained_steps * tokens_per_step / result.seconds
    return result
