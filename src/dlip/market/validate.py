"""Check a table of bars and report every problem in one pass: where, which row, why.

The checks run on whole columns at once, so a file with ten bad rows gets ten lines
back, not one error and a second run. `repair=True` drops the rows it must (and sorts
rows that are out of time order) and reports each dropped row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from dlip.market.errors import Problem

REQUIRED = ("timestamp", "open", "high", "low", "close")
PRICES = ("open", "high", "low", "close")

# Column names as brokers, spreadsheets and quote sites export them, compared after
# lower-casing and dropping everything but letters: "Adj Close", "adj_close", "<DATE>".
ALIASES = {
    "date": "timestamp",
    "datetime": "timestamp",
    "timestamp": "timestamp",
    "time": "time",
    "open": "open",
    "high": "high",
    "low": "low",
    "close": "close",
    "last": "close",
    "adjclose": "adj_close",
    "adjustedclose": "adj_close",
    "volume": "volume",
    "vol": "volume",
    "tickvol": "volume",
    "symbol": "symbol",
    "ticker": "symbol",
}


def column_names(columns) -> dict:
    """{given name: standard name} for every known column (the first of each kind)."""
    renamed: dict = {}
    for column in columns:
        key = re.sub(r"[^a-z]", "", str(column).lower())
        new = ALIASES.get(key)
        if new and new not in renamed.values():
            renamed[column] = new
    return renamed


def normalize_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Rename known columns to the standard names; a separate Time column joins Date."""
    renamed = column_names(frame.columns)
    out = frame.rename(columns=renamed)[list(renamed.values())]
    if "time" in out.columns:
        if "timestamp" in out.columns:
            out["timestamp"] = out["timestamp"].astype(str) + " " + out["time"].astype(str)
        else:
            out = out.rename(columns={"time": "timestamp"})
        out = out.drop(columns="time", errors="ignore")
    return out


OFFSET = r"(?:Z|[+-]\d\d:?\d\d)$"  # a UTC offset at the end of a timestamp


def mixed_timezones(raw: pd.Series) -> np.ndarray | None:
    """Rows whose timestamp carries a UTC offset, when others carry none; else None."""
    if pd.api.types.is_datetime64_any_dtype(raw):
        return None
    text = raw.astype("string").str.strip()
    aware = text.str.contains(OFFSET, regex=True).fillna(False).to_numpy(dtype=bool)
    naive = (~aware) & text.notna().to_numpy()
    if aware.any() and naive.any():
        return aware
    return None


