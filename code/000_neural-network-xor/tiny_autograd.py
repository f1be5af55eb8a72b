"""A scalar automatic-differentiation engine, small enough to read in one sitting.

Each Value remembers the Values it was computed from and how to pass a gradient back to
them. `backward()` visits the graph in reverse topological order and applies the chain
rule once per edge. It knows nothing about networks: `autograd_gradients` below builds the
XOR network out of Values, so its gradients are an independent check on the hand-written
backprop in nn_SGD.py.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np


class Value:
    def __init__(self, data: float, parents: tuple[Value, ...] = ()):
        self.data = float(data)
        self.grad = 0.0
        self._parents = parents
        self._backward: Callable[[], None] = lambda: None

    def __add__(self, other: Value | float) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other))

        def backward() -> None:
            self.grad += out.grad
            other.grad += out.grad

        out._backward = backward
        return out

    def __mul__(self, other: Value | float) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other))

        def backward() -> None:
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = backward
        return out

    def __neg__(self) -> Value:
        return self * -1.0

    def __sub__(self, other: Value | float) -> Value:
        return self + (-other)

    def __radd__(self, other: float) -> Value:
        return self + other

    def __rmul__(self, other: float) -> Value:
        return self * other

    def __rsub__(self, other: float) -> Value:
        return Value(other) - self

    def log(self) -> Value:
        out = Value(math.log(self.data), (self,))

        def backward() -> None:
            self.grad += out.grad / self.data

        out._backward = backward
        return out

    def sigmoid(self) -> Value:
        s = 1.0 / (1.0 + math.exp(-self.data))
        out = Value(s, (self,))

        def backward() -> None:
            self.grad += s * (1.0 - s) * out.grad

        out._backward = backward
        return out

    def backward(self) -> None:
        """d(self)/d(v) into v.grad for every Value v that self depends on."""
        order: list[Value] = []
        seen: set[int] = set()

        def visit(v: Value) -> None:  # depth-first: parents before children
            if id(v) not in seen:
                seen.add(id(v))
                for parent in v._parents:
                    visit(parent)
                order.append(v)

        visit(self)
        self.grad = 1.0
        for v in reversed(order):
            v._backward()


def autograd_gradients(
    weights: list[np.ndarray], biases: list[np.ndarray], x: np.ndarray, y: np.ndarray, cost: str
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Gradients of the mean cost, computed by building the network out of scalar Values.

    Same conventions as nn_SGD.py: W has shape (n_out, n_in), samples are rows of x.
    """
    w_vals = [[[Value(v) for v in row] for row in w] for w in weights]
    b_vals = [[Value(v) for v in b] for b in biases]
    total = Value(0.0)
    for sample, target in zip(x, y, strict=True):
        a: list[Value | float] = list(sample)
        for w_layer, b_layer in zip(w_vals, b_vals, strict=True):
            a = [
                sum((w_j * a_j for w_j, a_j in zip(row, a, strict=True)), b).sigmoid()
                for row, b in zip(w_layer, b_layer, strict=True)
            ]
        for out, t in zip(a, target, strict=True):
            if cost == "quadratic":
                total = total + 0.5 * (out - t) * (out - t)
            elif cost == "cross-entropy":
                total = total - (t * out.log() + (1.0 - t) * (1.0 - out).log())
            else:
                raise ValueError(f"unknown cost {cost!r}")
    mean = total * (1.0 / len(x))
    mean.backward()
    grad_w = [np.array([[v.grad for v in row] for row in w]) for w in w_vals]
    grad_b = [np.array([v.grad for v in b]) for b in b_vals]
    return grad_w, grad_b
