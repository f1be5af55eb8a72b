"""`dlip build` and `dlip check` end to end: a throwaway repo, the real CLI, the HTML it makes.

The repo is built once per module (a build takes seconds); tests that change it make their
own copy.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import feedparser
import pytest
from repo_files import dlip, write

XSS = "<script>alert(1)</script>"

TRAIN = '''\
"""Learns nothing, honestly: writes a metric and a figure where the runner asks."""
import json
import os
from pathlib import Path

out = Path(os.environ.get("DLIP_RESULTS_DIR", "results-local"))
out.mkdir(parents=True, exist_ok=True)
(out / "metrics.json").write_text(json.dumps({"test_accuracy": 0.75, "epochs": 3}))
(out / "curve.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>')
print("trained 3 epochs; sneaky output: </details>''' + XSS + '''")
'''


def make_repo(root: Path) -> Path:
    blog = root / "daily-blog"
    write(blog / "2024-01-01 - Starting out.md",
          "---\ntags: [meta]\n---\nDay one. Next: [tomorrow](2024-01-02%20-%20XOR%20works.md).\n")
    write(blog / "2024-01-02 - XOR works.md",
          "---\ntags: [numpy, backprop]\nmilestone: '000'\n---\n# 2024-01-02 - XOR works\n\n"
          "The [training script](../code/000_xor/train.py) and the [folder](../code/000_xor/) "
          "and the [README](../README.md).\n")
    write(blog / "2024-01-03 - Secret draft.md", "---\ndraft: true\n---\nnot yet\n")
    m = root / "code" / "000_xor"
    write(m / "train.py", TRAIN)
    write(m / "helpers.py", f"# {XSS}\n```\nx = '</details>'\n")
    post_link = "../../daily-blog/2024-01-01%20-%20Starting%20out.md"
    write(m / "README.md", f"# XOR by hand\n\nSee ![sketch](sketch.png) and "
                           f"[the post]({post_link}).\n")
    write(m / "sketch.png", _png())
    write(m / "milestone.yml",
          "title: A network that solves XOR\nsection: Simple neural network\nstatus: done\n"
          "summary: Backprop by hand.\nrun:\n  - script: train.py\n    timeout: 60\n"
          "headline: test_accuracy\n")
    write(root / "README.md", "# My learning log\n\nHello. See [code](code/000_xor/).\n")
    return root


def _png() -> bytes:
    import base64

    return base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess]:
    root = make_repo(tmp_path_factory.mktemp("repo"))
    result = dlip("build", "--repo", str(root))
    return root, result


def html(root: Path, rel: str) -> str:
    return (root / "site" / rel).read_text(encoding="utf-8")


def test_build_succeeds_and_runs_the_milestone(built) -> None:
    root, result = built
    assert result.returncode == 0, result.stderr
    assert (root / "code/000_xor/results/metrics.json").is_file()
    assert not (root / "mkdocs.yml").exists()  # the repo had none; ours lives in .dlip/
    assert (root / ".dlip/mkdocs.yml").is_file()


def test_every_post_has_a_page_and_drafts_do_not(built) -> None:
    root, _ = built
    post = html(root, "blog/2024/01/02/xor-works/index.html")
    assert "<h1" in post and "XOR works" in post
    assert "2024-01-02 - XOR works" not in post  # the dated heading gave just the title
    assert html(root, "blog/2024/01/01/starting-out/index.html")
    assert not (root / "site/blog/2024/01/03").exists()
    assert "Secret draft" not in html(root, "blog/index.html")


def test_links_in_posts_land_on_the_right_pages(built) -> None:
    root, _ = built
    post = html(root, "blog/2024/01/02/xor-works/index.html")
    assert 'href="../../../../../code/000_xor/#src-train.py"' in post
    assert 'href="../../../../../code/000_xor/"' in post
    assert 'href="../../../../.."' in post  # the README is the home page
    first = html(root, "blog/2024/01/01/starting-out/index.html")
    assert 'href="../../02/xor-works/"' in first
    # the post names its milestone, and the milestone lists the post
    assert "A network that solves XOR" in post
    assert "XOR works" in html(root, "code/000_xor/index.html")


def test_milestone_page_shows_readme_sources_and_results(built) -> None:
    root, _ = built
    page = html(root, "code/000_xor/index.html")
    assert "A network that solves XOR" in page and "Backprop by hand." in page
    assert 'src="sketch.png"' in page and (root / "site/code/000_xor/sketch.png").is_file()
    assert 'id="src-train.py"' in page and 'href="train.py"' in page
    assert (root / "site/code/000_xor/train.py").read_text() == TRAIN
    assert 'class="highlight"' in page  # syntax highlighted
    assert "<details" in page  # collapsed
    assert "test_accuracy" in page and "0.75" in page
    assert (root / "site/code/000_xor/results/curve.svg").is_file()
    assert 'href="../../blog/2024/01/01/starting-out/"' in page


def test_file_contents_and_output_are_escaped(built) -> None:
    root, _ = built
    for rel in ("code/000_xor/index.html",):
        page = html(root, rel)
        assert XSS not in page
        assert "alert(1)" in page  # shown, as text


def test_home_has_roadmap_latest_posts_and_chart(built) -> None:
    root, _ = built
    home = html(root, "index.html")
    assert "My learning log" in home and "Hello." in home
    assert "Simple neural network" in home and "Done" in home
    assert "<code>test_accuracy</code> = <strong>0.75</strong>" in home
    assert '<span class="dlip-status dlip-status-done">Done</span>' in home
    assert 'href="code/000_xor/"' in home
    assert 'href="blog/2024/01/02/xor-works/"' in home
    svg = (root / "site/_generated/progress.svg").read_text()
    assert svg.startswith("<svg") and "000" in svg
    # drawn inline too, where hovering a square names it and its headline
    assert '<div class="dlip-progress">\n<svg' in home
    assert "<title>000 · A network that solves XOR\nDone\ntest_accuracy = 0.75</title>" in home


def test_blog_index_archive_tags_and_streak(built) -> None:
    root, _ = built
    index = html(root, "blog/index.html")
    assert "Current streak" in index and "Longest: <strong>2</strong>" in index
    assert index.index("XOR works") < index.index("Starting out")  # newest first
    assert "min read" in index
    assert "XOR works" in html(root, "blog/archive/2024/01/index.html")
    assert "XOR works" in html(root, "blog/tags/backprop/index.html")
    assert "numpy" in html(root, "blog/tags/index.html")
    assert 'type="application/atom+xml"' in index


def test_feed_parses_cleanly(built) -> None:
    root, _ = built
    feed = feedparser.parse((root / "site/feed.xml").read_bytes())
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert [e.title for e in feed.entries] == ["XOR works", "Starting out"]


def test_no_request_leaves_the_origin(built) -> None:
    root, _ = built
    for page in (root / "site").rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        external = re.findall(r'<(?:script|link|img)[^>]+(?:src|href)="(?:https?:)?//[^"]+"', text)
        assert external == [], (page, external)
        assert "fonts.googleapis" not in text


def test_posts_are_not_listed_in_the_nav(built) -> None:
    root, _ = built
    nav = json.loads((root / ".dlip/nav.json").read_text())
    assert "blog/2024" not in json.dumps(nav)


def test_warm_build_runs_nothing_and_rewrites_nothing(built, tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(built[0], root, symlinks=True)
    shutil.rmtree(root / ".dlip")
    shutil.rmtree(root / "site")
    assert dlip("build", "--repo", str(root)).returncode == 0
    page = root / ".dlip/docs/code/000_xor/index.md"
    before = page.stat().st_mtime_ns
    result = dlip("build", "--repo", str(root))
    assert result.returncode == 0, result.stderr
    assert "running it" not in result.stdout + result.stderr
    assert page.stat().st_mtime_ns == before

    (root / "daily-blog/2024-01-01 - Starting out.md").unlink()
    result = dlip("build", "--repo", str(root))
    assert not (root / ".dlip/docs/blog/2024/01/01/starting-out.md").exists()
    assert not (root / "site/blog/2024/01/01/starting-out").exists()
    # the link to the deleted post is now broken: a warning, and the build still passes
    assert result.returncode == 0, result.stderr
    assert "2024-01-02 - XOR works.md" not in result.stderr


def test_broken_links_and_bad_posts_warn_in_build_and_fail_check(built, tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(built[0], root, symlinks=True)
    blog = root / "daily-blog"
    (blog / "2024-01-04 - Broken.md").write_text(
        "See [gone](../code/001_renamed/) and [secret](../../../etc/passwd).\n", encoding="utf-8")
    result = dlip("build", "--repo", str(root), "--no-run")
    assert result.returncode == 0, result.stderr
    assert "warning:" in result.stderr and "001_renamed" in result.stderr
    assert (root / "site/blog/2024/01/04/broken/index.html").is_file()
    assert "passwd" not in html(root, "blog/2024/01/04/broken/index.html")

    check = dlip("check", "--repo", str(root))
    assert check.returncode == 1
    lines = [line for line in check.stderr.splitlines() if line.startswith("error:")]
    assert any("2024-01-04 - Broken.md" in line and "001_renamed" in line for line in lines)
    assert any("outside the repo" in line for line in lines)

    (blog / "2024-13-40 - x.md").write_text("bad date\n", encoding="utf-8")
    (blog / "2024-01-05 - empty.md").write_text("", encoding="utf-8")
    result = dlip("build", "--repo", str(root), "--no-run")
    assert result.returncode == 1  # invalid posts are errors...
    assert (root / "site/blog/2024/01/04/broken/index.html").is_file()  # ...the rest is built
    check = dlip("check", "--repo", str(root))
    assert "2024-13-40 - x.md" in check.stderr and "2024-01-05 - empty.md" in check.stderr


def test_check_passes_on_a_clean_repo(built) -> None:
    root, _ = built
    result = dlip("check", "--repo", str(root))
    assert result.returncode == 0, result.stdout + result.stderr


def test_new_post_creates_todays_file_and_refuses_to_overwrite(tmp_path: Path) -> None:
    result = dlip("new", "post", "--repo", str(tmp_path), "Attention, finally")
    assert result.returncode == 0, result.stderr
    path = tmp_path / "daily-blog" / f"{date.today().isoformat()} - Attention, finally.md"
    assert path.read_text(encoding="utf-8") == "# Attention, finally\n\n"
    again = dlip("new", "post", "--repo", str(tmp_path), "Attention, finally")
    assert again.returncode == 1
    assert "already exists" in again.stderr
    assert path.read_text(encoding="utf-8") == "# Attention, finally\n\n"


def test_our_own_mkdocs_yml_and_plain_mkdocs_build_regenerate(tmp_path: Path) -> None:
    """The repo's mkdocs.yml (hook included) builds strictly with plain `mkdocs build`."""
    import dlip.publish.site.hook

    repo_root = Path(__file__).resolve().parents[2]
    root = make_repo(tmp_path / "repo")
    config = (repo_root / "mkdocs.yml").read_text(encoding="utf-8")
    config = config.replace("src/dlip/publish/site/hook.py", dlip.publish.site.hook.__file__)
    (root / "mkdocs.yml").write_text(config, encoding="utf-8")
    shutil.copytree(repo_root / "docs" / "stylesheets", root / "docs" / "stylesheets")
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict"], cwd=root,
                            capture_output=True, text=True, check=False, timeout=300)
    assert result.returncode == 0, result.stderr
    assert (root / "docs/blog/2024/01/02/xor-works.md").is_file()  # generated by the hook
    assert "XOR works" in html(root, "blog/2024/01/02/xor-works/index.html")
    assert (root / "docs/stylesheets/extra.css").is_file()  # hand-written, untouched


