"""The GitHub workflows are checked offline, with the same tools a reviewer would run.

Both tools run as real subprocesses: `check-jsonschema` against GitHub's workflow schema
(bundled in the wheel) and `zizmor --offline` for security findings.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
WORKFLOWS = REPO / ".github" / "workflows"
CI = WORKFLOWS / "ci.yml"
PAGES = WORKFLOWS / "pages.yml"
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")


def _tool(name: str) -> str:
    """The tool installed beside this interpreter (the venv), else the one on PATH."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed; `make test` installs it with the test extra")
    return found


def _load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _steps(workflow: dict) -> list[dict]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def test_workflows_match_github_schema() -> None:
    out = subprocess.run(
        [
            _tool("check-jsonschema"),
            "--builtin-schema",
            "vendor.github-workflows",
            str(CI),
            str(PAGES),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_zizmor_offline_finds_nothing() -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"GH_TOKEN", "GITHUB_TOKEN"}}
    out = subprocess.run(
        [_tool("zizmor"), "--offline", "--format=json", str(WORKFLOWS)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    findings = json.loads(out.stdout or "[]")
    summary = [f"{f['ident']}: {f['desc']}" for f in findings]
    assert findings == [], summary
    assert out.returncode == 0, out.stderr


@pytest.mark.parametrize("path", [CI, PAGES], ids=lambda p: p.name)
def test_actions_are_pinned_by_commit_and_never_keep_credentials(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    for step in _steps(_load(path)):
        if "uses" not in step:
            continue
        assert PINNED.match(step["uses"]), f"{path.name}: {step['uses']} is not pinned by SHA"
        assert re.search(re.escape(step["uses"]) + r" # v\d", text), (
            f"{path.name}: {step['uses']} has no `# vX.Y.Z` comment naming its version"
        )
        if step["uses"].startswith("actions/checkout@"):
            assert step.get("with", {}).get("persist-credentials") is False


def test_ci_runs_the_readme_test_command() -> None:
    workflow = _load(CI)
    assert workflow["permissions"] == {"contents": "read"}
    runs = [step["run"] for step in _steps(workflow) if "run" in step]
    assert runs == [".ci/run"]
    assert "make test" in (REPO / ".ci" / "run").read_text(encoding="utf-8")


def test_pages_publishes_frozen_results_with_the_publisher_alone() -> None:
    workflow = _load(PAGES)
    assert workflow["permissions"] == {}
    assert workflow["concurrency"]["group"]
    build, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    assert build["permissions"] == {"contents": "read"}
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["needs"] == "build"
    runs = [step["run"] for step in build["steps"] if "run" in step]
    # the publisher alone: no ML extra, so no torch; stale results fail instead of re-running
    assert runs == ["python -m pip install -c constraints.txt .", "dlip check",
                    "dlip build --no-run"]
    checkout = next(s for s in build["steps"] if s.get("uses", "").startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0  # the feed's dates come from the history
    used = [step["uses"].split("@")[0] for step in _steps(workflow) if "uses" in step]
    for action in ("configure-pages", "upload-pages-artifact", "deploy-pages"):
        assert f"actions/{action}" in used
