"""The fitted pattern model: encoders, heads, blends; fit, save, load, embed, search, predict.

One object holds both variants so they are always compared on equal terms:
- "finetuned":  the fine-tuned embedding for analogs, its own heads;
- "pretrained": the pretrained trunk's embedding for analogs, linear-probe heads on it.
Each is blended with its analogs and calibrated on validation by `calibrate.Blend`.

What a prediction for bar t used, and hence `latest_analog`: the analogs (outcome bar
strictly before t minus the embargo), the training examples behind the heads (all before
the validation period), and for calibrated frames the validation examples behind the blend.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from dlip import atomic
from dlip.patterns import targets as T
from dlip.patterns.analogs import AnalogDatabase, analog_probs, latest_used
from dlip.patterns.calibrate import Blend
from dlip.patterns.encoder import EncoderConfig, WindowEncoder
from dlip.patterns.train import FitSettings, embed_rows, fit_probe, train_all
from dlip.patterns.windows import Prepared

FORMAT = "dlip-patterns-1"
META_FILE = "model.json"
VERDICT_FILE = "verdict.json"
WEIGHTS = {"finetuned": "finetuned.safetensors", "pretrained": "pretrained.safetensors"}
VARIANTS = ("finetuned", "pretrained")
NOT_MEASURED = "not measured"


class ModelError(ValueError):
    """A model folder that cannot be read (one line: where and why)."""


@dataclass
class Components:
    """The uncalibrated parts of a prediction for some rows."""

    rows: np.ndarray
    p_up_head: np.ndarray
    p_range_head: np.ndarray
    p_up_analog: np.ndarray
    p_range_analog: np.ndarray
    latest_analog: np.ndarray  # datetime64, NaT where no analog


@dataclass
class PatternModel:
    settings: FitSettings
    encoders: dict[str, WindowEncoder]
    probes: dict[str, dict]  # the pretrained variant's heads
    priors: dict[str, list[float]]  # training base rates: up (2), range (3)
    blends: dict[str, dict[str, Blend]] = field(default_factory=dict)
    report: dict = field(default_factory=dict)
    train_end: str = ""  # timestamp of the last training example whose outcome was used
    calibration_end: str = ""  # same for the validation examples behind the blends
    dataset_hash: str = ""
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    def prepared(self, dataset_or_prep) -> Prepared:
        """The dataset's per-row arrays, kept for the last dataset seen (no recomputation
        when one dataset is searched or predicted several times)."""
        if isinstance(dataset_or_prep, Prepared):
            return dataset_or_prep
        hit = self._cache.get("prep")
        if hit is not None and hit[0] is dataset_or_prep:
            return hit[1]
        prep = Prepared(dataset_or_prep)
        self._cache.clear()
        self._cache["prep"] = (dataset_or_prep, prep)
        return prep

    # --- the parts ---------------------------------------------------------------------
    def embed(self, dataset_or_prep, variant: str = "finetuned",
              rows: np.ndarray | None = None) -> np.ndarray:
        """Unit vectors of the windows ending at `rows` (every row of the table by default)."""
        prep = self.prepared(dataset_or_prep)
        _check_variant(variant)
        torch.set_num_threads(min(torch.get_num_threads(), self.settings.threads))
        if rows is not None:
            return embed_rows(self.encoders[variant], prep, np.asarray(rows),
                              self.settings.context, variant)
        key = ("emb", id(prep), variant)
        if key not in self._cache:
            self._cache[key] = (prep, embed_rows(self.encoders[variant], prep,
                                                 np.arange(len(prep.table)),
                                                 self.settings.context, variant))
        return self._cache[key][1]

    def database(self, prep: Prepared, variant: str,
                 vectors: np.ndarray | None = None) -> AnalogDatabase:
        vectors = self.embed(prep, variant) if vectors is None else vectors
        return AnalogDatabase.build(vectors, prep.analog_rows(), prep.outcome_cal)

    def neighbours(self, dataset_or_prep, rows: np.ndarray, k: int = 10,
                   variant: str = "finetuned") -> tuple[np.ndarray, np.ndarray]:
        """Walk-forward k nearest windows of each query row: (table rows (n, k), -1 where
        none; similarities (n, k)). Only analogs whose outcome bar lies strictly before the
        query minus the embargo are candidates."""
        prep = self.prepared(dataset_or_prep)
        rows = np.asarray(rows, dtype=np.int64)
        vectors = self.embed(prep, variant)
        db = self.database(prep, variant, vectors)
        return db.neighbours(vectors[rows], prep.cal[rows], prep.embargo, k)

    def components(self, prep: Prepared, rows: np.ndarray, variant: str) -> Components:
        rows = np.asarray(rows, dtype=np.int64)
        vectors = self.embed(prep, variant)
        q = vectors[rows]
        if variant == "finetuned":
            enc = self.encoders[variant]
            with torch.no_grad():
                enc.eval()
                tok, feat = prep.windows(rows, self.settings.context)
                _, lu, lr = enc(torch.from_numpy(tok), torch.from_numpy(feat))
            p_up = torch.sigmoid(lu).numpy().astype(float)
            p_rng = torch.softmax(lr, dim=1).numpy().astype(float)
        else:
            p_up = _probe(self.probes["up"], q)[:, 1]
            p_rng = _probe(self.probes["range"], q)
        db = self.database(prep, variant, vectors)
        idx, sims = db.neighbours(q, prep.cal[rows], prep.embargo, self.settings.k)
        s = self.settings
        up_prior = np.asarray(self.priors["up"])
        a_up = analog_probs(idx, sims, prep.next_up, 2, up_prior, s.tau, s.prior_strength)[:, 1]
        a_rng = analog_probs(idx, sims, prep.range_class, 3, np.asarray(self.priors["range"]),
                             s.tau, s.prior_strength)
        return Components(rows, p_up, p_rng, a_up, a_rng, latest_used(idx, prep.timestamps))

    def combine(self, c: Components, variant: str, calibrated: bool = True):
        """(p_up, p_range (n, 3)): the validation-fitted blend, or the plain geometric mean."""
        b = self.blends.get(variant) if calibrated else None
        up_b = b["up"] if b else Blend()
        rng_b = b["range"] if b else Blend(c=[0.0, 0.0, 0.0])
        return (up_b.apply_binary(c.p_up_head, c.p_up_analog),
                rng_b.apply_multi(c.p_range_head, c.p_range_analog))

    # --- the contract frame ------------------------------------------------------------
    def predict(self, dataset_or_prep, split: str = "test",
                variant: str = "finetuned") -> pd.DataFrame:
        """One row per bar of `split` (val or test) with targets.PREDICTION_COLUMNS.

        Test frames are calibrated on validation. Validation frames are the uncalibrated
        blend (the inputs the calibration is fitted on), so that they too never use an
        outcome at or after their own bar.
        """
        if split not in ("val", "test"):
            raise ValueError(f"split must be 'val' or 'test', got {split!r}")
        _check_variant(variant)
        prep = self.prepared(dataset_or_prep)
        rows = np.flatnonzero(prep.split == split)
        c = self.components(prep, rows, variant)
        calibrated = split == "test"
        p_up, p_rng = self.combine(c, variant, calibrated)
        used = [self.train_end] + ([self.calibration_end] if calibrated else [])
        floor = max(np.datetime64(pd.Timestamp(u).tz_localize(None)) for u in used if u)
        latest = np.where(np.isnat(c.latest_analog), floor,
                          np.maximum(c.latest_analog, floor))
        ts = prep.table["timestamp"].to_numpy()[rows]
        latest = _like(latest, prep.table["timestamp"])
        frame = pd.DataFrame({
            "symbol": prep.symbols[rows], "timestamp": ts,
            "p_up": p_up, "p_range_low": p_rng[:, 0], "p_range_mid": p_rng[:, 1],
            "p_range_high": p_rng[:, 2], "latest_analog": latest,
            "p_up_head": c.p_up_head, "p_up_analog": c.p_up_analog,
            **{f"p_range_{n}_head": c.p_range_head[:, i] for i, n in enumerate(T.RANGE_CLASSES)},
            **{f"p_range_{n}_analog": c.p_range_analog[:, i]
               for i, n in enumerate(T.RANGE_CLASSES)},
        })
        return frame

    # --- persistence -------------------------------------------------------------------
    def save(self, folder: Path) -> None:
        """Write the model folder atomically (a reader sees the old model or the new one)."""
        from safetensors.torch import save_file

        from dlip.atomic import atomic_directory

        with atomic_directory(Path(folder)) as tmp:
            for name, enc in self.encoders.items():
                state = {k: v.contiguous() for k, v in enc.state_dict().items()}
                save_file(state, str(tmp / WEIGHTS[name]))
            meta = {
                "format": FORMAT,
                "settings": self.settings.to_dict(),
                "encoder": self.encoders["finetuned"].cfg.to_dict(),
                "probes": self.probes, "priors": self.priors,
                "blends": {v: {t: b.to_dict() for t, b in d.items()}
                           for v, d in self.blends.items()},
                "report": self.report, "train_end": self.train_end,
                "calibration_end": self.calibration_end, "dataset_hash": self.dataset_hash,
            }
            (tmp / META_FILE).write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> PatternModel:
        from safetensors.torch import load_file

        folder = Path(folder)
        missing = [f for f in (META_FILE, *WEIGHTS.values()) if not (folder / f).is_file()]
        if missing:
            raise ModelError(f"{folder}: not a pattern model folder (missing {', '.join(missing)})")
        try:
            meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ModelError(f"{folder / META_FILE}: unreadable ({exc})") from None
        if meta.get("format") != FORMAT:
            raise ModelError(f"{folder}: unknown model format {meta.get('format')!r}")
        cfg = EncoderConfig(**meta["encoder"])
        encoders = {}
        for name, file in WEIGHTS.items():
            enc = WindowEncoder(cfg)
            enc.load_state_dict(load_file(str(folder / file)))
            enc.eval()
            encoders[name] = enc
        blends = {v: {t: Blend.from_dict(b) for t, b in d.items()}
                  for v, d in meta["blends"].items()}
        return cls(FitSettings(**meta["settings"]), encoders, meta["probes"], meta["priors"],
                   blends, meta["report"], meta["train_end"], meta["calibration_end"],
                   meta["dataset_hash"])


# --- fitting ---------------------------------------------------------------------------

def fit(dataset, *, seed: int = 0, settings: FitSettings | None = None,
        progress: bool | None = None) -> PatternModel:
    """Pretrain and fine-tune on the training split, fit blends on validation."""
    settings = settings or FitSettings()
    from dlip.patterns.train import lm_nll, lm_targets, token_ngram_bits

    torch.set_num_threads(settings.threads)
    t0 = time.perf_counter()
    prep = Prepared(dataset)
    train_r = prep.examples("train")
    val_r = prep.examples("val")
    if len(train_r) < 2 * settings.finetune_batch // 4 or len(val_r) < 20:
        raise ValueError(f"too few labelled bars to fit: {len(train_r)} training and "
                         f"{len(val_r)} validation examples")
    pretrained, finetuned, report = train_all(prep, settings, seed, progress)
    up_prior = np.bincount(prep.next_up[train_r], minlength=2) + 1.0
    rng_prior = np.bincount(prep.range_class[train_r], minlength=3) + 1.0
    model = PatternModel(
        settings, {"finetuned": finetuned, "pretrained": pretrained}, {},
        {"up": (up_prior / up_prior.sum()).tolist(),
         "range": (rng_prior / rng_prior.sum()).tolist()},
        train_end=str(pd.Timestamp(prep.timestamps[train_r].max())),
        calibration_end=str(pd.Timestamp(prep.timestamps[val_r].max())),
        dataset_hash=str(dataset.meta.get("content_hash", "")),
    )
    z = model.embed(prep, "pretrained", train_r) * np.sqrt(2 * settings.d_model)
    model.probes = {"up": fit_probe(z, prep.next_up[train_r], 2),
                    "range": fit_probe(z, prep.range_class[train_r], 3)}
    for variant in VARIANTS:
        c = model.components(prep, val_r, variant)
        model.blends[variant] = {
            "up": Blend.fit_binary(c.p_up_head, c.p_up_analog, prep.next_up[val_r]),
            "range": Blend.fit_multi(c.p_range_head, c.p_range_analog, prep.range_class[val_r]),
        }
    # The language model's held-out score, beside token n-grams on the same targets.
    for split in ("val", "test"):
        targets = lm_targets(prep, split)
        if len(targets) == 0:
            continue
        for ctx, label in ((True, "with_context"), (False, "tokens_only")):
            nll = lm_nll(pretrained, prep, targets, settings.context, ctx)
            report[f"pretrain_{split}_perplexity_{label}"] = float(np.exp(nll))
            report[f"pretrain_{split}_bits_per_token_{label}"] = float(nll / np.log(2))
        report[f"ngram_{split}_bits_per_token"] = token_ngram_bits(prep, targets)
        report[f"lm_{split}_targets"] = int(len(targets))
    report["fit_seconds"] = time.perf_counter() - t0
    report["seed"] = seed
    model.report = report
    return model


# --- verdicts --------------------------------------------------------------------------

def write_verdict(folder: Path, verdicts: dict[str, str]) -> None:
    """Record, in the model folder, what held-out evaluation concluded per target
    (e.g. {"direction": "no edge ...", "range": "edge ..."}); `search` prints it."""
    atomic.write_text(Path(folder) / VERDICT_FILE, json.dumps(verdicts, indent=1) + "\n")


def read_verdict(folder: Path) -> dict[str, str]:
    path = Path(folder) / VERDICT_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {str(k): str(v) for k, v in data.items()}
    except (OSError, ValueError, AttributeError):
        return {}


# --- helpers ---------------------------------------------------------------------------

def _check_variant(variant: str) -> None:
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r} ({', '.join(VARIANTS)})")


def _probe(p: dict, z: np.ndarray) -> np.ndarray:
    logits = z * np.sqrt(z.shape[1]) @ np.asarray(p["w"]) + np.asarray(p["b"])
    logits -= logits.max(1, keepdims=True)
    e = np.exp(logits)
    return e / e.sum(1, keepdims=True)


def _like(values: np.ndarray, column: pd.Series):
    """Naive datetime64 values in the timezone of the dataset's timestamp column."""
    out = pd.DatetimeIndex(values)
    tz = getattr(column.dtype, "tz", None)
    return out.tz_localize(tz) if tz is not None else out


__all__ = ["PatternModel", "fit", "write_verdict", "read_verdict", "ModelError", "asdict"]
