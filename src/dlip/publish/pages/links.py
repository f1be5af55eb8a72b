"""Rewrite links written for the repo so they land on the right page of the site.

Authors link the way GitHub and Obsidian show their files: `code/000_x/nn_SGD.py`,
`../code/000_x/`, `2024-01-02%20-%20Title.md`, `<2024-01-02 - Title.md>`, `README.md`,
`[[2024-01-02 - Title]]`. A `SiteMap` knows which page (or copied file) stands for each
repo path; `LinkRewriter` resolves every link of a Markdown text against it.

Links that leave the repo (`../../etc/passwd`) are refused and never copied. Links to
nothing are reported as problems and rendered as plain text, so `mkdocs build --strict`
still passes: `dlip build` warns about them, `dlip check` fails on them.
"""

from __future__ import annotations

import html
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote

from dlip.publish.markdown import (
    BLOCK_CODE_SPAN_RE,
    BLOCK_LINK_RE,
    BLOCK_REF_DEF_RE,
    HTML_ATTR_RE,
    SCHEME_RE,
    WIKILINK_RE,
    markdown_lines,
)
from dlip.publish.model import Problem, Severity
from dlip.publish.pages import embeds as embeds_md
from dlip.publish.project import outside_reason
from dlip.publish.sanitize import file_problem, safe_url

MAX_ASSET_BYTES = 50 * 1024 * 1024  # larger files are not copied into the site
UNSAFE_SCHEME = "leads to a scheme other than http, https or mailto; shown as text"



@dataclass
class SiteMap:
    """Which docs path stands for each repo path, and which repo files get copied."""

    root: Path
    # repo-relative POSIX path (file or folder) -> docs-relative path, maybe with '#anchor'
    pages: dict[str, str] = field(default_factory=dict)
    # post file name (and its stem) -> docs path, for links written by bare file name
    post_names: dict[str, str] = field(default_factory=dict)
    # docs-relative path -> absolute source path of each file to copy into the site
    assets: dict[str, Path] = field(default_factory=dict)
    # docs-relative paths that must not be overwritten by a copied asset
    reserved: set[str] = field(default_factory=set)
    # folders searched by file name for Obsidian's `![[image.png]]` (its attachments)
    attachment_dirs: list[Path] = field(default_factory=list)
    _lower: dict[str, str] = field(default_factory=dict, repr=False)
    _by_name: dict[str, Path] | None = field(default=None, repr=False)
    _names: dict[str, str | None] = field(default_factory=dict, repr=False)
    _names_size: int = field(default=-1, repr=False)
    # How embedded text is prepared like a page's own (live metrics filled in), if at all.
    fill_embedded: Callable[[str, Path], str] | None = field(default=None, repr=False)
    _sources: dict[str, str] = field(default_factory=dict, repr=False)
    _sources_size: int = field(default=-1, repr=False)
    # repo paths of the files some page embeds (an edit to one changes those pages too)
    embedded: set[str] = field(default_factory=set, repr=False)

    def add_page(self, repo_rel: str, docs_rel: str) -> None:
        key = _norm(repo_rel)
        self.pages[key] = docs_rel
        self._lower.setdefault(key.lower(), key)
        self.reserved.add(split_anchor(docs_rel)[0])

    def add_post(self, repo_rel: str, docs_rel: str) -> None:
        self.add_page(repo_rel, docs_rel)
        name = posixpath.basename(repo_rel)
        self.post_names[name.lower()] = docs_rel
        self.post_names[posixpath.splitext(name)[0].lower()] = docs_rel

    def add_asset(self, repo_rel: str, source: Path) -> str:
        """Copy `source` into the site at its repo path; returns that docs path."""
        docs_rel = _norm(repo_rel)
        self.assets[docs_rel] = source
        return docs_rel

    def find_attachment(self, name: str) -> str | None:
        """The repo path of a file called `name` in an attachment folder, if exactly known."""
        if self._by_name is None:
            self._by_name = {}
            for folder in self.attachment_dirs:
                for path in sorted(folder.rglob("*")) if folder.is_dir() else ():
                    if path.is_file() and not any(p.startswith(".") for p in path.parts[-3:]):
                        self._by_name.setdefault(path.name.lower(), path)
        path = self._by_name.get(name.lower())
        return path.relative_to(self.root).as_posix() if path is not None else None

    def page_by_name(self, name: str) -> str | None:
        """The page of the one published file called `name`; None when none or several."""
        if self._names_size != len(self.pages):
            names: dict[str, str | None] = {}
            for rel, page in self.pages.items():
                base = posixpath.basename(rel).lower()
                names[base] = page if names.get(base, page) == page else None
            self._names, self._names_size = names, len(self.pages)
        return self._names.get(name.lower())

    def source_of(self, entry: str) -> str | None:
        """The Markdown file (repo path) a site-map entry was made from, for `![[embeds]]`;
        None for a generated page, a folder or a copied file."""
        if self._sources_size != len(self.pages):
            sources: dict[str, str] = {}
            for rel, page in self.pages.items():
                if rel.lower().endswith(".md"):
                    sources.setdefault(page, rel)
            self._sources, self._sources_size = sources, len(self.pages)
        return self._sources.get(entry)

    def lookup(self, repo_rel: str) -> str | None:
        key = _norm(repo_rel)
        if key in self.pages:
            return self.pages[key]
        real = self._lower.get(key.lower())
        return self.pages[real] if real is not None else None


