"""The runner against real subprocesses in throwaway repos: success, crashes, hangs, kills."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import tracemalloc
from pathlib import Path

import nbformat
import psutil
import pytest

from dlip.publish.discover.milestones import discover_milestones
from dlip.publish.model import Milestone
from dlip.publish.pages.results import results_markdown
from dlip.publish.project import Project
from dlip.publish.run import freeze
from dlip.publish.run.progress import Progress, format_duration
from dlip.publish.run.runner import run_milestones, run_named, run_stale

WRITES_RESULTS = """
import json, os, sys
out = os.environ["DLIP_RESULTS_DIR"]
print("args", sys.argv[1:])
print("cwd", os.getcwd())
print("results_dir", out)
print("python", sys.executable)
for name in ("DLIP_SEED", "MPLBACKEND", "PYTHONHASHSEED", "PYTHONUNBUFFERED"):
    print(name, os.environ.get(name))
json.dump({"accuracy": 0.75}, open(os.path.join(out, "metrics.json"), "w"))
open(os.path.join(out, "curve.png"), "wb").write(b"png bytes")
"""


def add_milestone(root: Path, name: str, script: str, extra_yml: str = "") -> Path:
    folder = root / "code" / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "main.py").write_text(textwrap.dedent(script), encoding="utf-8")
    (folder / "milestone.yml").write_text(
        f"title: {name}\nrun:\n  - script: main.py\n{extra_yml}", encoding="utf-8"
    )
    return folder


def load(root: Path) -> tuple[Project, list[Milestone]]:
    project = Project.at(root)
    milestones, problems = discover_milestones(project)
    assert [p for p in problems if p.severity == "error"] == []
    return project, milestones


def alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def wait_for(condition, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


def scratch_dirs(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".results-"))


def test_run_freezes_results_with_provenance(tmp_path: Path, capsys) -> None:
    folder = add_milestone(tmp_path, "000_xor", WRITES_RESULTS, '    args: [--epochs, "2"]\n')
    project, milestones = load(tmp_path)

    assert run_named(project, ["0"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("ok       000_xor: ")
    assert "[dlip] 000_xor [1/1] main.py: started" in err

    results = folder / "results"
    assert sorted(p.relative_to(results).as_posix() for p in results.rglob("*")) == [
        "curve.png", "logs", "logs/01-main.py.log", "metrics.json", "run.json",
    ]  # fmt: skip
    assert scratch_dirs(folder) == []
    log = (results / "logs/01-main.py.log").read_text().splitlines()
    assert "args ['--epochs', '2']" in log
    assert f"cwd {folder}" in log
    assert f"python {sys.executable}" in log
    written_to = Path(next(line for line in log if line.startswith("results_dir")).split()[1])
    assert written_to.parent == folder and written_to.name.startswith(".results-tmp-")
    for line in ("DLIP_SEED 0", "MPLBACKEND Agg", "PYTHONHASHSEED 0", "PYTHONUNBUFFERED 1"):
        assert line in log

    record = json.loads((results / "run.json").read_text())
    assert record["status"] == "ok"
    assert record["key"] == freeze.input_key(project, milestones[0])
    assert record["commit"] is None  # not a git repo
    assert record["python"] and "numpy" in record["packages"] and "torch" in record["packages"]
    assert record["machine"]["cpu_count"] >= 1
    (step,) = record["steps"]
    assert step["command"] == ["python", "main.py", "--epochs", "2"]
    assert step["exit_code"] == 0 and step["output_lines"] == len(log)
    assert step["peak_memory_bytes"] > 1_000_000 and step["duration_s"] > 0
    assert freeze.stale_problems(project, milestones) == []

    # A warm build runs nothing; an edit re-runs that milestone alone.
    assert [o.status for o in run_stale(project, milestones)] == ["fresh"]
    (folder / "main.py").write_text(WRITES_RESULTS + "print('edited')\n")
    assert len(freeze.stale_problems(project, milestones)) == 1
    capsys.readouterr()
    assert [o.status for o in run_stale(project, milestones)] == ["ok"]
    assert "last run took" in capsys.readouterr().err
    assert freeze.stale_problems(project, milestones) == []


def test_git_commit_recorded_and_dirty_marked(tmp_path: Path) -> None:
    folder = add_milestone(tmp_path, "000_xor", WRITES_RESULTS)
    git = ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "first"], check=True)
    (tmp_path / "notes.txt").write_text("not part of the milestone")  # untracked, elsewhere
    head = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True).stdout
    project, milestones = load(tmp_path)
    (outcome,) = run_milestones(project, milestones, force=True, progress=False)
    assert outcome.record["commit"] == head.strip() and outcome.record["dirty"] is False
    (folder / "main.py").write_text(WRITES_RESULTS + "\n")
    (outcome,) = run_milestones(project, milestones, force=True, progress=False)
    assert outcome.record["dirty"] is True


def test_crash_names_milestone_and_keeps_last_good_results(tmp_path: Path, capsys) -> None:
    bad = add_milestone(tmp_path, "000_bad", WRITES_RESULTS)
    good = add_milestone(tmp_path, "001_good", WRITES_RESULTS)
    project, _ = load(tmp_path)
    assert run_named(project, ["000"]) == 0
    frozen = (bad / "results/run.json").read_bytes()

    (bad / "main.py").write_text("print('about to fail')\n1 / 0\n")
    assert run_named(project, ["000", "001"], jobs=2) == 1
    out, err = capsys.readouterr()
    assert "FAILED   000_bad: `python main.py` exited with code 1; last good results kept" in err
    assert "ZeroDivisionError: division by zero" in err
    assert "full log: .dlip/failed/000_bad/logs/01-main.py.log" in err
    assert "ok       001_good" in out
    assert (bad / "results/run.json").read_bytes() == frozen
    assert (good / "results/run.json").is_file()
    assert scratch_dirs(bad) == [] and scratch_dirs(good) == []
    failed_log = tmp_path / ".dlip/failed/000_bad/logs/01-main.py.log"
    assert "about to fail" in failed_log.read_text()
    # The stale check still names the crashed milestone.
    _, milestones = load(tmp_path)
    (problem,) = freeze.stale_problems(project, milestones)
    assert problem.path == bad and "main.py" in problem.reason


HANGS_WITH_CHILDREN = """
import os, subprocess, sys, time
stubborn = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)"
child = subprocess.Popen([sys.executable, "-c", stubborn])
escaped = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"],
                           start_new_session=True)
