"""What the browser tests share: find Chromium, serve a built site, launch, watch requests.

Debian's Chromium (Google Chrome on GitHub's Ubuntu runners), driven by Playwright. Under
CI (`CI=true`) a missing browser fails the run; elsewhere the test is skipped with the
reason. Importable from any test module because pyproject.toml puts tests/ on pytest's
pythonpath.
"""

from __future__ import annotations

import functools
import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 30_000


def unavailable(reason: str) -> None:
    """Fail under CI, where a browser is part of the job; skip, saying why, elsewhere."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true but {reason}; the browser test must run on CI", pytrace=False)
    pytest.skip(reason)


def chromium() -> str:
    """The path of the first Chromium or Chrome on PATH; fails on CI, skips elsewhere."""
    names = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
    path = next((found for name in names if (found := shutil.which(name))), None)
    if path is None:
        unavailable("no `chromium` on PATH (Debian package `chromium`; `make test` installs it)")
    return path


def same_origin(url: str, origin: str) -> bool:
    """Whether a request stays on the site; data:, blob: and about: never leave the page."""
    parts = urlsplit(url)
    if parts.scheme in {"data", "blob", "about"}:
        return True
    return f"{parts.scheme}://{parts.netloc}" == origin


class QuietHandler(SimpleHTTPRequestHandler):
    """Serves files without a log line per request on the test's output."""

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


def serve(site: Path) -> Iterator[str]:
    """Serve a built site on 127.0.0.1 (a free port) for a fixture; yields its base URL."""
    handler = functools.partial(QuietHandler, directory=str(site))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def launch() -> Iterator[object]:
    """A headless Chromium for a fixture, closed afterwards; fails on CI, skips elsewhere."""
    executable = chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the `playwright` package is not installed (test extra)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Visit:
    """One browser tab and everything it saw: requests, console errors, dialogs."""

    page: object
    origin: str
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def goto(self, url: str) -> None:
        response = self.page.goto(url, wait_until="networkidle")
        assert response is not None and response.ok, f"{url}: HTTP {response and response.status}"

    def shoot(self, name: str) -> None:
        folder = os.environ.get("DLIP_BROWSER_SCREENSHOTS")
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)

    def assert_links_resolve(self) -> None:
        """Every link in the page's content that stays on the site answers 200."""
        hrefs = self.page.eval_on_selector_all("article a[href]", "links => links.map(a => a.href)")
        targets = {h.split("#")[0] for h in hrefs if same_origin(h, self.origin)}
        broken = [t for t in sorted(targets) if self.page.request.get(t).status != 200]
        assert broken == [], f"broken links on {self.page.url}: {broken}"

    def assert_clean(self) -> None:
        strangers = [u for u in self.requests if not same_origin(u, self.origin)]
        assert strangers == [], f"requests left {self.origin}: {strangers}"
        assert self.errors == [], f"console errors: {self.errors}"
        assert self.dialogs == [], f"dialogs opened: {self.dialogs}"


def watch(context, origin: str) -> Visit:
    """A new tab in `context` that records every request, HTTP error and console error.

    Requests to any other host are aborted (and still recorded, so assert_clean names them).
    """
    page = context.new_page()
    seen = Visit(page, origin)
    # Record every request (workers included); never let one reach another host.
    context.route(
        "**/*",
        lambda route: (
            route.continue_() if same_origin(route.request.url, origin) else route.abort()
        ),
    )
    context.on("request", lambda request: seen.requests.append(request.url))
    context.on(
        "response",
        lambda response: (
            response.status >= 400 and seen.errors.append(f"HTTP {response.status}: {response.url}")
        ),
    )
    page.on("console", lambda msg: msg.type == "error" and seen.errors.append(msg.text))
    page.on("pageerror", lambda exc: seen.errors.append(f"uncaught: {exc}"))
    return seen