@dataclass
class Checked:
    """The typed bars that passed, and every problem found (or every row dropped)."""

    bars: pd.DataFrame | None
    problems: list[Problem] = field(default_factory=list)
    dropped: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _parse_timestamps(raw: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(raw):
        return raw
    text = raw.astype("string")
    try:
        parsed = pd.to_datetime(text, errors="coerce")
    except (ValueError, TypeError):  # mixed UTC offsets (daylight saving): keep them, in UTC
        parsed = pd.to_datetime(text, errors="coerce", utc=True)
    if parsed.dtype == object:
        parsed = pd.to_datetime(text, errors="coerce", utc=True)
    return parsed


def check_bars(
    raw: pd.DataFrame,
    source: str,
    *,
    row_label: str = "line",
    first_row: int = 2,
    repair: bool = False,
) -> Checked:
    """Validate `raw` (columns already normalized) and return typed bars or the problems.

    `first_row` is the number the first data row carries in messages: 2 for a CSV file
    whose line 1 is the header.
    """
    if len(raw) == 0:
        return Checked(None, [Problem(source, "no rows of bars (empty file or header only)")])
    missing = [c for c in REQUIRED if c not in raw.columns]
    if missing:
        found = ", ".join(map(str, raw.columns)) or "none"
        reason = f"missing column(s): {', '.join(missing)} (found: {found})"
        return Checked(None, [Problem(source, reason)])

    rows = np.arange(len(raw)) + first_row
    reasons: list[list[str]] = [[] for _ in range(len(raw))]

    def flag(mask: np.ndarray, message) -> None:
        for i in np.flatnonzero(mask):
            reasons[i].append(message(i))

    raw_ts = raw["timestamp"]
    mixed = mixed_timezones(raw_ts)
    if mixed is not None:
        first_naive = int(np.flatnonzero(~mixed)[0])
        flag(mixed, lambda i: f"timezone-aware timestamp {raw_ts.iloc[i]!r} mixed with naive "
             f"ones ({row_label} {rows[first_naive]} is {raw_ts.iloc[first_naive]!r})")
        stamps = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
        stamps[~mixed] = _parse_timestamps(raw_ts[~mixed])
        unparsed = stamps.isna() & raw_ts.notna() & ~mixed
    else:
        stamps = _parse_timestamps(raw_ts)
        unparsed = stamps.isna() & raw_ts.notna()
    flag(raw_ts.isna().to_numpy(), lambda i: "missing timestamp")
    flag(unparsed.to_numpy(), lambda i: f"unparseable timestamp {raw_ts.iloc[i]!r}")

    values: dict[str, np.ndarray] = {}
    for col in (*PRICES, "volume", "adj_close"):
        if col not in raw.columns:
            continue
        numbers = pd.to_numeric(raw[col], errors="coerce").to_numpy(dtype=float)
        raw_col = raw[col]
        is_missing = raw_col.isna().to_numpy()
        flag(is_missing, lambda i, c=col: f"{c} is missing (NaN)")
        flag(
            np.isnan(numbers) & ~is_missing,
            lambda i, c=col, r=raw_col: f"{c} is not a number: {r.iloc[i]!r}",
        )
        flag(np.isinf(numbers), lambda i, c=col, v=numbers: f"{c} is infinite ({v[i]:g})")
        if col == "volume":
            flag(numbers < 0, lambda i, v=numbers: f"negative volume {v[i]:g}")
        else:
            flag(numbers <= 0, lambda i, c=col, v=numbers: f"non-positive {c} {v[i]:g}")
        values[col] = numbers

    o, h, lo, c = (values[k] for k in PRICES)
    top, bottom = np.fmax(o, c), np.fmin(o, c)
    with np.errstate(invalid="ignore"):
        flag(h < top, lambda i: f"high {h[i]:g} is below max(open, close) {top[i]:g}")
        flag(lo > bottom, lambda i: f"low {lo[i]:g} is above min(open, close) {bottom[i]:g}")

    symbols = (
        raw["symbol"].astype("string").fillna("").to_numpy()
        if "symbol" in raw.columns
        else np.full(len(raw), "", dtype=object)
    )
    ts = stamps.to_numpy()
    ok_ts = ~pd.isna(ts)
    frame = pd.DataFrame({"sym": symbols, "ts": stamps, "row": rows})
    valid = frame[ok_ts]
    dup = valid.duplicated(["sym", "ts"], keep="first")
    first_seen = valid.drop_duplicates(["sym", "ts"]).set_index(["sym", "ts"])["row"]
    for i in valid.index[dup.to_numpy()]:
        first = first_seen.loc[(frame.at[i, "sym"], frame.at[i, "ts"])]
        reasons[i].append(f"duplicate timestamp {frame.at[i, 'ts']} (first on {row_label} {first})")
    previous = valid.groupby("sym", sort=False)["ts"].shift(1)
    earlier = (valid["ts"] < previous).to_numpy()
    unsorted_rows = valid.index[earlier]
    if not repair:
        for i in unsorted_rows:
            reasons[i].append(
                f"timestamp {frame.at[i, 'ts']} is earlier than the row before ({previous.at[i]})"
            )

    problems = [
        Problem(source, reason, int(rows[i]), row_label)
        for i in range(len(raw))
        for reason in reasons[i]
    ]
    bars = pd.DataFrame({"timestamp": stamps})
    if "symbol" in raw.columns:
        bars.insert(0, "symbol", symbols)
    for col, numbers in values.items():
        bars[col] = numbers
    if "volume" not in bars.columns:
        bars["volume"] = np.nan

    notes: list[str] = []
    if not repair:
        return Checked(None if problems else bars, problems)

    bad = np.array([bool(r) for r in reasons])
    dropped = [
        Problem(source, "dropped: " + "; ".join(reasons[i]), int(rows[i]), row_label)
        for i in np.flatnonzero(bad)
    ]
    kept = bars[~bad]
    if len(unsorted_rows):
        notes.append(f"{source}: sorted {len(unsorted_rows)} row(s) that were out of time order")
        keys = ["symbol", "timestamp"] if "symbol" in kept.columns else ["timestamp"]
        kept = kept.sort_values(keys, kind="stable")
    if len(kept) == 0:
        return Checked(None, [Problem(source, "no valid rows left after repair")], dropped)
    return Checked(kept.reset_index(drop=True), [], dropped, notes)