with open(sys.argv[1], "w") as f:
    f.write(f"{os.getpid()} {child.pid} {escaped.pid}")
print("waiting forever", flush=True)
time.sleep(60)
"""


def test_hang_is_killed_at_timeout_children_included(tmp_path: Path) -> None:
    pids_file = tmp_path / "pids.txt"
    add_milestone(tmp_path, "000_hang", HANGS_WITH_CHILDREN, f"    args: [{pids_file}]\n")
    (tmp_path / "code/000_hang/milestone.yml").write_text(
        f"run:\n  - script: main.py\n    args: ['{pids_file}']\n    timeout: 1.5\n"
    )
    project, milestones = load(tmp_path)
    (outcome,) = run_milestones(project, milestones, force=True, progress=False)
    assert outcome.status == "timeout"
    assert "ran past its limit of 1.5 s; its processes were killed" in outcome.message
    assert "waiting forever" in outcome.output_tail
    pids = [int(p) for p in pids_file.read_text().split()]
    wait_for(lambda: not any(alive(pid) for pid in pids), seconds=5)
    assert not (tmp_path / "code/000_hang/results").exists()


SLOW = """
import os, sys, time
out = os.environ["DLIP_RESULTS_DIR"]
open(os.path.join(out, "metrics.json"), "w").write('{"half": ')
with open(sys.argv[1], "w") as f:
    f.write(str(os.getpid()))
