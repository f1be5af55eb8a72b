"""One page per milestone folder: README, notebooks, source files, library code, results.

The page lives at the folder's own path (`code/000_x/index.md`), so relative links and
images in the README keep working; source files, images and frozen results are copied
beside it. File contents are shown inside code fences, which escape them.
"""

from __future__ import annotations

import html
import json
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from dlip.publish.markdown import escape_md, markdown_lines
from dlip.publish.model import Milestone, Problem, Severity, refusal
from dlip.publish.pages import results_md
from dlip.publish.pages.glue import Glue
from dlip.publish.pages.links import LinkRewriter, SiteMap, relative_path, split_anchor
from dlip.publish.pages.notes import (
    GENERATED_RE,
    SOURCE_LANGUAGES,
    SOURCE_NAMES,
    notebook_text,
)
from dlip.publish.pages.results import figure, labelled_metrics, read_metrics, without_figures
from dlip.publish.project import RESULTS_DIRNAME, Project, outside_reason
from dlip.publish.sanitize import file_problem

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp"})
SKIPPED_DIRS = frozenset({"__pycache__", ".ipynb_checkpoints", "results-local", "node_modules"})
MAX_SHOWN_BYTES = 256 * 1024  # larger files get a download link only
MAX_COPIED_BYTES = 50 * 1024 * 1024
STATUS_LABELS = {"done": "Done", "in-progress": "In progress", "planned": "Planned"}


@dataclass
class MilestoneFiles:
    """What a milestone folder holds, sorted into what the page does with it."""

    readme: Path | None = None
    sources: list[Path] = field(default_factory=list)  # shown and downloadable
    notebooks: list[Path] = field(default_factory=list)  # rendered by mkdocs-jupyter
    images: list[Path] = field(default_factory=list)  # copied
    markdown: list[Path] = field(default_factory=list)  # other .md: pages of their own
    results: list[Path] = field(default_factory=list)  # frozen results, copied as they are
    others: list[Path] = field(default_factory=list)  # data, lock and generated files: linked
    refused: list[Problem] = field(default_factory=list)  # paths the path rule kept out


def page_path(project: Project, m: Milestone) -> str:
    """`code/000_x/index.md`: the folder's own path in the repo."""
    return f"{m.path.relative_to(project.root).as_posix()}/index.md"


def source_anchor(rel: str) -> str:
    return "src-" + re.sub(r"[^A-Za-z0-9_.-]+", "-", rel)


def library_anchor(rel: str) -> str:
    return "lib-" + re.sub(r"[^A-Za-z0-9_.-]+", "-", rel)


def scan(project: Project, m: Milestone) -> MilestoneFiles:
    """Sort the files of a milestone folder; what leads out of the repo is refused."""
    found = MilestoneFiles()
    for path in sorted(_walk(m.path, project.root, found.refused, set())):
        rel = path.relative_to(m.path)
        top = rel.parts[0]
        suffix = path.suffix.lower()
        if top == RESULTS_DIRNAME and len(rel.parts) > 1:
            found.results.append(path)
        elif len(rel.parts) == 1 and path.name.lower() == "readme.md":
            found.readme = path
        elif suffix == ".md":
            found.markdown.append(path)
        elif suffix == ".ipynb":
            found.notebooks.append(path)
        elif suffix in IMAGE_SUFFIXES:
            found.images.append(path)
        elif GENERATED_RE.search(path.name):
            found.others.append(path)  # package-lock.json, *.min.js: listed, never shown
        elif suffix in SOURCE_LANGUAGES or path.name.lower() in SOURCE_NAMES:
            found.sources.append(path)
        elif suffix not in (".pyc", ".pyo"):
            found.others.append(path)  # a CSV or a model file next to the code
    return found


