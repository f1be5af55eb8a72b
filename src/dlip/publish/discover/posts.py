"""Daily posts: `daily-blog/YYYY-MM-DD - Title.md` files into `Post` objects.

A post needs no front matter: the date comes from the file name and the title from the
file name or from a leading `# ` heading (a heading that repeats the date, as in
`# 2024-01-05 - Title`, gives just "Title"). Optional front matter adds tags, a milestone,
a summary, a slug or `draft: true`. Everything wrong is collected as a `Problem` naming the
file, so one `dlip check` lists every bad post, not just the first.
"""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from dlip.publish.discover.post_folders import (
    author_order,
    has_date_field,
    looks_dated,
    post_files,
    post_folders,
)
from dlip.publish.markdown_ext import drop_comments
from dlip.publish.model import Post, Problem, refusal
from dlip.publish.project import Project

# `2024-01-05 - Title.md`, `2024-01-05-my-title.md`, `2024-01-05_title.md`, `2024-01-05.md`
FILENAME_RE = re.compile(r"^(?P<date>\d{4}-\d{2}-\d{2})(?:(?:\s*-\s*|[\s_]+)(?P<title>.+?))?\.md$",
                         re.IGNORECASE)
# A heading that repeats the date, padded or not: `# 2024-12-3 - Title`
DATED_TITLE_RE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}\s*[-:–—]\s*(?P<title>.+)$")
FRONT_MATTER_RE = re.compile(r"\A---[ \t]*\r?\n(?P<yaml>.*?)(?:\r?\n)?^(?:---|\.\.\.)[ \t]*$\r?\n?",
                             re.DOTALL | re.MULTILINE)
MORE_MARKER = "<!-- more -->"
WORDS_PER_MINUTE = 200
# Files in the posts folder that are not posts and need no date in their name.
NOT_POSTS = frozenset({"readme.md", "index.md"})
KNOWN_FIELDS = ("tags", "milestone", "draft", "summary", "title", "slug", "date",
                # what Material's blog plugin reads, for posts written for it
                "categories", "authors", "description", "readtime", "pin", "links", "comments",
                "hide", "search", "template")
LEADING_ZERO_RE = re.compile(r"[-+]?0[0-9_]+")  # YAML 1.1 would read these as octal
# A file name holds at most 255 bytes; `YYYY-MM-DD - ` and `.md` take 16 of them.
MAX_TITLE_BYTES = 255 - len("YYYY-MM-DD - .md")
UNSAFE_NAME_RE = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')  # what no file name may hold


def discover_posts(
    project: Project, rejected: list[Post] | None = None
) -> tuple[list[Post], list[Problem]]:
    """Every valid post, oldest first, and every problem found on the way.

    Posts that cannot be published for an error of their own (a broken front matter, say)
    are added to `rejected` when given, so `check` can still report their other problems.
    """
    posts: list[Post] = []
    problems: list[Problem] = []
    for folder in post_folders(project):
        refused = refusal(folder, project.root)
        if refused is not None:
            problems.append(refused)
            continue
        in_docs = project.user_mkdocs_yml is not None and project.docs_dir in folder.parents
        for path in post_files(folder):
            if path.name.lower() in NOT_POSTS:
                continue
            refused = refusal(path, project.root)
            if refused is not None:
                problems.append(refused)
                continue
            if not path.is_file():
                continue
            if path.parent != folder and not looks_dated(path) and not has_date_field(path):
                if not in_docs:  # under the author's own docs/, MkDocs shows it as a page
                    problems.append(Problem(path, "in a posts folder but not a post (no date "
                                                  "in its name or front matter); not published",
                                            severity="warning"))
                continue
            _add_post(path, posts, problems, rejected)
    posts, duplicates = _drop_duplicate_slugs(posts)
    problems.extend(duplicates)
    order = author_order(project, [p.path for p in posts])
    unknown = max(order.values(), default=0) + 1  # files git does not know yet come last
    posts.sort(key=lambda p: (p.date, order.get(p.path, unknown), p.path.name))
    return posts, problems


def _add_post(path: Path, posts: list[Post], problems: list[Problem],
              rejected: list[Post] | None) -> None:
    post, found = _read(path)
    problems.extend(found)
    if post is not None and any(p.severity == "error" for p in found):
        if rejected is not None:
            rejected.append(post)
    elif post is not None:
        posts.append(post)


def read_post(path: Path) -> tuple[Post | None, list[Problem]]:
    """One post file as a `Post`, or None and the reasons it cannot be published."""
    post, problems = _read(path)
    if any(p.severity == "error" for p in problems):
        return None, problems
    return post, problems


