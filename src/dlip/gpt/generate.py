"""Text generation: feed the model its own predictions, one token at a time.

`temperature=0` is greedy (always the most likely token). Otherwise logits are divided
by the temperature, optionally cut to the `top_k` most likely tokens and to the smallest
set whose probability reaches `top_p`, then sampled with a seeded generator, so the same
seed gives the same text.
"""

from __future__ import annotations

import torch

from dlip.gpt.model import GPTModel


def filter_logits(
    logits: torch.Tensor, top_k: int | None = None, top_p: float | None = None
) -> torch.Tensor:
    """Set to -inf every logit outside the top-k and outside the top-p nucleus."""
    if top_k is not None and top_k < logits.size(-1):
        kth = torch.topk(logits, top_k, dim=-1).values[..., -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if top_p is not None and top_p < 1.0:
        sorted_logits, order = torch.sort(logits, descending=True, dim=-1)
        probs = torch.softmax(sorted_logits, dim=-1)
        before = torch.cumsum(probs, dim=-1) - probs  # mass of strictly better tokens
        drop_sorted = before >= top_p  # the best token always stays (before == 0)
        drop = drop_sorted.scatter(-1, order, drop_sorted)
        logits = logits.masked_fill(drop, float("-inf"))
    return logits


@torch.no_grad()
def generate(
    model: GPTModel,
    prompt: list[int],
    max_new_tokens: int,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    seed: int | None = None,
    eos_id: int | None = None,
) -> list[int]:
    """The prompt followed by up to `max_new_tokens` generated ids (stops after `eos_id`)."""
    if not prompt:
        raise ValueError("prompt must hold at least one token")
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    generator = torch.Generator(device=device)
    if seed is not None:
        generator.manual_seed(seed)
    ids = torch.tensor([prompt], dtype=torch.long, device=device)
    context = model.cfg.context_length
    for _ in range(max_new_tokens):
        logits = model(ids[:, -context:])[:, -1, :]
        if temperature == 0:
            next_id = logits.argmax(dim=-1, keepdim=True)
        else:
            logits = filter_logits(logits / temperature, top_k, top_p)
            probs = torch.softmax(logits, dim=-1)
            next_id = torch.multinomial(probs, 1, generator=generator)
        ids = torch.cat([ids, next_id], dim=1)
        if eos_id is not None and int(next_id) == eos_id:
            break
    model.train(was_training)
    return ids[0].tolist()
