"""Notes as the author's folders: a page per note, an index page per folder, a nav tree.

A note is published at its own repo path (`notes/attention.md` is `notes/attention/` on
the site), a folder's README as that folder's index. A folder without a README gets an
index listing its notes, its subfolders and its own files, so every page is reachable
however many notes there are. A notebook is published beside its note of the same name
(`x.md` at `x/`, `x.ipynb` at `x.ipynb/`, each page linking the other); its Markdown cells'
links are checked and pointed at the site like a note's, its long outputs are folded
(`notebook_outputs`), and its page links back to its folder. A folder's own files are on its
page: images shown, sources highlighted, results and data linked, lock files and minified
files listed only.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from dlip.publish.discover.notes import SKIPPED_DIRS, folder_title, is_tooling, note_title
from dlip.publish.markdown import escape_md
from dlip.publish.markdown_ext import drop_comments
from dlip.publish.model import Problem, Severity
from dlip.publish.pages.glue import Glue
from dlip.publish.pages.links import LinkRewriter, Resolved, SiteMap, page_url, relative_path
from dlip.publish.pages.notebook_outputs import Budget, fold_outputs
from dlip.publish.project import Project, is_inside

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".avif"})
# Shown with syntax highlighting; the value is the highlighter's name.
SOURCE_LANGUAGES = {
    ".py": "python", ".pyx": "cython", ".sh": "bash", ".bash": "bash", ".zsh": "bash",
    ".js": "javascript", ".mjs": "javascript", ".cjs": "javascript", ".jsx": "jsx",
    ".ts": "typescript", ".tsx": "tsx", ".css": "css", ".scss": "scss", ".html": "html",
    ".htm": "html", ".vue": "html", ".svelte": "html", ".c": "c", ".h": "c", ".cpp": "cpp",
    ".hpp": "cpp", ".cc": "cpp", ".cu": "cuda", ".rs": "rust", ".go": "go", ".java": "java",
    ".kt": "kotlin", ".swift": "swift", ".rb": "ruby", ".php": "php", ".jl": "julia",
    ".r": "r", ".sql": "sql", ".toml": "toml", ".yml": "yaml", ".yaml": "yaml", ".cfg": "ini",
    ".ini": "ini", ".json": "json", ".mk": "makefile", ".dockerfile": "docker", ".lua": "lua",
}
SOURCE_NAMES = {"makefile": "makefile", "dockerfile": "docker", "justfile": "makefile"}
# Generated or locked files: listed and linked, never shown.
GENERATED_RE = re.compile(
    r"(?:^(?:package-lock\.json|npm-shrinkwrap\.json|yarn\.lock|pnpm-lock\.yaml|poetry\.lock|"
    r"pipfile\.lock|uv\.lock|cargo\.lock|composer\.lock|gemfile\.lock|bun\.lockb?)$"
    r"|\.min\.(?:js|css)$|\.map$|\.lock$)",
    re.IGNORECASE,
)
MAX_SHOWN_BYTES = 128 * 1024  # larger sources get a link only
MAX_COPIED_BYTES = 50 * 1024 * 1024  # larger files are listed, not copied
MAX_FILES_LISTED = 300  # per folder page; the rest are counted
# Past this many notes the nav lists folders only (their index pages list the notes).
MAX_NAV_NOTES = 150
# `x.ipynb` beside `x.md` is published at `x.ipynb/`: the file's own name, the URL a reader
# who saw the repo would guess, and one no note's page can take (`x-notebook/` could).
NOTEBOOK_BESIDE_NOTE = "{name}.ipynb"


@dataclass
class Folder:
    """A folder of the notes tree: its page, notes, subfolders and own files."""

    rel: str  # repo-relative, "." for the root
    title: str
    page: str | None = None  # docs path of its index (README or generated)
    readme: Path | None = None
    notes: list[Path] = field(default_factory=list)  # excluding the README
    subfolders: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)


@dataclass
class NotePlan:
    """Where every note and folder is published; filled before any page is written."""

    pages: dict[Path, str] = field(default_factory=dict)  # note -> docs path
    titles: dict[Path, str] = field(default_factory=dict)
    folders: dict[str, Folder] = field(default_factory=dict)
    companions: dict[Path, Path] = field(default_factory=dict)  # x.md <-> x.ipynb


def note_page_path(project: Project, path: Path) -> str:
    """The docs path: the repo path, with README.md standing for the folder's index."""
    rel = path.relative_to(project.root).as_posix()
    folder, _, name = rel.rpartition("/")
    if name.lower() in ("readme.md", "index.md"):
        return f"{folder}/index.md" if folder else "readme.md"
    return rel


