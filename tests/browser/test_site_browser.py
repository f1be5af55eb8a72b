"""A real browser reads a real site: Debian's Chromium, driven by Playwright.

A throwaway repo (three posts, one milestone whose script draws a PNG, writes metrics and
prints a `<script>` tag) is built with `dlip build` in a subprocess, served over HTTP on
127.0.0.1, and read the way a visitor reads it: home, a post, the milestone page, and the
search box typed into key by key. Every page must load without a console error, without a
dialog, and without any request leaving the site's own origin.

Under CI (`CI=true`) a missing browser fails the run; elsewhere the test is skipped with
the reason. Set DLIP_BROWSER_SCREENSHOTS=<folder> to keep a screenshot of every page.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from headless_browser import TIMEOUT_MS, Visit, chromium, watch
from repo_files import dlip

pytestmark = pytest.mark.browser

SEARCH_WORD = "heteroscedastic"  # appears in one post only
POST_TITLE = "Volatility clusters"
MILESTONE_TITLE = "A figure and some hostile output"
HOSTILE = "<script>alert(1)</script>"


# --- the throwaway repo -------------------------------------------------------------------

FIGURE_SCRIPT = '''\
"""Draws a gradient PNG, writes metrics, and prints something that looks like HTML."""
import json
import os
import struct
import zlib
from pathlib import Path


def png(width, height):
    """A real RGB PNG, written without any imaging library."""

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(
        b"\\x00" + bytes(v for x in range(width) for v in (4 * x % 256, 5 * y % 256, 160))
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = chunk(b"IDAT", zlib.compress(rows))
    return b"\\x89PNG\\r\\n\\x1a\\n" + chunk(b"IHDR", header) + pixels + chunk(b"IEND", b"")


out = Path(os.environ.get("DLIP_RESULTS_DIR", "results-local"))
out.mkdir(parents=True, exist_ok=True)
(out / "gradient.png").write_bytes(png(160, 90))
(out / "metrics.json").write_text(json.dumps({"accuracy": 0.875, "epochs": 3}))
print("wrote gradient.png and metrics.json to", out.name)
# Assembled at run time, so only the captured output (not the source listing) holds the tag.
print("<" + "script>alert(1)</" + "script>")
'''

MILESTONE_YML = f"""\
title: {MILESTONE_TITLE}
section: Simple neural network
status: done
summary: Draws a picture and prints a script tag that must stay text.
run:
  - script: draw.py
    timeout: 120