def _walk(folder: Path, root: Path, refused: list[Problem], seen: set[Path]):
    """Every file under `folder` that the path rule lets the site read and the sanitizer
    lets it publish (an SVG that is more than a drawing is neither); each folder once."""
    seen.add(folder.resolve())
    try:
        entries = sorted(folder.iterdir())
    except OSError as exc:
        refused.append(Problem(folder, f"cannot be read ({exc.strerror or exc})", refused=True))
        return
    for path in entries:
        if path.name.startswith(".") or path.name in SKIPPED_DIRS:
            continue
        problem = refusal(path, root)
        if problem is not None:
            refused.append(problem)
        elif path.is_dir():
            if path.resolve() not in seen:
                yield from _walk(path, root, refused, seen)
        elif path.is_file():
            unsafe = file_problem(path)
            if unsafe is None:
                yield path
            else:
                refused.append(Problem(path, unsafe, refused=True))


def register(project: Project, m: Milestone, files: MilestoneFiles, sitemap: SiteMap) -> None:
    """Tell the site map which page or file stands for each path of the milestone."""
    page = page_path(project, m)
    folder_rel = m.path.relative_to(project.root).as_posix()
    sitemap.add_page(folder_rel, page)
    if files.readme is not None:
        sitemap.add_page(_rel(project, files.readme), page)
    for path in files.sources:
        sitemap.add_page(_rel(project, path), f"{page}#{source_anchor(_rel_to(m, path))}")
        if path.stat().st_size <= MAX_COPIED_BYTES:
            sitemap.add_asset(_rel(project, path) + "", path)
    for path in files.images + files.others:
        if path.stat().st_size <= MAX_COPIED_BYTES:
            sitemap.add_asset(_rel(project, path), path)
    for path in files.notebooks:
        published = executed_copy(m, path) or path
        docs = _rel(project, published)
        sitemap.add_asset(docs, published)
        sitemap.add_page(_rel(project, path), docs)
        sitemap.reserved.add(docs)
    for path in files.results:
        if path.suffix.lower() == ".md":  # shown in the results section, not a page of its own
            rel = path.relative_to(m.results_dir).as_posix()
            sitemap.add_page(_rel(project, path), f"{page}#{results_md.anchor(rel)}")
            continue
        sitemap.add_asset(_rel(project, path), path)
    if files.results:
        sitemap.add_page(f"{folder_rel}/{RESULTS_DIRNAME}", f"{page}#results")


def notebook_pages(project: Project, m: Milestone, files: MilestoneFiles, sitemap: SiteMap,
                   problems: list[Problem], severity: Severity) -> dict[str, str]:
    """Each notebook of the milestone as its page shows it (the executed copy when there is
    one): links checked and pointed at the site from the page's own URL, so relative images
    load, huge outputs cut, and a link back to the milestone first."""
    page = page_path(project, m)
    pages = {}
    for nb in files.notebooks:
        published = executed_copy(m, nb) or nb
        docs = _rel(project, published)
        text = notebook_text(nb, published, docs, sitemap, problems, severity,
                             (page, f"{m.number} · {m.title}"))
        if text is not None:
            pages[docs] = text
    return pages


def executed_copy(m: Milestone, notebook: Path) -> Path | None:
    """The executed notebook the runner froze in results/, if there is one."""
    candidate = m.results_dir / notebook.relative_to(m.path)
    return candidate if candidate.is_file() else None


