"""Model configuration: one dataclass, plus named presets.

`gpt2-124m` is the configuration of Raschka's book: GPT-2 small, but without bias on the
query/key/value projections (124,412,160 parameters with the output layer tied to the
token embedding, 163,009,536 untied). `gpt2-124m-hf` is the released GPT-2 small, whose
weights carry that bias (124,439,808 tied). The `tiny*` presets train on a laptop CPU.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace


@dataclass(frozen=True)
class GPTConfig:
    vocab_size: int
    context_length: int
    d_model: int
    n_heads: int
    n_layers: int
    dropout: float = 0.0  # on embeddings, attention output and feed-forward output
    # On the attention weights themselves. Separate because on CPU, SDPA with dropout
    # leaves its fused kernel and runs a few times slower (benchmarks/gpt_attention.py).
    attn_dropout: float = 0.0
    qkv_bias: bool = False
    tie_weights: bool = True
    use_sdpa: bool = True  # fast path; False runs the attention written out by hand
    layer_norm_eps: float = 1e-5

    def __post_init__(self) -> None:
        for name in ("vocab_size", "context_length", "d_model", "n_heads", "n_layers"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise ValueError(f"{name} must be a positive integer, got {getattr(self, name)!r}")
        if self.d_model % self.n_heads:
            raise ValueError(f"d_model {self.d_model} is not divisible by n_heads {self.n_heads}")
        for name in ("dropout", "attn_dropout"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ValueError(f"{name} must be in [0, 1), got {getattr(self, name)}")

    @property
    def head_dim(self) -> int:
        return self.d_model // self.n_heads

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> GPTConfig:
        """Build from a dict, rejecting unknown keys (a typo should not pass silently)."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown config keys: {', '.join(unknown)}")
        return cls(**data)

    def with_(self, **changes) -> GPTConfig:
        return replace(self, **changes)


PRESETS: dict[str, GPTConfig] = {
    "gpt2-124m": GPTConfig(
        vocab_size=50257, context_length=1024, d_model=768, n_heads=12, n_layers=12,
        dropout=0.1, attn_dropout=0.1, qkv_bias=False, tie_weights=True,
    ),
    "gpt2-124m-hf": GPTConfig(
        vocab_size=50257, context_length=1024, d_model=768, n_heads=12, n_layers=12,
        dropout=0.0, qkv_bias=True, tie_weights=True,
    ),
    # For tests: a model that runs a forward pass in milliseconds.
    "tiny-test": GPTConfig(
        vocab_size=64, context_length=16, d_model=32, n_heads=4, n_layers=2,
    ),
    # For the milestone on two CPU cores; vocab_size follows the trained tokenizer.
    "tiny-cpu": GPTConfig(
        vocab_size=1024, context_length=128, d_model=128, n_heads=4, n_layers=4,
    ),
}


def preset(name: str, **changes) -> GPTConfig:
    if name not in PRESETS:
        raise KeyError(f"unknown preset {name!r}; known: {', '.join(PRESETS)}")
    return PRESETS[name].with_(**changes)
