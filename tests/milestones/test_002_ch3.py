"""Milestone 002: chapter-3 techniques on the numpy network.

Small and fast: gradient checks for every cost and regularizer, a short real training
run, the stopping and schedule rules, the IDX reader's errors, and the script end to end
in its --quick mode.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

FOLDER = "002_nn-chapter-3-techniques"
FASHION = Path("/usr/share/datasets/fashion-mnist")


@pytest.fixture
def ch3(milestone_module):
    """The milestone's modules, imported the way a reader runs them."""

    class Modules:
        gradcheck = milestone_module(FOLDER, "ch3_gradcheck")
        network = milestone_module(FOLDER, "ch3_network")
        training = milestone_module(FOLDER, "ch3_training")
        data = milestone_module(FOLDER, "ch3_data")
        idx = milestone_module(FOLDER, "ch3_idx")
        naive = milestone_module(FOLDER, "ch3_naive")

    return Modules


@pytest.fixture(scope="module")
def mnist(request):
    """The MNIST 5k split, loaded once for the module."""
    sys.path.insert(0, str(Path(request.config.rootpath) / "code" / FOLDER))
    try:
        import ch3_data

        return ch3_data.load_mnist5k(split_seed=0)
    finally:
        sys.path.pop(0)


CASES = ["quadratic", "quadratic_softmax", "cross_entropy", "log_likelihood", "l2", "l1",
         "dropout", "relu_hidden"]


@pytest.mark.parametrize("label", CASES)
def test_backprop_matches_finite_differences(ch3, label):
    config = dict(ch3.gradcheck.CASES)[label]
    assert ch3.gradcheck.check(config, n_checks=30) < 1e-6


def test_every_cost_and_regularizer_has_a_gradient_check(ch3):
    covered = {cfg.cost for _, cfg in ch3.gradcheck.CASES}
    covered |= {cfg.regularizer for _, cfg in ch3.gradcheck.CASES}
    assert {"quadratic", "cross_entropy", "log_likelihood", "l1", "l2"} <= covered
    assert sorted(CASES) == sorted(label for label, _ in ch3.gradcheck.CASES)


def test_naive_reference_computes_the_same_gradient(ch3):
    rng = np.random.default_rng(1)
    config = ch3.network.NetConfig(sizes=(20, 8, 5), cost="cross_entropy", init="scaled",
                                   regularizer="l2", lmbda=2.0)
    net = ch3.network.Network(config, seed=3, dtype=np.float64)
    x = rng.random((7, 20))
    y = ch3.data.one_hot(rng.integers(0, 5, 7), 5, dtype=np.float64)
    fast_W, fast_b = net.gradients(x, y, n_train=50)
    slow_W, slow_b = ch3.naive.NaiveNetwork(net).gradients(x, y, n_train=50)
    for f, s in zip(fast_W, slow_W, strict=True):
        np.testing.assert_allclose(f, s.T, rtol=1e-10, atol=1e-12)
    for f, s in zip(fast_b, slow_b, strict=True):
        np.testing.assert_allclose(f, s[:, 0], rtol=1e-10, atol=1e-12)


def test_mismatched_cost_and_output_is_refused(ch3):
    with pytest.raises(ValueError, match="cross_entropy"):
        ch3.network.Network(ch3.network.NetConfig(cost="cross_entropy", output="softmax"))


def test_short_run_learns_far_above_chance(ch3, mnist):
    config = ch3.network.NetConfig(sizes=(784, 30, 10), cost="log_likelihood",
                                   output="softmax", init="scaled", regularizer="l2",
                                   lmbda=1.0, dropout=0.1)
    net = ch3.network.Network(config, seed=0)
    train = ch3.training.TrainConfig(epochs=3, batch_size=20, eta=0.05, momentum=0.9,
                                     max_shift=1)
    n = 1500
    history = ch3.training.train(net, mnist.x_train[:n], mnist.y_train[:n], mnist.x_val,
                                 mnist.y_val, train, seed=0)
    assert history.epochs_run == 3
    assert net.accuracy(mnist.x_test, mnist.y_test) > 0.75  # chance is 0.10


def frozen_problem(ch3):
    """A problem where validation accuracy cannot change: a learning rate of ~0."""
    rng = np.random.default_rng(0)
    x, labels = rng.random((40, 6)).astype(np.float32), rng.integers(0, 3, 40)
    net = ch3.network.Network(ch3.network.NetConfig(sizes=(6, 4, 3)), seed=0)
    return net, x, labels


def test_early_stopping_stops_and_keeps_best_weights(ch3):
    net, x, labels = frozen_problem(ch3)
    before = [W.copy() for W in net.W]
    config = ch3.training.TrainConfig(epochs=50, batch_size=8, eta=1e-12,
                                      early_stop_patience=4)
    history = ch3.training.train(net, x, labels, x, labels, config)
    assert history.stopped_early
    assert history.epochs_run == 5  # the best epoch, then 4 without improvement
    assert history.best_epoch == 1
    for W0, W in zip(before, net.W, strict=True):
        np.testing.assert_allclose(W, W0, atol=1e-6)


def test_schedule_halves_the_rate_on_a_plateau(ch3):
    net, x, labels = frozen_problem(ch3)
    config = ch3.training.TrainConfig(epochs=7, batch_size=8, eta=1e-12, schedule_patience=2)
    history = ch3.training.train(net, x, labels, x, labels, config)
    assert not history.stopped_early
    assert np.allclose(np.array(history.eta) / 1e-12, [1, 1, 1, 0.5, 0.5, 0.25, 0.25])