@dataclass
class Resolved:
    docs_path: str  # docs-relative target, without fragment
    fragment: str


class LinkRewriter:
    """Rewrites the links of one Markdown text that moves from `source_rel` to `page_rel`."""

    def __init__(
        self,
        sitemap: SiteMap,
        source: Path,
        page_rel: str,
        problems: list[Problem],
        severity: Severity = "warning",
        on_link: Callable[[str], None] | None = None,
        embeds: bool = True,
    ) -> None:
        self.sitemap = sitemap
        self.source = source
        self.source_rel = source.relative_to(sitemap.root).as_posix()
        self.page_rel = page_rel
        self.problems = problems
        self.severity = severity
        self.on_link = on_link  # told the docs path of every resolved internal link
        self.embeds = embeds  # `![[note]]` alone on its line shows the note (else links it)
        self._chain: tuple[str, ...] = (self.source_rel,)  # the files embedding this text
        self._budget = [embeds_md.MAX_EMBEDDED_CHARS]  # shared by the page's embeds

    # -- text -------------------------------------------------------------------------------

    def rewrite(self, text: str) -> str:
        """The text with every internal link pointed at its page; code is left alone.

        Links are read a paragraph at a time, as Markdown reads them: a link whose text
        wraps onto the next line, or a reference whose URL sits below its label, is one link.
        """
        out: list[str] = []
        block: list[str] = []
        for line, is_code in markdown_lines(text):
            embedded = None
            if not is_code and self.embeds and "![[" in line:
                match = embeds_md.EMBED_LINE_RE.match(line)
                embedded = self._embed(match) if match is not None else None
            if is_code or not line.strip() or embedded is not None:
                if block:
                    out.append(self._rewrite_block("".join(block)))
                    block = []
                out.append(line if embedded is None else embedded)
            else:
                block.append(line)
        if block:
            out.append(self._rewrite_block("".join(block)))
        return "".join(out)

    def _rewrite_block(self, block: str) -> str:
        # Code spans are left alone, but may sit inside a link's text: [`a.py`](a.py).
        spans: list[str] = []

        def hide(m: re.Match[str]) -> str:
            spans.append(m.group(0))
            return f"\x01{len(spans) - 1}\x01"

        masked = BLOCK_CODE_SPAN_RE.sub(hide, block)
        out = self._rewrite_prose(masked)
        return re.sub(r"\x01(\d+)\x01", lambda m: spans[int(m.group(1))], out)

    def _rewrite_prose(self, text: str) -> str:
        # Reference definitions and wikilinks are done first and kept out of the next passes.
        done: list[str] = []

        def hold(rewritten: str) -> str:
            done.append(rewritten)
            return f"\x00{len(done) - 1}\x00"

        text = BLOCK_REF_DEF_RE.sub(
            lambda m: hold(m["lead"] + self._md_target(m["target"])), text)
        text = WIKILINK_RE.sub(lambda m: hold(self._wikilink(m)), text)
        text = BLOCK_LINK_RE.sub(self._inline_link, text)
        text = HTML_ATTR_RE.sub(self._html_attr, text)
        return re.sub(r"\x00(\d+)\x00", lambda m: done[int(m.group(1))], text)

    def _inline_link(self, m: re.Match[str]) -> str:
        raw = m["target"].strip()
        if raw.startswith("<") and raw.endswith(">"):
            raw = raw[1:-1]
        if not safe_url(raw):
            self._problem(raw, UNSAFE_SCHEME)
            return self._unlinked(m["bang"], m["text"])
        if _is_external(raw):
            return m.group(0)
        resolved = self.resolve(raw)
        if resolved is None:
            return self._unlinked(m["bang"], m["text"])
        url = self._md_url(resolved)
        return f"{m['bang']}[{m['text']}]({url}{m['title'] or ''})"

    def _md_target(self, raw: str) -> str:
        inner = raw[1:-1] if raw.startswith("<") and raw.endswith(">") else raw
        if not safe_url(inner):
            self._problem(inner, UNSAFE_SCHEME)
            return "#"
        if _is_external(inner):
            return raw
        resolved = self.resolve(inner)
        return "#" if resolved is None else self._md_url(resolved)

    def _wikilink(self, m: re.Match[str]) -> str:
        name = m["target"].strip()
        label = (m["alias"] or name).strip()
        resolved = self.resolve_wikilink(name, m["bang"])
        if resolved is None:
            return self._unlinked(m["bang"], label)
        if m["frag"]:
            resolved = Resolved(resolved.docs_path, _heading_anchor(m["frag"]))
        # `![[note]]` inside a line of text links the note (an <img> of a page is empty);
        # alone on its line it shows the note (`_embed`)
        bang = "" if resolved.docs_path.lower().endswith((".md", ".ipynb")) else m["bang"]
        return f"{bang}[{_escape_brackets(label)}]({self._md_url(resolved)})"

    def _html_attr(self, m: re.Match[str]) -> str:
        raw = html.unescape(m["target"])
        if _is_external(raw):
            return m.group(0)
        resolved = self.resolve(raw)
        url = "#" if resolved is None else self._html_url(resolved)
        return f"{m['lead']}{m['q']}{html.escape(url, quote=True)}{m['q']}"

    def _unlinked(self, bang: str, text: str) -> str:
        if bang:
            return f"<span class=\"dlip-broken-link\">[image not found: {html.escape(text)}]</span>"
        return f"<span class=\"dlip-broken-link\">{text}</span>"

    # -- resolution -------------------------------------------------------------------------

    def resolve(self, raw: str) -> Resolved | None:
        """The docs path a link target stands for, or None (and a problem) if none."""
        path_part, _, fragment = raw.partition("#")
        path_part = path_part.split("?", 1)[0]
        if not path_part:
            return Resolved(self.page_rel, fragment) if fragment else None
        decoded = unquote(path_part).replace("\\", "/")
        if decoded.startswith("/"):
            joined = posixpath.normpath(decoded.lstrip("/") or ".")
        else:
            joined = posixpath.normpath(posixpath.join(posixpath.dirname(self.source_rel), decoded))
        if joined == ".." or joined.startswith("../"):
            self._problem(raw, "points outside the repo; refused and not copied")
            return None
        found, reason = self._resolve_repo_path(joined)
        if found is None and "/" not in decoded:
            found = self.sitemap.post_names.get(decoded.lower())
        if found is None:
            self._problem(raw, reason or "is broken: no such file or page in the repo")
            return None
        return self._found(found, fragment)

    def resolve_wikilink(self, name: str, bang: str = "") -> Resolved | None:
        """Obsidian's `[[name]]`: a post, a page or a file, found by name."""
        found = self._wikilink_target(name)
        if found is None:
            self._problem(f"{bang}[[{name}]]", "is broken: no post, page or file by that name")
            return None
        return self._found(found, "")

    def _wikilink_target(self, name: str) -> str | None:
        """The site-map entry `[[name]]` stands for, reporting nothing."""
        key = name.strip()
        candidates = [key] if posixpath.splitext(key)[1] else [key + ".md", key]
        for candidate in candidates:
            hit = self.sitemap.post_names.get(posixpath.basename(candidate).lower())
            if hit is not None:
                return hit
        here = posixpath.dirname(self.source_rel)
        for candidate in candidates:
            for rel in (posixpath.normpath(posixpath.join(here, candidate)),
                        posixpath.normpath(candidate)):
                if rel == ".." or rel.startswith("../"):
                    continue
                found, _ = self._resolve_repo_path(rel)
                if found is not None:
                    return found
        attachment = self.sitemap.find_attachment(posixpath.basename(key))
        if attachment is not None:
            found, _ = self._resolve_repo_path(attachment)
            if found is not None:
                return found
        for candidate in candidates:  # Obsidian finds a note by its name, in any folder
            page = self.sitemap.page_by_name(posixpath.basename(candidate))
            if page is not None:
                return page
        return None

    # -- embeds -----------------------------------------------------------------------------

    def _embed(self, line: re.Match[str]) -> str | None:
        """The Markdown that shows the note a line `![[note]]` embeds; None when the line is
        not an embed of a Markdown file (an image, a notebook, nothing: the link pass
        handles those, and reports a missing target)."""
        link = WIKILINK_RE.fullmatch(line["embed"])
        if link is None:
            return None
        name, fragment = link["target"].strip(), (link["frag"] or "").strip()
        found = self._wikilink_target(name)
        source_rel = self.sitemap.source_of(found) if found is not None else None
        if found is None or source_rel is None:
            return None
        docs_path, anchor = split_anchor(found)
        path = self.sitemap.root / source_rel
        shown = f"![[{name}#{fragment}]]" if fragment else f"![[{name}]]"
        outside = outside_reason(path, self.sitemap.root)
        if outside is not None:
            self._problem(shown, f"{outside}; refused and not embedded")
            return None
        try:
            text = embeds_md.note_text(path.read_text(encoding="utf-8", errors="replace"))
        except OSError as exc:
            self._problem(shown, f"cannot be read ({exc.strerror or exc}); not embedded")
            return None
        cut = embeds_md.part(text, fragment)
        if cut is None:
            what = "block" if fragment.startswith("^") else "heading"
            self._problem(shown, f"is broken: no {what} {fragment.split('#')[-1]!r} in "
                                 f"{source_rel}")
            return None
        body, heading = cut
        title = (link["alias"] or "").strip() or embeds_md.title_of(text, path.stem)
        target = Resolved(docs_path, _heading_anchor(heading) if heading else anchor)
        header = f"[{embeds_md.header_text(title, heading)}]({self._md_url(target)})"
        if self.on_link is not None:
            self.on_link(docs_path)
        chain = (*self._chain, source_rel)
        if source_rel in self._chain:
            why = "not embedded again: " + " embeds ".join(chain)
            return "\n" + embeds_md.stopped(header, why) + "\n\n"
        if len(self._chain) > embeds_md.MAX_EMBED_DEPTH:
            why = f"not embedded: embeds nest {embeds_md.MAX_EMBED_DEPTH} levels deep at most"
            return "\n" + embeds_md.stopped(header, why) + "\n\n"
        if len(body) > self._budget[0]:
            why = (f"not embedded: a page shows {embeds_md.MAX_EMBEDDED_CHARS // 1000:,} KB of "
                   "embedded notes at most")
            return "\n" + embeds_md.stopped(header, why) + "\n\n"
        self._budget[0] -= len(body)
        self.sitemap.embedded.add(source_rel)
        if self.sitemap.fill_embedded is not None:
            body = self.sitemap.fill_embedded(body, path)
        # The note's own page reports its problems; here its links only need to land.
        child = LinkRewriter(self.sitemap, path, self.page_rel, [], self.severity)
        child._chain, child._budget = chain, self._budget
        return embeds_md.embed_block(header, child.rewrite(body))

    def _found(self, found: str, fragment: str) -> Resolved:
        docs_path, anchor = split_anchor(found)
        if self.on_link is not None:
            self.on_link(docs_path)
        return Resolved(docs_path, fragment or anchor)

    def _resolve_repo_path(self, joined: str) -> tuple[str | None, str | None]:
        """(docs path, None) for a published repo path, else (None, why it is not)."""
        hit = self.sitemap.lookup(joined)
        if hit is not None:
            return hit, None
        if joined.startswith("/") or joined == ".." or joined.startswith("../"):
            return None, "points outside the repo; refused and not copied"
        path = _case_insensitive(self.sitemap.root, joined)
        if path is None:
            return None, None
        outside = outside_reason(path, self.sitemap.root)
        if outside is not None:
            return None, f"{outside}; refused and not copied"
        if path.is_file() and (unsafe := file_problem(path)) is not None:
            return None, f"leads to {unsafe}"
        rel = path.relative_to(self.sitemap.root).as_posix()
        hit = self.sitemap.lookup(rel)
        if hit is not None:
            return hit, None
        if any(part.startswith(".") for part in rel.split("/")):
            return None, "points into a hidden folder, which is not published"
        if path.is_dir():
            return None, "links a folder that has no page (no README.md in it)"
        if path.stat().st_size > MAX_ASSET_BYTES:
            return None, f"is a file over {MAX_ASSET_BYTES // 2**20} MB; not copied"
        if rel in self.sitemap.reserved:
            return rel, None
        return self.sitemap.add_asset(rel, path), None

    def _problem(self, target: str, reason: str) -> None:
        self.problems.append(
            Problem(self.source, f"link {target!r} {reason}", severity=self.severity)
        )

    # -- URLs -------------------------------------------------------------------------------

    def _md_url(self, r: Resolved) -> str:
        """A relative link MkDocs resolves itself (it turns .md into page URLs)."""
        if r.docs_path == self.page_rel:
            rel = ""
        else:
            rel = relative_path(r.docs_path, posixpath.dirname(self.page_rel))
        url = quote(rel, safe="/-_.~")
        return f"{url}#{r.fragment}" if r.fragment else (url or "#")

    def _html_url(self, r: Resolved) -> str:
        """A final URL relative to the page's own URL, for raw HTML MkDocs leaves alone."""
        target = page_url(r.docs_path)
        base = page_url(self.page_rel)
        base_dir = base if base.endswith("/") or not base else posixpath.dirname(base) + "/"
        rel = relative_path(target, base_dir)
        if target.endswith("/") and not rel.endswith("/"):
            rel = "./" if rel == "." else rel + "/"
        url = quote(rel, safe="/-_.~")
        return f"{url}#{r.fragment}" if r.fragment else url


