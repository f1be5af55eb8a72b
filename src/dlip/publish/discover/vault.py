"""`dlip import VAULT`: copy dated notes from an Obsidian vault into `daily-blog/`.

Opt-in rule: a note is imported when its front matter says `publish: true`, or when it
lives under the `--folder` given on the command line (`publish: false` always keeps a note
out). Its date comes from the file name (`2026-11-25.md`, `2026-11-25 Attention.md`,
`2026-11-25 - Attention.md`), else from a `date:` in its front matter. Its title comes from
the first `# ` heading, else the file name after the date, else a front matter `title:`.

Embedded attachments (`![[image.png]]`, `![alt](img/x.png)`) are copied into
`daily-blog/assets/` and the embeds rewritten as Markdown image links; files outside the
vault (symlinks followed) are refused. `[[wikilinks]]` and `![[embeds]]` of other imported
notes point at the target post's file name (the site shows an embedded post in place);
wikilinks and embeds of notes that are not published become plain text, and
Obsidian `%%comments%%` are dropped, since neither is visible to a reader of the note.

`daily-blog/.imported.json` remembers each post's source note and the hash of what was
written, so a re-import changes nothing, a changed note updates its post, and a post edited
in the repo is never overwritten without `--force`. Every problem is found before anything
is written: one error and nothing changes.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import yaml

from dlip import atomic
from dlip.publish.discover.posts import (
    DATED_TITLE_RE,
    as_date,
    post_filename,
    safe_title,
    split_front_matter,
)
from dlip.publish.markdown import CODE_SPAN_RE, FENCE_RE, INLINE_LINK_RE, SCHEME_RE, WIKILINK_RE
from dlip.publish.project import Project, is_inside

MANIFEST_NAME = ".imported.json"
ASSETS_DIRNAME = "assets"
# Front matter fields the publisher reads; everything else is Obsidian's business.
KEPT_FIELDS = ("title", "slug", "tags", "milestone", "draft", "summary")
NOTE_NAME_RE = re.compile(r"^(?P<date>\d{4}-\d{2}-\d{2})(?:\s*[-–—_:]?\s*(?P<title>.*?))?\s*$")
OBSIDIAN_COMMENT_RE = re.compile(r"%%.*?%%", re.DOTALL)


@dataclass
class Note:
    """One opted-in note and the post it becomes."""

    path: Path
    rel: str  # vault-relative POSIX path
    day: date
    title: str
    meta: dict[str, Any]
    body: str
    source_hash: str

    @property
    def post_name(self) -> str:
        return post_filename(self.day, _safe_name(self.title))


@dataclass
class Plan:
    """What one import would do: lines to print, files to write, and errors."""

    lines: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    posts: dict[str, str] = field(default_factory=dict)  # post file name -> text
    removals: list[str] = field(default_factory=list)  # old post names after a rename
    assets: dict[str, Path] = field(default_factory=dict)  # asset file name -> source
    manifest: dict[str, dict[str, str]] = field(default_factory=dict)
    by_name: dict[str, Path] | None = None  # vault files by lowercase name, built on demand


def import_vault(project: Project, vault: Path, folder: str | None = None,
                 since: date | None = None, dry_run: bool = False, force: bool = False) -> int:
    """Plan the whole import, print it, and write it only when nothing went wrong."""
    vault = vault.expanduser()
    if not vault.is_dir():
        print(f"error: {vault}: vault folder not found", file=sys.stderr)
        return 1
    vault = vault.resolve()
    if folder is not None and not (vault / folder).is_dir():
        print(f"error: {vault / folder}: --folder not found in the vault", file=sys.stderr)
        return 1
    plan = plan_import(project, vault, folder, since, force)
    for line in plan.lines:
        print(line)
    for error in plan.errors:
        print(f"error: {error}", file=sys.stderr)
    if plan.errors:
        print(f"dlip import: {len(plan.errors)} error(s); nothing written", file=sys.stderr)
        return 1
    if not dry_run:
        _apply(project, plan)
    print(f"dlip import: {len(plan.posts)} post(s) to write"
          + (" (dry run: nothing written)" if dry_run else ""))
    return 0


def plan_import(project: Project, vault: Path, folder: str | None, since: date | None,
                force: bool) -> Plan:
    plan = Plan()
    notes = _find_notes(vault, folder, plan)
    by_stem = {n.path.stem.lower(): n for n in notes}
    posts_dir = project.posts_dir
    manifest = _read_manifest(posts_dir, plan)
    plan.manifest = dict(manifest)
    claimed: dict[str, str] = {}  # post name -> source, to catch two notes on one post
    assets_claimed: dict[str, Path] = {}
    for note in sorted(notes, key=lambda n: (n.day, n.rel)):
        if since is not None and note.day < since:
            continue
        name = note.post_name
        if name in claimed:
            plan.errors.append(f"{note.path}: becomes the same post {name!r} as "
                               f"{claimed[name]!r}; give one another title")
            continue
        claimed[name] = note.rel
        errors_before = len(plan.errors)
        text, plain = _render(note, vault, by_stem, posts_dir, plan, assets_claimed)
        if len(plan.errors) > errors_before:
            continue
        _plan_post(note, name, text, posts_dir, manifest, plan, force,
                   f" ({plain} link(s) to unpublished notes made plain text)" if plain else "")
    return plan


def _find_notes(vault: Path, folder: str | None, plan: Plan) -> list[Note]:
    """Every opted-in note with a date; skipped and broken ones go into the plan."""
    chosen = (vault / folder).resolve() if folder is not None else None
    notes = []
    for path in sorted(vault.rglob("*.md")):
        rel_parts = path.relative_to(vault).parts
        if any(part.startswith(".") for part in rel_parts) or not path.is_file():
            continue  # .obsidian/, .trash/ and hidden files are not notes
        rel = path.relative_to(vault).as_posix()
        in_folder = chosen is not None and is_inside(path, chosen)
        name_match = NOTE_NAME_RE.match(path.stem)
        if not is_inside(path, vault):
            if in_folder or name_match:
                plan.errors.append(f"{path}: links to a file outside the vault; refused")
            continue
        raw = path.read_bytes()
        if not (in_folder or name_match or b"publish:" in raw):
            continue  # an ordinary note that shows no sign of being a post
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            plan.errors.append(f"{path}: not valid UTF-8 (bad byte 0x{raw[exc.start]:02x} at "
                               f"offset {exc.start}); save the note as UTF-8")
            continue
        meta, body, problems = split_front_matter(path, text)
        if meta is None:
            plan.errors.extend(str(p).removeprefix("error: ") for p in problems)
            continue
        publish = meta.get("publish")
        if publish is False:
            plan.lines.append(f"skipped {rel} (publish: false)")
            continue
        if not (publish is True or in_folder):
            if name_match:
                plan.lines.append(f"skipped {rel} (not opted in: add 'publish: true' to its "
                                  "front matter or pass --folder)")
            continue
        day = _note_date(path, name_match, meta, plan)
        if day is None:
            continue
        title = _title(body, name_match, meta)
        if title is None:
            plan.errors.append(f"{path}: no title; start the note with a '# Title' heading")
            continue
        notes.append(Note(path, rel, day, title, meta, body, _sha256(raw)))
    return notes


def _note_date(path: Path, name_match: re.Match[str] | None, meta: dict[str, Any],
               plan: Plan) -> date | None:
    value: Any = name_match["date"] if name_match else meta.get("date")
    if value is None:
        plan.errors.append(f"{path}: no date; name the note 'YYYY-MM-DD Title.md' or add "
                           "'date: YYYY-MM-DD' to its front matter")
        return None
    try:
        return as_date(value)
    except ValueError:
        plan.errors.append(f"{path}: impossible date {value!r}; use YYYY-MM-DD")
        return None


def _title(body: str, name_match: re.Match[str] | None, meta: dict[str, Any]) -> str | None:
    in_fence = False
    for line in body.splitlines():
        if FENCE_RE.match(line):
            in_fence = not in_fence
        elif not in_fence and line.startswith("# "):
            heading = line[2:].strip().strip("#").strip()
            dated = DATED_TITLE_RE.match(heading)
            heading = dated["title"].strip() if dated else heading
            if heading:
                return heading
    if name_match and (name_match["title"] or "").strip():
        return name_match["title"].strip()
    title = meta.get("title")
    return str(title).strip() if isinstance(title, (str, int, float)) and str(title).strip() \
        else None


def _render(note: Note, vault: Path, by_stem: dict[str, Note], posts_dir: Path, plan: Plan,
            assets_claimed: dict[str, Path]) -> tuple[str, int]:
    """The post's text, and how many wikilinks to unpublished notes became plain text."""
    plain = 0

    def attach(target: str, alt: str) -> str:
        source = _find_attachment(note, vault, target, plan)
        if source is None:
            return ""
        name = _asset_name(source, posts_dir, plan, assets_claimed)
        return f"![{alt}]({ASSETS_DIRNAME}/{quote(name)})"

    def wikilink(m: re.Match[str]) -> str:
        nonlocal plain
        target = m["target"].strip()
        if m["bang"] and Path(target).suffix.lower() not in ("", ".md"):
            alias = m["alias"] or ""
            alt = Path(target).stem if not alias or alias.strip().isdigit() else alias
            return attach(target, alt) or m[0]
        linked = by_stem.get(Path(target).stem.lower() if target.lower().endswith(".md")
                             else target.lower())
        if linked is None:
            plain += 1
            return m["alias"] or target
        frag = f"#{m['frag']}" if m["frag"] else ""
        alias = f"|{m['alias']}" if m["alias"] else ""
        # `![[note]]` of an imported note stays an embed: the site shows that post in place
        return f"{m['bang']}[[{linked.post_name[:-3]}{frag}{alias}]]"

    def image(m: re.Match[str]) -> str:
        target = m["target"].strip("<>")
        if not m["bang"] or SCHEME_RE.match(target) or target.startswith("#"):
            return m[0]
        return attach(unquote(target), m["text"]) or m[0]

    def rewrite(text: str) -> str:  # images first: their output has no [[ ]] to trip over
        return WIKILINK_RE.sub(wikilink, INLINE_LINK_RE.sub(image, text))

    out, in_fence = [], False
    for line in OBSIDIAN_COMMENT_RE.sub("", note.body).splitlines(keepends=True):
        if FENCE_RE.match(line):
            in_fence = not in_fence
        if in_fence or FENCE_RE.match(line):
            out.append(line)
            continue
        pieces, last = [], 0
        for span in CODE_SPAN_RE.finditer(line):  # code spans are shown, never rewritten
            pieces.append(rewrite(line[last:span.start()]))
            pieces.append(span[0])
            last = span.end()
        pieces.append(rewrite(line[last:]))
        out.append("".join(pieces))
    body = "".join(out)
    meta = {k: note.meta[k] for k in KEPT_FIELDS if k in note.meta}
    if "title" not in meta and _safe_name(note.title) != note.title:
        meta["title"] = note.title  # the file name could not carry it as written
    front = (f"---\n{yaml.safe_dump(meta, sort_keys=False, allow_unicode=True)}---\n"
             if meta else "")
    return front + body.lstrip("\r\n"), plain


