"""The publisher tried adversarially: every case is a repo an author (or an attacker) could
write, and what the publisher must do with it.

One module, so a reader can scan every case at once; grouped by the rule each case tests:
1. outside the repo, 2. nothing that runs, 3. results that lie, 4. smaller defects.
"""

from __future__ import annotations

import errno
import functools
import html
import json
import platform
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from importlib import metadata
from pathlib import Path

import markdown
import nbformat
import psutil
import pytest
import yaml
from headless_browser import chromium, unavailable
from repo_files import dlip, write

from dlip.publish import sanitize
from dlip.publish.discover.milestones import discover_milestones
from dlip.publish.discover.posts import MAX_TITLE_BYTES, discover_posts, new_post, read_post
from dlip.publish.pages.results import results_markdown
from dlip.publish.project import Project, outside_reason
from dlip.publish.run import freeze, runner
from dlip.publish.run.runner import run_milestones, run_named
from dlip.publish.site import config as site_config
from dlip.publish.site.build import build, check, generate_pages


def _post(root: Path, name: str, text: str) -> Path:
    return write(root / "daily-blog" / f"{name}.md", text)


def _milestone(root: Path, folder: str, config: str = "", **files: str) -> Path:
    folder_path = root / "code" / folder
    write(folder_path / "README.md", f"# {folder}\n\nSee [the script](train.py).\n")
    write(folder_path / "train.py", "print('hello')\n")
    if config:
        write(folder_path / "milestone.yml", config)
    for name, text in files.items():
        write(folder_path / name, text)
    return folder_path


# --- 1. outside the repo -----------------------------------------------------------------

SECRET = "dlip-test-secret-0f3c"  # in files outside the repo and in the build's environment
PASSWD = "root:x:0:0"  # the first line of /etc/passwd


def _outside_repo(tmp_path: Path) -> Path:
    """A repo whose every published path was pointed out of it, one way each."""
    outside = tmp_path / "outside"
    write(outside / "secret.txt", f"{SECRET}\n")
    write(outside / "secret.md", f"# {SECRET}\n\n{SECRET}\n")
    write(outside / "secret.svg", f'<svg xmlns="http://www.w3.org/2000/svg"><text>{SECRET}</text>'
                                  "</svg>\n")
    root = tmp_path / "repo"
    write(root / "README.md", "# Outside\n\nA repo that points out of itself.\n")
    posts = root / "daily-blog"
    _post(root, "2026-01-05 - Fine", "A fine post: [[/etc/passwd]], [[../../etc/passwd]], "
                                     "[gone](gone.png) and [away](away.txt).\n")
    (posts / "2026-01-01 - Passwd.md").symlink_to("/etc/passwd")
    (posts / "2026-01-02 - Environ.md").symlink_to("/proc/self/environ")
    (posts / "2026-01-03 - Secret.md").symlink_to(outside / "secret.md")
    (posts / "gone.png").symlink_to(root / "nowhere.png")
    (posts / "away.txt").symlink_to(outside / "secret.txt")
    code = root / "code"
    code.mkdir()
    (code / "001_etc").symlink_to("/etc")
    (code / "002_root").symlink_to("/")
    milestone = _milestone(root, "000_results", "title: Results from outside\n")
    (milestone / "notes.md").symlink_to(outside / "secret.md")
    (milestone / "plot.svg").symlink_to(outside / "secret.svg")
    results = milestone / "results"
    write(results / "run.json", json.dumps({"status": "ok", "steps": [
        {"log": "/etc/passwd", "command": ["python", "a.py"]},
        {"log": "logs/b.log", "command": ["python", "b.py"]},
        {"log": "logs/../../../../../outside/secret.txt", "command": ["python", "c.py"]},
    ]}))
    (results / "logs").mkdir()
    (results / "logs" / "b.log").symlink_to(outside / "secret.txt")
    (results / "card.md").symlink_to(outside / "secret.md")
    (results / "figure.svg").symlink_to(outside / "secret.svg")
    (results / "figure.png").symlink_to(outside / "secret.txt")
    (results / "metrics.json").symlink_to(outside / "secret.txt")
    return root


def test_check_names_every_path_that_leads_out_of_the_repo(tmp_path: Path) -> None:
    root = _outside_repo(tmp_path)
    out = dlip("check", "--repo", str(root))
    assert out.returncode == 1
    assert "Traceback" not in out.stderr + out.stdout
    lines = out.stderr.splitlines()
    for name in ("2026-01-01 - Passwd.md", "2026-01-02 - Environ.md", "2026-01-03 - Secret.md",
                 "code/001_etc", "code/002_root", "000_results/notes.md",
                 "000_results/plot.svg", "results/logs/b.log", "results/card.md",
                 "results/figure.svg", "results/figure.png", "results/metrics.json"):
        assert any(name in line and line.startswith("error:") and "outside the repo" in line
                   for line in lines), f"{name} not refused:\n{out.stderr}"
    assert any("'/etc/passwd'" in line and "run.json" in line for line in lines), out.stderr
    assert any("secret.txt'" in line and "run.json" in line for line in lines), out.stderr
    assert any("[[/etc/passwd]]" in line for line in lines), out.stderr
    assert any("'gone.png'" in line and "dangling symlink" in line for line in lines), out.stderr
    assert any("'away.txt'" in line and "outside the repo" in line for line in lines), out.stderr


def test_build_warns_skips_and_publishes_nothing_from_outside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _outside_repo(tmp_path)
    monkeypatch.setenv("DLIP_TEST_TOKEN", SECRET)  # what /proc/self/environ would show
    out = dlip("build", "--no-run", "--repo", str(root), timeout=600)
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr + out.stdout
    assert "warning: daily-blog/2026-01-01 - Passwd.md" in out.stderr.replace(str(root) + "/", "")
    site = root / "site"
    assert (site / "index.html").is_file() and (site / "search" / "search_index.json").is_file()
    leaked = [p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()
              and (SECRET.encode() in p.read_bytes() or PASSWD.encode() in p.read_bytes())]
    assert leaked == []
    assert not (site / "code" / "001_etc").exists() and not (site / "code" / "002_root").exists()
    assert "Fine" in (site / "feed.xml").read_text(encoding="utf-8")