def plan_notes(
    project: Project,
    notes: list[Path],
    sitemap: SiteMap,
    problems: list[Problem],
    is_reserved: Callable[[str], bool],
    claimed: set[Path],
) -> NotePlan:
    """Give every note and every folder of notes its page, and tell the site map.

    `claimed` holds the folders that are pages already (milestones): they are left out.
    """
    plan = NotePlan()
    root = project.root
    md_stems = {(p.parent, p.stem.lower()): p for p in notes if p.suffix.lower() == ".md"}
    for path in notes:
        page = note_page_path(project, path)
        note = md_stems.get((path.parent, path.stem.lower()))
        if path.suffix.lower() == ".ipynb" and note is not None:
            name = NOTEBOOK_BESIDE_NOTE.format(name=path.name)
            page = posixpath.join(posixpath.dirname(page), name)
            plan.companions[path], plan.companions[note] = note, path
        if is_reserved(page):
            problems.append(Problem(path, f"its page {page} would replace a generated page; "
                                          "not published (rename it)", severity="warning"))
            continue
        plan.pages[path] = page
        plan.titles[path] = note_title(path)
        sitemap.add_page(_rel(root, path), page)
    # Every folder between the root and a note is a folder of the tree.
    for path, page in plan.pages.items():
        folder = path.parent
        is_index = path.suffix.lower() == ".md" and path.stem.lower() in ("readme", "index")
        node = _folder(plan, root, folder)
        if is_index and folder != root and node.readme is None:
            node.readme, node.page = path, page
        else:
            node.notes.append(path)
        while folder != root:
            parent = _folder(plan, root, folder.parent)
            rel = _rel(root, folder)
            if rel not in parent.subfolders:
                parent.subfolders.append(rel)
            folder = folder.parent
    for rel, node in plan.folders.items():
        if rel == ".":
            continue
        if node.page is None:
            node.page = f"{rel}/index.md"
            if is_reserved(node.page):
                node.page = None
                continue
        sitemap.add_page(rel, node.page)
        sitemap.reserved.add(node.page)
        node.subfolders.sort()
        node.files = _own_files(root / rel, plan, claimed | set(sitemap_folders(plan, root)))
        for file in node.files:
            if file.stat().st_size <= MAX_COPIED_BYTES:
                sitemap.add_asset(_rel(root, file), file)
    return plan


def sitemap_folders(plan: NotePlan, root: Path) -> list[Path]:
    return [root / rel for rel in plan.folders if rel != "."]


def note_pages(
    project: Project,
    plan: NotePlan,
    sitemap: SiteMap,
    glue: Glue,
    problems: list[Problem],
    severity: Severity,
) -> dict[str, str]:
    """The text of every note page, notebook page and folder index."""
    pages: dict[str, str] = {}
    for path, page in plan.pages.items():
        if path.suffix.lower() == ".ipynb":
            text = notebook_page(project, plan, path, page, sitemap, problems, severity)
            if text is not None:
                pages[page] = text
            continue
        if plan.folders.get(_rel(project.root, path.parent), Folder("", "")).readme == path:
            continue  # written with its folder below
        text = drop_comments(path.read_text(encoding="utf-8", errors="replace"))
        text = glue.fill(text, path, problems, severity)
        text = LinkRewriter(sitemap, path, page, problems, severity).rewrite(text)
        pages[page] = _with_companion(text, plan, path, page)
    for rel, node in plan.folders.items():
        if rel == "." or node.page is None:
            continue
        pages[node.page] = folder_page(project, plan, node, sitemap, glue, problems, severity)
    return pages


