"""No analog, statistic, calibration or normalisation uses a bar at or after the predicted one.

The predicted bar of row t is t+1. So: rewriting every bar after t (every symbol) must leave
the prediction for t unchanged; the training statistics must not move when anything after
the training period changes; a model fitted on data whose test period was rewritten must
be the same model; and every analog's outcome bar must lie before t minus the embargo.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dlip.patterns import targets as T
from dlip.patterns.model import fit
from dlip.patterns.train import FitSettings
from dlip.patterns.windows import Prepared, context_features, training_medians

PROBS = list(T.PROB_COLUMNS)


def _rows_at(frame: pd.DataFrame, when: pd.Timestamp) -> pd.DataFrame:
    return frame[frame["timestamp"] <= when].reset_index(drop=True)


@pytest.mark.parametrize("variant", ["finetuned", "pretrained"])
@pytest.mark.parametrize("share", [0.0, 0.4, 0.9])
def test_rewriting_the_future_leaves_predictions_unchanged(tiny_model, small_dataset,
                                                           dataset_maker, variant, share) -> None:
    test_ts = small_dataset.table.loc[small_dataset.table["split"] == "test", "timestamp"]
    when = pd.Timestamp(np.quantile(test_ts.astype("int64"), share))
    changed = dataset_maker(rewrite_after=when)
    assert not np.allclose(changed.table["close"], small_dataset.table["close"])
    before = _rows_at(tiny_model.predict(small_dataset, "test", variant), when)
    after = _rows_at(tiny_model.predict(changed, "test", variant), when)
    assert len(before) > 0
    pd.testing.assert_frame_equal(before, after)


def test_context_features_at_t_use_bars_up_to_t_only(small_dataset, dataset_maker) -> None:
    t = small_dataset.table
    when = t["timestamp"].iloc[len(t) // 2]
    changed = dataset_maker(rewrite_after=when).table
    m = training_medians(t)
    keep = (t["timestamp"] <= when).to_numpy()
    np.testing.assert_array_equal(context_features(t, m)[keep], context_features(changed, m)[keep])


def test_training_statistics_ignore_everything_after_training(small_dataset, dataset_maker) -> None:
    t = small_dataset.table
    end = t.loc[t["split"] == "train", "timestamp"].max()
    changed = dataset_maker(rewrite_after=end)
    a, b = Prepared(small_dataset), Prepared(changed)
    assert a.medians == b.medians and a.edges == b.edges


def test_a_rewritten_test_period_fits_the_same_model(tiny_model, small_dataset,
                                                      dataset_maker) -> None:
    t = small_dataset.table
    start = t.loc[t["split"] == "test", "timestamp"].min()
    changed = dataset_maker(rewrite_after=start)
    other = fit(changed, seed=0, settings=FitSettings.tiny(), progress=False)
    for name, enc in tiny_model.encoders.items():
        for (k, v), (_, w) in zip(enc.state_dict().items(),
                                  other.encoders[name].state_dict().items(), strict=True):
            assert np.array_equal(v.numpy(), w.numpy()), f"{name}.{k} moved"
    assert tiny_model.blends == other.blends


def test_every_analog_is_older_than_the_embargo(tiny_model, small_dataset) -> None:
    prep = Prepared(small_dataset)
    rows = np.flatnonzero(prep.split == "test")[::7]
    idx, _ = tiny_model.neighbours(prep, rows, k=15)
    assert (idx >= 0).any()
    for q, found in zip(rows, idx, strict=True):
        found = found[found >= 0]
        assert (prep.outcome_cal[found] < prep.cal[q] - prep.embargo).all()
        assert (prep.timestamps[found] < prep.timestamps[q]).all()


def test_latest_analog_is_before_the_predicted_bar(tiny_model, small_dataset) -> None:
    for split in ("val", "test"):
        f = tiny_model.predict(small_dataset, split)
        assert (f["latest_analog"] < f["timestamp"]).all()
