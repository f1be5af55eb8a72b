"""Helpers for the milestone tests: load a module from a milestone folder by path.

Milestones 000-002 are self-contained folders, not packages; their tests import them the
way a reader runs them, with the folder on sys.path.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CODE = REPO / "code"


@pytest.fixture
def milestone_module(monkeypatch: pytest.MonkeyPatch):
    """`milestone_module("000_neural-network-xor", "nn_SGD")` imports that file."""

    def load(folder: str, module: str):
        path = CODE / folder
        monkeypatch.syspath_prepend(str(path))
        monkeypatch.chdir(path)
        sys.modules.pop(module, None)
        return importlib.import_module(module)

    return load