time.sleep(60)
"""


def test_killed_dlip_leaves_last_good_results_and_next_run_cleans_up(tmp_path: Path) -> None:
    folder = add_milestone(tmp_path, "000_slow", WRITES_RESULTS)
    project, _ = load(tmp_path)
    assert run_named(project, ["000"]) == 0
    frozen = (folder / "results/run.json").read_bytes()

    pid_file = tmp_path / "script.pid"
    (folder / "main.py").write_text(SLOW)
    (folder / "milestone.yml").write_text(f"run:\n  - script: main.py\n    args: ['{pid_file}']\n")
    dlip = subprocess.Popen(
        [sys.executable, "-m", "dlip.cli", "run", "--repo", str(tmp_path), "000"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    wait_for(lambda: pid_file.exists() and pid_file.read_text().isdigit())
    os.kill(dlip.pid, signal.SIGKILL)
    dlip.wait()
    orphan = int(pid_file.read_text())
    assert alive(orphan)  # a script in its own session outlives the killed dlip...
    assert (folder / "results/run.json").read_bytes() == frozen
    assert not (folder / "results/metrics.json").read_text().startswith('{"half"')
    assert len(scratch_dirs(folder)) == 1

    (folder / "main.py").write_text(WRITES_RESULTS)
    assert run_named(project, ["000"]) == 0
    wait_for(lambda: not alive(orphan), seconds=5)  # ...until the next run stops it
    assert scratch_dirs(folder) == []
    assert json.loads((folder / "results/metrics.json").read_text()) == {"accuracy": 0.75}


@pytest.mark.parametrize("jobs", [1, 2])
def test_sigterm_stops_the_run_and_cleans_up(tmp_path: Path, jobs: int) -> None:
    """A cancelled CI job (SIGTERM) or Ctrl-C: steps killed, no scratch left, results kept."""
    pid_files = []
    for name in ("000_a", "001_b"):
        folder = add_milestone(tmp_path, name, WRITES_RESULTS)
        pid_files.append(tmp_path / f"{name}.pid")
        (folder / "main.py").write_text(SLOW)
        (folder / "milestone.yml").write_text(
            f"run:\n  - script: main.py\n    args: ['{pid_files[-1]}']\n"
        )
    dlip = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dlip.cli",
            "run",
            "-j",
            str(jobs),
            "--repo",
            str(tmp_path),
            "0",
            "1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    wait_for(lambda: pid_files[0].exists() and pid_files[0].read_text().isdigit())
    script_pid = int(pid_files[0].read_text())
    dlip.send_signal(signal.SIGTERM)
    output = dlip.communicate(timeout=30)[0].decode()
    assert dlip.returncode == 130, output
    assert "interrupted" in output
    assert not alive(script_pid)
    for name in ("000_a", "001_b"):
        assert scratch_dirs(tmp_path / "code" / name) == []
        assert not (tmp_path / "code" / name / "results").exists()


def test_interrupted_swap_puts_old_results_back(tmp_path: Path) -> None:
    """dlip killed between the two renames: the old results are restored, not lost."""
    folder = add_milestone(tmp_path, "000_x", WRITES_RESULTS)
    project, milestones = load(tmp_path)
    assert run_named(project, ["000"]) == 0
    frozen = (folder / "results/run.json").read_bytes()
    dead_pid = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True).stdout.strip()  # fmt: skip
    (folder / "results").rename(folder / f".results-old-{dead_pid}-abc")
    from dlip.publish.run.runner import clean_scratch

    clean_scratch(milestones[0])
    assert (folder / "results/run.json").read_bytes() == frozen
    assert scratch_dirs(folder) == []


LOUD = """
block = ("x" * 63 + "\\n") * 16384  # 1 MiB
print("first line of a loud script")
for _ in range(100):
    print(block, end="")