def folder_page(
    project: Project,
    plan: NotePlan,
    node: Folder,
    sitemap: SiteMap,
    glue: Glue,
    problems: list[Problem],
    severity: Severity,
) -> str:
    """A folder's README (or a heading), then what is in the folder that it did not link."""
    assert node.page is not None
    linked: set[str] = set()
    lines: list[str] = []
    if node.readme is not None:
        text = drop_comments(node.readme.read_text(encoding="utf-8", errors="replace"))
        text = glue.fill(text, node.readme, problems, severity)
        text = LinkRewriter(sitemap, node.readme, node.page, problems, severity,
                            linked.add).rewrite(text)
        text = _with_companion(text, plan, node.readme, node.page)
        if not text.startswith("---") and _needs_title(text, node.title):
            lines.append(_front_title(node.title))  # a generic heading is not the title
        lines += [text.rstrip(), ""]
    else:
        lines += [_front_title(node.title), f"# {escape_md(node.title)}", ""]
    listing = _listing(project, plan, node, linked)
    if listing:
        if node.readme is not None:
            lines += ["---", ""]
        lines += listing
    return "\n".join(lines) + "\n"


def notes_nav(plan: NotePlan, project: Project) -> list:
    """The Notes section: root notes, then each top folder as a section of its own.

    Every page carries the whole nav, so past `MAX_NAV_NOTES` notes the nav lists the
    folders only: each folder's index page lists its notes, and the site stays linear in
    notes instead of quadratic.
    """
    root = plan.folders.get(".")
    if root is None:
        return []
    notes = len(plan.pages) > MAX_NAV_NOTES
    tops = [sub for sub in root.subfolders if plan.folders[sub].page is not None]
    if not root.notes and len(tops) == 1:
        return _nav_tree(plan, tops[0], notes)  # a lone `notes/` folder is the section itself
    items: list = [{plan.titles[p]: plan.pages[p]} for p in root.notes]
    items += [{plan.folders[sub].title: _nav_tree(plan, sub, notes)}
              for sub in sorted(root.subfolders) if plan.folders[sub].page is not None]
    return items


def notebook_page(
    project: Project,
    plan: NotePlan,
    path: Path,
    page: str,
    sitemap: SiteMap,
    problems: list[Problem],
    severity: Severity,
) -> str | None:
    """A notebook among the notes, with a link back to its folder's page (or home)."""
    folder = plan.folders.get(_rel(project.root, path.parent))
    if folder is not None and folder.page:
        back = (folder.page, folder.title)
    else:
        back = ("index.md", "Home")
    note = plan.companions.get(path)
    beside = (plan.pages[note], plan.titles[note]) if note in plan.pages else None
    return notebook_text(path, path, page, sitemap, problems, severity, back, beside)


def notebook_text(
    source: Path,
    published: Path,
    page: str,
    sitemap: SiteMap,
    problems: list[Problem],
    severity: Severity,
    back: tuple[str, str],
    beside: tuple[str, str] | None = None,
) -> str | None:
    """The notebook `published` (the author's `source`, or the copy a run executed) as the
    site shows it at `page`: its Markdown cells' links checked and pointed at the site as
    they resolve from `source`, long outputs folded, and a first line linking back to `back`
    (docs path, title) and to `beside`, the note of the same name, if there is one. None
    (and a warning) when it is not a readable notebook."""
    try:
        nb = json.loads(published.read_text(encoding="utf-8"))
        cells = nb["cells"]
        if not isinstance(cells, list):
            raise TypeError("cells is not a list")
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        problems.append(Problem(published, f"not a readable notebook ({exc}); not published",
                                severity="warning"))
        return None
    links = _NotebookLinks(sitemap, source, page, problems, severity, embeds=False)
    budget = Budget()
    for cell in cells:
        if not isinstance(cell, dict):
            continue
        if cell.get("cell_type") == "markdown":
            cell["source"] = links.rewrite(drop_comments(_source(cell.get("source", ""))))
        if "outputs" in cell:
            cell["outputs"] = fold_outputs(cell["outputs"], budget)
    first = f"[↑ {escape_md(back[1])}]({_url_from(page, back[0])})"
    if beside is not None:
        first += f" · The note beside this notebook: [{escape_md(beside[1])}]" \
                 f"({_url_from(page, beside[0])})"
    cell = {"cell_type": "markdown", "metadata": {}, "source": first}
    version = (nb.get("nbformat"), nb.get("nbformat_minor"))
    if all(isinstance(v, int) for v in version) and version >= (4, 5):
        cell["id"] = "dlip-back"  # cells carry ids from nbformat 4.5 on
    cells.insert(0, cell)
    return json.dumps(nb, ensure_ascii=False, indent=1)


