"""Any learner's repo, published as its author wrote it.

Two throwaway repos, built with `dlip build --repo` as a new user would:

- a grown-up repo: posts moved to `docs/blog/` (a year folder, a Material-style post with a
  `date:` in its front matter, five posts of one day committed out of alphabetical order),
  60 notes in nested folders, a note and a notebook of one name, a notebook with a relative
  image and a huge output, a web-app folder with its own sources, lock file, images and
  results, tooling files, a `dlip.yml`, and GitHub/Obsidian Markdown everywhere;
- a repo with no posts at all.

Each site is crawled from its files: every internal link must land and every page must be
reachable from the home page.
"""

from __future__ import annotations

import base64
import json
import re
from datetime import date, timedelta
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from repo_files import built_page, dlip, git, write
from site_crawl import crawl

from dlip.publish.pages.streak import month_grid_html

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)
SAME_DAY = ["Milestone 000 done", "Milestone 001 started", "Milestone 002 notes",
            "Milestone 003 plan", "Milestone 004 wrap up"]  # committed in this order
MARKDOWN = """\
Steps I took:
- read the chapter
- wrote the code
  - two-space nested item
- [ ] a task left
- [x] a task done

See https://example.org/paper for ==the key idea==, with $E = mc^2$ inline and

$$
\\sum_{i=1}^{n} x_i
$$

> [!tip] Remember this
> Callout body.

Visible text.%%a hidden comment%% And a [[attention|wikilink to a note]].
"""


