"""The home page (the README's introduction, the roadmap, the latest posts) and the
"About this repo" page that publishes the whole README.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from urllib.parse import quote

from dlip.publish.discover.posts import excerpt, post_url_path
from dlip.publish.markdown import escape_md, markdown_lines, md_text
from dlip.publish.model import Milestone, Post
from dlip.publish.pages.blog import SEARCH_EXCLUDE
from dlip.publish.pages.feed import FEED_PATH, plain_text
from dlip.publish.pages.results import Labelled
from dlip.publish.pages.roadmap_chart import STATUS_TEXT, progress_svg

HOME = "index.md"
ABOUT = "about.md"
ABOUT_FALLBACK = "about-this-repo.md"  # when the repo has its own about.md note
ABOUT_TITLE = "About this repo"
README_PAGE = "the-readme.md"  # the whole README, for developers, one click from About
README_PAGE_FALLBACK = "the-readme-page.md"  # when the repo has its own note of that name
README_TITLE = "The README"
_ATX_SECTION = re.compile(r"^ {0,3}#{2,6}(?:[ \t]+(?P<title>.*?))?[ \t#]*$")
_SETEXT_H2 = re.compile(r"^ {0,3}-+[ \t]*$")
_FRAGMENT_LINK = re.compile(r"\]\(#")
PROGRESS_SVG = "_generated/progress.svg"
LATEST_POSTS = 10  # a learner's first weeks of posts all show; the blog index has the rest
SUMMARY_CHARS = 200  # of a post's first sentence, under its title in the latest posts
OTHER_SECTION = "Other milestones"  # milestones without a section, beside ones with


@dataclass(frozen=True)
class Headline:
    """A milestone's headline metric: its name and its value as `format_metric` wrote it,
    or, when `milestone.yml` labels it, the sentence a reader reads (`results.Labelled`)."""

    name: str
    value: str
    labelled: Labelled | None = None

    def markdown(self) -> str:
        """The label's sentence, or `name` = **value**; shown as written (never as markup)."""
        if self.labelled is not None:
            return self.labelled.markdown()
        return f"<code>{html.escape(self.name)}</code> = **{md_text(self.value)}**"

    @property
    def shown(self) -> str:
        """The value in its declared format (98.3%), for where only the number fits."""
        return self.labelled.value if self.labelled is not None else self.value

    def text(self) -> str:
        """Plain text, for a tooltip."""
        if self.labelled is not None:
            return self.labelled.text()
        return f"{self.name} = {self.value}"


def home_page(
    title: str,
    readme_md: str | None,
    milestones: list[tuple[Milestone, str, Headline | None]],
    posts: list[Post],
    about: str | None = None,
) -> str:
    """`milestones` are (milestone, its docs page, headline text or None), in order.

    `readme_md` is the README's body, links already rewritten for a page at the docs root;
    with an `about` page (which holds all of it) only its introduction is shown here.
    """
    # Search skips the home page: every line of it is also on a page of its own.
    lines = ["---", "title: Home", *SEARCH_EXCLUDE, "---", "", f"# {html.escape(title)}", ""]
    if readme_md and about:
        intro, sections = split_readme(readme_md)
        if intro.strip():
            lines += [_FRAGMENT_LINK.sub(f"]({about}#", intro).rstrip(), ""]
        lines += [more_line(about, sections), ""]
    elif readme_md:
        lines += [readme_md.rstrip(), ""]
    lines += roadmap(milestones)
    if posts:  # no "Latest posts" and no link to a blog that is not there
        lines += latest_posts(posts)
    return "\n".join(lines)


def about_page(readme_md: str, readme_page: str, posts: int, milestones: int) -> str:
    """About the learner and the site: the README's introduction, what the site holds and
    how its numbers are made; the whole README (install, commands) is one click away."""
    intro, _ = split_readme(readme_md)
    held = [f"{posts:,} post{'s' if posts != 1 else ''}" if posts else "",
            f"{milestones:,} milestone{'s' if milestones != 1 else ''}" if milestones else ""]
    held = [h for h in held if h]
    lines = ["---", f"title: {ABOUT_TITLE}", "---", "", f"# {ABOUT_TITLE}", "",
             _FRAGMENT_LINK.sub(f"]({readme_page}#", intro).strip(), "", "## This site", ""]
    if held:
        lines += [f"So far: {' and '.join(held)}.", ""]
    if milestones:
        lines += ["Each milestone is a folder of code that was run and its results frozen in "
                  "the repo: the numbers and figures on its page are the ones that run made, "
                  "with the commit, the machine and the software it ran on. When the code "
                  "changes, the page says the results are stale until it is run again.", ""]
    if posts:
        lines += ["The posts say what was learned each day; the [blog](blog/index.md) lists "
                  f"them newest first, and the [Atom feed]({FEED_PATH}) follows them.", ""]
    lines += ["## For developers", "",
              f"How to install the project, run its tests and build this site is in "
              f"[the README]({readme_page}).", ""]
    return "\n".join(lines)


def readme_page(readme_md: str) -> str:
    """The whole README on a page of its own, so links to its sections land somewhere."""
    return "\n".join(["---", f"title: {README_TITLE}", "---", "", f"# {README_TITLE}", "",
                      readme_md.strip(), ""])


def readme_path(root_files: list[str]) -> str:
    """`the-readme.md`, unless the repo's own top-level files already take that name
    (never `readme.md`: MkDocs and GitHub read that name as a folder's index)."""
    taken = {name.lower() for name in root_files}
    return README_PAGE_FALLBACK if README_PAGE in taken else README_PAGE


def about_path(root_files: list[str]) -> str:
    """`about.md`, unless the repo's own top-level note already takes that page."""
    taken = {name.lower() for name in root_files}
    return ABOUT_FALLBACK if ABOUT in taken else ABOUT


