"""Fixtures the browser tests share: each module provides its own `site` (a built site
folder); these serve it on 127.0.0.1 and launch one headless Chromium per module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from headless_browser import launch, serve


@pytest.fixture(scope="module")
def base_url(site: Path) -> Iterator[str]:
    yield from serve(site)


@pytest.fixture(scope="module")
def browser():
    yield from launch()
