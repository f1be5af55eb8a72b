"""The pattern model end to end on tiny data: fit, save/load, embed, the prediction frame."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dlip.patterns import targets as T
from dlip.patterns.model import ModelError, PatternModel, read_verdict, write_verdict


def test_fit_reports_language_model_and_ngrams(tiny_model) -> None:
    r = tiny_model.report
    for key in ("pretrain_val_perplexity_tokens_only", "pretrain_val_bits_per_token_with_context"):
        assert np.isfinite(r[key]) and r[key] > 0
    # a perplexity can never exceed the vocabulary it spreads over by much after training
    assert r["pretrain_val_perplexity_tokens_only"] < 400
    assert set(r["ngram_val_bits_per_token"]) == {"unigram", "bigram", "trigram"}


def test_save_load_round_trip(tiny_model, small_dataset, tmp_path) -> None:
    tiny_model.save(tmp_path / "m")
    back = PatternModel.load(tmp_path / "m")
    a = tiny_model.embed(small_dataset, "finetuned", np.arange(50, 60))
    b = back.embed(small_dataset, "finetuned", np.arange(50, 60))
    np.testing.assert_allclose(a, b, atol=1e-6)
    f1 = tiny_model.predict(small_dataset, "test")
    f2 = back.predict(small_dataset, "test")
    pd.testing.assert_frame_equal(f1, f2)


def test_load_rejects_a_folder_that_is_not_a_model(tmp_path) -> None:
    with pytest.raises(ModelError, match="not a pattern model folder"):
        PatternModel.load(tmp_path)


def test_embeddings_are_unit_vectors(tiny_model, small_dataset) -> None:
    for variant in ("finetuned", "pretrained"):
        z = tiny_model.embed(small_dataset, variant)
        assert z.shape[0] == len(small_dataset.table)
        np.testing.assert_allclose(np.linalg.norm(z, axis=1), 1.0, atol=1e-4)


@pytest.mark.parametrize("variant", ["finetuned", "pretrained"])
@pytest.mark.parametrize("split", ["val", "test"])
def test_predict_honours_the_contract(tiny_model, small_dataset, split, variant) -> None:
    frame = tiny_model.predict(small_dataset, split, variant)
    T.check_predictions(frame)
    assert list(frame.columns[: len(T.PREDICTION_COLUMNS)]) == list(T.PREDICTION_COLUMNS)
    assert len(frame) == int((small_dataset.table["split"] == split).sum())
    assert (frame["latest_analog"] < frame["timestamp"]).all()


def test_verdict_round_trip(tmp_path) -> None:
    assert read_verdict(tmp_path) == {}
    write_verdict(tmp_path, {"direction": "no edge"})
    assert read_verdict(tmp_path) == {"direction": "no edge"}
