"""THE GATE: `dlip check` must pass on this repo itself, so CI refuses stale results.

Every other test builds throwaway repos. This one runs `dlip check` on the real repo, in a
subprocess, exactly as a user would. It fails when any milestone's frozen results no
longer match its inputs (its files, declared library code or data, its command), when a
post or `milestone.yml` is invalid, or when a link is broken. The failure message is
`dlip check`'s own list of problems; the usual fix is `dlip run NNN` and committing
`code/NNN_slug/results/`.
"""

from __future__ import annotations

from pathlib import Path

from repo_files import dlip

REPO = Path(__file__).resolve().parents[1]


def test_dlip_check_passes_on_this_repo() -> None:
    out = dlip("check", "--repo", str(REPO))
    assert out.returncode == 0, (
        "dlip check refuses this repo (stale results are fixed by `dlip run NNN` and "
        f"committing the milestone's results/):\n{out.stdout}{out.stderr}"
    )
