"""The candle dataset at scale: bars per second and peak memory, embedded and Ray Data.

Synthetic markets of many symbols (daily and 1-minute bars) are written as one CSV, then
built with `dlip dataset build` in a fresh subprocess whose whole process tree is sampled
for memory (`ru_maxrss` of the build process too, for the embedded path). The reference,
measured in this same run, is pandas reading the same CSV (`pd.read_csv`, typed): the
ratio says how many times that bare read the whole build takes.

    python benchmarks/dataset_scale.py            # full: 10^6, 10^7 and 5 x 10^7 bars
    python benchmarks/dataset_scale.py --quick    # seconds: 20,000 bars, embedded only
    python benchmarks/dataset_scale.py --sizes 1e6 1e7 --engines embedded ray

Goals: at most 1 GB peak for 10^7 rows; at least 1,000,000 bars/s end to end on one core
(read "bars per CPU second": on a shared machine wall time measures the neighbours);
time linear in size. Ray runs on a local single-node Ray started by the build.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")  # one core, before numpy loads

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from dlip.market.synthetic import SyntheticMarket  # noqa: E402

SESSION_MINUTES = 390  # 09:30 to 16:00


def _timestamps(n: int, timeframe: str) -> np.ndarray:
    if timeframe == "1d":
        return pd.bdate_range("1990-01-01", periods=n).to_numpy()
    days = pd.bdate_range("2000-01-03", periods=-(-n // SESSION_MINUTES))
    opens = days.to_numpy() + np.timedelta64(9 * 60 + 30, "m")
    minutes = np.arange(SESSION_MINUTES).astype("timedelta64[m]")
    return (opens[:, None] + minutes[None, :]).ravel()[:n]


def write_market(path: Path, n_bars: int, n_symbols: int, timeframe: str) -> int:
    """One CSV (symbol column first) of n_symbols synthetic markets; returns its size."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    per = n_bars // n_symbols
    with pcsv.CSVWriter(path, pa.schema([("symbol", pa.string()), ("timestamp", pa.string()),
                                         *((k, pa.float64()) for k in
                                           ("open", "high", "low", "close", "volume"))])) as w:
        for k in range(n_symbols):
            a = SyntheticMarket(n_bars=per, seed=100 + k).arrays()
            ts = np.datetime_as_string(_timestamps(per, timeframe), unit="s")
            cols = {k2: np.round(a[k2], 4) for k2 in ("open", "high", "low", "close")}
            cols["high"] = np.maximum.reduce([cols["high"], cols["open"], cols["close"]])
            cols["low"] = np.minimum.reduce([cols["low"], cols["open"], cols["close"]])
            w.write_table(pa.table({"symbol": [f"S{k:05d}"] * per, "timestamp": ts, **cols,
                                    "volume": a["volume"]}))
    return path.stat().st_size


MAX_DAILY_BARS = 50_000  # per symbol: 200 years of business days from 1990, inside datetime64


def _symbols(n_bars: int, wanted: int, timeframe: str) -> int:
    """`wanted` symbols, or more when daily bars would run past the year 2262 otherwise
    (5 x 10^7 daily bars are 1,000 symbols of 50,000 bars)."""
    return max(wanted, -(-n_bars // MAX_DAILY_BARS)) if timeframe == "1d" else wanted


def measure(cmd: list[str]) -> dict:
    """Wall time; CPU time and peak RSS of the whole process tree (sampled every 50 ms);
    `ru_maxrss` of the build process itself (exact, from the kernel)."""
    import psutil

    wrapper = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:]); "
               "print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", wrapper, *cmd], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    top = psutil.Process(proc.pid)
    tree_peak = 0
    cpu: dict[int, float] = {}
    while proc.poll() is None:
        try:
            procs = [p for p in top.children(recursive=True)]
            rss = 0
            for p in procs:
                with p.oneshot():
                    rss += p.memory_info().rss
                    t = p.cpu_times()
                    cpu[p.pid] = t.user + t.system + t.children_user + t.children_system
            tree_peak = max(tree_peak, rss)
        except psutil.Error:
            pass
        time.sleep(0.05)
    seconds = time.perf_counter() - start
    out, err = proc.communicate()
    code, maxrss_kb = (int(x) for x in out.strip().splitlines()[-1].split())
    if code != 0:
        raise SystemExit(f"build failed: {err[-2000:]}")
    return {"seconds": seconds, "cpu_seconds": sum(cpu.values()),
            "tree_peak_mb": tree_peak / 2**20, "maxrss_mb": maxrss_kb / 1024}