def test_outside_reason_follows_links_to_the_end(tmp_path: Path) -> None:
    root = write(tmp_path / "repo" / "a.txt", "a").parent
    (root / "inside").symlink_to(root / "a.txt")
    (root / "hop").symlink_to(tmp_path / "repo" / "inside")  # a link to a link inside
    (root / "out").symlink_to(tmp_path)
    (root / "loop").symlink_to(root / "loop")
    (root / "dangling").symlink_to(root / "missing")
    assert outside_reason(root / "a.txt", root) is None
    assert outside_reason(root / "hop", root) is None
    assert "outside the repo" in outside_reason(root / "out", root)
    assert outside_reason(root / "out" / "repo" / "a.txt", root) is None  # out, then back in
    assert "cannot be resolved" in outside_reason(root / "loop", root)
    assert "dangling" in outside_reason(root / "dangling", root)
    assert "outside the repo" in outside_reason(Path("/etc/passwd"), root)


# --- 2. nothing that runs ----------------------------------------------------------------

# Every payload opens a dialog if it runs; the browser test below records dialogs.
RUNS = {
    "site name": '<script>alert("site name")</script>',
    "milestone title": '<img src=x onerror=alert("milestone title")>',
    "note heading": '<svg onload=alert("note heading")>',
}
RESULTS_CARD = """# Card <img src=x onerror=alert('card heading')>

<img src=x onerror=alert('img')> <input autofocus onfocus=alert('input')>

<details open ontoggle=alert('details')><summary>more</summary>text</details>

[a link](javascript:alert('link')) and [another](<javascript:alert('angle')>)
{: onclick="alert('attr list')" }

| metric | value |
|---|---:|
| rows | 42 |
"""
SVG_SCRIPT = ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:svg="http://www.w3.org/2000/svg">'
              '<svg:script>alert("svg:script")</svg:script><rect width="1" height="1"/></svg>')
SVG_ONLOAD = '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(\'svg onload\')"/>'
SVG_FOREIGN = ('<svg xmlns="http://www.w3.org/2000/svg"><foreignObject width="9" height="9">'
               '<img xmlns="http://www.w3.org/1999/xhtml" src="x" onerror="alert(\'foreign\')"/>'
               "</foreignObject></svg>")
SVG_EXTERNAL = ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
                '<use xlink:href="https://evil.example/sprite.svg#a"/></svg>')
SVG_DRAWING = ('<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><style>rect{fill:'
               '#369}</style><rect width="40" height="20" clip-path="url(#c)"/></svg>')
PAGE_HTML = ('<html><body><h1>Demo</h1><script>alert("html file")</script>'
             '<p onmouseover="alert(\'hover\')">hi <a href="javascript:alert(\'a\')">a</a></p>'
             "</body></html>")


def _notebook_with_outputs(name: str) -> str:
    """A notebook whose stored outputs would run: HTML, JavaScript and Markdown ones."""
    outputs = [
        {"output_type": "display_data", "metadata": {}, "data": {
            "text/html": f"<img src=x onerror=\"alert('{name} html')\"><b>drawn</b>",
            "text/plain": "drawn"}},
        {"output_type": "display_data", "metadata": {},
         "data": {"application/javascript": f"alert('{name} js')"}},
        {"output_type": "execute_result", "metadata": {}, "execution_count": 1,
         "data": {"text/markdown": f"<img src=x onerror=\"alert('{name} md')\">"}},
    ]
    cells = [{"cell_type": "markdown", "metadata": {}, "source": f"# {name}"},
             {"cell_type": "code", "metadata": {}, "execution_count": 1, "source": "show()",
              "outputs": outputs}]
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 4})


def _nothing_runs(root: Path) -> Path:
    """A repo holding every way a string that is not the author's could run on the site."""
    write(root / "README.md", f"# {RUNS['site name']}\n\nA repo of hostile strings.\n")
    write(root / "notes" / "guide.md", f"# {RUNS['note heading']}\n\nA note.\n")
    _post(root, "2026-02-01 - Links", (
        "Links: [angle](<javascript:alert('angle post')>), [plain](javascript:alert('plain')), "
        "[spaced](  JaVaScRiPt:alert('case')), [entity](java&#115;cript:alert('entity')) and "
        "[a reference][r].\n\n"
        "[r]: javascript:alert('reference')\n\n"
        "Files: [svg](files/script.svg), [foreign](files/foreign.svg), [page](files/page.html), "
        "[external](files/external.svg), [drawing](files/drawing.svg).\n\n"
        '<b title="the author\'s own raw HTML stays">mine</b>\n\n'
        # The control: the author's own raw HTML is theirs and runs, so the test can see a run.
        '<img src="data:," onerror="alert(\'author\')" alt="">\n'))
    # Links the line-by-line rewriter cannot see whole; the page's Markdown extension does.
    _post(root, "2026-02-02 - Wrapped", "---\nmilestone: '000'\ntags: [\"<img src=x onerror="
                                        "alert('tag')>\"]\n---\n\n"
                                        "A [wrapped\nlink](javascript:alert('wrapped')) and "
                                        "[a reference][w].\n\n[w]:\n  javascript:alert('w')\n")
    files = root / "daily-blog" / "files"
    write(files / "script.svg", SVG_SCRIPT)
    write(files / "foreign.svg", SVG_FOREIGN)
    write(files / "external.svg", SVG_EXTERNAL)
    write(files / "drawing.svg", SVG_DRAWING)
    write(files / "page.html", PAGE_HTML)
    folder = _milestone(root, "000_hostile", f"title: '{RUNS['milestone title']}'\n",
                        **{"onload.svg": SVG_ONLOAD})
    write(folder / "README.md", "# Hostile\n\n![a drawing](onload.svg)\n")
    write(folder / "results" / "run.json", json.dumps({"status": "ok", "steps": []}))
    write(folder / "results" / "card.md", RESULTS_CARD)
    write(folder / "results" / "plot.svg", SVG_SCRIPT)
    write(folder / "explore.ipynb", _notebook_with_outputs("milestone notebook"))
    write(root / "notes" / "scratch.ipynb", _notebook_with_outputs("note notebook"))
    return root


