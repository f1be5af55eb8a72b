"""The publisher tried adversarially: every case is a repo an author (or an attacker) could
write, and what the publisher must do with it.

One module, so a reader can scan every case at once; grouped by the rule each case tests:
1. outside the repo, 2. nothing that runs, 3. results that lie, 4. smaller defects.
"""

from __future__ import annotations

import functools
import html
import json
import os
import re
import shutil
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import markdown
import pytest
import yaml
from repo_files import dlip, write

from dlip.publish import sanitize
from dlip.publish.discover.milestones import discover_milestones
from dlip.publish.discover.posts import MAX_TITLE_BYTES, discover_posts, new_post, read_post
from dlip.publish.project import Project, outside_reason
from dlip.publish.site import config as site_config
from dlip.publish.site.build import check, generate_pages


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
    """Debian's chromium (or Chrome on CI); as in tests/browser, missing fails only on CI."""
    found = next((p for name in ("chromium", "chromium-browser", "google-chrome",
                                 "google-chrome-stable") if (p := shutil.which(name))), None)
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        found = None
    if found is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true but no chromium or playwright", pytrace=False)
        pytest.skip("no chromium on PATH or no playwright")
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
