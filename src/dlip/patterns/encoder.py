"""The window encoder: milestone 003's GPT blocks over candle tokens plus causal context.

Input at each position: token embedding + position embedding + a linear map of the bar's
continuous context (windows.CONTEXT_FEATURES). The blocks are dlip.gpt's pre-norm causal
Transformer blocks, so position i only ever sees bars up to i.

Two readouts share that trunk:
- `lm_logits`: next-token logits at every position (pretraining, the candle language model;
  tied to the token embedding, as in GPT-2). The pad token is never a target.
- `embed`: the window's representation, read at the last position (the bar whose future is
  asked about) and at the mean over the window, projected to `embed_dim` and scaled to unit
  length, so similarity is a dot product and search is a matrix product.
The heads read the same projected (unnormalised) vector: one logit for an up close, three
for the range class.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn
from torch.nn import functional as F

from dlip.gpt.config import GPTConfig
from dlip.gpt.model import TransformerBlock


@dataclass(frozen=True)
class EncoderConfig:
    vocab_size: int  # the candle vocabulary; the pad token is vocab_size
    n_features: int
    context: int = 32
    d_model: int = 64
    n_heads: int = 4
    n_layers: int = 2
    embed_dim: int = 32
    dropout: float = 0.1

    def gpt(self) -> GPTConfig:
        return GPTConfig(vocab_size=self.vocab_size + 1, context_length=self.context,
                         d_model=self.d_model, n_heads=self.n_heads, n_layers=self.n_layers,
                         dropout=self.dropout)

    def to_dict(self) -> dict:
        return asdict(self)


class WindowEncoder(nn.Module):
    def __init__(self, cfg: EncoderConfig) -> None:
        super().__init__()
        self.cfg = cfg
        g = cfg.gpt()
        self.pad = cfg.vocab_size
        self.tok_emb = nn.Embedding(cfg.vocab_size + 1, cfg.d_model)
        self.pos_emb = nn.Embedding(cfg.context, cfg.d_model)
        self.feat = nn.Linear(cfg.n_features, cfg.d_model)
        self.drop = nn.Dropout(cfg.dropout)
        self.blocks = nn.ModuleList(TransformerBlock(g) for _ in range(cfg.n_layers))
        self.norm = nn.LayerNorm(cfg.d_model)
        self.proj = nn.Sequential(nn.Linear(2 * cfg.d_model, 2 * cfg.d_model), nn.GELU(),
                                  nn.Linear(2 * cfg.d_model, cfg.embed_dim))
        self.head_up = nn.Linear(cfg.embed_dim, 1)
        self.head_range = nn.Linear(cfg.embed_dim, 3)
        # Standardisation of the pretrained-only embedding (set from training windows).
        self.register_buffer("pre_center", torch.zeros(2 * cfg.d_model))
        self.register_buffer("pre_scale", torch.ones(2 * cfg.d_model))
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, std=0.02)
            if isinstance(m, nn.Linear) and m.bias is not None:
                nn.init.zeros_(m.bias)

    def trunk(self, tokens: torch.Tensor, feats: torch.Tensor) -> torch.Tensor:
        """(B, T) tokens and (B, T, F) context -> (B, T, d_model) normalised states."""
        t = tokens.shape[1]
        pos = torch.arange(t, device=tokens.device)
        x = self.tok_emb(tokens) + self.pos_emb(pos) + self.feat(feats)
        x = self.drop(x)
        for block in self.blocks:
            x = block(x)
        return self.norm(x)

    def lm_logits(self, h: torch.Tensor) -> torch.Tensor:
        """Next-token logits over the real vocabulary (the pad column is dropped)."""
        return h @ self.tok_emb.weight[: self.pad].T

    def pooled(self, h: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        """Last state beside the mean over the window's real (non-pad) bars."""
        real = (tokens != self.pad).unsqueeze(-1).float()
        mean = (h * real).sum(1) / real.sum(1).clamp(min=1.0)
        return torch.cat([h[:, -1], mean], dim=-1)

    def project(self, tokens: torch.Tensor, feats: torch.Tensor) -> torch.Tensor:
        h = self.trunk(tokens, feats)
        return self.proj(self.pooled(h, tokens))

    def forward(self, tokens: torch.Tensor, feats: torch.Tensor):
        """-> (unit embedding (B, E), up logit (B,), range logits (B, 3))."""
        z = self.project(tokens, feats)
        return F.normalize(z, dim=-1), self.head_up(z).squeeze(-1), self.head_range(z)


def pretrained_embedding(model: WindowEncoder, tokens: torch.Tensor,
                         feats: torch.Tensor) -> torch.Tensor:
    """The pretrained-only embedding: the trunk's pooled states (no fine-tuned projection),
    standardised with the training windows' mean and spread, then unit length."""
    v = model.pooled(model.trunk(tokens, feats), tokens)
    return F.normalize((v - model.pre_center) / model.pre_scale, dim=-1)
