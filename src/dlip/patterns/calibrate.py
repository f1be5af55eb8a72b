"""Combine the heads with the analogs and calibrate, on the validation split.

One small model per target, a geometric blend with a temperature and a bias:

    binary:      p_up = sigmoid(a * logit(p_head) + b * logit(p_analog) + c)
    multi-class: p    = softmax(a * log p_head + b * log p_analog + c)

a and b are the weights and the temperature at once (a = b = 0.5, c = 0 is the plain
geometric mean); c absorbs a base-rate shift between training and validation. Three or
five numbers fitted by maximum likelihood on thousands of validation bars cannot memorise
them, which is why this is preferred over isotonic regression here; the test split is
then scored once with the numbers frozen.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
from scipy.optimize import minimize
from scipy.special import log_softmax

EPS = 1e-6
L2 = 1e-3  # a whisper of ridge on (a, b) toward the plain average


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, EPS, 1 - EPS)
    return np.log(p) - np.log1p(-p)


@dataclass
class Blend:
    """Weights of the heads (a), the analogs (b) and the class biases (c)."""

    a: float = 0.5
    b: float = 0.5
    c: list[float] = field(default_factory=lambda: [0.0])

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> Blend:
        return cls(float(d["a"]), float(d["b"]), [float(x) for x in d["c"]])

    # --- binary ------------------------------------------------------------------------
    def apply_binary(self, p_head: np.ndarray, p_analog: np.ndarray) -> np.ndarray:
        z = self.a * _logit(p_head) + self.b * _logit(p_analog) + self.c[0]
        return 1.0 / (1.0 + np.exp(-z))

    @classmethod
    def fit_binary(cls, p_head: np.ndarray, p_analog: np.ndarray, y: np.ndarray) -> Blend:
        x1, x2, y = _logit(p_head), _logit(p_analog), np.asarray(y, float)

        def loss(w):
            z = w[0] * x1 + w[1] * x2 + w[2]
            nll = np.mean(np.logaddexp(0, z) - y * z)
            return nll + L2 * ((w[0] - 0.5) ** 2 + (w[1] - 0.5) ** 2)

        w = minimize(loss, np.array([0.5, 0.5, 0.0]), method="L-BFGS-B").x
        return cls(float(w[0]), float(w[1]), [float(w[2])])

    # --- multi-class -------------------------------------------------------------------
    def apply_multi(self, p_head: np.ndarray, p_analog: np.ndarray) -> np.ndarray:
        z = (self.a * np.log(np.clip(p_head, EPS, 1)) + self.b * np.log(np.clip(p_analog, EPS, 1))
             + np.asarray(self.c)[None, :])
        return np.exp(log_softmax(z, axis=1))

    @classmethod
    def fit_multi(cls, p_head: np.ndarray, p_analog: np.ndarray, y: np.ndarray) -> Blend:
        lh, la = np.log(np.clip(p_head, EPS, 1)), np.log(np.clip(p_analog, EPS, 1))
        y = np.asarray(y, int)
        k = p_head.shape[1]

        def loss(w):
            c = np.concatenate([[0.0], w[2:]])  # the first class's bias is the reference
            z = log_softmax(w[0] * lh + w[1] * la + c[None, :], axis=1)
            nll = -np.mean(z[np.arange(len(y)), y])
            return nll + L2 * ((w[0] - 0.5) ** 2 + (w[1] - 0.5) ** 2)

        w = minimize(loss, np.concatenate([[0.5, 0.5], np.zeros(k - 1)]), method="L-BFGS-B").x
        return cls(float(w[0]), float(w[1]), [0.0, *map(float, w[2:])])
