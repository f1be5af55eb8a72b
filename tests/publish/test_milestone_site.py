"""A milestone page in a built site: every link it prints lands on a file that exists.

One throwaway repo, built once for the module with the real CLI (a notebook step, a script
that writes Markdown tables into its results); the tests read the HTML it made.
"""

from __future__ import annotations

import posixpath
import re
from html import unescape
from pathlib import Path
from urllib.parse import unquote

import nbformat
import pytest
from repo_files import dlip, write

PAGE = "code/000_demo/index.html"


TABLES = """\
import base64, json, os
from pathlib import Path

out = Path(os.environ.get("DLIP_RESULTS_DIR", "results-local"))
out.mkdir(parents=True, exist_ok=True)
(out / "metrics.json").write_text(json.dumps({"accuracy": 0.875}))
(out / "curve.png").write_bytes(base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="))
(out / "card.md").write_text(
    "# Data card\\n\\nRows: 42. See [the curve](curve.png), [the README](../README.md) and "
    "[away](../../../../etc/passwd).\\n\\n<script>alert('card')</script>\\n\\n"
    "## Sources\\n\\n| name | rows |\\n|---|---:|\\n| a | 42 |\\n\\n"
    "```python\\n# a comment, not a heading\\nhtml = '<script>kept as code</script>'\\n```\\n")
(out / "ablation.md").write_text(
    "Plain table, no heading.\\n\\n| run | loss |\\n|---|---|\\n| a | 1 |\\n")
print("wrote the tables")
"""


def make_repo(root: Path) -> Path:
    folder = root / "code" / "000_demo"
    write(folder / "tables.py", TABLES)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("print('hello from the notebook')")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    (folder / "notebooks").mkdir(parents=True)
    nbformat.write(nb, folder / "notebooks" / "explore.ipynb")
    write(folder / "README.md", "# Demo\n\nA milestone with a notebook.\n")
    write(folder / "milestone.yml",
          "title: Demo\nstatus: done\nrun:\n  - script: tables.py\n"
          "  - notebook: notebooks/explore.ipynb\n    timeout: 120\n")
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


def test_markdown_the_run_wrote_is_on_the_page_between_metrics_and_figures(built: Path) -> None:
    page = page_html(built)
    order = [page.index(marker) for marker in
             ('id="metrics"', 'id="results-ablation.md"', 'id="results-card.md"',
              'id="figures"', 'id="output"')]
    assert order == sorted(order)
    # headings nest under the results section: the file's # is h3, its ## is h4
    assert re.search(r'<h3 id="data-card">Data card', page)
    assert re.search(r'<h4 id="sources">Sources', page)
    assert re.search(r'<h3 id="ablation">ablation', page)  # named after the file
    assert re.search(r"<td[^>]*>42</td>", page)  # the table renders
    assert "From <code>results/card.md</code>, written by the run." in page


def test_markdown_the_run_wrote_is_safe_and_its_links_work(built: Path) -> None:
    page = page_html(built)
    assert "<script>alert('card')</script>" not in page
    assert "&lt;script&gt;alert('card')&lt;/script&gt;" in page  # shown as text
    assert "# a comment, not a heading" in page  # code stays code
    assert "&lt;script&gt;kept as code&lt;/script&gt;" in page
    (para,) = re.findall(r"<p>Rows: 42\..*?</p>", page)
    assert '<a href="results/curve.png">the curve</a>' in para
    assert (built / "site/code/000_demo/results/curve.png").is_file()
    assert '<a href="#">the README</a>' in para  # the milestone's README is this very page
    assert '<span class="dlip-broken-link">away</span>' in para  # refused, never copied


def test_check_names_a_broken_link_in_results_markdown(built: Path) -> None:
    result = dlip("check", "--repo", str(built))
    assert result.returncode == 1
    assert any("results/card.md" in line and "outside the repo" in line
               for line in result.stderr.splitlines()), result.stderr