def run_case(tmp: Path, n_bars: int, n_symbols: int, timeframe: str, engines: list[str]
             ) -> list[dict]:
    csv = tmp / f"bars_{n_bars}_{timeframe}.csv"
    size = write_market(csv, n_bars, n_symbols, timeframe)
    start = time.perf_counter()
    pd.read_csv(csv, dtype={k: float for k in ("open", "high", "low", "close", "volume")})
    ref = time.perf_counter() - start
    rows = []
    for engine in engines:
        out = tmp / f"ds_{engine}"
        cmd = [sys.executable, "-m", "dlip.cli", "dataset", "build", str(csv), "--out",
               str(out), "--engine", engine]
        found = measure(cmd)
        rows.append({"bars": n_bars, "symbols": n_symbols, "timeframe": timeframe,
                     "csv_mb": size / 2**20, "engine": engine, "ref_seconds": ref, **found,
                     "bars_per_s": n_bars / found["seconds"]})
        shutil.rmtree(out, ignore_errors=True)
    csv.unlink()
    return rows


def table(rows: list[dict]) -> str:
    head = ("| bars | symbols | timeframe | CSV MB | engine | wall s | CPU s | bars per CPU s "
            "| peak RSS MB (tree) | build ru_maxrss MB | x pandas read_csv (wall) |")
    lines = [head, "|" + "---|" * 11]
    for r in rows:
        lines.append(
            f"| {r['bars']:,} | {r['symbols']:,} | {r['timeframe']} | {r['csv_mb']:,.0f} | "
            f"{r['engine']} | {r['seconds']:.1f} | {r['cpu_seconds']:.1f} | "
            f"{r['bars'] / max(r['cpu_seconds'], 1e-9):,.0f} | "
            f"{r['tree_peak_mb']:,.0f} | {r['maxrss_mb']:,.0f} | "
            f"{r['seconds'] / r['ref_seconds']:.2f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="20,000 bars, embedded: seconds")
    p.add_argument("--sizes", nargs="+", type=float, default=[1e6, 1e7, 5e7])
    p.add_argument("--timeframes", nargs="+", default=["1d", "1m"])
    p.add_argument("--engines", nargs="+", default=["embedded", "ray"])
    p.add_argument("--symbols", type=int, default=200)
    p.add_argument("--ray-up-to", type=float, default=1e7,
                   help="run the Ray engine only up to this many bars")
    args = p.parse_args(argv)
    cases = ([(20_000, 4, "1d")] if args.quick else
             [(int(n), _symbols(int(n), args.symbols, tf), tf)
              for n in args.sizes for tf in args.timeframes])
    rows = []
    with tempfile.TemporaryDirectory(prefix="dlip-scale-") as tmp:
        for n, symbols, tf in cases:
            engines = ["embedded"] if args.quick else [
                e for e in args.engines if e != "ray" or n <= args.ray_up_to]
            rows += run_case(Path(tmp), n, symbols, tf, engines)
            for line in table(rows[-len(engines):]).splitlines()[2:]:
                print(line, flush=True)
    print()
    print(table(rows))
    emb = [r for r in rows if r["engine"] == "embedded"]
    for tf in dict.fromkeys(r["timeframe"] for r in emb):
        same = [r for r in emb if r["timeframe"] == tf]
        if len(same) >= 2:
            a, b = same[0], same[-1]
            growth = (b["cpu_seconds"] / a["cpu_seconds"]) / (b["bars"] / a["bars"])
            print(f"{tf}: CPU time grows {growth:.2f}x as fast as size from {a['bars']:,} to "
                  f"{b['bars']:,} bars (1.00 = linear)")
    for r in rows:
        if r["engine"] == "ray":
            e = next(x for x in emb if x["bars"] == r["bars"] and
                     x["timeframe"] == r["timeframe"])
            ratio = r["seconds"] / e["seconds"]
            cpu = r["cpu_seconds"] / e["cpu_seconds"]
            print(f"{r['bars']:,} {r['timeframe']}: Ray Data takes {ratio:.1f}x the embedded "
                  f"wall time and {cpu:.1f}x its CPU time (its start included)")


if __name__ == "__main__":
    main()
