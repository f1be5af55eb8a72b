"""`dlip dataset build | card | show`: the candlestick dataset from the command line.

Heavy imports (pandas, pyarrow, matplotlib) happen inside the handlers, so `dlip --help`
stays quick. Bad input prints one line per problem and exits with status 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

BAD_INPUT = 2


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _fail(message: str) -> int:
    for line in message.splitlines():
        print(f"error: {line}", file=sys.stderr)
    return BAD_INPUT


def _cmd_build(args: argparse.Namespace) -> int:
    from dlip.market.dataset import build
    from dlip.market.errors import MarketDataError

    try:
        ds = build(args.sources, args.out, repair=args.repair)
    except MarketDataError as exc:
        return _fail(exc.summary() + "\nnothing was written")
    dropped = sum(len(s["dropped_rows"]) for s in ds.meta["sources"])
    print(f"wrote {args.out}: {len(ds.table):,} bars, {_count(len(ds.symbols), 'symbol')} "
          f"({', '.join(ds.symbols)}), vocabulary {ds.tokenizer.vocab_size}, "
          f"hash {ds.meta['content_hash'][:16]}")
    for s in ds.meta["sources"]:
        for line in s["dropped_rows"]:
            print(f"  {line}")
    if dropped:
        print(f"{dropped} row(s) dropped by --repair")
    return 0


def _cmd_card(args: argparse.Namespace) -> int:
    import json

    from dlip.market.card import card_dict, card_markdown
    from dlip.market.dataset import load_dataset
    from dlip.market.errors import MarketDataError

    try:
        card = card_dict(load_dataset(args.dir))
    except MarketDataError as exc:
        return _fail(exc.summary())
    print(json.dumps(card, indent=2) if args.json else card_markdown(card))
    return 0


def _cmd_show(args: argparse.Namespace) -> int:
    import pandas as pd

    from dlip.market.dataset import load_dataset
    from dlip.market.errors import MarketDataError
    from dlip.market.tokenizer import describe

    try:
        ds = load_dataset(args.dir)
    except MarketDataError as exc:
        return _fail(exc.summary())
    t = ds.table
    symbols = ds.symbols
    match = [s for s in symbols if s.lower() == args.symbol.lower()]
    if not match:
        return _fail(f"{args.dir}: no symbol {args.symbol!r} (symbols: {', '.join(symbols)})")
    rows = t[t["symbol"] == match[0]]
    ts = pd.DatetimeIndex(rows["timestamp"])
    for flag, text in (("--start", args.start), ("--end", args.end)):
        if text is None:
            continue
        try:
            when = pd.Timestamp(text)
            if ts.tz is not None and when.tz is None:
                when = when.tz_localize(ts.tz)
            if flag == "--start":
                keep = ts >= when
            else:  # the whole end day counts
                keep = ts < when + pd.Timedelta(days=1)
        except (ValueError, TypeError, OverflowError):
            return _fail(f"{flag}: not a usable date: {text!r}")
        rows, ts = rows[keep], ts[keep]
    if rows.empty:
        return _fail(f"{match[0]}: no bars between {args.start} and {args.end}")
    for r in rows.itertuples(index=False):
        words = describe(r.token) if r.token >= 0 else "(warm-up: no token)"
        print(f"{pd.Timestamp(r.timestamp).date()}  O {r.open:10.4f}  H {r.high:10.4f}  "
              f"L {r.low:10.4f}  C {r.close:10.4f}  {r.token:4d}  {r.split:7s}  {words}")
    if args.plot:
        from dlip.market.plots import chart_with_tokens

        if not args.plot.parent.is_dir():
            return _fail(f"{args.plot}: folder {args.plot.parent} does not exist")

        if len(rows) > 400:
            print(f"plotting the last 400 of {len(rows)} bars", file=sys.stderr)
        chart_with_tokens(rows.tail(400), args.plot, title=match[0])
        print(f"drew {args.plot}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "dataset",
        help="build and inspect the candlestick dataset",
        description="Build the candlestick dataset from packaged sources or your own "
        "CSV/Parquet files, print its card, show bars with their tokens.",
    )
    sub = parser.add_subparsers(dest="dataset_command", metavar="ACTION", required=True)

    p = sub.add_parser("build", help="build a dataset folder from sources",
                       description="Build a dataset folder. SOURCE is a packaged name "
                       "(sp500, nasdaq, aapl, ibm, msft, goog, msft_pmdarima, packaged, "
                       "synthetic, synthetic_planted) or a CSV/Parquet file.")
    p.add_argument("sources", nargs="+", metavar="SOURCE")
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="dataset folder")
    p.add_argument("--repair", action="store_true",
                   help="drop bad rows (each one reported) instead of failing")
    p.set_defaults(handler=_cmd_build)

    p = sub.add_parser("card", help="print the dataset card",
                       description="Print the dataset card as Markdown (or JSON).")
    p.add_argument("dir", type=Path, metavar="DIR")
    p.add_argument("--json", action="store_true", help="print the JSON card")
    p.set_defaults(handler=_cmd_card)

    p = sub.add_parser("show", help="print bars with their tokens",
                       description="Print one symbol's bars with tokens between two dates.")
    p.add_argument("dir", type=Path, metavar="DIR")
    p.add_argument("--symbol", required=True, metavar="S")
    p.add_argument("--start", metavar="D", help="first date (inclusive)")
    p.add_argument("--end", metavar="D", help="last date (inclusive)")
    p.add_argument("--plot", type=Path, metavar="FILE", help="draw the bars into a PNG")
    p.set_defaults(handler=_cmd_show)