def test_editing_a_script_makes_check_fail_until_build_reruns_it(built, tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(built[0], root, symlinks=True)
    script = root / "code/000_xor/train.py"
    script.write_text(script.read_text(encoding="utf-8") + "# one more comment\n",
                      encoding="utf-8")
    check = dlip("check", "--repo", str(root))
    assert check.returncode == 1
    assert any(line.startswith("error:") and "000_xor" in line
               for line in check.stderr.splitlines()), check.stderr
    result = dlip("build", "--repo", str(root))
    assert result.returncode == 0, result.stderr
    assert "000_xor" in result.stdout + result.stderr
    assert dlip("check", "--repo", str(root)).returncode == 0


def test_search_finds_a_post_once_not_on_every_page_that_lists_it(built) -> None:
    root, _ = built
    index = json.loads((root / "site/search/search_index.json").read_text(encoding="utf-8"))
    hits = {doc["location"].split("#", 1)[0] for doc in index["docs"]
            if "tomorrow" in doc["text"] or "Starting out" in doc["title"]}
    assert hits == {"blog/2024/01/01/starting-out/"}
    locations = {doc["location"] for doc in index["docs"]}
    assert not any(loc.startswith(("blog/archive", "blog/tags", "blog/page")) for loc in locations)
    assert "" not in locations and "blog/" not in locations  # home and blog index are lists
    assert "code/000_xor/" in locations  # pages of their own stay searchable


def test_every_milestone_and_the_latest_posts_have_their_own_nav_entry(tmp_path: Path) -> None:
    """Material's navigation.indexes folded the first milestone (its page is an index.md)
    into the "Milestones" heading: a learner's first milestone vanished from the nav."""
    for number, title in (("000", "First"), ("001", "Second")):
        folder = tmp_path / "code" / f"{number}_{title.lower()}"
        write(folder / "README.md", f"# {title}\n\nText.\n")
        write(folder / "milestone.yml", f"title: {title}\nstatus: planned\n")
    write(tmp_path / "daily-blog/2024-01-01 - Day one.md", "# Day one\n\nHello.\n")
    result = dlip("build", "--no-run", "--repo", str(tmp_path))
    assert result.returncode == 0, result.stderr
    html = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    nav = html[html.index('class="md-nav md-nav--primary"'):]
    for href, text in (("code/000_first/", "000 · First"), ("code/001_second/", "001 · Second"),
                       ("blog/", "Latest posts")):
        assert re.search(rf'href="{re.escape(href)}"[^>]*>\s*(<span[^>]*>\s*)?{text}', nav), text