def _find_attachment(note: Note, vault: Path, target: str, plan: Plan) -> Path | None:
    """The vault file an embed names: beside the note, from the vault root, else by name."""
    candidates = [note.path.parent / target, vault / target]
    if "/" not in target:
        if plan.by_name is None:
            plan.by_name = {}
            for path in sorted(vault.rglob("*")):
                if not any(s.startswith(".") for s in path.relative_to(vault).parts):
                    plan.by_name.setdefault(path.name.lower(), path)
        found = plan.by_name.get(target.lower())
        candidates += [found] if found is not None else []
    for path in candidates:
        if path.is_file() or path.is_symlink():
            if not is_inside(path, vault):
                plan.errors.append(f"{note.path}: attachment {target!r} points outside the "
                                   "vault; refused")
                return None
            if path.is_file():
                return path.resolve()
    plan.errors.append(f"{note.path}: attachment {target!r} not found in the vault")
    return None


def _asset_name(source: Path, posts_dir: Path, plan: Plan, claimed: dict[str, Path]) -> str:
    """`image.png`, or `image-<hash>.png` when that name already holds another file."""
    data = source.read_bytes()
    for name in (source.name, f"{source.stem}-{_sha256(data)[:8]}{source.suffix}"):
        if claimed.get(name, source) != source:
            continue
        existing = posts_dir / ASSETS_DIRNAME / name
        if existing.is_file() and existing.read_bytes() != data:
            continue
        claimed[name] = source
        if not existing.is_file():
            plan.assets[name] = source
        return name
    raise AssertionError("a content hash names a file with other content")  # pragma: no cover


