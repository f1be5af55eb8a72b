"""`dlip patterns fit | search | predict`: similar past situations and next-move odds.

Heavy imports (torch, pandas) happen inside the handlers, so `dlip --help` stays quick.
Bad input prints one line per problem and exits with status 2; nothing is half-written.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from dlip.outputs import fail as _fail
from dlip.outputs import output_problem

SIZES = ("small", "tiny")


def _load_dataset(folder: Path):
    from dlip.market.dataset import load_dataset

    return load_dataset(folder)


def _model_and_dataset(args: argparse.Namespace):
    """(model, dataset) of `search` and `predict`, or the exit status after a one-line error."""
    from dlip.market.errors import MarketDataError
    from dlip.patterns.model import ModelError, PatternModel

    try:
        return PatternModel.load(args.model), _load_dataset(args.dataset)
    except (ModelError, MarketDataError) as exc:
        return _fail(exc.summary() if isinstance(exc, MarketDataError) else str(exc))


def _cmd_fit(args: argparse.Namespace) -> int:
    from dlip.market.errors import MarketDataError
    from dlip.patterns.model import fit
    from dlip.patterns.train import FitSettings

    try:
        ds = _load_dataset(args.dataset)
    except MarketDataError as exc:
        return _fail(exc.summary() + "\nnothing was written")
    except (OSError, ValueError) as exc:
        return _fail(f"{args.dataset}: unreadable dataset ({exc})\nnothing was written")
    settings = FitSettings.tiny() if args.size == "tiny" else FitSettings()
    try:
        model = fit(ds, seed=args.seed, settings=settings, progress=None)
    except ValueError as exc:
        return _fail(f"{args.dataset}: {exc}\nnothing was written")
    model.save(args.out)
    r = model.report
    print(f"wrote {args.out}: fitted in {r['fit_seconds']:.0f} s (seed {args.seed})")
    if "pretrain_val_perplexity_tokens_only" in r:
        ng = r["ngram_val_bits_per_token"]
        print(f"candle language model, validation: perplexity "
              f"{r['pretrain_val_perplexity_tokens_only']:.1f} tokens only "
              f"({r['pretrain_val_bits_per_token_tokens_only']:.3f} bits/token), "
              f"{r['pretrain_val_perplexity_with_context']:.1f} with context "
              f"({r['pretrain_val_bits_per_token_with_context']:.3f} bits/token); "
              f"token n-grams {ng['unigram']:.3f} / {ng['bigram']:.3f} / "
              f"{ng['trigram']:.3f} bits/token (1/2/3-gram)")
    return 0


def _pick_row(table, symbol: str, date: str) -> tuple[int | None, str]:
    import numpy as np
    import pandas as pd

    names = list(dict.fromkeys(table["symbol"]))
    match = [s for s in names if s.lower() == symbol.lower()]
    if not match:
        return None, f"no symbol {symbol!r} (symbols: {', '.join(names)})"
    try:
        when = pd.Timestamp(date)
    except (ValueError, TypeError, OverflowError):
        return None, f"--date: not a usable date: {date!r}"
    ts = pd.DatetimeIndex(table["timestamp"])
    if ts.tz is not None and when.tz is None:
        when = when.tz_localize(ts.tz)
    rows = np.flatnonzero((table["symbol"].to_numpy() == match[0])
                          & (ts < when + pd.Timedelta(days=1)))
    if len(rows) == 0:
        return None, f"{match[0]}: no bar on or before {date}"
    return int(rows[-1]), ""


def _fmt_day(t) -> str:
    import pandas as pd

    t = pd.Timestamp(t)
    return str(t.date()) if t == t.normalize() else str(t)


def _cmd_search(args: argparse.Namespace) -> int:
    import numpy as np

    from dlip.patterns.model import NOT_MEASURED, read_verdict
    from dlip.patterns.targets import RANGE_CLASSES
    from dlip.patterns.windows import Prepared

    if args.k < 1:
        return _fail(f"--k must be at least 1, got {args.k}")
    if args.plot is not None and (problem := output_problem(args.plot, "--plot", True)):
        return _fail(problem)
    loaded = _model_and_dataset(args)
    if isinstance(loaded, int):
        return loaded
    model, ds = loaded
    row, why = _pick_row(ds.table, args.symbol, args.date)
    if row is None:
        return _fail(f"{args.dataset}: {why}")
    prep = Prepared(ds)
    t = ds.table
    ctx = model.settings.context
    idx, sims = model.neighbours(prep, np.array([row]), k=args.k, variant=args.variant)
    idx, sims = idx[0], sims[0]
    found = idx[idx >= 0]
    first = max(int(prep.starts[row]), row - ctx + 1)
    print(f"{t['symbol'].iloc[row]} {_fmt_day(t['timestamp'].iloc[row])}: the window of "
          f"{row - first + 1} bars from {_fmt_day(t['timestamp'].iloc[first])}, "
          f"{args.variant} embedding; analogs whose next bar closed at least "
          f"{prep.embargo} dates before")
    if len(found) == 0:
        print("no past window is old enough to be an analog")
    else:
        print(f"{'#':>3}  {'symbol':<14} {'window':<25} {'similarity':>10}  "
              f"{'next':<5} {'return':>8}  range")
    for n, (r, s) in enumerate(zip(idx, sims, strict=True), start=1):
        if r < 0:
            continue
        a = max(int(prep.starts[r]), r - ctx + 1)
        up = "up" if prep.next_up[r] == 1 else "down"
        print(f"{n:>3}  {t['symbol'].iloc[r]:<14} {_fmt_day(t['timestamp'].iloc[a])} .. "
              f"{_fmt_day(t['timestamp'].iloc[r]):<11} {s:>10.4f}  {up:<5} "
              f"{100 * prep.next_return[r]:>+7.2f}%  {RANGE_CLASSES[prep.range_class[r]]}")
    if len(found):
        ups = float(np.mean(prep.next_up[found] == 1))
        rc = np.bincount(prep.range_class[found], minlength=3) / len(found)
        q = np.quantile(prep.next_return[found], (0.1, 0.5, 0.9)) * 100
        print(f"among these {len(found)}: P(up) {ups:.2f}; P(range low/mid/high) "
              f"{rc[0]:.2f}/{rc[1]:.2f}/{rc[2]:.2f}; next return 10%/50%/90% quantiles "
              f"{q[0]:+.2f}% / {q[1]:+.2f}% / {q[2]:+.2f}%")
    comp = model.components(prep, np.array([row]), args.variant)
    p_up, p_rng = model.combine(comp, args.variant, calibrated=True)
    print(f"model (heads and {model.settings.k} analogs, calibrated on validation): "
          f"P(up) {p_up[0]:.2f}; P(range low/mid/high) {p_rng[0, 0]:.2f}/"
          f"{p_rng[0, 1]:.2f}/{p_rng[0, 2]:.2f}")
    verdict = read_verdict(args.model)
    print("edge on held-out data: " + "; ".join(
        f"{target}: {verdict.get(target, NOT_MEASURED)}" for target in ("direction", "range")))
    if prep.next_up[row] >= 0:
        print(f"what happened next (not used): "
              f"{'up' if prep.next_up[row] == 1 else 'down'} "
              f"{100 * prep.next_return[row]:+.2f}%, range "
              f"{RANGE_CLASSES[prep.range_class[row]]}")
    if args.plot:
        from dlip.patterns.plots import analog_chart

        q_rows = np.arange(first, row + 1)
        windows, titles = [], []
        for r, s in zip(idx, sims, strict=True):
            if r < 0:
                continue
            a = max(int(prep.starts[r]), r - ctx + 1)
            windows.append(np.arange(a, r + 1))
            titles.append(f"{t['symbol'].iloc[r]} to {_fmt_day(t['timestamp'].iloc[r])} "
                          f"(sim {s:.2f})")
        analog_chart(t, q_rows, windows, titles,
                     f"query: {t['symbol'].iloc[row]} to {_fmt_day(t['timestamp'].iloc[row])}",
                     args.plot)
        print(f"drew {args.plot}")
    return 0


def _cmd_predict(args: argparse.Namespace) -> int:
    from dlip import atomic
    from dlip.patterns.targets import check_predictions

    if problem := output_problem(args.out, "--out"):
        return _fail(problem)
    loaded = _model_and_dataset(args)
    if isinstance(loaded, int):
        return loaded
    model, ds = loaded
    frame = model.predict(ds, split=args.split, variant=args.variant)
    if frame.empty:
        return _fail(f"{args.dataset}: no bars in the {args.split} split")
    check_predictions(frame)
    atomic.write_with(args.out, lambda tmp: frame.to_parquet(tmp, index=False))
    print(f"wrote {args.out}: {len(frame):,} {args.split} bars, {args.variant} model")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "patterns",
        help="search history for similar situations; next-move probabilities",
        description="Fit a Transformer on a candlestick dataset, search the past for the "
        "situations most like a given day, and write calibrated next-move probabilities.",
    )
    sub = parser.add_subparsers(dest="patterns_command", metavar="ACTION", required=True)

    p = sub.add_parser("fit", help="pretrain and fine-tune a pattern model",
                       description="Pretrain on the training split's candles, fine-tune the "
                       "window embedding for search, calibrate on validation.")
    p.add_argument("dataset", type=Path, metavar="DATASET", help="a `dlip dataset build` folder")
    p.add_argument("--out", type=Path, required=True, metavar="MODEL", help="model folder")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--size", choices=SIZES, default="small",
                   help="model size: small (default) or tiny (seconds, for smoke tests)")
    p.set_defaults(handler=_cmd_fit)

    variant = {"choices": ("finetuned", "pretrained"), "default": "finetuned",
               "help": "which embedding: finetuned (default) or the pretrained-only one"}
    p = sub.add_parser("search", help="the k most similar past situations of one day",
                       description="Find the past windows most like the one ending on DATE, "
                       "what followed them, and the model's calibrated probabilities.")
    p.add_argument("model", type=Path, metavar="MODEL")
    p.add_argument("dataset", type=Path, metavar="DATASET")
    p.add_argument("--symbol", required=True, metavar="S")
    p.add_argument("--date", required=True, metavar="D",
                   help="the day (the last bar on or before it is the query)")
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--plot", type=Path, metavar="FILE", help="draw the analogs into a PNG")
    p.add_argument("--variant", **variant)
    p.set_defaults(handler=_cmd_search)

    p = sub.add_parser("predict", help="next-move probabilities for every bar of a split",
                       description="Write p_up, p_range_low/mid/high and latest_analog for "
                       "every bar of a split to a Parquet file.")
    p.add_argument("model", type=Path, metavar="MODEL")
    p.add_argument("dataset", type=Path, metavar="DATASET")
    p.add_argument("--out", type=Path, required=True, metavar="FILE")
    p.add_argument("--split", choices=("test", "val"), default="test")
    p.add_argument("--variant", **variant)
    p.set_defaults(handler=_cmd_predict)