def test_titles_from_the_readme_milestones_and_notes_are_escaped(tmp_path: Path) -> None:
    project = Project.at(_nothing_runs(tmp_path))
    site = generate_pages(project, write=False)
    nav = json.dumps(site.nav)
    assert RUNS["milestone title"] not in nav and RUNS["note heading"] not in nav
    assert html.escape(RUNS["milestone title"]) in nav
    assert html.escape(RUNS["note heading"]) in nav
    config = yaml.safe_load(site_config.write_default_config(project).read_text())
    assert config["site_name"] == html.escape(RUNS["site name"])
    assert sanitize.text("Markets & <models>") == "Markets & &lt;models&gt;"  # no &amp;amp;


def test_markdown_a_run_wrote_keeps_its_table_and_loses_what_runs(tmp_path: Path) -> None:
    project = Project.at(_nothing_runs(tmp_path))
    page = generate_pages(project, write=False).pages["code/000_hostile/index.md"]
    results = page[page.index("## Results"):]
    assert re.search(r"<[^>]*\son\w+\s*=", results) is None  # no event handler in any tag
    assert "<input" not in results and "javascript:" not in results
    assert "&lt;img src=x onerror" in results  # the heading's tag is text
    assert "<td>42</td>" in results and "<details" in results  # the table renders


def test_svg_and_html_files_are_checked_before_they_are_copied(tmp_path: Path) -> None:
    project = Project.at(_nothing_runs(tmp_path))
    site = generate_pages(project, write=False)
    copied = {Path(rel).name for rel in site.copies}
    assert {"script.svg", "foreign.svg", "external.svg", "onload.svg", "plot.svg"} & copied == set()
    assert "drawing.svg" in copied  # a drawing is a drawing
    page = site.pages["daily-blog/files/page.html"]  # published, sanitized
    assert "Demo" in page and "<script" not in page and "onmouseover" not in page
    assert "javascript:" not in page
    refused = {p.path.name for p in site.problems if p.refused}
    assert {"onload.svg", "plot.svg"} <= refused  # in the milestone folder and its results
    linked = " ".join(p.reason for p in site.problems if "more than a drawing" in p.reason)
    for name in ("script.svg", "foreign.svg", "external.svg", "onload.svg"):
        assert f"'{name}' leads to an SVG" in linked or f"/{name}' leads to an SVG" in linked
    assert "plot.svg is not shown" in site.pages["code/000_hostile/index.md"]


def test_what_a_notebook_displayed_is_data(tmp_path: Path) -> None:
    project = Project.at(_nothing_runs(tmp_path))
    site = generate_pages(project, write=False)
    notebooks = {rel: text for rel, text in site.pages.items() if rel.endswith(".ipynb")}
    assert len(notebooks) == 2 and not any(rel.endswith(".ipynb") for rel in site.copies)
    for rel, text in notebooks.items():
        outputs = json.dumps([cell.get("outputs") for cell in json.loads(text)["cells"]])
        assert "onerror" not in outputs and "alert(" not in outputs, rel
        assert "<b>drawn</b>" in outputs and "needs a script to show" in outputs, rel


def test_post_links_lead_only_to_http_mailto_or_the_site(tmp_path: Path) -> None:
    project = Project.at(_nothing_runs(tmp_path))
    site = generate_pages(project, write=False)
    (page,) = [text for rel, text in site.pages.items() if rel.startswith("blog/2026/02/01/")]
    post = page.split("\n---\n", 1)[1]  # the front matter's description is escaped text
    assert "javascript" not in post.lower() and "java&#115;cript" not in post
    assert '<b title="the author\'s own raw HTML stays">mine</b>' in post
    unsafe = [p for p in site.problems
              if "scheme other than" in p.reason and p.path.name == "2026-02-01 - Links.md"]
    assert len(unsafe) == 5, unsafe  # four inline links and the reference


def test_links_markdown_makes_keep_only_safe_urls_when_rendered() -> None:
    text = ("[wrapped\nlink](javascript:alert(1)) [r][r] ![i](javascript:x) [ok](https://a.b) "
            "[page](x.md) <a href=\"javascript:alert('mine')\">raw</a>\n\n[r]:\n  vbscript:x\n")
    out = markdown.markdown(text, extensions=["dlip.publish.sanitize"])
    assert re.findall(r'(?:href|src)="([^"]*)"', out) == [
        "https://a.b", "x.md", "javascript:alert('mine')"]  # the author's raw HTML is theirs


def test_check_fails_on_what_would_run_and_build_warns(tmp_path: Path) -> None:
    root = _nothing_runs(tmp_path)
    out = dlip("check", "--repo", str(root))
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert "files/script.svg' leads to an SVG that is more than a drawing" in out.stderr
    assert "scheme other than http, https or mailto" in out.stderr


def _chromium_or_skip() -> str:
    """Chromium and Playwright, as the browser tests find them: missing fails only on CI."""
    found = chromium()
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        unavailable("the `playwright` package is not installed (test extra)")
    return found