# --- pieces ------------------------------------------------------------------------------


class _NotebookLinks(LinkRewriter):
    """Links of a notebook's Markdown cells: MkDocs does not rewrite them, so they are
    written as final URLs relative to the notebook page's own URL."""

    def _md_url(self, r: Resolved) -> str:  # noqa: D401 (overrides LinkRewriter)
        return self._html_url(r)


def _source(value: object) -> str:
    if isinstance(value, list):
        return "".join(str(v) for v in value)
    return str(value)


def _listing(project: Project, plan: NotePlan, node: Folder, linked: set[str]) -> list[str]:
    assert node.page is not None
    page = node.page
    lines: list[str] = []
    notes = [p for p in node.notes if plan.pages.get(p) not in linked]
    if notes:
        lines += ["## Notes", ""]
        for p in notes:
            kind = " (notebook)" if p.suffix.lower() == ".ipynb" else ""
            lines.append(f"- [{escape_md(plan.titles[p])}]({_link(page, plan.pages[p])}){kind}")
        lines.append("")
    subs = [s for s in node.subfolders if plan.folders[s].page is not None
            and plan.folders[s].page not in linked]
    if subs:
        lines += ["## Folders", ""]
        for s in subs:
            sub = plan.folders[s]
            lines.append(f"- [{escape_md(sub.title)}]({_link(page, sub.page or '')})")
        lines.append("")
    lines += _files_section(project, node, page, linked)
    return lines


def _files_section(project: Project, node: Folder, page: str, linked: set[str]) -> list[str]:
    root = project.root
    images, sources, others = [], [], []
    for path in node.files:
        rel = _rel(root, path)
        if rel in linked:
            continue
        kind = _kind(path)
        (images if kind == "image" else sources if kind == "source" else others).append(path)
    if not (images or sources or others):
        return []
    lines = ["## Files", ""]
    base = node.rel
    shown = 0
    for path in images:
        label = escape_md(_rel_to(base, root, path))
        if path.stat().st_size <= MAX_COPIED_BYTES:
            lines += [f"![{label}]({_link(page, _rel(root, path))})", "", f"*{label}*", ""]
        shown += 1
    for path in others:
        lines.append(_file_line(root, base, page, path))
    if others:
        lines.append("")
    for path in sources[: max(0, MAX_FILES_LISTED - shown - len(others))]:
        lines += _source_block(root, base, page, path)
    left = len(sources) - max(0, MAX_FILES_LISTED - shown - len(others))
    if left > 0:
        lines += [f"*{left} more files in this folder are not listed.*", ""]
    return lines


def _file_line(root: Path, base: str, page: str, path: Path) -> str:
    label = _rel_to(base, root, path)
    size = path.stat().st_size
    note = " (generated; not shown)" if GENERATED_RE.search(path.name) else ""
    if size > MAX_COPIED_BYTES:
        return f"- `{label}` ({size // 2**20} MB; not copied to the site)"
    return f"- [{escape_md(label)}]({_link(page, _rel(root, path))}) ({_size(size)}){note}"


def _source_block(root: Path, base: str, page: str, path: Path) -> list[str]:
    label = _rel_to(base, root, path)
    size = path.stat().st_size
    head = _file_line(root, base, page, path)
    if size > MAX_SHOWN_BYTES:
        return [head + " (too large to show)", ""]
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return [head + " (not UTF-8 text; not shown)", ""]
    language = SOURCE_LANGUAGES.get(path.suffix.lower()) or SOURCE_NAMES.get(
        path.name.lower(), "text")
    fence = "`" * max(3, max((len(r) for r in re.findall(r"`+", text)), default=0) + 1)
    count = text.count("\n") + (0 if text.endswith("\n") or not text else 1)
    title = label.replace('"', "'")
    return [head, "", f'??? abstract "{escape_md(title)} ({count} lines)"', "",
            f"    {fence}{language}",
            *[f"    {line}" if line else "" for line in text.splitlines()],
            f"    {fence}", ""]