def _read(path: Path) -> tuple[Post | None, list[Problem]]:
    """The post as far as it can be read, even with errors, and every problem in it."""
    match = FILENAME_RE.match(path.name)
    day: date | None = None
    if match is not None:
        try:
            day = date.fromisoformat(match["date"])
        except ValueError:
            return None, [Problem(path, f"impossible date {match['date']!r} in the file name")]
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, [Problem(path, f"not valid UTF-8 (bad byte 0x{raw[exc.start]:02x} at offset "
                                    f"{exc.start}); save the file as UTF-8")]
    if not text.strip():
        return None, [Problem(path, "empty file; write something or delete it")]

    meta, body, problems = split_front_matter(path, text)
    if meta is None:
        meta = {}  # read on without it: the post's other problems are reported too
    if day is None:
        day = _front_matter_date(path, meta.get("date"), problems)
        if day is None:
            return None, problems or [Problem(path, "file name must look like "
                                                    "'YYYY-MM-DD - Title.md' (or the front "
                                                    "matter hold a 'date:')")]
    heading, body = _take_title_heading(body)
    body = drop_comments(body)  # %%hidden%% text stays out of excerpts, feed and links
    title = (_text(meta, "title") or heading or _name_title(match)
             or (path.stem if match is None else day.isoformat()))
    tags = _tags(path, meta.get("tags"), problems)
    for category in _tags(path, meta.get("categories"), problems):
        if category not in tags:
            tags += (category,)
    draft = meta.get("draft", False)
    if not isinstance(draft, bool):
        problems.append(Problem(path, f"draft: must be true or false, not {draft!r}"))
        draft = True  # never publish what the author may not have meant to
    milestone = meta.get("milestone")
    if milestone is not None and not isinstance(milestone, (str, int)):
        problems.append(Problem(path, f"milestone: must be a folder name or number, not "
                                      f"{milestone!r}"))
        milestone = None
    for unknown in sorted(set(meta) - set(KNOWN_FIELDS), key=str):
        problems.append(Problem(path, f"unknown front matter field {unknown!r} (known: "
                                      f"{', '.join(KNOWN_FIELDS)})", severity="warning"))
    if not body.strip() and not any(p.severity == "error" for p in problems):
        problems.append(Problem(path, "the post has a title but no text", severity="warning"))
    slug = slugify(_text(meta, "slug") or title) or "post"
    post = Post(
        path=path,
        date=day,
        title=title,
        slug=slug,
        body=body,
        tags=tags,
        milestone=None if milestone is None else str(milestone),
        draft=draft,
        summary=_text(meta, "summary"),
    )
    return post, problems


def split_front_matter(path: Path, text: str) -> tuple[dict[str, Any] | None, str, list[Problem]]:
    """(front matter, body, problems); front matter is None when it is unreadable."""
    match = FRONT_MATTER_RE.match(text)
    if match is None:
        return {}, text, []
    body = text[match.end():]
    try:
        data = yaml.load(match["yaml"], Loader=_FrontMatterLoader)  # a SafeLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else None  # +1 for the opening ---
        what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return None, body, [Problem(path, f"invalid YAML front matter: {what}", line=line)]
    if data is None:
        return {}, body, []
    if not isinstance(data, dict):
        return None, body, [Problem(path, "front matter must be a mapping of fields "
                                          "(like 'tags: [a, b]')")]
    return data, body, []


class _FrontMatterLoader(yaml.SafeLoader):
    """YAML as `safe_load` reads it, except that `010` stays the text "010".

    YAML 1.1 reads a number with a leading zero as octal (`milestone: 010` would be 8);
    in front matter such a number is a folder number or a code, never octal.
    """