@pytest.mark.browser
def test_a_browser_opens_every_page_built_from_them_and_nothing_runs(tmp_path: Path) -> None:
    chromium = _chromium_or_skip()
    root = _nothing_runs(tmp_path)
    out = dlip("build", "--no-run", "--repo", str(root), timeout=600)
    assert out.returncode == 0, out.stderr
    site = root / "site"
    pages = sorted(p.relative_to(site).as_posix() for p in site.rglob("*")
                   if p.suffix in (".html", ".svg") and "assets" not in p.parts)
    assert "daily-blog/files/page.html" in pages and "notes/guide/index.html" in pages
    from playwright.sync_api import sync_playwright

    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(site))
    handler.log_message = lambda *args: None  # type: ignore[method-assign]
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    dialogs: list[str] = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=[
                "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"])
            page = browser.new_page()
            page.on("dialog", lambda d: (dialogs.append(f"{page.url}: {d.message}"), d.dismiss()))
            page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(
                base) else route.abort())
            for rel in pages:
                page.goto(base + rel, wait_until="networkidle")
                page.mouse.move(5, 5)
                page.mouse.move(400, 300)  # hover handlers, were there any
                links = page.eval_on_selector_all(
                    "a[href]", "links => links.map(a => a.getAttribute('href'))")
                assert not [h for h in links if h.strip().lower().startswith("javascript")], rel
                scripts = page.eval_on_selector_all(
                    "script", "s => s.map(x => x.textContent).join(' ')")
                assert "alert(" not in scripts, rel
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    # Only the author's own raw HTML ran (on the post's page): nothing else did.
    assert [d.rsplit(": ", 1)[1] for d in dialogs] == ["author"], dialogs


# --- 3. results that lie -----------------------------------------------------------------


LIAR_SCRIPT = """
import json, os
out = os.environ["DLIP_RESULTS_DIR"]
json.dump({"accuracy": 0.75}, open(os.path.join(out, "metrics.json"), "w"))
open(os.path.join(out, "curve.png"), "wb").write(b"png bytes")
"""


def _frozen(root: Path, script: str = LIAR_SCRIPT, config: str = "", **files: str):
    """A milestone run for real by the runner, its results frozen; (project, milestone)."""
    folder = _milestone(root, "000_x", "run:\n  - script: train.py\n" + config,
                        **{"train.py": textwrap.dedent(script), **files})
    project = Project.at(root)
    milestones, problems = discover_milestones(project)
    assert [p for p in problems if p.severity == "error"] == []
    (outcome,) = run_milestones(project, milestones, force=True, progress=False)
    assert outcome.status == "ok", outcome.report()
    assert folder == milestones[0].path
    return project, milestones[0]


def _key(root: Path) -> str:
    project = Project.at(root)
    milestones, _ = discover_milestones(project)
    return freeze.input_key(project, milestones[0])


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _wait_for(condition, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


@pytest.mark.parametrize("lie, named", [
    ("edit", "results/metrics.json (edited)"),
    ("add", "results/extra.csv (not written by the run)"),
    ("delete", "results/curve.png (deleted)"),
])
def test_a_result_changed_by_hand_fails_check_naming_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], lie: str, named: str
) -> None:
    """run.json holds a hash of every output: the edited number is never published silently."""
    project, milestone = _frozen(tmp_path)
    assert check(project) == 0
    capsys.readouterr()
    results = milestone.results_dir
    if lie == "edit":
        write(results / "metrics.json", '{"accuracy": 0.99}')
    elif lie == "add":
        write(results / "extra.csv", "a,b\n")
    else:
        (results / "curve.png").unlink()
    assert check(project) == 1
    err = capsys.readouterr().err
    assert f"error: code/000_x: results changed after the run: {named}" in err.replace(
        str(tmp_path) + "/", "")