def _plan_post(note: Note, name: str, text: str, posts_dir: Path,
               manifest: dict[str, dict[str, str]], plan: Plan, force: bool, extra: str) -> None:
    post_hash = _sha256(text.encode("utf-8"))
    record = {"source": note.rel, "source_sha256": note.source_hash, "post_sha256": post_hash}
    previous_name = next((n for n, r in manifest.items() if r.get("source") == note.rel), None)
    previous = manifest.get(previous_name) if previous_name else None
    target = posts_dir / name
    shown = f"daily-blog/{name}"

    def edited(path: Path, entry: dict[str, str] | None) -> bool:
        return path.is_file() and (entry is None
                                   or _sha256(path.read_bytes()) != entry.get("post_sha256"))

    if target.is_file() and target.read_text(encoding="utf-8", errors="replace") == text:
        plan.lines.append(f"unchanged {note.rel} -> {shown}")
        plan.manifest[name] = record
        return
    if previous_name and previous_name != name:  # the title changed: the post moves
        old = posts_dir / previous_name
        if edited(old, previous) and not force:
            plan.lines.append(f"skipped {note.rel} (daily-blog/{previous_name} was edited in "
                              "the repo since import; --force replaces it)")
            return
        if target.is_file() and not force:
            plan.lines.append(f"skipped {note.rel} ({shown} already exists and was not "
                              "imported from it; --force replaces it)")
            return
        plan.removals.append(previous_name)
        plan.manifest.pop(previous_name, None)
        plan.posts[name] = text
        plan.manifest[name] = record
        plan.lines.append(f"updated {note.rel} -> {shown} (renamed from {previous_name}){extra}")
        return
    if target.is_file() and edited(target, previous) and not force:
        if previous is not None and previous.get("source_sha256") == note.source_hash:
            plan.lines.append(f"unchanged {note.rel} -> {shown} (edited in the repo; kept)")
        else:
            why = "was edited in the repo since import" if previous else \
                "already exists and was not imported"
            plan.lines.append(f"skipped {note.rel} ({shown} {why}; --force replaces it)")
        return
    plan.posts[name] = text
    plan.manifest[name] = record
    verb = "updated" if target.is_file() else "created"
    plan.lines.append(f"{verb} {note.rel} -> {shown}{extra}")