def milestone_page(
    project: Project,
    m: Milestone,
    files: MilestoneFiles,
    sitemap: SiteMap,
    problems: list[Problem],
    severity: Severity,
    results_md: str,
    metrics_headline: str | None,
    posts: list[tuple[str, str, str]],
    glue: Glue | None = None,
) -> str:
    """The Markdown of a milestone page. `posts` are (date, title, docs path) that cite it;
    `glue` fills the live metrics the README quotes."""
    page = page_path(project, m)
    lines = ["---", f"title: {_yaml_str(f'{m.number} · {m.title}')}", "---", "",
             f"# {escape_md(m.title)}", ""]
    facts = [f"Milestone **{m.number}**"]
    if m.status:
        facts.append(f'<span class="dlip-status dlip-status-{m.status}">'
                     f"{STATUS_LABELS.get(m.status, m.status)}</span>")
    if m.section:
        facts.append(f"Section: {_plain(m.section)}")
    key_results = labelled_metrics(m, read_metrics(m))
    if metrics_headline and not key_results:  # labelled ones are listed below, in words
        facts.append(metrics_headline)
    lines += [" · ".join(facts), ""]
    if m.summary:
        lines += [f"> {_plain(m.summary)}", ""]
    if key_results:
        lines += ['<div class="dlip-key-results" markdown>', "",
                  *[f"- {item.markdown()}" for item in key_results], "", "</div>", ""]
    linked: set[str] = set()
    if files.readme is not None:
        text = _read_text(files.readme)
        body = drop_first_heading(text)
        if glue is not None:
            body = glue.fill(body, files.readme, problems, severity, first_line=None)
        lines += [captioned(LinkRewriter(sitemap, files.readme, page, problems, severity,
                                         linked.add).rewrite(body)).rstrip(), ""]
    if files.notebooks:
        lines += ["## Notebooks", ""]
        for nb in files.notebooks:
            executed = executed_copy(m, nb)
            target = _rel(project, executed or nb)
            note = "executed by the runner" if executed else "with the outputs stored in it"
            lines.append(f"- [{escape_md(nb.name)}]({_relpath(page, target)}) ({note})")
        lines.append("")
    if files.markdown:
        lines += ["## Notes in this folder", ""]
        for md in files.markdown:
            target = sitemap.lookup(_rel(project, md))
            if target:
                lines.append(f"- [{escape_md(_rel_to(m, md))}]({_relpath(page, target)})")
        lines.append("")
    if files.sources:
        lines += ["## Source", ""]
        for path in files.sources:
            lines += _file_block(project, page, path, _rel_to(m, path),
                                 source_anchor(_rel_to(m, path)), downloadable=True)
    lines += _other_files(project, m, page, files, linked)
    library = library_files(project, m)
    if library:
        lines += ["## Library code it exercises", "",
                  "Files matched by the `inputs` of this milestone's `milestone.yml`.", ""]
        for path in library:
            rel = _rel(project, path)
            lines += _file_block(project, page, path, rel, library_anchor(rel), downloadable=False)
    if results_md.strip():
        results_prefix = _rel(project, m.results_dir) + "/"
        shown = {path[len(results_prefix):] for path in linked if path.startswith(results_prefix)}
        lines += [without_figures(results_md, shown).rstrip(), ""]
    if posts:
        lines += ["## Posts about this milestone", ""]
        for day, title, target in posts:
            lines.append(f"- {day} · [{escape_md(title)}]({_relpath(page, target)})")
        lines.append("")
    return "\n".join(lines)


STANDALONE_IMAGE_RE = re.compile(r"^ {0,3}!\[(?P<alt>[^\]\n]+)\]\((?P<src>[^()\s]+)\)[ \t]*$")


def captioned(text: str) -> str:
    """Each image alone on its line shown as a figure, its alt text the caption under it."""
    out = []
    for line, is_code in markdown_lines(text):
        match = None if is_code else STANDALONE_IMAGE_RE.match(line.rstrip("\n"))
        if match is None:
            out.append(line)
            continue
        alt = match["alt"].replace("\\", "")
        out.append(f"\n{figure(match['src'], alt)}\n\n")
    return "".join(out)


