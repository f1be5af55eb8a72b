"""The home page: the README, the roadmap built from the milestones, the latest posts."""

from __future__ import annotations

import html
from pathlib import Path
from urllib.parse import quote

from dlip.publish.feed import FEED_PATH, plain_text
from dlip.publish.links import escape_md
from dlip.publish.model import Milestone, Post
from dlip.publish.posts import excerpt, post_url_path

HOME = "index.md"
PROGRESS_SVG = "_generated/progress.svg"
LATEST_POSTS = 5
STATUS_ORDER = ("done", "in-progress", "planned", None)
STATUS_TEXT = {"done": "Done", "in-progress": "In progress", "planned": "Planned", None: "—"}
STATUS_COLOURS = {"done": "#2e7d32", "in-progress": "#ef8f00", "planned": "#9e9e9e",
                  None: "#cfd8dc"}


def home_page(
    title: str,
    readme_md: str | None,
    milestones: list[tuple[Milestone, str, str | None]],
    posts: list[Post],
) -> str:
    """`milestones` are (milestone, its docs page, headline text or None), in order."""
    lines = ["---", "title: Home", "---", "", f"# {html.escape(title)}", ""]
    if readme_md:
        lines += [readme_md.rstrip(), ""]
    lines += roadmap(milestones)
    lines += latest_posts(posts)
    return "\n".join(lines)


def roadmap(milestones: list[tuple[Milestone, str, str | None]]) -> list[str]:
    lines = ["## Roadmap", ""]
    if not milestones:
        return lines + ["No milestones yet: add a folder like `code/000_first-step/`.", ""]
    done = sum(1 for m, _, _ in milestones if m.status == "done")
    with_status = sum(1 for m, _, _ in milestones if m.status)
    if with_status:
        lines += [f"{done} of {len(milestones)} milestones done.", ""]
    lines += [f"![Progress across milestones]({PROGRESS_SVG})", ""]
    sections: dict[str, list[tuple[Milestone, str, str | None]]] = {}
    for item in milestones:
        sections.setdefault(item[0].section or "Milestones", []).append(item)
    for section, items in sections.items():
        lines += [f"### {html.escape(section)}", "",
                  "| # | Milestone | Status | Headline | Summary |",
                  "| --- | --- | --- | --- | --- |"]
        for m, page, headline in items:
            title = escape_md(m.title)
            summary = html.escape(m.summary or "").replace("|", "\\|")
            status = STATUS_TEXT.get(m.status, m.status or "—")
            lines.append(f"| {m.number} | [{title}]({quote(page, safe='/-_.~')}) | {status} | "
                         f"{headline or '—'} | {summary} |")
        lines.append("")
    return lines


def latest_posts(posts: list[Post]) -> list[str]:
    lines = ["## Latest posts", ""]
    newest = sorted(posts, key=lambda p: (p.date, p.path.name), reverse=True)[:LATEST_POSTS]
    if not newest:
        return lines + ["No posts yet.", ""]
    for post in newest:
        title = escape_md(post.title)
        summary = _first_sentence(plain_text(excerpt(post)))
        line = f"- {post.date.isoformat()} · [{title}]({quote(post_url_path(post), safe='/-_.~')})"
        lines.append(f"{line}: {html.escape(summary)}" if summary else line)
    lines += ["", "[All posts](blog/index.md) · [Archive](blog/archive/index.md) · "
                  f"[Atom feed]({FEED_PATH})", ""]
    return lines


def progress_svg(milestones: list[tuple[Milestone, str, str | None]]) -> str:
    """One column per milestone, coloured by status, with its number and headline value."""
    width, height, cell = max(120, 48 * len(milestones) + 16), 96, 40
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" font-family="sans-serif" '
             'font-size="11"><title>Progress across milestones</title>']
    for i, (m, _page, headline) in enumerate(milestones):
        x = 8 + i * 48
        colour = STATUS_COLOURS.get(m.status, STATUS_COLOURS[None])
        label = html.escape(f"{m.number} {m.title}: {STATUS_TEXT.get(m.status, '—')}")
        parts.append(f'<g><title>{label}</title>'
                     f'<rect x="{x}" y="8" width="{cell}" height="{cell}" rx="4" '
                     f'fill="{colour}"/>'
                     f'<text x="{x + cell / 2}" y="33" text-anchor="middle" fill="#fff">'
                     f"{html.escape(m.number)}</text></g>")
        if headline:
            value = html.escape(_short(headline_value(headline)))
            parts.append(f'<text x="{x + cell / 2}" y="66" text-anchor="middle" '
                         f'fill="currentColor">{value}</text>')
    legend_y = 88
    x = 8
    for status in ("done", "in-progress", "planned"):
        parts.append(f'<rect x="{x}" y="{legend_y - 8}" width="8" height="8" '
                     f'fill="{STATUS_COLOURS[status]}"/><text x="{x + 11}" y="{legend_y}" '
                     f'fill="currentColor">{STATUS_TEXT[status]}</text>')
        x += 80
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def headline_value(headline: str) -> str:
    """The value part of 'name: value'."""
    return headline.rsplit(": ", 1)[-1].strip("*`")


def readme_title(readme: Path | None, fallback: str) -> str:
    if readme is not None:
        for line in readme.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.strip():
                return line[2:].strip() if line.startswith("# ") else fallback
    return fallback


def _short(text: str) -> str:
    return text if len(text) <= 8 else text[:7] + "…"


def _first_sentence(text: str) -> str:
    flat = " ".join(text.split())
    for stop in (". ", "! ", "? "):
        if stop in flat:
            flat = flat.split(stop, 1)[0] + stop.strip()
            break
    return flat[:200]