def _kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if GENERATED_RE.search(path.name):
        return "other"
    if suffix in IMAGE_SUFFIXES:
        return "image"
    if suffix in SOURCE_LANGUAGES or path.name.lower() in SOURCE_NAMES:
        return "source"
    return "other"


def _own_files(folder: Path, plan: NotePlan, other_pages: set[Path]) -> list[Path]:
    """The folder's files and those of its subfolders that have no page of their own
    (a `src/` of a web app, its own `results/`), hidden and tooling files left out."""
    root_of_tree = folder
    found: list[Path] = []
    stack = [folder]
    while stack and len(found) <= MAX_FILES_LISTED * 2:
        current = stack.pop()
        try:
            entries = sorted(current.iterdir())
        except OSError:
            continue
        for path in entries:
            if path.name.startswith((".", "_")) or path.is_symlink():
                continue
            if path.is_dir():
                if (path.name in SKIPPED_DIRS and path.name != "results") or path in other_pages \
                        or (path / "pyvenv.cfg").exists() or path.name.endswith(".egg-info"):
                    continue
                stack.append(path)
                continue
            suffix = path.suffix.lower()
            if suffix in (".md", ".ipynb", ".pyc") or not path.is_file():
                continue
            rel = path.relative_to(root_of_tree).as_posix()
            if is_tooling(rel) or not is_inside(path, root_of_tree):
                continue
            found.append(path)
    return sorted(found)


def _nav_tree(plan: NotePlan, rel: str, folders_only: bool) -> list:
    node = plan.folders[rel]
    items: list = [node.page] if node.page else []
    if not folders_only:
        items += [{plan.titles[p]: plan.pages[p]} for p in node.notes]
    items += [{plan.folders[s].title: _nav_tree(plan, s, folders_only)}
              for s in node.subfolders if plan.folders[s].page is not None]
    return items


def _folder(plan: NotePlan, root: Path, folder: Path) -> Folder:
    rel = _rel(root, folder)
    node = plan.folders.get(rel)
    if node is None:
        node = plan.folders[rel] = Folder(rel, folder_title(folder) if rel != "." else "Notes")
    return node


def _front_title(title: str) -> str:
    return "---\ntitle: " + json.dumps(title, ensure_ascii=False) + "\n---\n"


def _needs_title(text: str, heading: str) -> bool:
    """A README whose own heading is generic gets the folder's title as its page title."""
    match = re.search(r"^# (.+)$", text, re.MULTILINE)
    return match is None or match.group(1).strip() != heading


def _link(page: str, target: str) -> str:
    return quote(relative_path(target, posixpath.dirname(page)), safe="/-_.~")


def _url_from(page: str, target: str) -> str:
    """The URL of the page `target` relative to the URL of `page` (for notebook cells,
    whose links MkDocs does not rewrite)."""
    url = page_url(target)
    rel = relative_path(url, _url_dir(page_url(page)))
    if url.endswith("/") or not url:  # a page's URL is a folder's
        rel = "./" if rel == "." else rel + "/"
    return quote(rel, safe="/-_.~")


def _with_companion(text: str, plan: NotePlan, path: Path, page: str) -> str:
    """A note with a notebook of the same name says so under its title, with a link."""
    notebook = plan.companions.get(path)
    if notebook is None or notebook not in plan.pages:
        return text
    line = (f"*The notebook beside this note: [{escape_md(plan.titles[notebook])}]"
            f"({_link(page, plan.pages[notebook])})*\n\n")
    front = re.match(r"\A---[ \t]*\n.*?\n(?:---|\.\.\.)[ \t]*\n", text, re.DOTALL)
    start = front.end() if front else 0
    heading = re.compile(r"[ \t\n]*# [^\n]*\n").match(text, start)
    at = heading.end() if heading else start
    return text[:at] + ("\n" if heading else "") + line + text[at:]


def _url_dir(url: str) -> str:
    return url if url.endswith("/") or not url else posixpath.dirname(url) + "/"


def _rel(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix() or "."


def _rel_to(base: str, root: Path, path: Path) -> str:
    rel = _rel(root, path)
    return rel[len(base) + 1:] if base != "." and rel.startswith(base + "/") else rel


def _size(n: int) -> str:
    return f"{n} B" if n < 1024 else f"{n / 1024:.0f} KB" if n < 2**20 else f"{n / 2**20:.1f} MB"
