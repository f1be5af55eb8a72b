"""The GPT: embeddings, a stack of Transformer blocks, a final norm, an output layer.

A block is pre-norm, as in GPT-2: x + attention(norm(x)), then x + feed_forward(norm(x)).
The residual path carries each token's representation from bottom to top; attention is
the only place where positions exchange information.
"""

from __future__ import annotations

import torch
from torch import nn

from dlip.gpt.attention import CausalSelfAttention
from dlip.gpt.config import GPTConfig


class FeedForward(nn.Module):
    """Per-position MLP: widen 4x, GELU (GPT-2's tanh approximation), narrow back."""

    def __init__(self, cfg: GPTConfig) -> None:
        super().__init__()
        self.fc = nn.Linear(cfg.d_model, 4 * cfg.d_model)
        self.act = nn.GELU(approximate="tanh")
        self.proj = nn.Linear(4 * cfg.d_model, cfg.d_model)
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.drop(self.proj(self.act(self.fc(x))))


class TransformerBlock(nn.Module):
    def __init__(self, cfg: GPTConfig) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(cfg.d_model, eps=cfg.layer_norm_eps)
        self.attn = CausalSelfAttention(
            cfg.d_model, cfg.n_heads, cfg.dropout, cfg.qkv_bias, cfg.use_sdpa, cfg.attn_dropout
        )
        self.norm2 = nn.LayerNorm(cfg.d_model, eps=cfg.layer_norm_eps)
        self.ff = FeedForward(cfg)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm1(x))
        return x + self.ff(self.norm2(x))


class GPTModel(nn.Module):
    def __init__(self, cfg: GPTConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.tok_emb = nn.Embedding(cfg.vocab_size, cfg.d_model)
        self.pos_emb = nn.Embedding(cfg.context_length, cfg.d_model)
        self.drop = nn.Dropout(cfg.dropout)
        self.blocks = nn.ModuleList(TransformerBlock(cfg) for _ in range(cfg.n_layers))
        self.final_norm = nn.LayerNorm(cfg.d_model, eps=cfg.layer_norm_eps)
        self.out_head = nn.Linear(cfg.d_model, cfg.vocab_size, bias=False)
        if cfg.tie_weights:
            self.out_head.weight = self.tok_emb.weight  # one matrix reads and writes tokens
        self.apply(self._init_weights)

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        # GPT-2's scheme: small normal weights, zero biases; LayerNorm keeps ones/zeros.
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        """Token ids (B, T) -> next-token logits (B, T, vocab)."""
        return self.out_head(self.features(idx))

    def features(self, idx: torch.Tensor) -> torch.Tensor:
        """Token ids (B, T) -> the final normalised states (B, T, d_model) the output
        layer reads: what a retrieval cache (dlip.gpt.knn) stores as each position's key."""
        _, t = idx.shape
        if t > self.cfg.context_length:
            raise ValueError(f"sequence of {t} tokens exceeds context {self.cfg.context_length}")
        pos = torch.arange(t, device=idx.device)
        x = self.drop(self.tok_emb(idx) + self.pos_emb(pos))
        for block in self.blocks:
            x = block(x)
        return self.final_norm(x)

    def set_attention_path(self, use_sdpa: bool) -> None:
        for block in self.blocks:
            block.attn.use_sdpa = use_sdpa

    def keep_attention_weights(self, keep: bool = True) -> None:
        """Make every attention layer store its (B, heads, T, T) weights for inspection."""
        for block in self.blocks:
            block.attn.keep_weights = keep


def count_parameters(model: nn.Module) -> int:
    """Distinct parameters: a tied matrix counts once."""
    return sum(p.numel() for p in model.parameters())


def count_parameters_for(cfg: GPTConfig) -> int:
    """Parameter count of a config without allocating memory (meta device)."""
    with torch.device("meta"):
        return count_parameters(GPTModel(cfg))