headline: accuracy
"""

POSTS = {
    "2026-11-02 - Getting started.md": "# Getting started\n\nSetting up the repo today.\n",
    f"2026-11-03 - {POST_TITLE}.md": (
        "---\ntags: [markets]\n---\n\n"
        f"Returns are {SEARCH_WORD}: quiet days follow quiet days, and wild days cluster.\n\n"
        "The figure lives in [the milestone](../code/000_figure/).\n"
    ),
    "2026-11-03 - A second post on the same day.md": "Two posts on one day are fine.\n",
}


def _make_repo(root: Path) -> Path:
    for name, text in POSTS.items():
        path = root / "daily-blog" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    milestone = root / "code" / "000_figure"
    milestone.mkdir(parents=True)
    (milestone / "milestone.yml").write_text(MILESTONE_YML, encoding="utf-8")
    (milestone / "draw.py").write_text(FIGURE_SCRIPT, encoding="utf-8")
    (milestone / "README.md").write_text(
        "# A figure\n\nThe script draws a gradient.\n", encoding="utf-8"
    )
    (root / "README.md").write_text("# A throwaway learning repo\n", encoding="utf-8")
    return root


def _build(repo: Path) -> Path:
    out = dlip("build", "--repo", str(repo), timeout=600)
    assert out.returncode == 0, f"dlip build failed:\n{out.stdout}\n{out.stderr}"
    site = repo / "site"
    assert (site / "index.html").is_file(), f"no site/index.html after dlip build:\n{out.stdout}"
    return site


# --- serving and browsing -----------------------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build(_make_repo(tmp_path_factory.mktemp("repo")))


@pytest.fixture
def visit(browser, base_url: str) -> Iterator[Visit]:
    origin = base_url.rstrip("/")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    seen = watch(context, origin)
    page = seen.page

    def on_dialog(dialog) -> None:
        seen.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    try:
        yield seen
    finally:
        context.close()


def _link_to(visit: Visit, text: str) -> str:
    """The absolute URL of the first link on the page whose text contains `text`."""
    link = visit.page.locator("a", has_text=text).first
    href = link.get_attribute("href")
    assert href, f"no link with text {text!r} on {visit.page.url}"
    return link.evaluate("a => a.href")


# --- what a visitor does ------------------------------------------------------------------


def test_home_links_to_the_posts_and_the_milestone(visit: Visit, base_url: str) -> None:
    visit.goto(base_url)
    visit.shoot("home")
    body = visit.page.locator("body").inner_text()
    assert MILESTONE_TITLE in body
    assert POST_TITLE in body
    visit.assert_links_resolve()
    visit.assert_clean()


def test_a_post_opens_from_home(visit: Visit, base_url: str) -> None:
    visit.goto(base_url)
    visit.goto(_link_to(visit, POST_TITLE))
    visit.shoot("post")
    assert POST_TITLE in visit.page.locator("h1").first.inner_text()
    assert SEARCH_WORD in visit.page.locator("article").first.inner_text()
    visit.assert_links_resolve()
    # The post links its milestone as `../code/000_figure/`, a path in the repo, not the site.
    visit.goto(_link_to(visit, "the milestone"))
    assert MILESTONE_TITLE in visit.page.locator("h1").first.inner_text()
    visit.assert_clean()


def test_milestone_page_shows_its_figure_and_output_as_text(visit: Visit, base_url: str) -> None:
    visit.goto(base_url)
    visit.goto(_link_to(visit, MILESTONE_TITLE))
    page = visit.page
    assert MILESTONE_TITLE in page.locator("h1").first.inner_text()

    figure = page.locator("img[src*='gradient']").first
    figure.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete", arg=figure.element_handle())
    assert figure.evaluate("img => img.naturalWidth") == 160

    # The captured output may sit in a collapsed block: open it the way a reader would.
    block = page.locator("details", has_text=HOSTILE)
    assert block.count() == 1, "the captured output is not on the milestone page"
    if not block.evaluate("d => d.open"):
        block.locator("summary").first.click()
    shown = block.get_by_text(HOSTILE, exact=False).first
    shown.wait_for(state="visible")
    assert HOSTILE in shown.inner_text()
    ran = page.evaluate("[...document.scripts].some(s => s.textContent.includes('alert(1)'))")
    assert not ran, "the milestone's output became a <script> element"
    assert "0.875" in page.locator("article").first.inner_text()
    visit.shoot("milestone")
    visit.assert_links_resolve()
    visit.assert_clean()


def test_search_finds_a_post_by_a_word_typed_key_by_key(visit: Visit, base_url: str) -> None:
    visit.goto(base_url)
    page = visit.page
    box = page.locator("input.md-search__input")
    box.click()  # on a desktop-wide window the search box sits in the header
    box.press_sequentially(SEARCH_WORD, delay=40)
    hit = page.locator(".md-search-result__item", has_text=POST_TITLE).first
    hit.wait_for(state="visible")
    visit.shoot("search")
    hit.locator("a").first.click()
    page.wait_for_load_state("networkidle")
    assert POST_TITLE in page.locator("h1").first.inner_text()
    visit.assert_clean()


@pytest.mark.parametrize(
    ("ci", "outcome"), [("true", pytest.fail.Exception), ("", pytest.skip.Exception)]
)
def test_a_missing_browser_fails_on_ci_and_skips_elsewhere(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, ci: str, outcome: type[BaseException]
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no chromium on it
    monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match="chromium"):
        chromium()
