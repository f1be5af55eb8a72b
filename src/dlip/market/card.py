"""The dataset card: what is in the dataset, where it came from, and how it is balanced.

`card_dict` gathers the facts once (the JSON card, for code); `card_markdown` only
formats them (the Markdown card, for the site), so the two never disagree.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dlip.market.splits import SPLITS
from dlip.market.tokenizer import (
    BODY,
    GAP,
    REGIME,
    SESSION_VERSION,
    VOCAB_SIZE,
    WICK,
    describe,
)


def train_token_counts(table: pd.DataFrame) -> np.ndarray:
    """How often each token occurs on training bars (warm-up bars carry no token)."""
    tokens = table["token"].to_numpy()
    train = (table["split"] == "train").to_numpy() & (tokens >= 0)
    return np.bincount(tokens[train], minlength=max(VOCAB_SIZE, int(tokens.max()) + 1))


def _entropy_bits(counts: np.ndarray) -> float:
    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log2(p)).sum())


def _date(ts) -> str:
    return str(pd.Timestamp(ts).date()) if pd.notna(ts) else ""


class CardStats:
    """The card's per-symbol and per-split facts, gathered from the table in pieces.

    Pieces are consecutive rows of one symbol (a whole table grouped by symbol, or the
    row batches of a partitioned dataset), so a card never needs the whole table.
    """

    def __init__(self, warmup: int, vocab_size: int = VOCAB_SIZE) -> None:
        self.warmup = warmup
        self.vocab_size = vocab_size
        self.symbols: dict[str, dict] = {}
        self.counts = np.zeros(vocab_size, dtype=np.int64)
        self.balance = {s: np.zeros(5, dtype=np.int64) for s in SPLITS}  # n, up, r0, r1, r2

    def add(self, piece) -> None:
        """Add consecutive rows of one symbol (a frame, or a dict of numpy columns)."""
        col = {k: np.asarray(piece[k]) for k in ("symbol", "valid", "gap_masked", "split",
                                                 "token", "target_in_split", "position",
                                                 "next_direction", "next_range_bucket")}
        ts = piece["timestamp"]
        if isinstance(ts, pd.Series) and isinstance(ts.dtype, pd.DatetimeTZDtype):
            ts = ts.dt.tz_convert("UTC").dt.tz_localize(None)
        ts = np.asarray(ts).astype("datetime64[ns]")
        sym = str(col["symbol"][0])
        row = self.symbols.setdefault(sym, {"symbol": sym, "bars": 0, "first": ts[0],
                                            "last": None, "gap_masked_bars": 0,
                                            "gap_masked_last": None, "warmup_bars": 0})
        row["bars"] += len(ts)
        row["last"] = ts[-1]
        valid = col["valid"]
        masked = col["gap_masked"] & valid
        row["gap_masked_bars"] += int(masked.sum())
        if masked.any():
            row["gap_masked_last"] = ts[masked].max()
        row["warmup_bars"] += int((~valid).sum())
        split = col["split"]
        for s in (*SPLITS, "embargo"):
            part = ts[split == s]
            row[f"{s}_bars"] = row.get(f"{s}_bars", 0) + len(part)
            if len(part):
                row.setdefault(f"{s}_first", part.min())
                row[f"{s}_last"] = part.max()
        tokens = col["token"]
        train = (split == "train") & (tokens >= 0)
        self.counts += np.bincount(tokens[train], minlength=self.vocab_size)
        ok = col["target_in_split"] & (col["position"] >= self.warmup)
        d, r = col["next_direction"], col["next_range_bucket"]
        for s in SPLITS:
            ex = ok & (split == s)
            self.balance[s] += [ex.sum(), d[ex].sum(), *((r[ex] == k).sum() for k in range(3))]

    def merge(self, other: CardStats) -> None:
        """Add another CardStats of other symbols (partitions built apart)."""
        self.symbols.update(other.symbols)
        self.counts += other.counts
        for s in SPLITS:
            self.balance[s] += other.balance[s]

    def symbol_rows(self) -> list[dict]:
        out = []
        for row in self.symbols.values():
            fixed = {k: row[k] for k in ("symbol", "bars")}
            fixed |= {"first": _date(row["first"]), "last": _date(row["last"]),
                      "gap_masked_bars": row["gap_masked_bars"],
                      "gap_masked_last": _date(row["gap_masked_last"])
                      if row["gap_masked_last"] is not None else "",
                      "warmup_bars": row["warmup_bars"]}
            for s in (*SPLITS, "embargo"):
                fixed[f"{s}_bars"] = int(row.get(f"{s}_bars", 0))
                if s != "embargo":
                    fixed[f"{s}_first"] = _date(row[f"{s}_first"]) if f"{s}_first" in row else ""
                    fixed[f"{s}_last"] = _date(row[f"{s}_last"]) if f"{s}_last" in row else ""
            out.append(fixed)
        return out

    def class_balance(self) -> dict:
        out = {}
        for s, (n, up, *r) in self.balance.items():
            out[s] = {"examples": int(n),
                      "next_up_share": float(up / n) if n else None,
                      "next_range_bucket_shares": [float(x / n) if n else None for x in r]}
        return out


def card_from_stats(stats: CardStats, meta: dict, tokenizer_dict: dict) -> dict:
    """Every fact the card states, as plain JSON-ready data."""
    counts = stats.counts
    top = np.argsort(-counts, kind="stable")[:10]
    return {
        "title": "Candlestick dataset",
        "format": meta["format"],
        "tokenizer_version": meta["tokenizer_version"],
        "content_hash": meta["content_hash"],
        "inputs": meta.get("inputs", []),
        "bars_total": int(sum(r["bars"] for r in stats.symbols.values())),
        "symbols": stats.symbol_rows(),
        "sources": meta["sources"],
        "cuts": meta["cuts"],
        "settings": meta["settings"],
        "class_balance": stats.class_balance(),
        "vocab_size": stats.vocab_size,
        "tokens_used_in_train": int((counts > 0).sum()),
        "token_entropy_bits_train": _entropy_bits(counts) if counts.any() else None,
        "max_entropy_bits": float(np.log2(stats.vocab_size)),
        "top_tokens_train": [
            {"token": int(k), "share": float(counts[k] / max(counts.sum(), 1)),
             "words": describe(int(k))} for k in top
        ],
        **({"session_gap_minutes": meta["session_gap_minutes"]}
           if "session_gap_minutes" in meta else {}),
        "tokenizer": tokenizer_dict,
        "reconstruction_error": meta["reconstruction_error"],
        "return_bucket_edges": meta["return_bucket_edges"],
        "range_bucket_edges": meta["range_bucket_edges"],
    }


def card_dict(dataset) -> dict:
    """The card of a dataset held in memory (`Dataset`)."""
    stats = CardStats(dataset.meta["settings"]["features"]["warmup"],
                      dataset.tokenizer.vocab_size)
    t = dataset.table
    symbols = t["symbol"].to_numpy()
    if len(t):
        starts = np.flatnonzero(np.r_[True, symbols[1:] != symbols[:-1]])
        for a, b in zip(starts, np.r_[starts[1:], len(t)], strict=True):
            stats.add(t.iloc[a:b])
    return card_from_stats(stats, dataset.meta, dataset.tokenizer.to_dict())


def _span(row: dict, split: str) -> str:
    """'1,723 (1999-01-04 to 2005-11-07)' for one symbol and split."""
    n = row[f"{split}_bars"]
    return f"{n:,} ({row[f'{split}_first']} to {row[f'{split}_last']})" if n else "0"


def _table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def card_markdown(card: dict) -> str:
    """The card as a Markdown page."""
    tok = card["tokenizer"]
    cuts = card["cuts"]
    n_symbols = len(card["symbols"])
    out = [
        f"# {card['title']}",
        "",
        f"{card['bars_total']:,} bars of {n_symbols} symbol{'' if n_symbols == 1 else 's'}, "
        "one token per bar "
        f"from a vocabulary of {card['vocab_size']} (tokenizer `{card['tokenizer_version']}`). "
        f"Content hash `{card['content_hash'][:16]}`.",
        "",
        "## Sources and licences",
        "",
        _table(["symbol", "source", "licence", "notes"], [
            [s["symbol"], f"`{s['source']}`", s["licence"], " ".join(s["notes"]) or ""]
            for s in card["sources"]]),
        "",
        "## Bars per symbol and split",
        "",
        f"Splits are cut at the same dates for every symbol: training before "
        f"{cuts['train_end'][:10]}, validation from {cuts['val_start'][:10]} to before "
        f"{cuts['val_end'][:10]}, test from {cuts['test_start'][:10]}. The "
        f"{card['settings']['splits']['embargo']} dates between are an embargo that "
        "belongs to no split. The first "
        f"{card['settings']['features']['warmup']} bars of each symbol have no token "
        "(the volatility scale is still settling).",
        "",
        _table(["symbol", "bars", "first", "last", "train", "val", "test", "embargo",
                "gap masked"], [
            [s["symbol"], f"{s['bars']:,}", s["first"], s["last"],
             *(_span(s, split) for split in SPLITS), s["embargo_bars"],
             f"{s['gap_masked_bars']:,}" + (f" (last {s['gap_masked_last']})"
                                            if s["gap_masked_bars"] else "")]
            for s in card["symbols"]]),
        "",
        "The gap is masked where most of the last "
        f"{card['settings']['features']['artifact_window']} bars opened exactly at the "
        "previous close: the source recorded no real open there.",
        "",
    ]
    dropped = [(s["symbol"], d) for s in card["sources"] for d in s["dropped_rows"]]
    out += ["## Repaired rows", ""]
    if dropped:
        out += [f"{len(dropped)} row(s) dropped by `--repair`:", ""]
        out += [f"- {sym}: {d}" for sym, d in dropped[:50]]
        if len(dropped) > 50:
            out.append(f"- ... and {len(dropped) - 50} more (see card.json)")
    else:
        out.append("None: every row passed validation.")
    out += ["", "## Class balance (examples whose target stays inside their split)", ""]
    out.append(_table(["split", "examples", "next bar up", "range small / mid / large"], [
        [s, f"{b['examples']:,}",
         f"{b['next_up_share']:.3f}" if b["next_up_share"] is not None else "",
         " / ".join(f"{x:.2f}" for x in b["next_range_bucket_shares"] if x is not None)]
        for s, b in card["class_balance"].items()]))
    out += [
        "",
        "## The vocabulary",
        "",
        "A token is five choices: gap (" + ", ".join(GAP) + "), body (" + ", ".join(BODY)
        + "), upper wick and lower wick (" + ", ".join(WICK) + "), and volatility regime ("
        + ", ".join(REGIME) + "). Every size is measured in units of the bar's trailing "
        "volatility scale, so a token means the same on a quiet index and a wild stock."
        + (" Intraday bars (vocabulary `candle-s1`) add a session-open copy of every token "
           f"(ids {VOCAB_SIZE} and up) for the first bar after a break of more than "
           f"{card.get('session_gap_minutes', 30)} minutes, so no window crosses a session "
           "break unmarked." if card["tokenizer_version"] == SESSION_VERSION else ""),
        "",
        f"Edges fitted on training bars only: no gap below |gap| {tok['gap_edge']:.3f}; doji "
        f"below |body| {tok['body_edges'][0]:.3f}, strong above {tok['body_edges'][1]:.3f}; "
        f"long wick from {tok['wick_edge']:.3f}; regime edges "
        f"{tok['regime_edges'][0]:.3f} and {tok['regime_edges'][1]:.3f} (log of fast over "
        "slow volatility).",
        "",
        f"Token entropy on training bars: {card['token_entropy_bits_train']:.2f} bits "
        f"(at most {card['max_entropy_bits']:.2f}); {card['tokens_used_in_train']} of "
        f"{card['vocab_size']} tokens occur.",
        "",
        _table(["token", "share of training bars", "in words"], [
            [t["token"], f"{t['share']:.3f}", t["words"]] for t in card["top_tokens_train"]]),
        "",
        "## How well tokens rebuild candles",
        "",
        "Turning each token back into a candle (the training median inside each bin) and "
        "comparing with the real bar:",
        "",
        _table(["measure", "value"], [[k.replace("_", " "), f"{v:.3f}"]
                                      for k, v in card["reconstruction_error"].items()]),
        "",
    ]
    return "\n".join(out)
