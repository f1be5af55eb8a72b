"""The publisher tried adversarially: every case is a repo an author (or an attacker) could
write, and what the publisher must do with it.

One module, so a reader can scan every case at once; grouped by the rule each case tests:
1. outside the repo, 2. nothing that runs, 3. results that lie, 4. smaller defects.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml
from repo_files import dlip, write

from dlip.publish.discover.milestones import discover_milestones
from dlip.publish.discover.posts import MAX_TITLE_BYTES, discover_posts, new_post, read_post
from dlip.publish.project import Project
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


# --- 2. nothing that runs ----------------------------------------------------------------


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