def make_grown_repo(root: Path) -> Path:
    write(root / "README.md", "# My deep learning journey\n\nLearning in public.\n")
    git(root, "init", "-q")
    blog = root / "docs" / "blog"
    for title in SAME_DAY:  # one commit each, in the order the author wrote them
        write(blog / f"2024-03-05 - {title}.md", f"# {title}\n\nText of {title}.\n")
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", title)
    write(blog / "2024" / "2024-12-03-first-of-december.md", "# 2024-12-3 - Unpadded date\n\n"
          + MARKDOWN)
    write(blog / "posts" / "material-style.md", "---\ndate: 2024-12-04\ncategories: [ml]\n"
          "---\n\n# Written for Material\n\nA post named without a date.\n")
    write(blog / "index.md", "# Blog\n")
    write(root / "notes" / "2024-02-02 - stray dated note.md", "# Stray\n\nNot a post.\n")

    write(root / "notes" / "attention.md", "# Attention\n\n" + MARKDOWN)
    for i in range(60):  # 60 notes in nested folders
        folder = root / "notes" / f"part-{i // 20}" / f"chapter-{i // 5 % 4}"
        write(folder / f"note-{i:02d}.md", f"# Note {i:02d}\n\nSome text.\n")
    write(root / "notes" / "part-0" / "README.md", "# Check out the Video\n\nA video.\n")
    write(root / "LLMs-from-scratch-book" / "ch02.md", "# Chapter 2\n\nTokens.\n")

    nb_dir = root / "experiments"
    write(nb_dir / "x.md", "# X, the note\n\nThe note about x.\n")
    write(nb_dir / "img" / "plot.png", PNG)
    nb = new_notebook(cells=[
        new_markdown_cell("# X, the notebook\n\n![a plot](img/plot.png)\n\n"
                          "[the note](x.md) and [a missing file](nowhere.md)\n\n$a^2$"),
        new_code_cell("for i in range(5000): print(i)", execution_count=1,
                      outputs=[new_output("stream", name="stdout",
                                          text="".join(f"line {i}\n" for i in range(5000)))]),
    ])
    nbformat.write(nb, nb_dir / "x.ipynb")

    app = root / "webapp"
    write(app / "README.md", "# A small web app\n\nThe front end of my model demo.\n")
    write(app / "src" / "App.tsx", "export const App = () => <div>hello</div>;\n")
    write(app / "src" / "style.css", "body { margin: 0; }\n")
    write(app / "package-lock.json", '{"lockfileVersion": 3}\n')
    write(app / "static" / "vendor.min.js", "var a=1;\n")
    write(app / "screenshot.png", PNG)
    write(app / "results" / "scores.csv", "epoch,loss\n1,0.5\n")

    demo = root / "code" / "01_demo-app"  # a milestone: numbered folder under code/
    write(demo / "README.md", "# Check out the Video\n\n![shown](ui.png)\n")
    write(demo / "ui.png", PNG)
    write(demo / "curve.png", PNG)
    write(demo / "App.tsx", "export const App = () => null;\n")
    write(demo / "scores.csv", "epoch,loss\n1,0.5\n")
    write(demo / "package-lock.json", '{"lockfileVersion": 3}\n')
    nbformat.write(new_notebook(cells=[new_markdown_cell("# Try it\n\n![the ui](ui.png)")]),
                   demo / "explore.ipynb")

    for name in ("AGENTS.md", "CLAUDE.md", "LICENSE", ".github/copilot-instructions.md",
                 "notes/review.prompt.md"):
        write(root / name, "# For tools\n\nInstructions.\n")
    write(root / "drafts" / "secret.md", "# Draft\n\nNot ready.\n")
    write(root / "dlip.yml", "exclude: [drafts/**]\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "the rest")
    return root


@pytest.fixture(scope="module")
def grown(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = make_grown_repo(tmp_path_factory.mktemp("grown") / "repo")
    result = dlip("build", "--repo", str(root))
    assert (root / "site" / "index.html").is_file(), result.stderr
    return root, result.stdout + result.stderr


@pytest.fixture(scope="module")
def postless(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("postless") / "repo"
    write(root / "README.md", "# Notes on transformers\n\nWhat I learn: [math](notes/math.md)\n")
    text = MARKDOWN.replace("[[attention|", "[[math|")
    write(root / "notes" / "math.md", "# Math\n\n" + text)
    result = dlip("build", "--repo", str(root))
    assert result.returncode == 0, result.stderr
    return root, result.stdout + result.stderr


# --- posts -------------------------------------------------------------------------------


def test_posts_in_docs_blog_are_found_and_the_folder_is_named(grown) -> None:
    root, output = grown
    assert "7 posts from docs/blog/" in output, output
    assert (root / "site/blog/2024/12/03/unpadded-date/index.html").is_file()
    assert (root / "site/blog/2024/12/04/written-for-material/index.html").is_file()
    # a dated file outside the posts folders is a note, and the build says so
    assert "stray dated note.md: named like a post but outside the posts folders" in output


def test_a_heading_with_an_unpadded_date_gives_just_the_title(grown) -> None:
    root, _ = grown
    html = built_page(root, "blog/2024/12/03/unpadded-date")
    assert "<h1" in html and "Unpadded date</h1>" in html
    assert "2024-12-3" not in html


def test_posts_of_one_day_keep_the_order_they_were_committed_in(grown) -> None:
    root, _ = grown
    index = built_page(root, "blog")
    shown = [t for t in re.findall(r"Milestone 00\d [a-z ]+", index)]
    newest_first = list(dict.fromkeys(shown))
    assert newest_first == list(reversed(SAME_DAY)), newest_first
    first = built_page(root, "blog/2024/03/05/milestone-000-done")
    assert "Milestone 001 started →" in first
    feed = (root / "site/feed.xml").read_text(encoding="utf-8")
    titles = [t for t in re.findall(r"<title[^>]*>([^<]+)</title>", feed) if "Milestone" in t]
    assert titles == list(reversed(SAME_DAY))
    month = built_page(root, "blog/archive/2024/03")
    assert [t for t in re.findall(r"Milestone 00\d [a-z ]+", month)] == SAME_DAY


def test_a_repo_without_posts_has_no_blog(postless) -> None:
    root, output = postless
    assert not (root / "site" / "blog").exists()
    home = built_page(root, "")
    assert "No posts yet" not in home and "dlip-streak" not in home
    assert "Latest posts" not in home
    nav = json.loads((root / ".dlip/nav.json").read_text())
    assert "Blog" not in json.dumps(nav)


def test_an_old_blog_shows_its_last_active_months() -> None:
    today = date(2026, 11, 28)
    days = [date(2025, 5, 1) + timedelta(days=i) for i in range(20)]
    html = month_grid_html(days, today)
    assert "May 2025" in html and "November 2026" not in html
    assert html.count(': posted"') == 20  # each day's title: 2025-05-01: posted
    assert '2025-05-27: after"' in html and ': missed"' not in html  # at rest, not missed


# --- Markdown ----------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["blog/2024/12/03/unpadded-date", "notes/attention"])
def test_markdown_renders_as_on_github_and_in_obsidian(grown, url: str) -> None:
    root, _ = grown
    html = built_page(root, url)
    assert "<p>Steps I took:</p>" in html
    assert re.search(r"<li>wrote the code\s*<ul>\s*<li>two-space nested item</li>", html), html
    assert html.count('class="task-list-item"') == 2
    assert '<a href="https://example.org/paper">' in html
    assert "<mark>the key idea</mark>" in html
    assert '<span class="arithmatex">' in html and '<div class="arithmatex">' in html
    assert 'class="admonition tip"' in html and "Remember this" in html
    assert "hidden comment" not in html
    assert "wikilink to a note</a>" in html
    assert "_generated/katex/katex.min.js" in html and "dlip-math.js" in html


def test_katex_is_served_by_the_site_itself(grown) -> None:
    root, _ = grown
    katex = root / "site/_generated/katex"
    assert (katex / "katex.min.js").is_file() and (katex / "katex.min.css").is_file()
    assert list((katex / "fonts").glob("*.woff2"))
    for html in (root / "site").rglob("*.html"):
        text = html.read_text(encoding="utf-8")
        assert not re.findall(r'<(?:script|link|img)[^>]+(?:src|href)="(?:https?:)?//', text), html


# --- notes -------------------------------------------------------------------------------


def test_every_note_has_a_page_in_a_tree_of_folders(grown) -> None:
    root, _ = grown
    for i in range(60):
        url = f"notes/part-{i // 20}/chapter-{i // 5 % 4}/note-{i:02d}"
        assert (root / "site" / url / "index.html").is_file(), url
    nav = json.loads((root / ".dlip/nav.json").read_text())
    text = json.dumps(nav)
    assert text.count("note-") == 60
    notes = next(item["Notes"] for item in nav if "Notes" in item)
    tree = next(item["Notes"] for item in notes if "Notes" in item)
    assert "notes/index.md" in tree  # the folder's own index page
    index = built_page(root, "notes/part-1/chapter-2")
    assert "Note 30" in index and "Note 34" in index


def test_folder_titles_keep_words_as_written_and_skip_generic_headings(grown) -> None:
    root, _ = grown
    nav = json.dumps(json.loads((root / ".dlip/nav.json").read_text()))
    assert "LLMs from scratch book" in nav
    assert "Part 0" in nav and "Check out the Video" not in nav
    assert "<title>Part 0" in built_page(root, "notes/part-0")


def test_a_note_and_a_notebook_of_one_name_get_two_pages(grown) -> None:
    root, output = grown
    note = built_page(root, "experiments/x")
    notebook = built_page(root, "experiments/x.ipynb")  # the file's own name, as in the repo
    assert "The note about x." in note
    assert "jupyter-wrapper" in notebook and "X, the notebook" in notebook
    # each page links the other
    assert re.search(r'The notebook beside this note: <a href="\.\./x\.ipynb/">X, the '
                     r"notebook</a>", note), note[-4000:]
    assert re.search(r'The note beside this notebook: <a href="\.\./x/">X, the note</a>',
                     notebook)
    # its relative image loads from the notebook page, one level deeper than the file
    src = re.search(r'<img[^>]+alt="a plot"[^>]*src="([^"]+)"|<img[^>]+src="([^"]+)"[^>]*'
                    r'alt="a plot"', notebook)
    assert src is not None, notebook[:2000]
    assert (src.group(1) or src.group(2)) == "../img/plot.png"
    assert (root / "site/experiments/img/plot.png").is_file()
    assert "nowhere.md" in output and "experiments/x.ipynb" in output  # its links are checked
    # the long output: its head in view, the rest folded, closed, under it
    head, _, rest = notebook.partition('<details class="dlip-output-more">')
    assert "line 0" in head and "line 19" in head and "line 20" not in head
    assert rest and "<summary>Show 4,980 more lines" in rest and "line 4999" in rest
    assert 'href="../"' in notebook  # back to its folder


def test_a_folder_shows_its_own_files(grown) -> None:
    root, _ = grown
    html = built_page(root, "webapp")
    assert "App.tsx" in html and "style.css" in html
    assert '<span class="k">margin</span>' in html  # style.css highlighted
    assert "package-lock.json" in html and "vendor.min.js" in html
    assert "generated; not shown" in html
    assert "lockfileVersion" not in html and "var a=1" not in html
    assert "screenshot.png" in html and "results/scores.csv" in html
    assert (root / "site/webapp/results/scores.csv").is_file()


def test_tooling_files_and_excluded_folders_are_not_published(grown) -> None:
    root, _ = grown
    site = root / "site"
    for gone in ("AGENTS", "CLAUDE", "LICENSE", "drafts/secret", "notes/review.prompt",
                 ".github"):
        assert not (site / gone).exists(), gone
    nav = json.dumps(json.loads((root / ".dlip/nav.json").read_text()))
    assert "For tools" not in nav and "Draft" not in nav


def test_build_keeps_its_output_out_of_git(grown) -> None:
    root, _ = grown
    ignored = (root / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert "/site/" in ignored and "/.dlip/" in ignored


# --- the whole site ----------------------------------------------------------------------


@pytest.mark.parametrize("which", ["grown", "postless"])
def test_every_internal_link_lands_and_every_page_is_reachable(which: str, request) -> None:
    root, _ = request.getfixturevalue(which)
    result = crawl(root / "site")
    assert result.pages > (70 if which == "grown" else 1)
    assert result.missing == {} and result.orphans == [], result.summary()


def test_posts_under_the_authors_own_docs_are_kept_and_shown_once(tmp_path: Path) -> None:
    """A repo with its own mkdocs.yml whose posts live in docs/blog/ (Material's layout)."""
    root = tmp_path / "repo"
    hook = Path(__file__).resolve().parents[2] / "src/dlip/publish/site/hook.py"
    write(root / "mkdocs.yml", f"site_name: Mine\nhooks:\n  - {hook}\n")
    write(root / "README.md", "# Mine\n\nHome.\n")
    write(root / "docs" / "blog" / "index.md", "# My blog, by hand\n")
    write(root / "docs" / "blog" / "posts" / "first.md",
          "---\ndate: 2024-01-02\n---\n# First\n\nText.\n")
    for _ in range(2):  # the second build finds the pages the first one generated
        result = dlip("build", "--repo", str(root))
        assert result.returncode == 0, result.stderr
        assert "not a post" not in result.stderr
    assert (root / "docs/blog/index.md").read_text() == "# My blog, by hand\n"
    assert (root / "site/blog/2024/01/02/first/index.html").is_file()
    assert not (root / "site/blog/posts/first").exists()  # its source is not a second page
    crawled = crawl(root / "site")
    assert crawled.missing == {} and crawled.orphans == [], crawled.summary()


def test_a_milestone_page_shows_its_folders_files_and_a_useful_title(grown) -> None:
    root, _ = grown
    html = built_page(root, "code/01_demo-app")
    assert "<h1" in html and "Demo app</h1>" in html  # not "Check out the Video"
    assert "App.tsx" in html and "<span class=\"kd\">const</span>" in html  # highlighted
    assert "curve.png" in html and 'src="../curve.png"' not in html
    assert (root / "site/code/01_demo-app/curve.png").is_file()
    assert "scores.csv" in html and (root / "site/code/01_demo-app/scores.csv").is_file()
    assert "package-lock.json" in html and "lockfileVersion" not in html


def test_a_milestone_notebook_loads_its_relative_images_and_links_back(grown) -> None:
    root, _ = grown
    html = built_page(root, "code/01_demo-app/explore")
    assert re.search(r'<img[^>]*src="\.\./ui\.png"', html), html[-3000:]
    assert 'href="../"' in html and "01 · Demo app" in html
