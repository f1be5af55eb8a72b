"""One token per bar: the candle's shape in a few words, plus the volatility regime.

A token combines five small choices, each a bin of one causal feature:

    gap (3) x body (5) x upper wick (2) x lower wick (2) x regime (3) = 180 tokens

That is vocabulary `candle-v1`, for daily (and longer) bars. Intraday bars use
`candle-s1`: the same 180 tokens, plus the same 180 again marked "session open" (ids
180-359) for the first bar of each session (a bar more than SESSION_GAP after the one
before: overnight, weekends, holidays, after a half day). So a window of tokens never
crosses a session break without a token saying so. Daily ids are identical in both.

The edges are quantiles of the training split only, and they are mirror-symmetric: the
edges for a fall are the edges for a rise with the sign flipped, and the upper and lower
wicks share one edge. So a bearish candle is exactly the mirror of a bullish one, and
the vocabulary has no built-in drift. `inverse` turns tokens back into representative
features (the training median inside each bin) and so into approximate candles.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import numpy as np

VERSION = "candle-v1"
SESSION_VERSION = "candle-s1"  # intraday: + a session-open copy of every token
SESSION = ("in session", "session open")

GAP = ("gap down", "no gap", "gap up")
BODY = ("strong fall", "fall", "doji", "rise", "strong rise")
WICK = ("short", "long")
REGIME = ("calm", "normal", "turbulent")
SIZES = (len(GAP), len(BODY), len(WICK), len(WICK), len(REGIME))
VOCAB_SIZE = int(np.prod(SIZES))  # candle-v1; candle-s1 has 2 * VOCAB_SIZE

# Quantiles of the training features that place the edges (documented in the card).
GAP_QUANTILE = 1 / 3  # |gap| below this quantile is "no gap"
BODY_QUANTILES = (0.2, 0.7)  # |body| below the first is a doji; above the second, strong
WICK_QUANTILE = 0.5  # wicks above the median (upper and lower pooled) are long
REGIME_QUANTILES = (1 / 3, 2 / 3)


def _median(x: np.ndarray, default: float) -> float:
    x = x[np.isfinite(x)]
    return float(np.median(x)) if len(x) else default


@dataclass(frozen=True)
class CandleTokenizer:
    """Bin edges and bin centres, fitted once on training bars; saved with the dataset."""

    gap_edge: float
    body_edges: tuple[float, float]
    wick_edge: float
    regime_edges: tuple[float, float]
    gap_centers: tuple[float, float, float]
    body_centers: tuple[float, float, float, float, float]
    wick_centers: tuple[float, float]
    regime_centers: tuple[float, float, float]
    version: str = VERSION

    # --- fitting and encoding ----------------------------------------------------------

    @classmethod
    def fit(cls, features: dict[str, np.ndarray], use: np.ndarray) -> CandleTokenizer:
        """Fit on the bars where `use` is true (the training split, past warm-up)."""
        use = np.asarray(use, dtype=bool)
        if not use.any():
            raise ValueError("no training bars to fit the tokenizer on")
        every = bool(use.all())  # no copies of (possibly huge) feature arrays then

        def pick(name: str) -> np.ndarray:
            return features[name] if every else features[name][use]

        gap = np.abs(pick("gap"))
        gap = gap[np.isfinite(gap)]
        body = np.abs(pick("body"))
        wicks = np.concatenate([pick("upper"), pick("lower")])
        regime = pick("regime")
        gap_edge = float(np.quantile(gap, GAP_QUANTILE)) if len(gap) else 0.0
        body_edges = tuple(float(q) for q in np.quantile(body, BODY_QUANTILES))
        wick_edge = float(np.quantile(wicks, WICK_QUANTILE))
        regime_edges = tuple(float(q) for q in np.quantile(regime, REGIME_QUANTILES))
        g_out = _median(gap[gap > gap_edge], gap_edge)
        b_mid = _median(body[(body >= body_edges[0]) & (body < body_edges[1])], body_edges[0])
        b_out = _median(body[body >= body_edges[1]], body_edges[1])
        r_bin = np.digitize(regime, regime_edges)
        return cls(
            gap_edge=gap_edge,
            body_edges=body_edges,  # type: ignore[arg-type]
            wick_edge=wick_edge,
            regime_edges=regime_edges,  # type: ignore[arg-type]
            gap_centers=(-g_out, 0.0, g_out),
            body_centers=(-b_out, -b_mid, 0.0, b_mid, b_out),
            wick_centers=(
                _median(wicks[wicks < wick_edge], 0.0),
                _median(wicks[wicks >= wick_edge], wick_edge),
            ),
            regime_centers=tuple(_median(regime[r_bin == k], 0.0) for k in range(3)),  # type: ignore[arg-type]
        )

    def components(self, features: dict[str, np.ndarray]) -> tuple[np.ndarray, ...]:
        """The five bins of every bar: gap, body, upper, lower, regime (small ints)."""
        gap = features["gap"]
        g = np.where(gap > self.gap_edge, 2, np.where(gap < -self.gap_edge, 0, 1))  # NaN: 1
        body = features["body"]
        a = np.abs(body)
        size = np.digitize(a, self.body_edges)  # 0 doji, 1 normal, 2 strong
        b = np.where(body >= 0, 2 + size, 2 - size)
        u = (features["upper"] >= self.wick_edge).astype(np.int64)
        w = (features["lower"] >= self.wick_edge).astype(np.int64)
        r = np.digitize(features["regime"], self.regime_edges)
        return g, b, u, w, r

    def with_sessions(self) -> CandleTokenizer:
        """The same bins with the session-open tokens (vocabulary candle-s1)."""
        return replace(self, version=SESSION_VERSION)

    def encode(self, features: dict[str, np.ndarray]) -> np.ndarray:
        """Token ids (int16); -1 where the bar is still in warm-up (`valid` false).

        With candle-s1, `features["session_open"]` moves a session's first bar to 180+.
        """
        g, b, u, w, r = self.components(features)
        tokens = compose(g, b, u, w, r)
        if self.version == SESSION_VERSION:
            tokens = tokens + VOCAB_SIZE * np.asarray(features["session_open"], dtype=np.int64)
        valid = features.get("valid")
        if valid is not None:
            tokens = np.where(valid, tokens, -1)
        return tokens.astype(np.int16)

    # --- reading tokens back -----------------------------------------------------------

    @property
    def vocab_size(self) -> int:
        return 2 * VOCAB_SIZE if self.version == SESSION_VERSION else VOCAB_SIZE

    def inverse(self, tokens: np.ndarray) -> dict[str, np.ndarray]:
        """Representative features of each token: the training median inside each bin."""
        g, b, u, w, r = decompose(np.asarray(tokens) % VOCAB_SIZE)
        wick = np.asarray(self.wick_centers)
        return {
            "gap": np.asarray(self.gap_centers)[g],
            "body": np.asarray(self.body_centers)[b],
            "upper": wick[u],
            "lower": wick[w],
            "regime": np.asarray(self.regime_centers)[r],
        }

    def candles(
        self, tokens: np.ndarray, prev_close: np.ndarray, scale: np.ndarray
    ) -> dict[str, np.ndarray]:
        """Approximate OHLC rebuilt from tokens, the previous close and the scale."""
        f = self.inverse(tokens)
        o = prev_close * np.exp(f["gap"] * scale)
        c = o * np.exp(f["body"] * scale)
        return {
            "open": o,
            "high": np.maximum(o, c) * np.exp(f["upper"] * scale),
            "low": np.minimum(o, c) * np.exp(-f["lower"] * scale),
            "close": c,
        }

    # --- words and files ---------------------------------------------------------------

    def vocabulary(self) -> list[dict]:
        """Every token with its parts and a description in words."""
        out = [
            {"token": t, "words": describe(t)} | dict(zip(
                ("gap", "body", "upper_wick", "lower_wick", "regime"),
                (GAP[g], BODY[b], WICK[u], WICK[w], REGIME[r]), strict=True))
            for t, (g, b, u, w, r) in enumerate(zip(*decompose(np.arange(VOCAB_SIZE)),
                                                     strict=True))
        ]
        if self.version != SESSION_VERSION:
            return out
        return [e | {"session": SESSION[k]} | ({"token": e["token"] + k * VOCAB_SIZE,
                                                "words": describe(e["token"] + k * VOCAB_SIZE)})
                for k in (0, 1) for e in out]

    def to_dict(self) -> dict:
        return asdict(self) | {"vocab_size": self.vocab_size, "quantiles": {
            "gap": GAP_QUANTILE, "body": BODY_QUANTILES, "wick": WICK_QUANTILE,
            "regime": REGIME_QUANTILES}}

    @classmethod
    def from_dict(cls, data: dict) -> CandleTokenizer:
        if data.get("version") not in (VERSION, SESSION_VERSION):
            raise ValueError(f"tokenizer version {data.get('version')!r}, expected {VERSION!r} "
                             f"or {SESSION_VERSION!r}")
        fields = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()
                  if k in cls.__dataclass_fields__}
        return cls(**fields)


def compose(g, b, u, w, r) -> np.ndarray:
    """Token id from its five parts."""
    return (((np.asarray(g) * 5 + b) * 2 + u) * 2 + w) * 3 + r


def decompose(tokens: np.ndarray) -> tuple[np.ndarray, ...]:
    """The five parts (gap, body, upper, lower, regime) of each token id."""
    t = np.asarray(tokens, dtype=np.int64)
    t, r = np.divmod(t, 3)
    t, w = np.divmod(t, 2)
    t, u = np.divmod(t, 2)
    g, b = np.divmod(t, 5)
    return g, b, u, w, r


def mirror(tokens: np.ndarray) -> np.ndarray:
    """The token of the mirrored candle: gap and body flip sign, the wicks swap."""
    session, base = np.divmod(np.asarray(tokens, dtype=np.int64), VOCAB_SIZE)
    g, b, u, w, r = decompose(base)
    return compose(2 - g, 4 - b, w, u, r) + VOCAB_SIZE * session


def describe(token: int) -> str:
    """A token in words, e.g. 'gap up, strong rise, long upper wick, short lower wick, calm'."""
    session, base = divmod(int(token), VOCAB_SIZE)
    g, b, u, w, r = (int(x) for x in decompose(np.asarray(base)))
    words = (f"{GAP[g]}, {BODY[b]}, {WICK[u]} upper wick, {WICK[w]} lower wick, "
             f"{REGIME[r]} volatility")
    return f"session open: {words}" if session else words


def reconstruction_error(
    tokenizer: CandleTokenizer,
    features: dict[str, np.ndarray],
    tokens: np.ndarray,
    prev_close: np.ndarray,
    close: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
) -> dict[str, float]:
    """How far `inverse` lands from the real bars (only bars with a token and a gap)."""
    ok = (tokens >= 0) & np.isfinite(prev_close)
    if not ok.any():
        return {}
    approx = tokenizer.inverse(tokens[ok])
    out = {}
    for name in ("gap", "body", "upper", "lower"):
        real = features[name][ok]
        keep = np.isfinite(real)
        out[f"{name}_mae_scale_units"] = float(np.mean(np.abs(approx[name][keep] - real[keep])))
    rebuilt = tokenizer.candles(tokens[ok], prev_close[ok], features["scale"][ok])
    for name, real in (("close", close), ("high", high), ("low", low)):
        rel = np.abs(rebuilt[name] / real[ok] - 1.0) * 100
        out[f"{name}_median_abs_error_pct"] = float(np.median(rel))
    return out
