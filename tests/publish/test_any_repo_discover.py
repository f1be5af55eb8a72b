"""Posts and notes found the way learners keep them (discovery alone, no build)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from repo_files import write

from dlip.publish.discover.notes import (
    discover_notes,
    folder_title,
    is_tooling,
    name_title,
    note_title,
    read_notes_config,
)
from dlip.publish.discover.post_folders import post_folders
from dlip.publish.discover.posts import discover_posts, new_post
from dlip.publish.markdown_ext import github_markdown
from dlip.publish.project import Project
from dlip.publish.site.gitignore import ensure_ignored


def test_post_names_learners_use(tmp_path: Path) -> None:
    blog = tmp_path / "posts"
    write(blog / "2024-01-05-my-first-post.md", "Text.\n")
    write(blog / "2024-01-06_second one.md", "Text.\n")
    write(blog / "2024" / "01" / "2024-01-07 - Nested.md", "Text.\n")
    write(blog / "hello.md", "---\ndate:\n  created: 2024-01-08\n---\n# Hello\n\nText.\n")
    write(blog / "2024" / "ideas.md", "# Not a post\n")
    posts, problems = discover_posts(Project.at(tmp_path))
    assert [(p.date, p.title) for p in posts] == [
        (date(2024, 1, 5), "My first post"), (date(2024, 1, 6), "second one"),
        (date(2024, 1, 7), "Nested"), (date(2024, 1, 8), "Hello")]
    assert [p.path.name for p in problems] == ["ideas.md"]
    assert problems[0].severity == "warning" and "not a post" in problems[0].reason


def test_an_undated_file_at_the_top_of_daily_blog_is_still_an_error(tmp_path: Path) -> None:
    write(tmp_path / "daily-blog" / "2024-01-01 - Fine.md", "ok\n")
    write(tmp_path / "daily-blog" / "thoughts.md", "no date\n")
    _, problems = discover_posts(Project.at(tmp_path))
    assert [(p.path.name, p.severity) for p in problems] == [("thoughts.md", "error")]


def test_a_folder_without_dated_files_is_not_a_posts_folder(tmp_path: Path) -> None:
    write(tmp_path / "blog" / "how I set up this blog.md", "# Setup\n")
    write(tmp_path / "docs" / "blog" / "2024-02-02 - Real.md", "Text.\n")
    project = Project.at(tmp_path)
    assert post_folders(project) == [tmp_path / "docs" / "blog"]
    notes = discover_notes(project, set())
    assert tmp_path / "blog" / "how I set up this blog.md" in notes


def test_new_post_goes_where_the_posts_are(tmp_path: Path) -> None:
    write(tmp_path / "docs" / "blog" / "2024-02-02 - Real.md", "Text.\n")
    path = new_post(Project.at(tmp_path), "Next one")
    assert path.parent == tmp_path / "docs" / "blog"


def test_titles_keep_the_words_as_written() -> None:
    assert name_title("LLMs-from-scratch-book") == "LLMs from scratch book"
    assert name_title("attention_is_all") == "Attention is all"


def test_generic_readme_headings_do_not_become_titles(tmp_path: Path) -> None:
    write(tmp_path / "GPT-2-reproduction" / "README.md", "# Check out the Video\n\nText.\n")
    write(tmp_path / "other" / "README.md", "# README\n")
    write(tmp_path / "kept" / "README.md", "# Byte pair encoding\n")
    assert folder_title(tmp_path / "GPT-2-reproduction") == "GPT 2 reproduction"
    assert note_title(tmp_path / "other" / "README.md") == "Other"
    assert folder_title(tmp_path / "kept") == "Byte pair encoding"


def test_tooling_files_are_not_notes_unless_included(tmp_path: Path) -> None:
    for name in ("AGENTS.md", "CLAUDE.md", "LICENSE.md", ".github/copilot-instructions.md",
                 "prompts/fix.prompt.md", "notes/a.md", "drafts/b.md"):
        write(tmp_path / name, "# x\n")
    write(tmp_path / "pyproject.toml", '[tool.dlip]\ninclude = ["AGENTS.md"]\n'
          'exclude = ["drafts/**"]\n')
    project = Project.at(tmp_path)
    found = {p.relative_to(tmp_path).as_posix() for p in discover_notes(project, set())}
    assert found == {"AGENTS.md", "notes/a.md"}
    assert is_tooling(".github/x.md") and is_tooling("LICENSE") and not is_tooling("notes/a.md")


def test_a_bad_dlip_yml_is_one_line_naming_the_file(tmp_path: Path) -> None:
    write(tmp_path / "dlip.yml", "exclude: {a: 1}\n")
    config = read_notes_config(Project.at(tmp_path))
    assert [str(p) for p in config.problems] == [
        f"error: {tmp_path / 'dlip.yml'}: exclude: must be a list of globs like "
        "['drafts/**'], not {'a': 1}"]


def test_gitignore_gets_the_build_folders_once(tmp_path: Path) -> None:
    project = Project.at(tmp_path)
    assert ensure_ignored(project) is None  # not a git repo: nothing to do
    (tmp_path / ".git").mkdir()
    write(tmp_path / ".gitignore", "__pycache__/")
    assert ensure_ignored(project) == "added /site/ and /.dlip/ to .gitignore"
    assert ensure_ignored(project) is None
    lines = (tmp_path / ".gitignore").read_text().splitlines()
    assert lines[0] == "__pycache__/" and lines[-2:] == ["/site/", "/.dlip/"]


def test_lists_in_callouts_and_under_headings() -> None:
    text = "## Heading\n- a\n    1. one\n    2. two\n\n> [!info]\n> - x\n>   - y\n"
    out = github_markdown(text)
    assert "- a\n    1. one\n    2. two\n" in out
    assert '!!! info\n    - x\n        - y\n' in out


def test_a_large_notes_tree_lists_folders_in_the_nav_and_notes_on_their_pages(
    tmp_path: Path,
) -> None:
    import json

    from dlip.publish.pages import notes as notes_md
    from dlip.publish.pages.links import SiteMap

    for i in range(notes_md.MAX_NAV_NOTES + 1):
        write(tmp_path / "notes" / f"part-{i // 50}" / f"n{i:03d}.md", f"# N{i}\n")
    project = Project.at(tmp_path)
    found = discover_notes(project, set())
    sitemap = SiteMap(project.root)
    plan = notes_md.plan_notes(project, found, sitemap, [], lambda page: False, set())
    nav = json.dumps(notes_md.notes_nav(plan, project))
    assert "n000" not in nav and "notes/part-0/index.md" in nav
    assert all(plan.folders[f"notes/part-{k}"].notes for k in range(4))


def test_hidden_comments_never_reach_excerpts_or_the_feed(tmp_path: Path) -> None:
    from dlip.publish.discover.posts import excerpt

    write(tmp_path / "daily-blog" / "2024-01-01 - Day.md",
          "%%private: salary talk%%Today I trained a model.\n\n%%\n[x](missing.md)\n%%\n")
    posts, _ = discover_posts(Project.at(tmp_path))
    assert "salary" not in posts[0].body and "missing.md" not in posts[0].body
    assert excerpt(posts[0]) == "Today I trained a model."
