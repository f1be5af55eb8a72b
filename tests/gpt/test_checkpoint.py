"""Checkpoints: identical logits after a round trip, clear errors, and exact resume."""

from __future__ import annotations

import json

import pytest
import torch

from dlip.gpt.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from dlip.gpt.config import preset
from dlip.gpt.model import GPTModel
from dlip.gpt.train import TrainConfig, train


def _model(**changes) -> GPTModel:
    torch.manual_seed(0)
    return GPTModel(preset("tiny-test", **changes)).eval()


@pytest.mark.parametrize("tie", [True, False])
def test_save_then_load_gives_identical_logits(tmp_path, tie):
    model = _model(tie_weights=tie)
    path = save_checkpoint(tmp_path / "ckpt.safetensors", model, {"step": 3})
    ckpt = load_checkpoint(path)
    idx = torch.randint(64, (2, 16))
    with torch.no_grad():
        assert torch.equal(model(idx), ckpt.model.eval()(idx))
    assert ckpt.state == {"step": 3}
    assert ckpt.config == model.cfg
    assert (ckpt.model.out_head.weight is ckpt.model.tok_emb.weight) == tie


def test_corrupt_weights_name_the_file(tmp_path):
    path = save_checkpoint(tmp_path / "ckpt.safetensors", _model())
    path.write_bytes(b"\x00" * 5 + b"definitely not safetensors")
    with pytest.raises(CheckpointError, match=r"ckpt\.safetensors: not a readable safetensors"):
        load_checkpoint(path)


def test_truncated_weights_name_the_file(tmp_path):
    path = save_checkpoint(tmp_path / "ckpt.safetensors", _model())
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(CheckpointError, match=r"ckpt\.safetensors"):
        load_checkpoint(path)


def test_weights_that_do_not_fit_the_config_name_the_file(tmp_path):
    path = save_checkpoint(tmp_path / "ckpt.safetensors", _model())
    meta_path = path.with_suffix(".json")
    meta = json.loads(meta_path.read_text())
    meta["config"]["d_model"] = 64
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match=r"ckpt\.safetensors: tensor .* has shape"):
        load_checkpoint(path)
    meta["config"]["d_model"] = 32
    meta["config"]["n_layers"] = 3
    meta_path.write_text(json.dumps(meta))
    mismatch = r"ckpt\.safetensors: weights do not match .*blocks\.2"
    with pytest.raises(CheckpointError, match=mismatch):
        load_checkpoint(path)


def test_missing_or_broken_config_names_the_json(tmp_path):
    path = save_checkpoint(tmp_path / "ckpt.safetensors", _model())
    path.with_suffix(".json").write_text("{oops")
    with pytest.raises(CheckpointError, match=r"ckpt\.json: not a readable JSON"):
        load_checkpoint(path)
    path.with_suffix(".json").unlink()
    with pytest.raises(CheckpointError, match=r"ckpt\.json: config file missing"):
        load_checkpoint(path)
    with pytest.raises(CheckpointError, match=r"nothing\.safetensors: no such"):
        load_checkpoint(tmp_path / "nothing.safetensors")


def test_checkpoint_holds_no_pickle(tmp_path):
    path = save_checkpoint(tmp_path / "ckpt.safetensors", _model())
    header_len = int.from_bytes(path.read_bytes()[:8], "little")
    header = json.loads(path.read_bytes()[8 : 8 + header_len])
    assert all(v["dtype"] == "F32" for k, v in header.items() if k != "__metadata__")


def test_resume_continues_exactly(tmp_path):
    ids = torch.randint(64, (500,), generator=torch.Generator().manual_seed(5))
    base = {"batch_size": 4, "warmup_steps": 2, "eval_interval": 3, "seed": 1}

    straight = _model(dropout=0.1).train()
    full = train(straight, ids[:400], ids[400:], TrainConfig(max_steps=6, **base), progress=False)

    ckpt = str(tmp_path / "run.safetensors")
    first = _model(dropout=0.1).train()
    cfg = TrainConfig(max_steps=6, checkpoint_path=ckpt, **base)
    train(first, ids[:400], ids[400:], cfg, progress=False, stop_at=3)  # interrupted
    second = _model(dropout=0.1).train()
    resumed = train(second, ids[:400], ids[400:], cfg, resume=True, progress=False)
    assert resumed.losses == pytest.approx(full.losses, abs=1e-5)
    assert resumed.history[-1]["val_loss"] == pytest.approx(full.history[-1]["val_loss"], abs=1e-5)
