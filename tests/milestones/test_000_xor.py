"""Milestone 000: the numpy XOR network, its gradient checks, and its scripts' contracts."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest

FOLDER = "000_neural-network-xor"


@pytest.fixture
def xor(milestone_module):
    return milestone_module(FOLDER, "nn_SGD")


@pytest.fixture
def results(tmp_path, monkeypatch):
    monkeypatch.setenv("DLIP_RESULTS_DIR", str(tmp_path))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    return tmp_path


@pytest.mark.parametrize("cost", ["quadratic", "cross-entropy"])
@pytest.mark.parametrize("sizes", [[2, 2, 1], [2, 3, 3, 1], [2, 4, 2]])
def test_backprop_matches_finite_differences_and_autograd(milestone_module, sizes, cost):
    grad_check = milestone_module(FOLDER, "grad_check")
    for seed in (0, 7):
        fd_error, autograd_error = grad_check.check_one(sizes, cost, seed)
        assert fd_error < 1e-6
        assert autograd_error < 1e-10


def test_autograd_engine_on_a_known_function(milestone_module):
    autograd = milestone_module(FOLDER, "tiny_autograd")
    x, y = autograd.Value(0.7), autograd.Value(-1.3)
    f = (x * y + x.log()) * (y - 2.0).sigmoid() + 3.0 * x
    f.backward()
    s = 1 / (1 + math.exp(-(-1.3 - 2.0)))
    assert f.data == pytest.approx((0.7 * -1.3 + math.log(0.7)) * s + 2.1)
    assert x.grad == pytest.approx((-1.3 + 1 / 0.7) * s + 3.0)
    assert y.grad == pytest.approx(0.7 * s + (0.7 * -1.3 + math.log(0.7)) * s * (1 - s))


def test_the_cross_entropy_delta_is_output_minus_target(xor):
    z = np.array([[-3.0], [0.2], [5.0]])
    y = np.array([[0.0], [1.0], [1.0]])
    assert np.allclose(xor.CrossEntropyCost.delta(z, y), xor.sigmoid(z) - y)
    # A saturated, confidently wrong output still has a finite cost and a full-size gradient.
    assert np.isfinite(xor.CrossEntropyCost.value(np.array([[-800.0]]), np.array([[1.0]])))


@pytest.mark.parametrize("cost", ["cross-entropy", "quadratic"])
def test_sgd_learns_xor(xor, cost):
    net = xor.Network([2, 4, 1], seed=0, cost=xor.COSTS[cost])
    before = net.total_cost(xor.XOR_INPUTS, xor.XOR_TARGETS)
    log = xor.train(net, xor.XOR_INPUTS, xor.XOR_TARGETS, epochs=1500, lr=2.0, batch_size=2,
                    stop_when_solved=True)
    assert log.solved_at is not None
    outputs = net.predict(xor.XOR_INPUTS)
    assert np.all(np.abs(outputs - xor.XOR_TARGETS) < 0.1)
    assert log.costs[-1] < before / 4


def test_same_seed_same_run(xor):
    runs = []
    for _ in range(2):
        net = xor.Network([2, 2, 1], seed=3)
        runs.append(xor.train(net, xor.XOR_INPUTS, xor.XOR_TARGETS, 50, 2.0, 2).costs)
    assert runs[0] == runs[1]


def test_nn_sgd_writes_figures_and_metrics(xor, results, capsys):
    assert xor.main(["--epochs", "400", "--seed", "0"]) == 0
    assert "solved at epoch" in capsys.readouterr().out
    metrics = json.loads((results / "metrics.json").read_text())
    assert isinstance(metrics["example_run_epochs_to_solve"], int)
    assert (results / "loss_curve.png").stat().st_size > 0
    assert (results / "decision_surface.png").stat().st_size > 0


def test_grad_check_script_passes_and_reports(milestone_module, results):
    grad_check = milestone_module(FOLDER, "grad_check")
    assert grad_check.main([]) == 0
    metrics = json.loads((results / "metrics.json").read_text())
    assert 0 < metrics["grad_check_max_rel_error"] < 1e-6


def test_small_seed_sweep_writes_the_contract_metrics(milestone_module, results):
    sweep = milestone_module(FOLDER, "seed_sweep")
    assert sweep.main(["--seeds", "4", "--epochs", "600", "--longer", "700"]) == 0
    metrics = json.loads((results / "metrics.json").read_text())
    for name in ("solve_rate_2_4_1", "solve_rate_2_2_1", "median_epochs_2_4_1"):
        assert name in metrics
    assert metrics["solve_rate_2_4_1"] == 1.0
    assert metrics["symmetric_start_2_2_1_solved"] == 0
    assert (results / "epochs_to_solve.png").exists()


def test_stuck_network_sits_on_the_floor_its_hidden_code_allows(milestone_module):
    sweep = milestone_module(FOLDER, "seed_sweep")
    xor = sys.modules["nn_SGD"]
    net = xor.Network([2, 2, 1], seed=1)  # seed 1 gets stuck in the full sweep
    log = xor.train(net, xor.XOR_INPUTS, xor.XOR_TARGETS, 1000, 2.0, 2)
    diagnosis = sweep.diagnose(net)
    assert log.solved_at is None
    assert diagnosis.collapsed
    assert diagnosis.floor == pytest.approx(math.log(2) / 2)
    assert log.costs[-1] == pytest.approx(diagnosis.floor, abs=0.02)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--sizes", "3", "4", "1"], "must start with 2 and end with 1"),
        (["--sizes", "2", "0", "1"], "whole numbers >= 1"),
        (["--sizes", "2"], "at least an input and an output layer"),
        (["--lr", "-1"], "--lr > 0"),
    ],
)
def test_bad_arguments_give_one_clear_line(milestone_module, args, message):
    folder = milestone_module(FOLDER, "results_io").HERE
    proc = subprocess.run([sys.executable, "nn_SGD.py", *args, "--no-figures"], cwd=folder,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