def split_readme(text: str) -> tuple[str, list[str]]:
    """(the introduction: text before the first `## ` heading, the titles of the `## `s).

    Headings inside fenced code do not count; a line over a row of dashes is a `## ` too.
    """
    lines = list(markdown_lines(text))
    intro_end: int | None = None
    sections: list[str] = []
    for i, (line, is_code) in enumerate(lines):
        if is_code:
            continue
        atx = _ATX_SECTION.match(line.rstrip("\n"))
        if atx:
            start, level_two = i, line.lstrip().startswith("## ")
            title = (atx["title"] or "").strip()
        elif _SETEXT_H2.match(line) and i > 0 and _is_paragraph_line(*lines[i - 1]):
            start, level_two, title = i - 1, True, lines[i - 1][0].strip()
        else:
            continue
        if intro_end is None:
            intro_end = start
        if level_two and title:
            sections.append(title)
    kept = lines if intro_end is None else lines[:intro_end]
    return "".join(line for line, _ in kept), sections


def _is_paragraph_line(line: str, is_code: bool) -> bool:
    """A line a row of dashes under it turns into a heading (not a list item or a quote)."""
    text = line.strip()
    return bool(text) and not is_code and not text.startswith(("-", "*", "+", ">", "|", "#"))


def more_line(about: str, sections: list[str]) -> str:
    """A link to the about page, with its top-level sections."""
    links = [f"[{section}]({about}#{heading_id(section)})" for section in sections]
    line = f"The whole README is on [its own page]({about})"
    return f"{line}: {' · '.join(links)}." if links else f"{line}."


def heading_id(markdown_title: str) -> str:
    """The id MkDocs' toc extension gives a heading with this Markdown text."""
    import markdown
    from markdown.extensions.toc import slugify

    rendered = markdown.markdown(markdown_title)
    text = html.unescape(re.sub(r"<[^<>]+>", "", rendered))
    return slugify(text, "-")


def roadmap(milestones: list[tuple[Milestone, str, Headline | None]]) -> list[str]:
    """The milestones as cards grouped by section: number, title, status, headline, summary.

    Cards, not a table: a long summary takes a line of its own instead of squeezing the
    title into a narrow column, and they stack on a phone.
    """
    lines = ["## Roadmap", ""]
    if not milestones:
        return lines + ["No milestones yet: add a folder like `code/000_first-step/`.", ""]
    done = sum(1 for m, _, _ in milestones if m.status == "done")
    with_status = sum(1 for m, _, _ in milestones if m.status)
    if with_status:
        lines += [f"{done} of {len(milestones)} milestones done.", ""]
    # Inline, so hovering a square shows its milestone and the text follows the theme.
    lines += ['<div class="dlip-progress">', progress_svg(milestones).strip(), "</div>", ""]
    sections: dict[str | None, list[tuple[Milestone, str, Headline | None]]] = {}
    for item in milestones:
        sections.setdefault(item[0].section, []).append(item)
    named = any(section is not None for section in sections)
    for section, items in sections.items():
        if named:  # a heading only to tell sections apart
            lines += [f"### {html.escape(section or OTHER_SECTION)}", ""]
        lines.append('<div class="dlip-roadmap" markdown>')
        for m, page, headline in items:
            lines += milestone_card(m, page, headline)
        lines += ["</div>", ""]
    return lines


def milestone_card(m: Milestone, page: str, headline: Headline | None) -> list[str]:
    """One milestone of the roadmap, as HTML whose inner Markdown MkDocs still renders."""
    status = m.status if m.status in STATUS_TEXT else None
    badge = (f'<span class="dlip-status dlip-status-{m.status}">{STATUS_TEXT[status]}</span>'
             if status else "")
    link = f"[{escape_md(m.title)}]({quote(page, safe='/-_.~')})"
    lines = [f'<div class="dlip-milestone dlip-milestone-{status or "none"}" markdown>',
             f'<p class="dlip-milestone-title" markdown="span"><span class="dlip-milestone-'
             f'number">{html.escape(m.number)}</span> {link} {badge}</p>']
    if headline:
        lines.append(f'<p class="dlip-milestone-headline" markdown="span">{headline.markdown()}'
                     "</p>")
    if m.summary:
        summary = html.escape(" ".join(m.summary.split()))
        lines.append(f'<p class="dlip-milestone-summary" markdown="span">{summary}</p>')
    return lines + ["</div>"]


def latest_posts(posts: list[Post]) -> list[str]:
    lines = ["## Latest posts", ""]
    newest = list(reversed(posts))[:LATEST_POSTS]  # posts come oldest first, in the author's order
    if not newest:
        return lines + ["No posts yet.", ""]
    for post in newest:
        title = escape_md(post.title)
        summary = _first_sentence(plain_text(excerpt(post)))
        line = f"- {post.date.isoformat()} · [{title}]({quote(post_url_path(post), safe='/-_.~')})"
        # plain text, escaped as Markdown too: what plain_text left of a link stays text
        lines.append(f"{line}: {escape_md(summary)}" if summary else line)
    every = f"All {len(posts):,} posts" if len(posts) > 1 else "All posts"
    lines += ["", f"[{every}](blog/index.md) · [Archive](blog/archive/index.md) · "
                  f"[Atom feed]({FEED_PATH})", ""]
    return lines


def _first_sentence(text: str) -> str:
    flat = " ".join(text.split())
    for stop in (". ", "! ", "? "):
        if stop in flat:
            flat = flat.split(stop, 1)[0] + stop.strip()
            break
    if len(flat) <= SUMMARY_CHARS:
        return flat
    return flat[:SUMMARY_CHARS].rsplit(" ", 1)[0].rstrip(",;:") + "…"