def test_build_warns_about_a_hand_edited_result(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    project, milestone = _frozen(tmp_path)
    write(milestone.results_dir / "metrics.json", '{"accuracy": 0.99}')
    assert build(project, run=False) == 0
    err = capsys.readouterr().err
    assert "warning:" in err and "results/metrics.json (edited)" in err


def test_the_key_ignores_prose_and_labels(tmp_path: Path) -> None:
    """A README typo must not force a long re-run; nor a title, status, summary or timeout."""
    folder = _milestone(tmp_path, "000_x", "title: X\nrun:\n  - script: train.py\n",
                        **{"nb.ipynb": _notebook("# Prose", "x = 1")})
    before = _key(tmp_path)
    write(folder / "README.md", "# 000_x\n\nSee [the scirpt](train.py).\n")
    write(folder / "notes/design.md", "Why it is built this way.\n")
    write(folder / "milestone.yml", "title: Y\nstatus: done\nsummary: S\nheadline: acc\n"
                                    "run:\n  - script: train.py\n    timeout: 9\n")
    write(folder / "nb.ipynb", _notebook("# Prose, reworded", "x = 1"))
    write(folder / ".ipynb_checkpoints/nb-checkpoint.ipynb", "{}")
    assert _key(tmp_path) == before
    write(folder / "nb.ipynb", _notebook("# Prose, reworded", "x = 2"))
    assert _key(tmp_path) != before


def test_the_key_follows_imports_into_src_without_inputs(tmp_path: Path) -> None:
    """Forgetting `inputs` cannot hide a change in library code the milestone imports."""
    write(tmp_path / "src/lib/__init__.py", "")
    write(tmp_path / "src/lib/a.py", "from . import b\n\ndef f():\n    return b.G\n")
    write(tmp_path / "src/lib/b.py", "G = 1\n")
    write(tmp_path / "src/lib/c.py", "H = 1\n")
    write(tmp_path / "src/lib/unused.py", "U = 1\n")
    _milestone(tmp_path, "000_x", "run:\n  - script: train.py\n",
               **{"train.py": "from lib.a import f\nprint(f())\n",
                  "nb.ipynb": _notebook("Text", "%matplotlib inline\nimport lib.c")})
    before = _key(tmp_path)
    write(tmp_path / "src/lib/unused.py", "U = 2\n")
    write(tmp_path / "src/lib/README.md", "prose\n")
    assert _key(tmp_path) == before
    write(tmp_path / "src/lib/b.py", "G = 2\n")  # imported by a module the script imports
    after_b = _key(tmp_path)
    assert after_b != before
    write(tmp_path / "src/lib/c.py", "H = 2\n")  # imported by a notebook's code cell
    assert _key(tmp_path) != after_b
    project = Project.at(tmp_path)
    milestones, _ = discover_milestones(project)
    manifest = freeze.input_manifest(project, milestones[0])
    assert sorted(manifest["imports"]) == [
        "src/lib/__init__.py", "src/lib/a.py", "src/lib/b.py", "src/lib/c.py"]


def test_the_key_follows_data_files_a_library_module_declares(tmp_path: Path) -> None:
    """A style sheet or table read by library code is an input like the code itself."""
    write(tmp_path / "src/lib/__init__.py", "")
    write(tmp_path / "src/lib/style.py",
          '__data_files__ = ("house.mplstyle", "../outside.txt")\nSTYLE = 1\n')
    write(tmp_path / "src/lib/house.mplstyle", "font.size: 10\n")
    write(tmp_path / "src/lib/other.mplstyle", "font.size: 10\n")
    write(tmp_path / "src/outside.txt", "x\n")
    _milestone(tmp_path, "000_x", "run:\n  - script: train.py\n",
               **{"train.py": "from lib.style import STYLE\n"})
    before = _key(tmp_path)
    write(tmp_path / "src/lib/other.mplstyle", "font.size: 12\n")  # not declared
    assert _key(tmp_path) == before
    write(tmp_path / "src/lib/house.mplstyle", "font.size: 12\n")
    assert _key(tmp_path) != before
    project = Project.at(tmp_path)
    manifest = freeze.input_manifest(project, discover_milestones(project)[0][0])
    assert sorted(manifest["imports"]) == [
        "src/lib/__init__.py", "src/lib/house.mplstyle", "src/lib/style.py",
        "src/outside.txt"]  # inside src/: a sibling package's file may be named too


@pytest.mark.parametrize("glob", ["code/000_x/**", "code/000_x", "code/*/results/*",
                                  "code/**/*.json"])
def test_a_glob_reaching_the_milestones_own_results_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], glob: str
) -> None:
    """Not an eternal re-run: the run's output would be its own input."""
    project, milestone = _frozen(tmp_path)
    write(milestone.path / "milestone.yml",
          f"run:\n  - script: train.py\ninputs: ['{glob}']\n")
    assert check(project) == 1
    err = capsys.readouterr().err
    assert "code/000_x/milestone.yml: inputs:" in err and "own results/" in err
    out = dlip("run", "--repo", str(tmp_path), "000")
    assert out.returncode == 1
    assert "Traceback" not in out.stderr and "own results/" in out.stderr


def test_cache_folders_inside_declared_folders_are_skipped(tmp_path: Path) -> None:
    _milestone(tmp_path, "000_x", "run:\n  - script: train.py\ninputs: [data/**, data]\n")
    write(tmp_path / "data/x.csv", "1\n")
    before = _key(tmp_path)
    for cache in ("__pycache__/m.cpython-311.pyc", ".ipynb_checkpoints/a-checkpoint.ipynb",
                  "results-local/plot.png", "deep/__pycache__/n.pyc"):
        write(tmp_path / "data" / cache, "noise")
    assert _key(tmp_path) == before
    write(tmp_path / "data/y.csv", "2\n")
    assert _key(tmp_path) != before


def test_provenance_names_every_package_and_each_steps_interpreter(tmp_path: Path) -> None:
    script = LIAR_SCRIPT + "import nbformat\n"
    project, milestone = _frozen(tmp_path, script, "  - notebook: nb.ipynb\n",
                                 **{"nb.ipynb": _notebook("Prose", "import psutil")})
    record = freeze.read_record(milestone)
    assert record is not None
    for name in ("psutil", "nbformat", "pyyaml"):
        assert record["packages"][name] == metadata.version(name)
    assert record["packages_used"] == ["nbformat", "psutil"]
    script_step, notebook_step = record["steps"]
    assert script_step["interpreter"]["executable"] == sys.executable
    assert notebook_step["interpreter"]["kernel"] == "python3"
    assert notebook_step["interpreter"]["version"] == platform.python_version()


def test_the_page_says_when_installed_versions_differ_without_making_results_stale(
    tmp_path: Path,
) -> None:
    project, milestone = _frozen(tmp_path, LIAR_SCRIPT + "import nbformat\n")
    path = milestone.results_dir / "run.json"
    record = json.loads(path.read_text())
    record["packages"]["nbformat"] = "0.0.1"
    record["packages"]["psutil"] = "0.0.1"  # installed, but not imported by this milestone
    path.write_text(json.dumps(record))
    assert freeze.staleness(project, milestone) is None
    page = results_markdown(project, milestone, "results")
    (row,) = [line for line in page.splitlines() if line.startswith("| Installed now |")]
    assert f"nbformat 0.0.1 &#40;now {metadata.version('nbformat')}&#41;" in row
    assert "psutil" not in row