def split_anchor(docs_rel: str) -> tuple[str, str]:
    """(docs path, anchor) of a site-map entry like `code/000_c#/index.md#src-a.py`.

    Only a page (.md, .ipynb) carries an anchor, and an anchor holds no `/`: so the `#` of
    a folder or file name (`000_c#`) is never taken for the start of one.
    """
    path, sep, anchor = docs_rel.rpartition("#")
    if sep and "/" not in anchor and path.lower().endswith((".md", ".ipynb")):
        return path, anchor
    return docs_rel, ""


def page_url(docs_rel: str) -> str:
    """The site URL (directory style) of a docs file: `a/b.md` -> `a/b/`, `a/index.md` -> `a/`."""
    stem, ext = posixpath.splitext(docs_rel)
    if ext.lower() not in (".md", ".ipynb"):
        return docs_rel
    if posixpath.basename(stem).lower() in ("index", "readme"):
        parent = posixpath.dirname(stem)
        return f"{parent}/" if parent else ""
    return f"{stem}/"


def relative_path(target: str, start_dir: str) -> str:
    """`posixpath.relpath` for clean docs-relative paths, without touching the filesystem."""
    t = [p for p in target.split("/") if p and p != "."]
    s = [p for p in start_dir.split("/") if p and p != "."]
    common = 0
    while common < min(len(t), len(s)) and t[common] == s[common]:
        common += 1
    parts = [".."] * (len(s) - common) + t[common:]
    return "/".join(parts) or "."


def _norm(repo_rel: str) -> str:
    norm = posixpath.normpath(repo_rel.replace("\\", "/")).strip("/")
    return norm or "."


def _is_external(target: str) -> bool:
    return bool(SCHEME_RE.match(target)) or target.startswith("#") or not target.strip()



def _case_insensitive(root: Path, rel: str) -> Path | None:
    """The existing path for `rel`, matching each part case-insensitively if need be."""
    exact = root / rel
    if exact.exists() or exact.is_symlink():
        return exact
    current = root
    for part in rel.split("/"):
        try:
            names = {p.name.lower(): p for p in current.iterdir()}
        except OSError:
            return None
        found = names.get(part.lower())
        if found is None:
            return None
        current = found
    return current


def _heading_anchor(heading: str) -> str:
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _escape_brackets(text: str) -> str:
    return text.replace("[", "\\[").replace("]", "\\]")
