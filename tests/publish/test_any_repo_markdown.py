"""Markdown as GitHub and Obsidian show it: lists, callouts, comments, highlights, math."""

from __future__ import annotations

import markdown
import pytest

from dlip.publish.markdown_ext import github_markdown
from dlip.publish.pages.math import KATEX_DOCS, math_assets, with_math
from dlip.publish.site.config import MARKDOWN_EXTENSIONS


def render(text: str) -> str:
    return markdown.markdown(text, extensions=list(MARKDOWN_EXTENSIONS),
                             extension_configs={k: v for k, v in MARKDOWN_EXTENSIONS.items() if v})


def test_list_right_under_a_paragraph_line_is_a_list() -> None:
    html = render("Steps I took:\n- read the chapter\n- wrote the code\n")
    assert "<p>Steps I took:</p>" in html
    assert html.count("<li>") == 2


@pytest.mark.parametrize("indent", [2, 3, 4])
def test_nested_lists_indented_by_2_3_or_4_spaces_nest(indent: int) -> None:
    pad = " " * indent
    html = render(f"- top\n{pad}- child\n{pad}{pad}- grandchild\n- next\n")
    assert html.count("<ul>") == 3, html
    assert "<li>top<ul>" in html.replace("\n", "")


def test_ordered_list_nested_under_numbered_item_by_three_spaces() -> None:
    html = render("1. first\n   - detail\n2. second\n")
    assert "<li>first<ul>" in html.replace("\n", "")


def test_a_year_in_a_sentence_is_not_a_list() -> None:
    html = render("It was 2024. Then\n2. more text\n")
    assert "<ol>" not in html and "<li>" not in html


def test_task_lists_bare_urls_and_highlights() -> None:
    html = render("Todo:\n- [ ] write\n- [x] read\n\nSee https://example.org/x and ==this==.\n")
    assert html.count('type="checkbox"') == 2 and "checked" in html
    assert '<a href="https://example.org/x">' in html
    assert "<mark>this</mark>" in html


def test_math_is_left_for_katex() -> None:
    html = render("Energy $E=mc^2$ and\n\n$$\n\\sum_i x_i\n$$\n")
    assert '<span class="arithmatex">\\(E=mc^2\\)</span>' in html
    assert '<div class="arithmatex">\\[' in html
    assert "<script" not in html  # no MathJax tags: KaTeX renders in the browser


def test_obsidian_callouts_become_admonitions() -> None:
    html = render("> [!warning] Mind the gap\n> body with a list:\n> - a\n> - b\n\n"
                  "> [!tip]- Folded\n> hidden at first\n\n> [!NOTE]\n> GitHub alert\n\n> plain\n")
    assert '<div class="admonition warning">' in html
    assert '<p class="admonition-title">Mind the gap</p>' in html
    assert html.count("<li>") == 2
    assert '<details class="tip">' in html and "<summary>Folded</summary>" in html
    assert '<div class="admonition note">' in html
    assert "<blockquote>" in html and "plain" in html


def test_obsidian_comments_are_hidden_but_code_keeps_them() -> None:
    text = ("Shown %%secret one%% text.\n%%\nsecret two\n- secret item\n%%\nAfter.\n\n"
            "`a %% b` and\n\n```\nx %% y\n```\n")
    out = github_markdown(text)
    assert "secret" not in out
    assert "Shown" in out and "After." in out
    assert "`a %% b`" in out and "x %% y" in out


def test_code_blocks_are_never_rewritten() -> None:
    text = "Intro:\n```\n- not\n  - a list\n%% not a comment %%\n> [!note] no\n```\n"
    assert github_markdown(text) == text


def test_fenced_code_inside_a_list_item_stays_in_it() -> None:
    html = render("1. step\n\n   ```python\n   x = 1\n   ```\n\n2. next\n")
    flat = html.replace("\n", "")
    assert "<ol><li><p>step</p><div class=\"highlight\">" in flat
    assert flat.count("<li>") == 2


def test_katex_is_vendored_and_only_pages_with_math_load_it() -> None:
    assets = math_assets()
    assert f"{KATEX_DOCS}/katex.min.js" in assets
    assert any(p.endswith(".woff2") for p in assets)
    assert all(path.is_file() for path in assets.values())
    css = assets[f"{KATEX_DOCS}/katex.min.css"].read_text()
    assert "//" not in css.replace("/*", "")  # no font from another host
    page = "<html><head></head><body><span class=\"arithmatex\">\\(x\\)</span></body></html>"
    out = with_math(page, 2)
    assert f'href="../../{KATEX_DOCS}/katex.min.css"' in out
    assert f'src="../../{KATEX_DOCS}/dlip-math.js"' in out
    assert with_math("<html><head></head><body>no math</body></html>", 0).count("katex") == 0