DAEMON = """
import json, os, signal, sys, time
out = os.environ["DLIP_RESULTS_DIR"]
if os.fork() == 0:
    os.setsid()
    if os.fork() > 0:
        os._exit(0)  # the daemon's parent exits at once; it is an orphan in its own session
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    with open(sys.argv[1], "w") as f:
        f.write(str(os.getpid()))
    while True:  # goes on rewriting the results, wherever they end up
        for folder in (out, "results"):
            try:
                with open(os.path.join(folder, "metrics.json"), "w") as f:
                    f.write('{"accuracy": 0.99}')
            except OSError:
                pass
        time.sleep(0.05)
os.wait()
while not os.path.exists(sys.argv[1]):
    time.sleep(0.01)
json.dump({"accuracy": 0.75}, open(os.path.join(out, "metrics.json"), "w"))
if len(sys.argv) > 2:
    time.sleep(60)  # and hangs past its timeout
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs a child subreaper")
@pytest.mark.parametrize("hang", [False, True])
def test_a_double_forked_daemon_dies_with_its_step(tmp_path: Path, hang: bool) -> None:
    """setsid, SIGTERM ignored, parent gone at once: still dead when the step ends."""
    marker = tmp_path / "daemon.pid"
    args = f"    args: ['{marker}'{', hang' if hang else ''}]\n    timeout: 5\n"
    _milestone(tmp_path, "000_x", "run:\n  - script: train.py\n" + args,
               **{"train.py": DAEMON})
    project = Project.at(tmp_path)
    milestones, _ = discover_milestones(project)
    (outcome,) = run_milestones(project, milestones, force=True, progress=False)
    daemon = int(marker.read_text())
    assert not _alive(daemon)  # dead when the runner returns, not some time later
    if hang:
        assert outcome.status == "timeout"
        return
    assert outcome.status == "ok", outcome.report()
    frozen = (milestones[0].results_dir / "metrics.json").read_bytes()
    time.sleep(0.5)
    assert (milestones[0].results_dir / "metrics.json").read_bytes() == frozen
    assert freeze.staleness(project, milestones[0]) is None


SWAP_DRIVER = """
import os, signal, sys
from dlip import atomic
from dlip.publish.project import Project
from dlip.publish.run.runner import run_named

exchange = atomic._exchange

def killed_at_the_swap(a, b):
    print("swapping", flush=True)
    if sys.argv[2] == "before":
        os.kill(os.getpid(), signal.SIGKILL)
    exchange(a, b)
    os.kill(os.getpid(), signal.SIGKILL)