def _read_manifest(posts_dir: Path, plan: Plan) -> dict[str, dict[str, str]]:
    path = posts_dir / MANIFEST_NAME
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        posts = data["posts"]
        if not isinstance(posts, dict):
            raise TypeError
    except (ValueError, KeyError, TypeError) as exc:
        plan.errors.append(f"{path}: unreadable import manifest ({exc.__class__.__name__}); "
                           "fix or delete it")
        return {}
    return {str(k): v for k, v in posts.items() if isinstance(v, dict)}


def _apply(project: Project, plan: Plan) -> None:
    posts_dir = project.posts_dir
    assets_dir = posts_dir / ASSETS_DIRNAME
    for name, source in plan.assets.items():
        atomic.write_bytes(assets_dir / name, source.read_bytes())
    for name, text in plan.posts.items():
        atomic.write_bytes(posts_dir / name, text.encode("utf-8"))
    for name in plan.removals:
        (posts_dir / name).unlink(missing_ok=True)
    manifest = {"version": 1, "posts": dict(sorted(plan.manifest.items()))}
    old = posts_dir / MANIFEST_NAME
    new = (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    if plan.manifest and (not old.is_file() or old.read_bytes() != new):
        atomic.write_bytes(old, new)




def _safe_name(title: str) -> str:
    return safe_title(title) or "post"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()

