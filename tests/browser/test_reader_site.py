"""This repo's own site, read as a new reader reads it, at desktop and phone widths.

The site is built from the repo with `dlip build --no-run` (frozen results as committed)
and served on 127.0.0.1. Home, the blog index, a post and every milestone page are opened
at 1280 and 390 pixels: no internal link 404s, each figure is shown once with a caption
and opens full size in the lightbox, headline metrics are labelled in words, nothing
leaves the origin and the console stays clean. Full-page screenshots of each are written
to build/screenshots/ (gitignored; DLIP_BROWSER_SCREENSHOTS moves them) for a reviewer.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from headless_browser import TIMEOUT_MS, Visit, watch
from repo_files import dlip
from site_crawl import crawl

from dlip.publish.discover.milestones import discover_milestones
from dlip.publish.pages.results import labelled_metrics, read_metrics
from dlip.publish.project import Project

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
WIDTHS = (1280, 390)
RAW_METRIC = re.compile(r"\b[a-z0-9]+(?:_[a-z0-9]+)+ = ")  # planted_pattern_recovered_p = 0.6881


def _screenshots() -> Path:
    return Path(os.environ.get("DLIP_BROWSER_SCREENSHOTS") or ROOT / "build" / "screenshots")


MILESTONES: list[tuple[str, bool]] = []  # as they were when the site was built


@pytest.fixture(scope="module")
def site() -> Path:
    MILESTONES[:] = _milestones()
    out = dlip("build", "--no-run", "--repo", str(ROOT), timeout=600)
    assert out.returncode == 0, f"dlip build failed:\n{out.stdout}\n{out.stderr}"
    return ROOT / "site"


def _open(browser, base_url: str, width: int) -> tuple[Visit, object]:
    origin = base_url.rstrip("/")
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    return watch(context, origin), context


def _shoot(visit: Visit, name: str, width: int) -> None:
    folder = _screenshots()
    folder.mkdir(parents=True, exist_ok=True)
    visit.page.screenshot(path=str(folder / f"{name}-{width}.png"), full_page=True)


def _milestones() -> list[tuple[str, bool]]:
    """(docs URL, whether it has labelled metrics the frozen run wrote) of each milestone."""
    milestones, _ = discover_milestones(Project.at(ROOT))
    return [(f"code/{m.name}/", bool(labelled_metrics(m, read_metrics(m)))) for m in milestones]


def _check_figures(visit: Visit) -> int:
    """Each results figure once, inside a figure with a caption; the first opens full size."""
    page = visit.page
    srcs = page.eval_on_selector_all(
        "article img", "imgs => imgs.map(i => i.getAttribute('src'))")
    results = [s for s in srcs if "results/" in s]
    assert len(results) == len(set(results)), f"a figure is shown twice on {page.url}: {results}"
    captions = page.eval_on_selector_all(
        "article img", """imgs => imgs
          .filter(i => (i.getAttribute('src') || '').includes('results/'))
          .map(i => { const f = i.closest('figure');
                      const c = f && f.querySelector('figcaption');
                      return c ? c.textContent.trim() : ''; })""")
    assert all(captions), f"a figure without a caption on {page.url}: {captions}"
    if results:
        link = page.locator("article figure a.glightbox").first
        link.scroll_into_view_if_needed()
        link.click()
        page.locator(".glightbox-container .gslide-image img").first.wait_for(state="visible")
        page.keyboard.press("Escape")
        page.locator(".glightbox-container").wait_for(state="detached")
    return len(results)


@pytest.mark.parametrize("width", WIDTHS)
def test_a_reader_reads_home_blog_a_post_and_every_milestone(browser, base_url: str,
                                                             width: int) -> None:
    visit, context = _open(browser, base_url, width)
    try:
        visit.goto(base_url)
        _shoot(visit, "home", width)
        cards = visit.page.locator(".dlip-milestone-headline").all_inner_texts()
        assert cards and not any(RAW_METRIC.search(text) for text in cards), cards
        visit.assert_links_resolve()

        visit.goto(base_url + "blog/")
        _shoot(visit, "blog", width)
        visit.assert_links_resolve()
        first_post = visit.page.locator("article h2 a").first
        if width < 600:  # on a phone the posts come before the calendar
            calendar = visit.page.locator(".dlip-streak").bounding_box()
            assert calendar is not None and first_post.bounding_box()["y"] < calendar["y"]
        visit.goto(first_post.evaluate("a => a.href"))
        _shoot(visit, "post", width)
        visit.assert_links_resolve()

        figures = 0
        for url, labelled in MILESTONES:
            visit.goto(base_url + url)
            _shoot(visit, url.strip("/").replace("/", "-"), width)
            if labelled:
                key = visit.page.locator(".dlip-key-results li").all_inner_texts()
                assert key and not any(RAW_METRIC.search(t) for t in key), (url, key)
            figures += _check_figures(visit)
            visit.assert_links_resolve()
        assert figures > 0, "no milestone page showed a results figure"
        visit.assert_clean()
    finally:
        context.close()


def test_a_crawl_of_every_internal_link_finds_no_404_and_no_orphan(site: Path) -> None:
    result = crawl(site)
    assert result.pages > 0 and result.links > 0
    assert not result.missing and not result.orphans, result.summary()
