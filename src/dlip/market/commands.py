"""`dlip dataset build | card | show`: the candlestick dataset from the command line.

Heavy imports (pandas, pyarrow, matplotlib) happen inside the handlers, so `dlip --help`
stays quick. Bad input prints one line per problem and exits with status 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dlip.outputs import fail as _fail
from dlip.outputs import output_problem


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _cmd_build(args: argparse.Namespace) -> int:
    from dlip.market.dataset import write_dataset
    from dlip.market.errors import MarketDataError

    try:
        card = write_dataset(args.sources, args.out, repair=args.repair, engine=args.engine,
                             address=args.address)
    except MarketDataError as exc:
        return _fail(exc.summary() + "\nnothing was written")
    symbols = [s["symbol"] for s in card["symbols"]]
    shown = ", ".join(symbols[:10]) + (f", ... ({len(symbols) - 10} more)"
                                       if len(symbols) > 10 else "")
    print(f"wrote {args.out}: {card['bars_total']:,} bars, {_count(len(symbols), 'symbol')} "
          f"({shown}), vocabulary {card['vocab_size']}, hash {card['content_hash'][:16]}")
    dropped = [line for s in card["sources"] for line in s["dropped_rows"]]
    for line in dropped:
        print(f"  {line}")
    if dropped:
        print(f"{len(dropped)} row(s) dropped by --repair")
    return 0


def _cmd_card(args: argparse.Namespace) -> int:
    import json

    from dlip.market.card import card_markdown
    from dlip.market.dataset import read_meta, read_tokenizer
    from dlip.market.errors import MarketDataError
    from dlip.market.layout import CARD_JSON

    try:
        read_meta(args.dir)
        read_tokenizer(args.dir)
        card = json.loads((args.dir / CARD_JSON).read_text(encoding="utf-8"))
        text = json.dumps(card, indent=2) if args.json else card_markdown(card)
    except MarketDataError as exc:
        return _fail(exc.summary())
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return _fail(f"{args.dir}: broken {CARD_JSON} ({type(exc).__name__}: {exc})")
    print(text)
    return 0


def _cmd_show(args: argparse.Namespace) -> int:
    import pandas as pd

    from dlip.market.dataset import iter_partitions, read_meta, read_tokenizer
    from dlip.market.errors import MarketDataError
    from dlip.market.tokenizer import describe

    if args.plot is not None and (problem := output_problem(args.plot, "--plot", True)):
        return _fail(problem)
    try:
        meta = read_meta(args.dir)
        read_tokenizer(args.dir)
        symbols = [p["symbol"] for p in meta.get("partitions", [])] or [
            s["symbol"] for s in meta["sources"]]
        match = [s for s in symbols if s.lower() == args.symbol.lower()]
        if not match:
            return _fail(f"{args.dir}: no symbol {args.symbol!r} (symbols: "
                         f"{', '.join(symbols[:20])}{' ...' if len(symbols) > 20 else ''})")
        if "partitions" in meta:
            meta = meta | {"partitions": [p for p in meta["partitions"]
                                          if p["symbol"] == match[0]]}
        frames = [f[f["symbol"] == match[0]] for f in iter_partitions(args.dir, meta=meta)]
        rows = pd.concat(frames, ignore_index=True)
    except MarketDataError as exc:
        return _fail(exc.summary())
    except (KeyError, TypeError, ValueError) as exc:
        return _fail(f"{args.dir}: broken dataset ({type(exc).__name__}: {exc})")
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

        if len(rows) > 400:
            print(f"plotting the last 400 of {len(rows)} bars", file=sys.stderr)
        try:
            chart_with_tokens(rows.tail(400), args.plot, title=match[0])
        except (OSError, ValueError) as exc:
            return _fail(f"--plot {args.plot}: could not write the image ({exc})")
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
                   help="drop bad rows (each one reported) instead of failing; reads each "
                   "file whole")
    p.add_argument("--engine", choices=("embedded", "ray"), default="embedded",
                   help="embedded (default): stream on this machine; ray: run the per-symbol "
                   "steps as Ray Data tasks (pip install dlip[scale])")
    p.add_argument("--address", metavar="ADDR",
                   help="with --engine ray: the cluster to join (e.g. 10.0.0.5:6379); "
                   "default: a local Ray started for this build")
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