def test_shifting_moves_pixels_and_keeps_the_rest(ch3):
    image = np.zeros((1, 28, 28), dtype=np.float32)
    image[0, 10:14, 12:15] = 1.0
    flat = image.reshape(1, -1)
    rng = np.random.default_rng(0)
    untouched = ch3.training.shift_images(flat, rng, max_shift=2, share=0.0)
    np.testing.assert_array_equal(untouched, flat)
    many = np.repeat(flat, 50, axis=0)
    shifted = ch3.training.shift_images(many, rng, max_shift=2, share=1.0)
    assert np.allclose(shifted.sum(axis=1), flat.sum())  # the blob never leaves the frame
    assert len({row.tobytes() for row in shifted}) > 5


# ----- IDX input -----------------------------------------------------------------
def test_idx_round_trip(ch3, tmp_path):
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    ch3.idx.write_idx(tmp_path / "x-idx3-ubyte.gz", images)
    np.testing.assert_array_equal(ch3.idx.read_idx(tmp_path / "x-idx3-ubyte.gz"), images)


def test_idx_missing_file(ch3, tmp_path):
    with pytest.raises(ch3.idx.IdxError, match="nope.gz: file not found"):
        ch3.idx.read_idx(tmp_path / "nope.gz")


def test_idx_bad_magic(ch3, tmp_path):
    path = tmp_path / "bad-idx1-ubyte.gz"
    with gzip.open(path, "wb") as f:
        f.write(b"\x1f\x8b\x08\x01" + bytes(20))
    with pytest.raises(ch3.idx.IdxError, match="bad magic number 0x1f8b0801"):
        ch3.idx.read_idx(path)


def test_idx_truncated(ch3, tmp_path):
    path = tmp_path / "short-idx3-ubyte"
    ch3.idx.write_idx(path, np.zeros((5, 28, 28), dtype=np.uint8))
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(ch3.idx.IdxError, match="short-idx3-ubyte: truncated"):
        ch3.idx.read_idx(path)


def test_idx_broken_gzip(ch3, tmp_path):
    path = tmp_path / "cut-idx1-ubyte.gz"
    ch3.idx.write_idx(path, np.zeros(1000, dtype=np.uint8))
    path.write_bytes(path.read_bytes()[:15])
    with pytest.raises(ch3.idx.IdxError, match="cut-idx1-ubyte.gz: cannot read"):
        ch3.idx.read_idx(path)


def test_fashion_folder_missing_a_file_says_how_to_get_it(ch3, tmp_path):
    ch3.idx.write_idx(tmp_path / "train-images-idx3-ubyte.gz", np.zeros((2, 28, 28), np.uint8))
    with pytest.raises(ch3.data.DataMissing) as info:
        ch3.data.load_fashion(tmp_path)
    message = str(info.value)
    assert "dataset-fashion-mnist" in message and "t10k-labels-idx1-ubyte.gz" in message


@pytest.mark.skipif(not FASHION.is_dir(), reason="Debian package dataset-fashion-mnist absent")
def test_real_fashion_labels_read(ch3):
    labels = ch3.idx.read_idx(FASHION / "t10k-labels-idx1-ubyte.gz")
    assert labels.shape == (10000,)
    assert np.bincount(labels).tolist() == [1000] * 10


def test_split_is_stratified_and_disjoint(mnist):
    assert (len(mnist.y_train), len(mnist.y_val), len(mnist.y_test)) == (3500, 500, 1000)
    assert np.bincount(mnist.y_test).tolist() == [100] * 10
    assert np.bincount(mnist.y_val).tolist() == [50] * 10
    seen = {row.tobytes() for row in mnist.x_test}
    assert sum(row.tobytes() in seen for row in mnist.x_train) < 5  # a few true duplicates


# ----- the script as the runner calls it ------------------------------------------
def test_quick_run_writes_the_metrics_contract(request, tmp_path):
    folder = Path(request.config.rootpath) / "code" / FOLDER
    env = {**os.environ, "DLIP_RESULTS_DIR": str(tmp_path), "MPLBACKEND": "Agg",
           "DLIP_SEED": "0"}
    proc = subprocess.run([sys.executable, "ch3_ablation.py", "--quick"], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    for name in ("mnist5k_full_stack_accuracy_mean", "baseline_accuracy_mean",
                 "ablation_cross_entropy_accuracy", "ablation_l1_accuracy",
                 "grad_check_max_rel_error"):
        assert isinstance(metrics[name], float), name
    assert metrics["grad_check_max_rel_error"] < 1e-6
    assert isinstance(metrics["ablation_full_stack_techniques"], str)
    table = (tmp_path / "ablation.md").read_text()
    assert "| `early_stopping` |" in table and "| **full_stack** |" in table
    assert (tmp_path / "ablation_mnist5k.png").stat().st_size > 10_000


def test_standardized_inputs_are_fitted_on_training_images(ch3, mnist):
    config = ch3.network.NetConfig(sizes=(784, 10, 10), standardize=True)
    net = ch3.network.Network(config, seed=0)
    with pytest.raises(RuntimeError, match="fit_input_scaling"):
        net.predict(mnist.x_val)
    ch3.training.train(net, mnist.x_train, mnist.y_train, mnist.x_val, mnist.y_val,
                       ch3.training.TrainConfig(epochs=1, batch_size=50, eta=0.1))
    np.testing.assert_allclose(net.x_mean, mnist.x_train.mean(axis=0), atol=1e-5)
