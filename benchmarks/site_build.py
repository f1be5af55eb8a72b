"""How much does `dlip build` cost on top of MkDocs, and does it stay linear in posts?

Makes synthetic learning-in-public repos with 100 and 1,000 daily posts and 20 milestones
whose results are frozen by a real `dlip run`, then for each size times:

- a warm `dlip build` (results are fresh, so nothing is re-executed), and
- a plain `mkdocs build --strict` of the same generated pages with the same config (its
  hook told that the pages are ready, so it renders them without regenerating),

each in a fresh subprocess, alternating, keeping the fastest of `--repeat` runs (the
fastest is the least disturbed by other work on the machine). It prints the ratio
dlip/mkdocs for each size (goal: at most 1.15) and how each time grows from the smallest
to the largest size (goal: close to the growth in posts, i.e. linear).

Then it starts a real `dlip serve`, saves an edit to one post and times from the save until
the page served over HTTP shows it (edit-to-preview; goal: 1 s at 1,000 posts, 2 s at
10,000), printed beside the warm full rebuild as a ratio.

    python benchmarks/site_build.py                  # 100 and 1,000 posts
    python benchmarks/site_build.py --sizes 50 200 --repeat 2
    python benchmarks/site_build.py --quick          # seconds: 5 and 20 posts, 2 milestones
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path

from dlip.publish.project import Project
from dlip.publish.site import config as site_config
from dlip.publish.site.config import READY_ENV

MILESTONE_SCRIPT = '''\
"""A cheap stand-in for a training script: metrics, a small PNG, some printed lines."""
import json
import os
import os
import struct
import zlib
from pathlib import Path

SEED = int(os.environ.get("DLIP_SEED", "0"))


def png(width, height, shade):
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(
        b"\\x00" + bytes(v for x in range(width) for v in (x % 256, y % 256, shade))
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = chunk(b"IDAT", zlib.compress(rows))
    return b"\\x89PNG\\r\\n\\x1a\\n" + chunk(b"IHDR", header) + pixels + chunk(b"IEND", b"")


out = Path(os.environ.get("DLIP_RESULTS_DIR", "results-local"))
out.mkdir(parents=True, exist_ok=True)
loss = 1.0
for epoch in range(1, 41):
    loss *= 0.93
    print(f"epoch {epoch:3d}  loss {loss:.4f}")
(out / "metrics.json").write_text(json.dumps({"final_loss": round(loss, 4), "epochs": 40}))
(out / "loss.png").write_bytes(png(320, 200, (SEED * 37) % 256))
'''

WORDS = (
    "gradient loss epoch batch tensor layer weight bias activation softmax attention token "
    "embedding optimizer momentum dropout residual normalization candle volume close open "
    "baseline validation overfitting learning rate schedule backprop chain rule matrix"
).split()
TAGS = ("basics", "pytorch", "math", "transformer", "markets", "data", "tooling")
SECTIONS = ("Simple neural network", "A basic Transformer", "Time-series Transformer")


def make_milestones(code_dir: Path, count: int) -> list[str]:
    """`count` milestone folders, each with a milestone.yml, a README and one script."""
    names = []
    for i in range(count):
        name = f"{i:03d}_bench-milestone-{i}"
        folder = code_dir / name
        folder.mkdir(parents=True)
        (folder / "milestone.yml").write_text(
            f"title: Benchmark milestone {i}\n"
            f"section: {SECTIONS[i * len(SECTIONS) // count]}\n"
            "status: done\n"
            f"summary: Synthetic milestone number {i} for the site benchmark.\n"
            "run:\n  - script: train.py\n    timeout: 120\n"
            "headline: final_loss\n",
            encoding="utf-8",
        )
        (folder / "README.md").write_text(
            f"# Benchmark milestone {i}\n\nA cheap script that writes metrics and a figure.\n",
            encoding="utf-8",
        )
        (folder / "train.py").write_text(MILESTONE_SCRIPT, encoding="utf-8")
        names.append(name)
    return names


def post_dates(count: int, start: date = date(2024, 1, 1)) -> list[date]:
    """Six posts a week, Sunday off, as the author posts."""
    days, day = [], start
    while len(days) < count:
        if day.weekday() != 6:
            days.append(day)
        day += timedelta(days=1)
    return days


def write_posts(posts_dir: Path, count: int, milestones: list[str], seed: int = 0) -> None:
    """`count` posts of a few hundred words, with tags, code and links like real ones."""
    rng = random.Random(seed)
    posts_dir.mkdir(parents=True)
    previous = None
    for n, day in enumerate(post_dates(count)):
        title = f"Day {n + 1}: {rng.choice(WORDS)} and {rng.choice(WORDS)}"
        paragraphs = [
            " ".join(rng.choice(WORDS) for _ in range(rng.randint(40, 90))).capitalize() + "."
            for _ in range(4)
        ]
        milestone = rng.choice(milestones)
        lines = [
            "---",
            f"tags: [{', '.join(rng.sample(TAGS, 2))}]",
            "---",
            "",
            paragraphs[0],
            "",
            "## What I tried",
            "",
            paragraphs[1],
            "",
            "```python",
            f"loss = criterion(model(x), y)  # day {n + 1}",
            "loss.backward()",
            "```",
            "",
            paragraphs[2],
            "",
            f"The code is in [the milestone](../code/{milestone}/).",
        ]
        if previous is not None:
            lines += ["", f"Yesterday's notes: [{previous[1]}]({previous[0]})."]
        lines += ["", paragraphs[3], ""]
        filename = f"{day.isoformat()} - {title.replace(':', ' -')}.md"
        (posts_dir / filename).write_text("\n".join(lines), encoding="utf-8")
        previous = (filename.replace(" ", "%20"), title)


def run(cmd: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> Timing:
    """Wall and CPU seconds of one command; its output is shown only if it fails."""
    environ = {**os.environ, **(env or {})}
    cpu_before = _children_cpu()
    start = time.perf_counter()
    out = subprocess.run(cmd, cwd=cwd, env=environ, capture_output=True, text=True, check=False)
    timing = Timing(time.perf_counter() - start, _children_cpu() - cpu_before)
    if out.returncode != 0:
        sys.exit(
            f"failed ({out.returncode}): {' '.join(cmd)}\n{out.stdout[-3000:]}\n"
            f"{out.stderr[-3000:]}"
        )
    return timing


@dataclass(frozen=True)
class Timing:
    wall: float
    cpu: float  # user + system seconds of the process and its children


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def fastest(timings: list[Timing]) -> Timing:
    """The least disturbed run: the smallest wall time and the smallest CPU time."""
    return Timing(min(t.wall for t in timings), min(t.cpu for t in timings))


def dlip(*args: str) -> list[str]:
    return [sys.executable, "-m", "dlip.cli", *args]


def mkdocs_build(project: Project) -> list[str]:
    """Plain MkDocs over the pages `dlip build` generated, with the config it used."""
    config = str(project.user_mkdocs_yml or site_config.write_default_config(project))
    return [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-f", config]


def frozen_records(repo: Path) -> dict[str, str]:
    return {
        str(p): p.read_text(encoding="utf-8") for p in sorted(repo.glob("code/*/results/run.json"))
    }


def measure(repo: Path, repeat: int) -> dict[str, Timing | int]:
    project = Project.at(repo)
    records = frozen_records(repo)
    first = run(dlip("build", "--repo", str(repo)))  # generates the pages
    run(dlip("check", "--repo", str(repo)))  # and the frozen results are fresh
    dlip_runs, mkdocs_runs = [], []
    for _ in range(repeat):
        dlip_runs.append(run(dlip("build", "--repo", str(repo))))
        # The pages are generated already: the hook only sets the nav, as under dlip build.
        mkdocs_runs.append(run(mkdocs_build(project), cwd=repo, env={READY_ENV: "1"}))
    if frozen_records(repo) != records:
        sys.exit(f"{repo}: a warm dlip build re-ran a milestone whose results were fresh")
    pages = sum(1 for _ in (repo / "site").rglob("*.html"))
    return {
        "first": first,
        "dlip": fastest(dlip_runs),
        "mkdocs": fastest(mkdocs_runs),
        "pages": pages,
    }


def edit_latency(repo: Path, edits: int = 3) -> dict[str, float]:
    """What an author waits for under `dlip serve`, timed from outside: a real `dlip serve`
    process on a free port; from saving an edited post (one more paragraph) to its page as
    served over HTTP showing the edit. Includes noticing the save (inotify on a local Linux
    disk, else polling twice a second) and the rebuild; also says how long the server's own
    rebuild took (its log line). Fastest and slowest of `edits` saves."""
    import re
    import socket
    import urllib.error
    import urllib.request

    from dlip.publish.discover.posts import post_url_path, read_post
    from dlip.publish.pages.links import page_url

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    posts = sorted((repo / "daily-blog").glob("*.md"))
    path = posts[len(posts) // 2]
    post, _ = read_post(path)
    assert post is not None
    log_path = Path(tempfile.mkdtemp(prefix="dlip-serve-log-")) / "serve.log"
    env = {k: v for k, v in os.environ.items() if k != READY_ENV}
    start = time.perf_counter()
    with log_path.open("w") as log:
        server = subprocess.Popen(dlip("serve", "--repo", str(repo), "--dev-addr",
                                       f"127.0.0.1:{port}"), stdout=log, stderr=subprocess.STDOUT,
                                  env=env)

    def fetch(url: str) -> str:
        try:
            with urllib.request.urlopen(url, timeout=60) as response:
                return response.read().decode("utf-8")
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return ""

    def wait_for(text: str, seconds: float) -> None:
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            if server.poll() is not None:
                sys.exit(f"dlip serve exited {server.returncode}:\n"
                         f"{log_path.read_text()[-3000:]}")
            served = re.search(r"Serving on (\S+)", log_path.read_text())
            if served and text in fetch(served.group(1) + page_url(post_url_path(post))):
                return
            time.sleep(0.02)
        sys.exit(f"{path.name}: the page never showed {text!r}:\n{log_path.read_text()[-3000:]}")

    try:
        wait_for(post.title, 3600)
        first = time.perf_counter() - start
        latencies, rebuilds = [], []
        for i in range(edits):
            time.sleep(1.5)  # a save some time after the last, as an author types
            marker = f"edited{i}x{time.time_ns()}"
            saved = time.perf_counter()
            with open(path, "a", encoding="utf-8") as f:
                f.write(f"\nOne more thought: {marker}.\n")
            wait_for(marker, 120)
            latencies.append(time.perf_counter() - saved)
            said = re.findall(r"rendered \d+ pages? in ([0-9.]+) s", log_path.read_text())
            if len(said) != i + 1:
                sys.exit(f"the save was not rendered alone:\n{log_path.read_text()[-3000:]}")
            rebuilds.append(float(said[-1]))
        return {"serve_first": first, "edit": min(latencies), "edit_slowest": max(latencies),
                "rebuild": min(rebuilds)}
    finally:
        server.terminate()
        server.wait(timeout=60)
        shutil.rmtree(log_path.parent, ignore_errors=True)


def report(results: dict[int, dict]) -> None:
    """The table: seconds and the dlip/mkdocs ratio, in wall time and in CPU time."""
    print()
    print(
        f"{'posts':>6} {'pages':>6} | {'wall: dlip':>10} {'mkdocs':>7} {'ratio':>6} | "
        f"{'cpu: dlip':>9} {'mkdocs':>7} {'ratio':>6}"
    )
    for size, r in results.items():
        d, m = r["dlip"], r["mkdocs"]
        print(
            f"{size:>6} {r['pages']:>6} | "
            f"{d.wall:>9.2f}s {m.wall:>6.2f}s {d.wall / m.wall:>6.3f} | "
            f"{d.cpu:>8.2f}s {m.cpu:>6.2f}s {d.cpu / m.cpu:>6.3f}"
        )
    print()
    print(f"{'posts':>6} | {'edit -> preview':>15} {'slowest':>8} {'rebuild':>8} "
          f"{'full rebuild':>12} {'ratio':>6} | goal")
    for size, r in results.items():
        if "edit" in r:
            goal = "1 s" if size <= 1000 else "2 s"
            print(f"{size:>6} | {r['edit']:>14.2f}s {r['edit_slowest']:>7.2f}s "
                  f"{r['rebuild']:>7.2f}s {r['dlip'].wall:>11.2f}s "
                  f"{r['edit'] / r['dlip'].wall:>6.3f} | {goal}")
    small, large = min(results), max(results)
    if small != large:
        print(f"growth {small} -> {large} posts ({large / small:.0f}x the posts):")
        for tool in ("dlip", "mkdocs"):
            a, b = results[small][tool], results[large][tool]
            print(f"  {tool + ' build':<13} wall {b.wall / a.wall:.2f}x, cpu {b.cpu / a.cpu:.2f}x")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000], help="post counts")
    parser.add_argument("--milestones", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3, help="timed builds per tool and size")
    parser.add_argument("--keep", type=Path, help="build the repos here and keep them")
    parser.add_argument("--edit-only", action="store_true",
                        help="time only edit-to-preview under a real dlip serve (no full build)")
    parser.add_argument("--quick", action="store_true",
                        help="5 and 20 posts, 2 milestones, one build each: seconds, for the tests")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.milestones, args.repeat = [5, 20], 2, 1

    work = args.keep or Path(tempfile.mkdtemp(prefix="dlip-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        seed_repo = work / "frozen"
        names = make_milestones(seed_repo / "code", args.milestones)
        print(f"freezing {len(names)} milestones with dlip run ...", flush=True)
        took = run(dlip("run", "--repo", str(seed_repo), "-j", "2", *names))
        print(f"  {took.wall:.1f} s", flush=True)

        results = {}
        for size in args.sizes:
            repo = work / f"posts-{size}"
            shutil.rmtree(repo, ignore_errors=True)
            shutil.copytree(seed_repo / "code", repo / "code")
            write_posts(repo / "daily-blog", size, names)
            (repo / "README.md").write_text("# Benchmark repo\n", encoding="utf-8")
            print(f"{size} posts: building ...", flush=True)
            if args.edit_only:  # the serve loop alone: what a large size needs measuring
                results[size] = {}
            else:
                results[size] = measure(repo, args.repeat)
            print(f"{size} posts: editing one post under dlip serve ...", flush=True)
            results[size].update(edit_latency(repo, edits=max(2, args.repeat)))
            r = results[size]
            if args.edit_only:
                print(f"  serve's first build {r['serve_first']:.2f} s, edit -> preview "
                      f"{r['edit']:.2f} s, slowest {r['edit_slowest']:.2f} s (the server's "
                      f"rebuild: {r['rebuild']:.2f} s; goal: {'1' if size <= 1000 else '2'} s)",
                      flush=True)
                continue
            print(f"  first build {r['first'].wall:.2f} s, {r['pages']} HTML pages", flush=True)

        if not args.edit_only:
            report(results)
        print(
            json.dumps(
                {
                    "repeat": args.repeat,
                    "results": {
                        size: {k: asdict(v) if isinstance(v, Timing) else v
                               for k, v in r.items()}
                        for size, r in results.items()
                    },
                }
            )
        )
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
