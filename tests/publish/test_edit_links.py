"""Edit and source links: every page points at the file its author edits, on the right branch.

Generated pages live under docs/ only as copies; a link to that copy would 404 on the
host. One repo built with the real CLI, a GitHub remote and a branch named `trunk`.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from repo_files import dlip, git, write

from dlip.publish.project import Project
from dlip.publish.site.edit_links import EditLinks, current_branch

REPO = "https://github.com/ada/learning"


def buttons(html: str) -> tuple[str | None, str | None]:
    """(edit href, view href) of the page's action buttons."""
    edit = re.search(r'<a href="([^"]+)" title="Edit this page"', html)
    view = re.search(r'<a href="([^"]+)" title="View source of this page"', html)
    return (edit[1] if edit else None), (view[1] if view else None)


def make_repo(root: Path) -> Path:
    write(root / "README.md", "# Ada learns\n\nHello.\n")
    write(root / "daily-blog/2024-01-01 - Day one.md", "# Day one\n\nFirst words.\n")
    write(root / "code/000_xor/README.md", "# XOR\n\nA network by hand.\n")
    write(root / "code/000_xor/milestone.yml", "title: XOR\nstatus: planned\n")
    write(root / "notes/Backprop basics.md", "# Backprop basics\n\nChain rule.\n")
    git(root, "init", "-q", "-b", "trunk")
    git(root, "remote", "add", "origin", "git@github.com:ada/learning.git")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "start")
    return root


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_repo(tmp_path_factory.mktemp("repo"))
    result = dlip("build", "--no-run", "--repo", str(root))
    assert result.returncode == 0, result.stdout + result.stderr
    return root / "site"


def page(site: Path, rel: str) -> str:
    return (site / rel).read_text(encoding="utf-8")


def test_a_post_links_to_its_own_file_on_the_checked_out_branch(site: Path) -> None:
    edit, view = buttons(page(site, "blog/2024/01/01/day-one/index.html"))
    assert edit == f"{REPO}/edit/trunk/daily-blog/2024-01-01%20-%20Day%20one.md"
    assert view == f"{REPO}/blob/trunk/daily-blog/2024-01-01%20-%20Day%20one.md"


def test_a_milestone_page_edits_its_readme_and_shows_its_folder(site: Path) -> None:
    edit, view = buttons(page(site, "code/000_xor/index.html"))
    assert edit == f"{REPO}/edit/trunk/code/000_xor/README.md"
    assert view == f"{REPO}/tree/trunk/code/000_xor"


def test_a_note_links_to_the_note(site: Path) -> None:
    html = next(p for p in site.rglob("index.html") if "Chain rule." in p.read_text("utf-8"))
    assert buttons(html.read_text("utf-8"))[0] == \
        f"{REPO}/edit/trunk/notes/Backprop%20basics.md"


def test_pages_made_from_nothing_the_author_wrote_have_no_edit_link(site: Path) -> None:
    assert buttons(page(site, "blog/archive/index.html"))[0] is None
    for html in site.rglob("*.html"):  # no link anywhere to the generated copies under docs/
        assert "/edit/trunk/docs/" not in html.read_text("utf-8"), html
        assert "/edit/master/" not in html.read_text("utf-8"), html


def test_a_hand_written_docs_page_links_to_itself(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo")
    hook = Path(__file__).resolve().parents[2] / "src/dlip/publish/site/hook.py"
    write(root / "mkdocs.yml", f"site_name: Ada\nrepo_url: https://gitlab.com/ada/dl\n"
          f"theme:\n  name: material\n  features: [content.action.edit, content.action.view]\n"
          f"hooks:\n  - {hook}\n")
    write(root / "docs/setup.md", "# Setup\n\nHow I set up.\n")
    result = dlip("build", "--no-run", "--repo", str(root))
    assert result.returncode == 0, result.stdout + result.stderr
    edit, view = buttons(page(root / "site", "setup/index.html"))
    assert edit == "https://gitlab.com/ada/dl/-/edit/trunk/docs/setup.md"
    assert view == "https://gitlab.com/ada/dl/-/blob/trunk/docs/setup.md"
    edit, _ = buttons(page(root / "site", "code/000_xor/index.html"))
    assert edit == "https://gitlab.com/ada/dl/-/edit/trunk/code/000_xor/README.md"


def test_edit_uri_off_or_an_unknown_host_gives_no_links_to_generated_copies(tmp_path: Path) -> None:
    project = Project.at(make_repo(tmp_path / "repo"))
    assert EditLinks.for_site(REPO, project, {"edit_uri": ""}) is None
    assert EditLinks.for_site("https://git.example.org/ada/dl", project, {}) is None
    links = EditLinks.for_site(REPO, project, {"edit_uri": "blob/develop/docs/"})
    assert links is not None and links.branch == "develop"


def test_a_detached_head_uses_the_branch_ci_names(tmp_path: Path, monkeypatch) -> None:
    root = make_repo(tmp_path / "repo")
    git(root, "checkout", "-q", "--detach")
    monkeypatch.setenv("GITHUB_REF_NAME", "release")
    assert current_branch(Project.at(root)) == "release"
    monkeypatch.delenv("GITHUB_REF_NAME")
    monkeypatch.delenv("CI_COMMIT_REF_NAME", raising=False)
    assert current_branch(Project.at(root)) == "main"
