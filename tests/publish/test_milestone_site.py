"""A milestone page in a built site: every link it prints lands on a file that exists.

One throwaway repo, built once for the module with the real CLI (a notebook step, a script
that writes Markdown tables into its results); the tests read the HTML it made.
"""

from __future__ import annotations

import posixpath
import re
import subprocess
import sys
from html import unescape
from pathlib import Path
from urllib.parse import unquote

import nbformat
import pytest

PAGE = "code/000_demo/index.html"


def dlip(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dlip.cli", *args], capture_output=True,
                          text=True, check=False, timeout=300)


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def make_repo(root: Path) -> Path:
    folder = root / "code" / "000_demo"
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("print('hello from the notebook')")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    (folder / "notebooks").mkdir(parents=True)
    nbformat.write(nb, folder / "notebooks" / "explore.ipynb")
    write(folder / "README.md", "# Demo\n\nA milestone with a notebook.\n")
    write(folder / "milestone.yml",
          "title: Demo\nstatus: done\nrun:\n  - notebook: notebooks/explore.ipynb\n"
          "    timeout: 120\n")
    write(root / "README.md", "# Site\n\nHello.\n")
    return root


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_repo(tmp_path_factory.mktemp("repo"))
    result = dlip("build", "--repo", str(root))
    assert result.returncode == 0, result.stdout + result.stderr
    return root


def page_html(root: Path, rel: str = PAGE) -> str:
    return (root / "site" / rel).read_text(encoding="utf-8")


def link_target(root: Path, page_rel: str, href: str) -> Path:
    """The file in the built site that a relative href on a page leads to."""
    path = unquote(unescape(href).split("#", 1)[0])
    target = posixpath.normpath(posixpath.join(posixpath.dirname(page_rel), path))
    site_path = root / "site" / target
    return site_path / "index.html" if href.endswith("/") else site_path


def test_executed_notebook_link_lands_on_the_rendered_notebook(built: Path) -> None:
    page = page_html(built)
    hrefs = re.findall(r'<a href="([^"]+)">executed notebook</a>', page)
    assert hrefs == ["results/notebooks/explore/"]
    target = link_target(built, PAGE, hrefs[0])
    assert target.is_file(), target
    assert "hello from the notebook" in target.read_text(encoding="utf-8")


def test_every_relative_link_on_the_milestone_page_exists(built: Path) -> None:
    page = page_html(built)
    for href in re.findall(r'<a [^>]*href="([^"#][^"]*)"', page):
        if re.match(r"^[a-z]+:|^//", href):
            continue
        assert link_target(built, PAGE, href).exists(), href
