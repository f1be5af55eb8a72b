"""`dlip serve` as an author uses it: a real server process, a saved edit, the page served.

A save that only edits a post's text renders that page alone (the server says so) and tells
open browsers to reload; a save that changes what other pages show (a title) or adds a post
rebuilds the site; and the next `dlip build` has the edit everywhere (blog index, search).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from repo_files import dlip, write

POST = "blog/2024/01/01/one/"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, timeout: float = 30) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.read().decode("utf-8")
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


def _wait_for(url: str, text: str, seconds: float, server: subprocess.Popen, log: Path) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"dlip serve exited {server.returncode}:\n{log.read_text()[-3000:]}")
        page = _get(url)
        if page is not None and text in page:
            return page
        time.sleep(0.1)
    pytest.fail(f"{url} never showed {text!r} within {seconds} s:\n{log.read_text()[-3000:]}")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    write(root / "README.md", "# Ada learns\n\nHello.\n")
    write(root / "daily-blog/2024-01-01 - One.md", "# One\n\nFirst words.\n")
    write(root / "daily-blog/2024-01-02 - Two.md",
          "# Two\n\nSee [one](2024-01-01%20-%20One.md).\n")
    return root


@contextmanager
def _serving(repo: Path, log: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    """A real `dlip serve` of `repo` on a free port: (base URL, process); stopped after."""
    port = _free_port()
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "dlip.cli", "serve", "--repo", str(repo),
             "--dev-addr", f"127.0.0.1:{port}"], stdout=out, stderr=subprocess.STDOUT)
    try:
        yield f"http://127.0.0.1:{port}/", server
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.mark.slow
def test_a_saved_edit_is_served_and_the_next_build_has_it_everywhere(repo: Path,
                                                                     tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    with _serving(repo, log) as (base, server):
        page = _wait_for(base + POST, "First words.", 120, server, log)
        epoch = int(re.search(r"livereload\((\d+), \d+\)", page).group(1))

        # Only the post's text changed: its page alone is rendered again.
        post = repo / "daily-blog/2024-01-01 - One.md"
        post.write_text("# One\n\nFirst words, edited while serving.\n", encoding="utf-8")
        _wait_for(base + POST, "edited while serving", 30, server, log)
        assert "rendered 1 page" in log.read_text()
        # Open browsers are told to reload: the poll answers at once with a newer epoch.
        assert int(_get(f"{base}livereload/{epoch}/1", timeout=5)) > epoch
        # The blog index catches up on the next full build, not on this save.
        assert "edited while serving" not in _get(base + "blog/")

        # A new title shows on other pages: the site is rebuilt.
        post.write_text("# One, renamed\n\nFirst words, edited while serving.\n",
                        encoding="utf-8")
        _wait_for(base + "blog/", "One, renamed", 60, server, log)
        # A new post is a new page.
        write(repo / "daily-blog/2024-01-03 - Three.md", "# Three\n\nA third day.\n")
        _wait_for(base + "blog/2024/01/03/three/", "A third day.", 60, server, log)
        assert "full build" in log.read_text()
        # The README is watched as a file, and an editor may save it by replacing it.
        for n in (1, 2):
            replacement = write(repo / f".README.md.{n}", f"# Ada learns\n\nHello, take {n}.\n")
            os.replace(replacement, repo / "README.md")
            _wait_for(base, f"Hello, take {n}.", 60, server, log)

    built = dlip("build", "--no-run", "--repo", str(repo))
    assert built.returncode == 0, built.stderr
    site = repo / "site"
    renamed = site / "blog/2024/01/01/one-renamed/index.html"  # the slug follows the title
    assert "edited while serving" in renamed.read_text()
    assert "edited while serving" in (site / "blog/index.html").read_text()
    assert "edited while serving" in (site / "search/search_index.json").read_text()
    assert "A third day." in (site / "blog/2024/01/03/three/index.html").read_text()


@pytest.mark.slow
def test_an_open_page_reloads_itself_after_a_save(repo: Path, tmp_path: Path, browser) -> None:
    log = tmp_path / "serve.log"
    with _serving(repo, log) as (base, server):
        _wait_for(base + POST, "First words.", 120, server, log)
        page = browser.new_page()
        console: list[str] = []
        page.on("console", lambda msg: console.append(msg.text))
        page.goto(base + POST, wait_until="load")
        page.wait_for_function("() => document.body.innerText.includes('First words.')")
        post = repo / "daily-blog/2024-01-01 - One.md"
        post.write_text("# One\n\nFirst words, seen in the open tab.\n", encoding="utf-8")
        # Nobody navigates: the live-reload script reloads the tab once the page is rebuilt.
        page.wait_for_function(
            "() => document.body.innerText.includes('seen in the open tab')", timeout=30_000)
        assert "Enabled live reload" in console
        page.close()


@pytest.mark.slow
def test_serving_a_repo_with_its_own_docs_folder(repo: Path, tmp_path: Path) -> None:
    """The generated pages land in the author's docs/ (watched): writing them must not set
    off another rebuild, while a hand-written file there is rebuilt when edited."""
    write(repo / "mkdocs.yml", "site_name: Ada\ndocs_dir: docs\nextra_css:\n"
          "  - stylesheets/extra.css\n")  # no `hooks:`: the posts are still watched
    css = write(repo / "docs/stylesheets/extra.css", "body { color: black; }\n")
    log = tmp_path / "serve.log"
    with _serving(repo, log) as (base, server):
        _wait_for(base + POST, "First words.", 120, server, log)
        post = repo / "daily-blog/2024-01-01 - One.md"
        post.write_text("# One\n\nFirst words, from my own docs.\n", encoding="utf-8")
        _wait_for(base + POST, "from my own docs", 30, server, log)
        time.sleep(2)  # an echo of our own writes into docs/ would show by now
        assert re.findall(r"(rendered \d+ pages?|full build) in", log.read_text()) == \
            ["rendered 1 page"]
        css.write_text("body { color: navy; }\n", encoding="utf-8")
        _wait_for(base + "stylesheets/extra.css", "navy", 30, server, log)


class _Site:
    """Stands in for `live.LiveSite`: records what a rebuild asked of MkDocs."""

    def __init__(self) -> None:
        self.calls: list[object] = []

    def render(self, pages) -> bool:
        self.calls.append(sorted(pages))
        return True

    def build(self) -> None:
        self.calls.append("build")


def test_a_rebuild_renders_the_edited_post_alone_unless_a_hand_written_page_changed(
        tmp_path: Path) -> None:
    from dlip.publish.project import Project
    from dlip.publish.site import incremental
    from dlip.publish.site.serve import rebuild

    root = tmp_path / "repo"
    write(root / "mkdocs.yml", "site_name: Ada\ndocs_dir: docs\n")
    about = write(root / "docs/about.md", "# About\n\nMe.\n")
    post = write(root / "daily-blog/2024-01-01 - One.md", "# One\n\nFirst words.\n")
    project = Project.at(root)
    site = _Site()
    incremental.update(project)  # as serve does before its first build
    assert incremental.generated(project) >= {"blog/2024/01/01/one.md"}

    post.write_text("# One\n\nFirst words, edited.\n", encoding="utf-8")
    swap = write(post.parent / ".2024-01-01 - One.md.swp", b"vim")  # the editor's, beside it
    assert rebuild(project, site, {str(post), str(swap)}) == "rendered 1 page"
    assert site.calls == [["blog/2024/01/01/one.md"]]

    about.write_text("# About\n\nMe, edited.\n", encoding="utf-8")  # MkDocs' own page
    assert rebuild(project, site, {str(about)}) == "full build"
    # A folder named in mkdocs.yml's `watch:` outside the repo: only MkDocs knows it.
    theme = write(tmp_path / "theme/main.html", "{{ page.content }}")
    assert rebuild(project, site, {str(theme)}) == "full build"
    post.write_text("# One, renamed\n\nFirst words.\n", encoding="utf-8")  # other pages too
    assert rebuild(project, site, {str(post)}) == "full build"
    assert site.calls[1:] == ["build", "build", "build"]


def test_saves_are_noticed_by_polling_where_inotify_cannot_be_trusted_or_set_up(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import watchdog.observers.inotify
    from watchdog.events import FileSystemEventHandler

    from dlip.publish.site import watch

    assert not watch.native_ok("/proc")  # not a local disk: a network share is polled too
    assert watch.file_system(str(tmp_path)) is not None

    class Exhausted(watchdog.observers.inotify.InotifyObserver):
        def start(self) -> None:
            raise OSError(28, "inotify watch limit reached")

    monkeypatch.setattr(watchdog.observers.inotify, "InotifyObserver", Exhausted)
    seen: list[str] = []
    handler = FileSystemEventHandler()
    handler.on_any_event = lambda event: seen.append(event.src_path)  # type: ignore[method-assign]
    observer = watch.Observer(native=True)
    observer.schedule(handler, str(tmp_path), recursive=True)
    observer.start()
    try:
        assert observer.kind == "polling"
        time.sleep(0.2)
        write(tmp_path / "post.md", "# Hello\n")
        deadline = time.monotonic() + 10
        while str(tmp_path / "post.md") not in seen and time.monotonic() < deadline:
            time.sleep(0.05)
        assert str(tmp_path / "post.md") in seen
    finally:
        observer.stop()
        observer.join()
