"""Obsidian embeds: `![[note]]` shows the note in place, through the page's own pipeline.

Unit cases run `LinkRewriter` on notes a test writes; the site cases build a vault-like
repo with `dlip build --repo`, read the HTML, crawl every link, and run `dlip check`.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from repo_files import built_page, dlip, write
from site_crawl import crawl

from dlip.publish.model import Problem
from dlip.publish.pages import embeds
from dlip.publish.pages.links import LinkRewriter, SiteMap

ATTENTION = """\
---
tags: [ml]
---
# Attention

Intro to attention.%%a private aside%%

## Keys and values

Keys match queries; see [the figure](img/kv.png) and [[softmax]].

### Scaling

Divide by $\\sqrt{d_k}$.

## Heads

Many heads at once. ^heads-block

- one item
- a marked item ^item-1
"""


def notes_repo(root: Path) -> Path:
    write(root / "notes" / "attention.md", ATTENTION)
    write(root / "notes" / "img" / "kv.png", b"\x89PNG")
    write(root / "notes" / "softmax.md", "# Softmax\n\nExponentiate, normalise.\n")
    write(root / "notes" / "a.md", "# A\n\nA's text.\n\n![[b]]\n")
    write(root / "notes" / "b.md", "# B\n\nB's text.\n\n![[a]]\n")
    write(root / "notes" / "self.md", "# Self\n\n![[self]]\n")
    for i in range(6):  # level0 embeds level1 embeds ... level5
        write(root / "notes" / "deep" / f"level{i}.md",
              f"# Level {i}\n\nText {i}.\n\n" + (f"![[level{i + 1}]]\n" if i < 5 else ""))
    write(root / "notes" / "big.md", "# Big\n\n" + "word " * 120_000 + "\n")
    return root


def sitemap_for(root: Path) -> SiteMap:
    sitemap = SiteMap(root)
    for path in sorted((root / "notes").rglob("*.md")):
        rel = path.relative_to(root).as_posix()
        sitemap.add_page(rel, rel)
    return sitemap


def rewrite(root: Path, text: str, source: str = "notes/page.md",
            page: str = "notes/page.md") -> tuple[str, list[Problem]]:
    write(root / source, text)
    sitemap = sitemap_for(root)
    problems: list[Problem] = []
    return LinkRewriter(sitemap, root / source, page, problems).rewrite(text), problems


# --- the embedded text -------------------------------------------------------------------


def test_a_note_embed_shows_the_note_with_a_header_linking_to_it(tmp_path: Path) -> None:
    root = notes_repo(tmp_path)
    out, problems = rewrite(root, "# Page\n\nBefore.\n![[attention]]\nAfter.\n",
                            source="other/page.md", page="other/page.md")
    assert problems == []
    assert '<div class="admonition dlip-embed" markdown="1">' in out
    assert '[Attention](../notes/attention.md)</p>' in out  # the header links the note
    assert "Intro to attention." in out and "Many heads at once." in out
    assert "# Attention" not in out  # its title is the header, not a second h1
    assert "tags:" not in out and "private aside" not in out  # no front matter, no comments
    # its links resolve from the note's folder, written for the embedding page
    assert "[the figure](../notes/img/kv.png)" in out
    assert "[softmax](../notes/softmax.md)" in out
    assert "\nBefore.\n\n<div" in out and "</div>\n\nAfter." in out  # a block of its own


def test_a_heading_embed_shows_that_section_and_its_subsections(tmp_path: Path) -> None:
    root = notes_repo(tmp_path)
    out, problems = rewrite(root, "![[attention#Keys and values]]\n")
    assert problems == []
    assert "[Attention › Keys and values](attention.md#keys-and-values)" in out
    assert "Keys match queries" in out and "### Scaling" in out
    assert "Intro to attention" not in out and "Many heads" not in out
    nested, _ = rewrite(root, "![[attention#Keys and values#Scaling]]\n")
    assert "sqrt{d_k}" in nested and "Keys match" not in nested


def test_a_block_embed_shows_the_marked_paragraph_or_item(tmp_path: Path) -> None:
    root = notes_repo(tmp_path)
    out, problems = rewrite(root, "![[attention#^heads-block]]\n\n![[attention#^item-1]]\n")
    assert problems == []
    assert "Many heads at once.\n" in out and "^heads-block" not in out
    assert "- a marked item\n" in out and "one item" not in out


def test_missing_targets_are_reported_like_broken_wikilinks(tmp_path: Path) -> None:
    root = notes_repo(tmp_path)
    out, problems = rewrite(root, "![[nowhere]]\n\n![[attention#No such heading]]\n\n"
                                  "![[attention#^nope]]\n")
    messages = [p.reason for p in problems]
    assert messages == [
        "link '![[nowhere]]' is broken: no post, page or file by that name",
        "link '![[attention#No such heading]]' is broken: no heading 'No such heading' in "
        "notes/attention.md",
        "link '![[attention#^nope]]' is broken: no block '^nope' in notes/attention.md",
    ]
    assert "dlip-embed" not in out
    assert '<span class="dlip-broken-link">[image not found: nowhere]</span>' in out


def test_a_cycle_stops_with_a_visible_note(tmp_path: Path) -> None:
    root = notes_repo(tmp_path)
    sitemap = sitemap_for(root)
    out = LinkRewriter(sitemap, root / "notes/a.md", "notes/a.md", []).rewrite(
        (root / "notes/a.md").read_text())
    assert out.count("dlip-embed") == 1  # a shows b; b's embed of a stops
    assert "B's text." in out
    assert ("[A](#) *(not embedded again: notes/a.md embeds notes/b.md embeds notes/a.md)*"
            in out)
    own, _ = rewrite(root, (root / "notes/self.md").read_text(), "notes/self.md",
                     "notes/self.md")
    assert "dlip-embed" not in own and "not embedded again" in own


def test_embeds_nest_a_few_levels_at_most(tmp_path: Path) -> None:
    root = notes_repo(tmp_path)
    sitemap = sitemap_for(root)
    source = root / "notes/deep/level0.md"
    out = LinkRewriter(sitemap, source, "notes/deep/level0.md", []).rewrite(source.read_text())
    assert out.count('class="admonition dlip-embed"') == embeds.MAX_EMBED_DEPTH
    assert "Text 3." in out and "Text 4." not in out
    assert f"embeds nest {embeds.MAX_EMBED_DEPTH} levels deep at most" in out


def test_a_huge_note_is_linked_not_embedded(tmp_path: Path) -> None:
    root = notes_repo(tmp_path)
    out, problems = rewrite(root, "![[big]]\n")
    assert problems == [] and "dlip-embed" not in out and len(out) < 1000
    assert "[Big](big.md)" in out and "KB of embedded notes at most" in out


def test_images_inline_embeds_code_and_notebooks_are_not_inlined(tmp_path: Path) -> None:
    root = notes_repo(tmp_path)
    write(root / "notes" / "run.ipynb", "{}")
    sitemap_extra = "![[img/kv.png]]\n\nSee ![[softmax]] in a sentence.\n\n```\n![[softmax]]\n```\n"
    out, problems = rewrite(root, sitemap_extra + "\n![[run.ipynb]]\n")
    assert "dlip-embed" not in out
    assert "![img/kv.png](img/kv.png)" in out
    assert "See [softmax](softmax.md) in a sentence." in out
    assert "```\n![[softmax]]\n```" in out
    assert "Exponentiate" not in out


def test_nothing_outside_the_repo_is_embedded(tmp_path: Path) -> None:
    root = notes_repo(tmp_path / "repo")
    secret = write(tmp_path / "secret.md", "# Secret\n\nTOP SECRET\n")
    os.symlink(secret, root / "notes" / "leak.md")
    out, problems = rewrite(root, "![[leak]]\n\n![[../../secret]]\n")
    assert "TOP SECRET" not in out
    messages = " | ".join(p.reason for p in problems)
    assert "![[leak]]" in messages and "refused" in messages
    assert "![[../../secret]]" in messages


def test_embedded_text_passes_the_same_link_rules_and_fill_as_the_page(tmp_path: Path) -> None:
    root = notes_repo(tmp_path)
    write(root / "notes" / "unsafe.md", "# Unsafe\n\n[click](javascript:alert(1)) and "
          "[up](../../../etc/passwd) and {{ metric 000 acc }}\n")
    sitemap = sitemap_for(root)
    sitemap.fill_embedded = lambda text, path: text.replace("{{ metric 000 acc }}", "97%")
    write(root / "notes" / "page.md", "![[unsafe]]\n")
    out = LinkRewriter(sitemap, root / "notes/page.md", "notes/page.md", []).rewrite(
        "![[unsafe]]\n")
    assert "javascript:" not in out and "etc/passwd" not in out
    assert '<span class="dlip-broken-link">click</span>' in out and "97%" in out


# --- a built site ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = notes_repo(tmp_path_factory.mktemp("embeds") / "repo")
    write(root / "README.md", "# My vault in public\n\nNotes and posts.\n")
    write(root / "notes" / "callouts.md", "# Callouts\n\n> [!tip] A tip\n> Inside.\n\n"
          "Steps:\n- one\n  - nested\n\n$$\nx^2\n$$\n\n```python\n%%timeit\nx = 1\n```\n")
    write(root / "notes" / "page.md", "# Page\n\n![[callouts]]\n\n![[attention#Heads]]\n\n"
          "![[img/kv.png]]\n")
    write(root / "daily-blog" / "2024-05-01 - Embedding.md",
          "# Embedding\n\nToday's summary:\n\n![[attention#Keys and values]]\n")
    result = dlip("build", "--repo", str(root))
    assert result.returncode == 0, result.stderr
    return root, result.stdout + result.stderr


def test_the_embedded_note_renders_like_the_note_itself(site) -> None:
    root, _ = site
    page = built_page(root, "notes/page")
    box = page[page.index('class="admonition dlip-embed"'):]
    assert re.search(r'<p class="admonition-title"><a href="\.\./callouts/">Callouts</a></p>',
                     box), box[:500]
    assert 'class="admonition tip"' in box  # its callout
    assert re.search(r"<li>one\s*<ul>\s*<li>nested</li>", box)  # its GitHub-style list
    assert '<div class="arithmatex">' in box  # its math
    assert re.search(r'<span class="o">%%</span><span class="n">timeit</span>', box)  # code whole
    assert "Many heads at once." in page
    assert re.search(r'<img[^>]+src="\.\./img/kv\.png"', page)  # an image embed stays one


def test_a_post_embeds_a_section_with_links_that_land(site) -> None:
    root, _ = site
    post = built_page(root, "blog/2024/05/01/embedding")
    assert "Keys match queries" in post and "Intro to attention" not in post
    assert 'href="../../../../../notes/img/kv.png"' in post
    assert 'href="../../../../../notes/softmax/"' in post
    index = built_page(root, "blog")  # an excerpt links the note; it does not inline it
    assert "Keys match queries" not in index


def test_the_site_with_embeds_has_no_broken_links_or_orphans(site) -> None:
    root, output = site
    assert "not embedded again" in built_page(root, "notes/a")
    result = crawl(root / "site")
    assert result.missing == {} and result.orphans == [], result.summary()
    assert "Traceback" not in output


def test_check_fails_on_an_embed_of_nothing(site, tmp_path: Path) -> None:
    root, _ = site
    write(root / "notes" / "broken.md", "# Broken\n\n![[no such note]]\n")
    try:
        result = dlip("check", "--repo", str(root))
    finally:
        (root / "notes" / "broken.md").unlink()
    assert result.returncode != 0
    assert "notes/broken.md" in result.stderr + result.stdout
    assert "link '![[no such note]]' is broken" in result.stderr + result.stdout


def test_serve_regenerates_everything_when_an_embedded_post_is_edited(tmp_path: Path) -> None:
    """`dlip serve` redoes one post's page after a save, unless another page embeds it."""
    from dlip.publish.discover.posts import discover_posts
    from dlip.publish.pages.generate import generate, regenerate_posts
    from dlip.publish.project import Project

    root = tmp_path / "repo"
    write(root / "README.md", "# R\n\nText.\n")
    shown = write(root / "daily-blog" / "2024-05-01 - Shown.md", "# Shown\n\nFirst words.\n")
    alone = write(root / "daily-blog" / "2024-05-02 - Alone.md", "# Alone\n\nText.\n")
    write(root / "notes" / "digest.md", "# Digest\n\n![[2024-05-01 - Shown]]\n")
    project = Project.at(root)
    posts, _ = discover_posts(project)
    site = generate(project, posts, [], site_name="R")
    assert "First words." in site.pages["notes/digest.md"]
    assert regenerate_posts(site, [alone]) is not None  # nobody embeds it: its page alone
    assert regenerate_posts(site, [shown]) is None  # the digest shows it: generate again