def _other_files(project: Project, m: Milestone, page: str, files: MilestoneFiles,
                 linked: set[str]) -> list[str]:
    """Images the README does not show, and the folder's data and generated files."""
    images = [p for p in files.images if _rel(project, p) not in linked
              and p.stat().st_size <= MAX_COPIED_BYTES]
    others = [p for p in files.others if _rel(project, p) not in linked]
    if not images and not others:
        return []
    lines = ["## Files", ""]
    for path in images:
        label = escape_md(_rel_to(m, path))
        lines += [f"![{label}]({_relpath(page, _rel(project, path))})", "", f"*{label}*", ""]
    for path in others:
        label, size = _rel_to(m, path), path.stat().st_size
        if size > MAX_COPIED_BYTES:
            lines.append(f"- `{label}` ({size // 2**20} MB; not copied to the site)")
            continue
        note = " (generated; not shown)" if GENERATED_RE.search(path.name) else ""
        lines.append(f"- [{escape_md(label)}]({_relpath(page, _rel(project, path))}) "
                     f"({max(1, size // 1024)} KB){note}")
    return lines + [""]


def library_files(project: Project, m: Milestone) -> list[Path]:
    """Files matched by the milestone's `inputs` globs, inside the repo, text only."""
    found: dict[Path, None] = {}
    for pattern in m.inputs:
        for path in glob_files(project.root, pattern):
            if "__pycache__" in path.parts or outside_reason(path, project.root) is not None:
                continue
            if not path.is_file():
                continue
            if path.suffix.lower() in SOURCE_LANGUAGES:
                found.setdefault(path, None)
    return list(found)


def glob_files(root: Path, pattern: str) -> list[Path]:
    """What a glob matches, each folder it matches standing for every file below it.

    Before Python 3.13 a pattern ending in `**` (`src/dlip/gpt/**`) matches folders only;
    read that way, it would match no file at all.
    """
    found: set[Path] = set()
    for match in root.glob(pattern):
        if match.is_dir():
            found.update(p for p in match.rglob("*") if not p.is_dir())
        else:
            found.add(match)
    return sorted(found)


def _file_block(project: Project, page: str, path: Path, label: str, anchor: str,
                downloadable: bool) -> list[str]:
    size = path.stat().st_size
    lines = [f'<a id="{anchor}"></a>', "", f"### `{label}`", ""]
    if downloadable and size <= MAX_COPIED_BYTES:
        lines += [f"[Download {escape_md(path.name)}]"
                  f"({_relpath(page, _rel(project, path))})", ""]
    if size > MAX_SHOWN_BYTES:
        lines += [f"*{size // 1024} KB: too large to show here.*", ""]
        return lines
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        lines += ["*Not UTF-8 text; not shown.*", ""]
        return lines
    count = text.count("\n") + (0 if text.endswith("\n") or not text else 1)
    language = SOURCE_LANGUAGES.get(path.suffix.lower(), "makefile")
    fence = "`" * max(3, _longest_backtick_run(text) + 1)
    lines.append(f'??? abstract "{label} ({count} lines)"')
    lines.append("")
    lines.append(f"    {fence}{language}")
    lines += [f"    {line}" if line else "" for line in text.splitlines()]
    lines += [f"    {fence}", ""]
    return lines


def _longest_backtick_run(text: str) -> int:
    runs = re.findall(r"`+", text)
    return max((len(r) for r in runs), default=0)


def drop_first_heading(text: str) -> str:
    lines = text.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        if line.startswith("# "):
            return "".join(lines[i + 1:])
        break
    return text


def _read_text(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")


def _rel(project: Project, path: Path) -> str:
    return path.relative_to(project.root).as_posix()


def _rel_to(m: Milestone, path: Path) -> str:
    return path.relative_to(m.path).as_posix()


def _relpath(page: str, target: str) -> str:
    path, anchor = split_anchor(target)
    rel = relative_path(path, posixpath.dirname(page))
    url = quote(rel, safe="/-_.~")
    return f"{url}#{anchor}" if anchor else url


def _plain(text: str) -> str:
    return html.escape(text.replace("\n", " "))


def _yaml_str(text: str) -> str:
    return json.dumps(html.escape(" ".join(text.split())), ensure_ascii=False)