def _int_or_text(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int | str:
    text = loader.construct_scalar(node)
    if isinstance(text, str) and LEADING_ZERO_RE.fullmatch(text):
        return text
    return yaml.SafeLoader.construct_yaml_int(loader, node)


_FrontMatterLoader.add_constructor("tag:yaml.org,2002:int", _int_or_text)


def post_filename(day: date, safe_title: str) -> str:
    """`YYYY-MM-DD - Title.md`: the name `discover_posts` reads a post's date from."""
    return f"{day.isoformat()} - {safe_title}.md"


def safe_title(title: str) -> str:
    """The title as a file name may hold it: one space between words, no path characters,
    cut at a word to fit a file name's 255 bytes (the post's heading keeps the whole title)."""
    safe = UNSAFE_NAME_RE.sub("-", " ".join(title.split())).strip(" .-")
    if len(safe.encode("utf-8")) <= MAX_TITLE_BYTES:
        return safe
    cut = safe.encode("utf-8")[:MAX_TITLE_BYTES].decode("utf-8", errors="ignore")
    if " " in cut[len(cut) // 2:]:
        cut = cut.rsplit(" ", 1)[0]  # at a word, unless that loses more than half
    return cut.strip(" .-")


def slugify(text: str) -> str:
    """Lowercase ASCII words joined by hyphens: the last part of a post's URL."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:80].strip("-")


def post_url_path(post: Post) -> str:
    """The post's page, relative to the docs folder: `blog/YYYY/MM/DD/<slug>.md`."""
    d = post.date
    return f"blog/{d.year:04d}/{d.month:02d}/{d.day:02d}/{post.slug}.md"


def excerpt(post: Post) -> str:
    """The summary, else the text before `<!-- more -->`, else the first paragraph."""
    if post.summary:
        return post.summary
    if MORE_MARKER in post.body:
        return post.body.split(MORE_MARKER, 1)[0].strip()
    for block in re.split(r"\n\s*\n", post.body.strip()):
        stripped = block.strip()
        if stripped and not stripped.startswith(("#", "```", "~~~", "<", "![", "|", "---")):
            return stripped
    return ""


def read_minutes(post: Post) -> int:
    """Reading time at 200 words a minute, never less than one."""
    words = len(re.findall(r"\w+", post.body))
    return max(1, math.ceil(words / WORDS_PER_MINUTE))


def published(posts: list[Post]) -> list[Post]:
    """Posts that go on the site: drafts stay out."""
    return [p for p in posts if not p.draft]


def _name_title(match: re.Match[str] | None) -> str | None:
    """The title a file name gives: `2024-01-05 - Title.md` "Title", `2024-01-05-my-post.md`
    "My post" (a slug's hyphens become spaces)."""
    if match is None or not match["title"] or not match["title"].strip(" -_"):
        return None
    title = match["title"].strip()
    if " " not in title:
        words = " ".join(re.sub(r"[-_]+", " ", title).split())
        title = words[:1].upper() + words[1:]
    return title


def as_date(value: Any) -> date:
    """A YAML date, datetime or text that starts 2024-01-05 as a date; ValueError otherwise."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value).strip()[:10])


def _front_matter_date(path: Path, value: Any, problems: list[Problem]) -> date | None:
    """`date: 2024-01-05` (or Material's `date: {created: 2024-01-05}`) as a date."""
    if isinstance(value, dict):
        value = value.get("created")
    if value is None:
        return None
    try:
        return as_date(value)
    except ValueError:
        problems.append(Problem(path, f"date: must look like 2024-01-05, not {value!r}"))
        return None


def _take_title_heading(body: str) -> tuple[str | None, str]:
    """The title from a leading `# ` heading (date prefix dropped) and the body without it."""
    lines = body.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        if line.startswith("# "):
            title = line[2:].strip().strip("#").strip()
            dated = DATED_TITLE_RE.match(title)
            if dated:
                title = dated["title"].strip()
            return title or None, "".join(lines[i + 1:]).lstrip("\r\n")
        break
    return None, body


def _text(meta: dict[str, Any], field: str) -> str | None:
    value = meta.get(field)
    if isinstance(value, (str, int, float)) and str(value).strip():
        return str(value).strip()
    return None


def _tags(path: Path, value: Any, problems: list[Problem]) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [t for t in re.split(r"[,\s]+", value) if t]
    if not isinstance(value, list) or not all(isinstance(t, (str, int)) for t in value):
        problems.append(Problem(path, f"tags: must be a list like [numpy, backprop], "
                                      f"not {value!r}"))
        return ()
    seen: dict[str, None] = {}
    for tag in value:
        name = str(tag).strip().lstrip("#")
        if name:
            seen.setdefault(name, None)
    return tuple(seen)


def _drop_duplicate_slugs(posts: list[Post]) -> tuple[list[Post], list[Problem]]:
    """Two posts on one day may not share a URL; the first by file name keeps it."""
    kept: dict[str, Post] = {}
    problems = []
    for post in sorted(posts, key=lambda p: p.path.name):
        key = post_url_path(post)
        if key in kept:
            problems.append(Problem(post.path, f"same date and slug {post.slug!r} as "
                                               f"{kept[key].path.name!r}; give it another title "
                                               "or a 'slug:' in its front matter"))
            continue
        kept[key] = post
    return list(kept.values()), problems


def new_post(project: Project, title: str) -> Path:
    """Create today's `YYYY-MM-DD - Title.md` with a `# Title` heading, in the folder the
    repo's posts are in (`daily-blog/` for a repo without posts)."""
    title = " ".join(title.split())
    if not title:
        raise ValueError("a post needs a title")
    safe = safe_title(title)
    if not safe:
        raise ValueError(f"{title!r} cannot be a file name")
    folders = post_folders(project)
    folder = folders[0] if folders else project.posts_dir
    path = folder / post_filename(date.today(), safe)
    folder.mkdir(parents=True, exist_ok=True)
    with open(path, "x", encoding="utf-8") as f:  # "x": never overwrite a post
        f.write(f"# {title}\n\n")
    return path
