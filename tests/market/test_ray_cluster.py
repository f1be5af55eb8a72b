"""`--engine ray` on a real two-node Ray cluster on this machine's loopback.

Ray is the optional extra `dlip[scale]` (`make` installs it). The cluster is started with
`ray start` (a head, then a second node joining it) and stopped with `ray stop` whatever
happens in between; it is kept small (one CPU per node, a small object store).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from dlip.market.dataset import write_dataset

pytest.importorskip("ray", reason="Ray is the optional extra dlip[scale]")
pytestmark = pytest.mark.slow

RAY = str(Path(sys.executable).with_name("ray"))


def _free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def _env(home: str) -> dict[str, str]:
    """No inherited address, and a home of its own: Ray keeps an auth token in ~/.ray that
    a local `ray.init` elsewhere may have written, and the nodes must agree on it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_")}
    return env | {"RAY_USAGE_STATS_ENABLED": "0", "HOME": home}


def _ray(home: str, *args: str, timeout: int = 90) -> subprocess.CompletedProcess:
    return subprocess.run([RAY, *args], capture_output=True, text=True, timeout=timeout,
                          env=_env(home), check=False)


@pytest.fixture(scope="module")
def cluster():
    """The address of a head node plus one worker node; both stopped afterwards."""
    temp = tempfile.mkdtemp(prefix="dlipray", dir="/tmp")  # short: socket paths are limited
    home = tempfile.mkdtemp(prefix="dlipray-home", dir="/tmp")
    head, *worker = _free_ports(6)
    small = ["--num-cpus", "1", "--object-store-memory", str(80 * 2**20),
             "--disable-usage-stats"]
    try:
        run = _ray(home, "start", "--head", "--port", str(head), "--include-dashboard", "false",
                   "--node-ip-address", "127.0.0.1", "--temp-dir", temp, *small)
        assert run.returncode == 0, run.stderr[-2000:]
        address = f"127.0.0.1:{head}"
        run = _ray(home, "start", "--address", address, "--node-ip-address", "127.0.0.1",
                   "--node-manager-port", str(worker[0]),
                   "--object-manager-port", str(worker[1]),
                   "--min-worker-port", str(worker[2]), "--max-worker-port", str(worker[2] + 50),
                   *small)
        assert run.returncode == 0, run.stderr[-2000:]
        for _ in range(30):  # the second node takes a moment to register
            status = _ray(home, "status", "--address", address)
            if status.stdout.split("Pending:")[0].count(" node_") == 2:
                break
            time.sleep(1)
        assert status.stdout.split("Pending:")[0].count(" node_") == 2, status.stdout
        yield address, home
    finally:
        _ray(home, "stop", "--force", timeout=120)
        shutil.rmtree(temp, ignore_errors=True)
        shutil.rmtree(home, ignore_errors=True)


def test_ray_cluster_build_equals_the_embedded_build(cluster, tmp_path, synthetic_csv) -> None:
    address, home = cluster
    data = synthetic_csv(tmp_path / "bars.csv", 3, 800)
    embedded = write_dataset([str(data)], tmp_path / "embedded")
    run = subprocess.run(
        [sys.executable, "-m", "dlip.cli", "dataset", "build", str(data), "--out",
         str(tmp_path / "ray"), "--engine", "ray", "--address", address],
        capture_output=True, text=True, timeout=300, check=False, env=_env(home))
    assert run.returncode == 0, run.stderr[-3000:]
    assert f"hash {embedded['content_hash'][:16]}" in run.stdout
    assert (tmp_path / "ray" / "card.json").read_text() == (
        tmp_path / "embedded" / "card.json").read_text().replace(
        str(tmp_path / "embedded"), str(tmp_path / "ray"))


def test_an_unreachable_address_is_one_line(tmp_path) -> None:
    (port,) = _free_ports(1)
    run = subprocess.run(
        [sys.executable, "-m", "dlip.cli", "dataset", "build", "synthetic", "--out",
         str(tmp_path / "ds"), "--engine", "ray", "--address", f"127.0.0.1:{port}"],
        capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert f"--address 127.0.0.1:{port}" in run.stderr
    assert not (tmp_path / "ds").exists()