print("last line of a loud script")
"""


def peak_rss_until_exit(proc: subprocess.Popen[bytes]) -> int:
    """The process's own peak RSS, read from /proc while it runs.

    Not `wait4`'s ru_maxrss: after a fork that figure starts from the parent's size, and
    pytest's process is large once other tests have imported torch.
    """
    status = Path(f"/proc/{proc.pid}/status")
    if not status.exists():  # no /proc (macOS): fall back to rusage
        _, code, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(code)
        return usage.ru_maxrss
    peak = 0
    while proc.poll() is None:
        try:
            for line in status.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]) * 1024)
        except (FileNotFoundError, ProcessLookupError):
            pass
        time.sleep(0.02)
    return peak


def test_100_mb_of_output_stays_on_disk(tmp_path: Path) -> None:
    folder = add_milestone(tmp_path, "000_loud", LOUD)
    dlip = subprocess.Popen(
        [sys.executable, "-m", "dlip.cli", "run", "--repo", str(tmp_path), "000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    peak = peak_rss_until_exit(dlip)
    assert dlip.returncode == 0, dlip.stdout.read().decode()
    dlip.stdout.close()
    assert peak < 100 * 2**20, f"dlip peaked at {peak / 2**20:.0f} MiB"
    # The committed log keeps 4 MiB of head and tail; the full one stays out of git.
    (step,) = json.loads((folder / "results/run.json").read_text())["steps"]
    assert step["output_bytes"] > 100 * 2**20 and step["output_lines"] == 100 * 16384 + 2
    assert step["log_truncated"] is True
    log = folder / "results/logs/01-main.py.log"
    assert 4 * 2**20 - 200 < log.stat().st_size < 4 * 2**20 + 200
    full = tmp_path / ".dlip/logs/000_loud/01-main.py.log"
    assert full.stat().st_size == step["output_bytes"]
    with open(log, "rb") as f:
        assert f.readline() == b"first line of a loud script\n"
        f.seek(-200, os.SEEK_END)
        assert f.read().endswith(b"x\nlast line of a loud script\n")

    project, (milestone,) = load(tmp_path)
    tracemalloc.start()
    markdown = results_markdown(project, milestone, "results")
    _, page_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert page_peak < 16 * 2**20
    assert len(markdown) < 200_000
    assert "first line of a loud script" in markdown and "last line of a loud script" in markdown
    assert "1638202 lines not shown" in markdown and "results/logs/01-main.py.log" in markdown
    assert "log, cut to its head and tail" in markdown
    full.unlink()  # 100 MB is not worth keeping in pytest's temp dirs


def notebook(path: Path, *sources: str) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)


def test_notebook_steps_execute_with_nbclient(tmp_path: Path) -> None:
    for name, last_cell in (("000_nb", "print('all good')"), ("001_nb_fails", "1 / 0")):
        folder = tmp_path / "code" / name
        (folder / "notebooks").mkdir(parents=True)
        notebook(
            folder / "notebooks/explore.ipynb",
            "import json, os\nprint('hello from', os.path.basename(os.getcwd()))",
            "json.dump({'cells': 3}, open(os.environ['DLIP_RESULTS_DIR'] + '/metrics.json', 'w'))",
            last_cell,
        )
        (folder / "milestone.yml").write_text(
            "run:\n  - notebook: notebooks/explore.ipynb\n    timeout: 120\n"
        )
    project, milestones = load(tmp_path)
    ok, failed = run_milestones(project, milestones, jobs=2, force=True, progress=False)

    assert ok.status == "ok", ok.report()
    results = tmp_path / "code/000_nb/results"
    # Saved at the notebook's own relative path, where the milestone page looks for it.
    executed = nbformat.read(results / "notebooks/explore.ipynb", as_version=4)
    assert executed.cells[0].outputs[0]["text"] == "hello from 000_nb\n"  # cwd: the milestone
    assert executed.cells[2].outputs[0]["text"] == "all good\n"
    assert "hello from 000_nb" in (results / "logs/01-notebooks_explore.ipynb.log").read_text()
    assert json.loads((results / "metrics.json").read_text()) == {"cells": 3}
    assert ok.record["steps"][0]["notebook"] == "notebooks/explore.ipynb"

    assert failed.status == "failed"
    assert "ZeroDivisionError" in failed.output_tail
    assert not (tmp_path / "code/001_nb_fails/results").exists()


def test_bad_requests_are_one_line_errors(tmp_path: Path, capsys) -> None:
    add_milestone(tmp_path, "000_ok", WRITES_RESULTS)
    broken = add_milestone(tmp_path, "001_broken", WRITES_RESULTS)
    (broken / "milestone.yml").write_text("run:\n  - script: missing.py\n")
    project = Project.at(tmp_path)
    assert run_named(project, ["7"]) == 2
    assert "no milestone '7'; available: 000_ok, 001_broken" in capsys.readouterr().err
    assert run_named(project, ["001"]) == 2
    err = capsys.readouterr().err
    assert "001_broken/milestone.yml: run[1].script: file 'missing.py' not found" in err
    assert not (broken / "results").exists()


@pytest.mark.parametrize("jobs", [1, 2])
def test_milestones_without_steps_do_nothing(tmp_path: Path, jobs: int) -> None:
    (tmp_path / "code/000_notes").mkdir(parents=True)
    (tmp_path / "code/001_more").mkdir(parents=True)
    project, milestones = load(tmp_path)
    outcomes = run_milestones(project, milestones, jobs=jobs, progress=False)
    assert [o.status for o in outcomes] == ["nothing", "nothing"]
    assert all(o.ok and not o.ran for o in outcomes)


def test_progress_lines_show_elapsed_and_estimate() -> None:
    stream = io.StringIO()
    with Progress(stream=stream, interval=0.05) as progress:
        handle = progress.start("000_x [1/2] train.py", expected=100.0)
        wait_for(lambda: "running" in stream.getvalue(), seconds=5)
        progress.finish(handle, "ok")
    lines = stream.getvalue().splitlines()
    assert lines[0] == "[dlip] 000_x [1/2] train.py: started (last run took 1:40)"
    assert any(
        line.startswith("[dlip] 000_x [1/2] train.py: running, 0.")
        and line.endswith("elapsed, about 1:40 left")
        for line in lines
    ), lines
    assert lines[-1].startswith("[dlip] 000_x [1/2] train.py: ok after 0.")


def test_format_duration() -> None:
    assert [format_duration(s) for s in (0.04, 9.96, 12.4, 185, 3723)] == [
        "0.0 s", "10.0 s", "12 s", "3:05", "1:02:03",
    ]  # fmt: skip


def test_run_named_without_steps_says_there_is_nothing_to_run(tmp_path: Path, capsys) -> None:
    (tmp_path / "code/000_notes").mkdir(parents=True)
    assert run_named(Project.at(tmp_path), ["000"]) == 0
    assert capsys.readouterr().out == "nothing  000_notes: nothing to run: no milestone.yml\n"