atomic._exchange = killed_at_the_swap
run_named(Project.at(sys.argv[1]), ["000"])
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="renameat2 is Linux's")
@pytest.mark.parametrize("when", ["before", "after"])
def test_a_kill_at_the_results_swap_leaves_results_whole(tmp_path: Path, when: str) -> None:
    """The runner swaps results/ with one renameat2(RENAME_EXCHANGE): no moment without it."""
    project, milestone = _frozen(tmp_path)
    before = (milestone.results_dir / "run.json").read_bytes()
    out = subprocess.run([sys.executable, "-c", SWAP_DRIVER, str(tmp_path), when],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == -signal.SIGKILL and "swapping" in out.stdout, out.stderr
    record = freeze.read_record(milestone)
    assert record is not None and freeze.tampered_outputs(milestone, record) is None
    assert ((milestone.results_dir / "run.json").read_bytes() == before) == (when == "before")
    assert freeze.staleness(project, milestone) is None
    assert run_milestones(project, [milestone], force=True, progress=False)[0].ok
    assert sorted(p.name for p in milestone.path.iterdir() if p.name.startswith(".")) == []


SLOW_STEP = """
import os, sys, time
open(sys.argv[1], "w").write(str(os.getpid()))
time.sleep(60)
"""


def test_a_second_run_of_the_same_milestone_says_already_running(tmp_path: Path) -> None:
    marker = tmp_path / "step.pid"
    _milestone(tmp_path, "000_x", f"run:\n  - script: train.py\n    args: ['{marker}']\n",
               **{"train.py": SLOW_STEP})
    first = subprocess.Popen([sys.executable, "-m", "dlip.cli", "run", "--repo",
                              str(tmp_path), "000"], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        _wait_for(lambda: marker.exists() and marker.read_text().isdigit())
        second = dlip("run", "--repo", str(tmp_path), "000")
    finally:
        first.send_signal(signal.SIGTERM)
        first.wait(timeout=30)
    assert second.returncode == 1
    lines = [line for line in second.stderr.splitlines() if not line.startswith("[dlip]")]
    assert len(lines) == 1 and "already running" in lines[0], second.stderr
    assert ".dlip/locks/000_x.lock" in lines[0]
    assert not _alive(int(marker.read_text()))


def test_a_full_disk_while_freezing_is_one_line_and_frees_the_scratch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The writer of run.json hits ENOSPC (simulated): one line, no scratch, results kept."""
    project, milestone = _frozen(tmp_path)
    before = (milestone.results_dir / "run.json").read_bytes()

    def full(path: Path, data: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(runner, "write_json", full)
    assert run_named(project, ["000"]) == 1
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if not line.startswith("[dlip]")]
    assert len(lines) == 1 and "no space left on the device" in lines[0], err
    assert "scratch files were removed; last good results kept" in lines[0]
    assert (milestone.results_dir / "run.json").read_bytes() == before
    assert [p.name for p in milestone.path.iterdir() if p.name.startswith(".")] == []


DISK_DRIVER = """
import json, os, shutil, sys
from dlip.publish.project import Project
from dlip.publish.run.runner import run_named
disk, source, script = sys.argv[1:4]
repo = os.path.join(disk, "repo")
shutil.copytree(source, repo)
folder = os.path.join(repo, "code", "000_x")
assert run_named(Project.at(repo), ["000"]) == 0, "the first run fits"
shutil.copy(script, os.path.join(folder, "train.py"))
code = run_named(Project.at(repo), ["000"])
left = [n for n in os.listdir(folder) if n.startswith(".")]
left += os.listdir(os.path.join(repo, ".dlip", "failed")) if os.path.isdir(
    os.path.join(repo, ".dlip", "failed")) else []
print(json.dumps({"code": code, "left": left, "free": shutil.disk_usage(disk).free,
                  "results": sorted(os.listdir(os.path.join(folder, "results")))}))
"""

FILLS_THE_DISK = """
import os, sys
out = os.environ["DLIP_RESULTS_DIR"]
try:
    with open(os.path.join(out, "big.bin"), "wb") as f:
        while True:
            f.write(b"x" * 65536)
except OSError:
    sys.exit(0 if len(sys.argv) > 1 else 1)
"""


@pytest.mark.skipif(shutil.which("unshare") is None or subprocess.run(
    ["unshare", "-rm", "true"], capture_output=True).returncode != 0,
    reason="needs unshare to mount a small tmpfs")
@pytest.mark.parametrize("step_exit", ["fails", "succeeds"])
def test_a_full_disk_on_a_real_tmpfs(tmp_path: Path, step_exit: str) -> None:
    """A step fills a 4 MiB tmpfs: either it fails, or it exits 0 and freezing hits ENOSPC."""
    source = tmp_path / "source"
    _milestone(source, "000_x", "run:\n  - script: train.py\n"
               + ("    args: [ok]\n" if step_exit == "succeeds" else ""),
               **{"train.py": textwrap.dedent(LIAR_SCRIPT)})
    script = write(tmp_path / "fills.py", FILLS_THE_DISK)
    disk = tmp_path / "disk"
    disk.mkdir()
    out = subprocess.run(
        ["unshare", "-rm", "sh", "-c", 'mount -t tmpfs -o size=4m tmpfs "$1" && shift && '
         'exec "$@"', "sh", str(disk), sys.executable, "-c", DISK_DRIVER, str(disk),
         str(source), str(script)],
        capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.splitlines()[-1])
    assert result["code"] == 1
    lines = [line for line in out.stderr.splitlines() if not line.startswith("[dlip]")]
    assert len(lines) == 1 and "no space left on the device" in lines[0], out.stderr
    assert result["left"] == []  # no scratch folder, nothing kept in .dlip/failed
    assert result["free"] > 3 << 20  # the failed run's files are gone
    assert result["results"] == ["curve.png", "logs", "metrics.json", "run.json"]


BUILD_DRIVER = """
import os, signal, sys
import mkdocs.commands.build
from dlip.publish.project import Project
from dlip.publish.site.build import build

def half_a_build(config, **kwargs):
    with open(os.path.join(config["site_dir"], "index.html"), "w") as f:
        f.write("half")
    os.kill(os.getpid(), signal.SIGKILL)

mkdocs.commands.build.build = half_a_build
build(Project.at(sys.argv[1]), run=False)
"""


def _site_files(root: Path) -> dict[str, bytes]:
    site = root / "site"
    return {p.relative_to(site).as_posix(): p.read_bytes()
            for p in sorted(site.rglob("*")) if p.is_file()}


def test_a_build_killed_half_way_leaves_the_last_site_whole(tmp_path: Path) -> None:
    project, _ = _frozen(tmp_path)
    assert build(project, run=False) == 0
    before = _site_files(tmp_path)
    assert "index.html" in before
    out = subprocess.run([sys.executable, "-c", BUILD_DRIVER, str(tmp_path)],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == -signal.SIGKILL, out.stderr
    assert _site_files(tmp_path) == before
    assert build(project, run=False) == 0  # and the next build clears what was left
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".site")] == []


def test_a_malformed_notebook_is_a_check_error_and_keeps_the_last_site(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _milestone(tmp_path, "000_x", **{"nb.ipynb": _notebook("Prose", "x = 1")})
    project = Project.at(tmp_path)
    assert build(project, run=False) == 0
    before = _site_files(tmp_path)
    write(folder / "nb.ipynb", '{"cells": [')
    capsys.readouterr()
    assert check(project) == 1
    assert "code/000_x/nb.ipynb: not a readable notebook" in capsys.readouterr().err
    assert build(project, run=False) == 1  # an error, and the rest of the site is built
    after = _site_files(tmp_path)
    assert set(after) == set(before)
    assert after["index.html"] == before["index.html"]


def _notebook(markdown: str, code: str) -> str:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(markdown), nbformat.v4.new_code_cell(code)]
    return nbformat.writes(nb)


# --- 4. smaller defects ------------------------------------------------------------------


@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf", ".NaN"])
def test_a_timeout_that_is_not_a_finite_number_is_refused(tmp_path: Path, value: str) -> None:
    """`.nan` compared false with every limit and so disabled it; `.inf` crashed a notebook."""
    _milestone(tmp_path, "000_xor", f"run:\n  - script: train.py\n    timeout: {value}\n")
    milestones, problems = discover_milestones(Project.at(tmp_path))
    assert [p.reason.split(".", 1)[1] for p in problems] == [
        f"timeout: must be a positive number of seconds, got {yaml.safe_load(value)!r}"
    ]
    assert [p.severity for p in problems] == ["error"]
    assert milestones[0].steps == ()


@pytest.mark.parametrize("written", ["010", "0010", "007"])
def test_a_milestone_number_with_a_leading_zero_is_not_octal(tmp_path: Path,
                                                             written: str) -> None:
    """YAML 1.1 reads `010` as octal 8: the post would name milestone 008."""
    path = _post(tmp_path, "2024-01-02 - Ten", f"---\nmilestone: {written}\n---\n# Ten\n\nText.\n")
    post, problems = read_post(path)
    assert problems == [] and post is not None
    assert post.milestone == written


def test_a_post_names_milestone_010_not_008(tmp_path: Path) -> None:
    _milestone(tmp_path, "008_eight")
    _milestone(tmp_path, "010_ten")
    _post(tmp_path, "2024-01-02 - Ten", "---\nmilestone: 010\n---\n# Ten\n\nText.\n")
    site = generate_pages(Project.at(tmp_path), write=False)
    assert site.problems == []
    page = site.pages["blog/2024/01/02/ten.md"]
    assert "code/010_ten/" in page
    assert "008_eight" not in page


def test_a_hash_in_a_milestone_folder_name_keeps_its_source_links(tmp_path: Path) -> None:
    """`000_c#` used to end each link at the `#`: `../000_c#/train.py` went to `../000_c`."""
    _milestone(tmp_path, "000_c#sharp")
    _post(tmp_path, "2024-01-02 - Sharp", "# Sharp\n\nSee [it](../code/000_c%23sharp/train.py).\n")
    site = generate_pages(Project.at(tmp_path), write=False)
    assert site.problems == []
    page = site.pages["code/000_c#sharp/index.md"]
    assert "See [the script](#src-train.py)." in page  # the README's link: this very page
    assert "[Download train.py](train.py)" in page
    post = site.pages["blog/2024/01/02/sharp.md"]
    assert "000_c%23sharp/index.md#src-train.py" in post
    assert "000_c#sharp" not in post.split("\n# Sharp", 1)[1]  # no raw `#` in a link
    assert site.copies["code/000_c#sharp/train.py"].name == "train.py"


LONG_LINES = ["![[" * 20_000, "[[a|" * 15_000, "[[a#" * 15_000, "`" * 60_000,
              "[a](<" * 12_000, "<img src=" * 7_000, "[[" * 30_000]


def test_long_lines_of_link_openers_are_read_in_linear_time(tmp_path: Path) -> None:
    """A 24 KB line of `![[` took 36 s: each `[[` scanned to the end of the line again."""
    body = "\n\n".join(LONG_LINES)
    _post(tmp_path, "2024-01-02 - Brackets", f"# Brackets\n\n{body}\n")
    start = time.perf_counter()
    site = generate_pages(Project.at(tmp_path), write=False)
    elapsed = time.perf_counter() - start
    assert "blog/2024/01/02/brackets.md" in site.pages
    assert elapsed < 5, f"{elapsed:.1f} s for {len(body) // 1000} KB of link openers"


def test_a_front_matter_error_does_not_hide_the_posts_other_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _post(tmp_path, "2024-01-02 - Broken", "---\ntags: [a\n---\n# Broken\n\n"
                                           "See [gone](nowhere.md) and [[Nothing here]].\n")
    _post(tmp_path, "2024-01-03 - Fine", "# Fine\n\nText.\n")
    assert check(Project.at(tmp_path)) == 1
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if "2024-01-02 - Broken.md" in line]
    assert any("invalid YAML front matter" in line for line in lines), err
    assert any("'nowhere.md' is broken" in line for line in lines), err
    assert any("[[Nothing here]]" in line for line in lines), err
    assert all(line.startswith("error:") for line in lines), err


def test_a_rejected_post_is_not_published_nor_what_it_links(tmp_path: Path) -> None:
    _post(tmp_path, "2024-01-02 - Broken", "---\ntags: [a\n---\n# Broken\n\n"
                                           "![secret](secret.png)\n")
    write(tmp_path / "daily-blog/secret.png", b"\x89PNG\r\n\x1a\n")
    rejected: list = []
    posts, _ = discover_posts(Project.at(tmp_path), rejected)
    assert posts == [] and [p.title for p in rejected] == ["Broken"]
    site = generate_pages(Project.at(tmp_path), write=False)
    assert not any("broken" in page for page in site.pages)
    assert not any(path.name == "secret.png" for path in site.copies.values())


@pytest.mark.parametrize("word", ["Word", "Wörd", "語"])
def test_a_300_character_title_makes_a_post_not_a_traceback(tmp_path: Path, word: str) -> None:
    title = " ".join([word] * (300 // (len(word) + 1) + 1))[:300].strip()
    result = dlip("new", "post", "--repo", str(tmp_path), title)
    assert result.returncode == 0, result.stderr
    path = Path(result.stdout.strip())
    assert len(path.name.encode("utf-8")) <= 255
    assert path.read_text(encoding="utf-8") == f"# {title}\n\n"  # the whole title kept
    post, problems = read_post(path)
    assert post is not None and post.title == title
    assert [p.reason for p in problems] == ["the post has a title but no text"]


def test_a_title_is_cut_at_a_word_to_fit_a_file_name(tmp_path: Path) -> None:
    path = new_post(Project.at(tmp_path), "Attention " * 40)
    stem = path.name.removesuffix(".md").split(" - ", 1)[1]
    assert len(stem.encode("utf-8")) <= MAX_TITLE_BYTES
    assert stem.endswith("Attention") and "  " not in stem


def test_a_hand_written_docs_index_is_kept_in_a_repo_with_its_own_mkdocs_yml(
    tmp_path: Path,
) -> None:
    write(tmp_path / "mkdocs.yml", "site_name: Mine\ndocs_dir: docs\n")
    index = write(tmp_path / "docs/index.md", "# My own home page\n")
    _post(tmp_path, "2024-01-02 - Day", "# Day\n\nText.\n")
    site = generate_pages(Project.at(tmp_path))
    assert index.read_text(encoding="utf-8") == "# My own home page\n"
    assert [p.reason for p in site.problems if p.path == index] == [
        "hand-written file is in the way of a generated page; left as it is"]
    assert (tmp_path / "docs/blog/2024/01/02/day.md").is_file()  # the rest is generated


def test_the_library_code_section_lists_files_under_a_double_star_glob(tmp_path: Path) -> None:
    """Before Python 3.13 `lib/**` matches only folders: the section vanished on 3.11."""
    write(tmp_path / "src/mylib/core.py", "def f():\n    return 1\n")
    write(tmp_path / "src/mylib/sub/deep.py", "X = 2\n")
    _milestone(tmp_path, "000_xor", "inputs: [src/mylib/**]\n")
    site = generate_pages(Project.at(tmp_path), write=False)
    page = site.pages["code/000_xor/index.md"]
    assert "## Library code it exercises" in page
    assert "### `src/mylib/core.py`" in page
    assert "### `src/mylib/sub/deep.py`" in page
