"""Link rewriting: repo links land on site pages; outside and broken links are refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlip.publish.model import Problem
from dlip.publish.pages.links import LinkRewriter, SiteMap, page_url


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "daily-blog").mkdir()
    (tmp_path / "daily-blog" / "2024-01-02 - Title.md").write_text("x")
    (tmp_path / "daily-blog" / "2024-01-03 - Now.md").write_text("x")
    (tmp_path / "code" / "000_x").mkdir(parents=True)
    (tmp_path / "code" / "000_x" / "nn_SGD.py").write_text("print(1)\n")
    (tmp_path / "code" / "000_x" / "plot.png").write_bytes(b"\x89PNG")
    (tmp_path / "data.csv").write_text("a,b\n")
    (tmp_path / "README.md").write_text("# R\n")
    return tmp_path


def sitemap_for(repo: Path) -> SiteMap:
    sitemap = SiteMap(repo)
    sitemap.add_page(".", "index.md")
    sitemap.add_page("README.md", "index.md")
    sitemap.add_page("daily-blog", "blog/index.md")
    sitemap.add_post("daily-blog/2024-01-02 - Title.md", "blog/2024/01/02/title.md")
    sitemap.add_post("daily-blog/2024-01-03 - Now.md", "blog/2024/01/03/now.md")
    sitemap.add_page("code/000_x", "code/000_x/index.md")
    sitemap.add_page("code/000_x/nn_SGD.py", "code/000_x/index.md#src-nn_SGD.py")
    return sitemap


def rewrite(repo: Path, text: str, source: str = "daily-blog/2024-01-03 - Now.md",
            page: str = "blog/2024/01/03/now.md") -> tuple[str, list[Problem], SiteMap]:
    sitemap = sitemap_for(repo)
    problems: list[Problem] = []
    out = LinkRewriter(sitemap, repo / source, page, problems).rewrite(text)
    return out, problems, sitemap


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ("../code/000_x/nn_SGD.py", "../../../../code/000_x/index.md#src-nn_SGD.py"),
        ("../code/000_x/", "../../../../code/000_x/index.md"),
        ("2024-01-02%20-%20Title.md", "../02/title.md"),
        ("<2024-01-02 - Title.md>", "../02/title.md"),
        ("./2024-01-02 - Title.md#part", "../02/title.md#part"),
        ("../README.md", "../../../../index.md"),
        ("../readme.md", "../../../../index.md"),
        ("/code/000_x", "../../../../code/000_x/index.md"),
        ("https://example.org/a.md", "https://example.org/a.md"),
        ("#local", "#local"),
    ],
)
def test_links_land_on_their_page(repo: Path, link: str, expected: str) -> None:
    out, problems, _ = rewrite(repo, f"See [this]({link}).\n")
    assert problems == []
    assert out == f"See [this]({expected}).\n"


def test_a_post_linked_from_the_readme_by_path(repo: Path) -> None:
    out, problems, _ = rewrite(
        repo, "[p](daily-blog/2024-01-02%20-%20Title.md)", source="README.md", page="index.md"
    )
    assert problems == []
    assert out == "[p](blog/2024/01/02/title.md)"


def test_linked_files_are_copied_into_the_site(repo: Path) -> None:
    out, problems, sitemap = rewrite(repo, "![plot](../code/000_x/plot.png) [d](../data.csv)")
    assert problems == []
    assert "../../../../code/000_x/plot.png" in out
    assert sitemap.assets == {
        "code/000_x/plot.png": repo / "code/000_x/plot.png",
        "data.csv": repo / "data.csv",
    }


def test_links_outside_the_repo_are_refused_and_not_copied(repo: Path) -> None:
    out, problems, sitemap = rewrite(repo, "[secret](../../etc/passwd) ![x](../../../x.png)")
    assert "passwd" not in out and "](" not in out
    assert len(problems) == 2
    assert all("outside the repo" in p.reason for p in problems)
    assert sitemap.assets == {}


def test_a_symlink_leading_out_of_the_repo_is_refused(repo: Path, tmp_path_factory) -> None:
    outside = tmp_path_factory.mktemp("outside") / "secret.txt"
    outside.write_text("secret")
    (repo / "link.txt").symlink_to(outside)
    out, problems, sitemap = rewrite(repo, "[s](../link.txt)")
    assert sitemap.assets == {}
    assert "outside the repo" in problems[0].reason


def test_broken_links_are_reported_and_unlinked(repo: Path) -> None:
    out, problems, _ = rewrite(repo, "Read [the old one](../code/000_renamed/).\n")
    assert out == 'Read <span class="dlip-broken-link">the old one</span>.\n'
    assert len(problems) == 1
    assert problems[0].severity == "warning"
    assert "000_renamed" in problems[0].reason
    assert problems[0].path == repo / "daily-blog/2024-01-03 - Now.md"


def test_code_is_left_alone(repo: Path) -> None:
    text = "```md\n[x](../nowhere.md)\n```\nand `[y](../nowhere.md)` too\n"
    out, problems, _ = rewrite(repo, text)
    assert out == text
    assert problems == []


def test_reference_links_raw_html_and_wikilinks(repo: Path) -> None:
    text = ('[ref]: ../code/000_x/nn_SGD.py "t"\n'
            '<img src="../code/000_x/plot.png" alt="p">\n'
            "[[2024-01-02 - Title]] and [[2024-01-02 - Title|yesterday]]\n")
    out, problems, _ = rewrite(repo, text)
    assert problems == []
    lines = out.splitlines()
    assert lines[0] == '[ref]: ../../../../code/000_x/index.md#src-nn_SGD.py "t"'
    # raw HTML is not rewritten by MkDocs: the URL is relative to the page's own URL
    assert lines[1] == '<img src="../../../../../code/000_x/plot.png" alt="p">'
    assert lines[2] == ("[2024-01-02 - Title](../02/title.md) and "
                        "[yesterday](../02/title.md)")


def test_page_url() -> None:
    assert page_url("index.md") == ""
    assert page_url("code/000_x/index.md") == "code/000_x/"
    assert page_url("blog/2024/01/02/title.md") == "blog/2024/01/02/title/"
    assert page_url("code/000_x/plot.png") == "code/000_x/plot.png"


def test_code_in_link_text_does_not_hide_the_link(repo: Path) -> None:
    out, problems, _ = rewrite(repo, "Read [`nn_SGD.py`](../code/000_x/nn_SGD.py) and `[no](x)`.")
    assert problems == []
    assert out == "Read [`nn_SGD.py`](../../../../code/000_x/index.md#src-nn_SGD.py) and `[no](x)`."


def test_obsidian_embeds_find_attachments_by_name(repo: Path) -> None:
    attachments = repo / "daily-blog" / "attachments"
    attachments.mkdir()
    (attachments / "Pasted image 1.png").write_bytes(b"\x89PNG")
    sitemap = sitemap_for(repo)
    sitemap.attachment_dirs.append(repo / "daily-blog")
    problems: list[Problem] = []
    out = LinkRewriter(sitemap, repo / "daily-blog/2024-01-03 - Now.md",
                       "blog/2024/01/03/now.md", problems).rewrite("![[Pasted image 1.png]]")
    assert problems == []
    assert out == "![Pasted image 1.png](../../../../daily-blog/attachments/Pasted%20image%201.png)"
    assert "daily-blog/attachments/Pasted image 1.png" in sitemap.assets


def test_links_are_read_across_lines_as_markdown_reads_them(repo: Path) -> None:
    text = ("Today I built [a small\nnetwork](../code/000_x/) and\n"
            "[the plot](<../code/000_x/plot.png>\n  \"A plot\") and [the code][c].\n"
            "\n[c]:\n    ../code/000_x/nn_SGD.py\n")
    out, problems, sitemap = rewrite(repo, text)
    assert problems == []
    assert "[a small\nnetwork](../../../../code/000_x/index.md)" in out
    assert '[the plot](../../../../code/000_x/plot.png\n  "A plot")' in out
    assert "[c]:\n    ../../../../code/000_x/index.md#src-nn_SGD.py" in out
    assert "code/000_x/plot.png" in sitemap.assets


def test_a_broken_link_wrapped_over_two_lines_is_reported(repo: Path) -> None:
    out, problems, _ = rewrite(repo, "Read [the old\none](../code/000_renamed/) and\n"
                                     "[ref]:\n  ../gone.md\n")
    assert sorted(p.reason.split()[1] for p in problems) == ["'../code/000_renamed/'",
                                                             "'../gone.md'"]
    assert '<span class="dlip-broken-link">the old\none</span>' in out
    assert "[ref]:\n  #" in out


def test_a_blank_line_ends_a_link(repo: Path) -> None:
    text = "[not\n\na link](../code/000_renamed/)\n"
    out, problems, _ = rewrite(repo, text)
    assert out == text
    assert problems == []
