"""`dlip import VAULT`: real vaults on disk, opt-in, attachments, idempotence, the edit guard."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from repo_files import dlip, write

from dlip.publish.discover.posts import read_post
from dlip.publish.discover.vault import import_vault
from dlip.publish.project import Project

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def make_vault(root: Path) -> Path:
    write(root / ".obsidian/app.json", "{}")
    write(root / "attachments/loss curve.png", PNG)
    write(root / "Blog/2026-11-24 Softmax.md", "Softmax, then [[Private idea]].\n")
    write(root / "Blog/2026-11-25 - Attention.md",
          "---\ntags: [attention]\naliases: [attn]\ncssclasses: wide\n---\n"
          "# Attention, finally\n\nSee ![[loss curve.png|300]] and [[2026-11-24 Softmax|"
          "yesterday]].\n\n%%private aside%%Done.\n\n```\n![[not-an-embed.png]]\n```\n")
    write(root / "Journal/2026-11-26.md", "Only for me.\n")  # dated but not opted in
    write(root / "Ideas/Grid note.md",
          "---\npublish: true\ndate: 2026-11-27\ntitle: Grids\n---\nA ![grid](../attachments/"
          "loss%20curve.png).\n")
    write(root / "Private idea.md", "Not published.\n")
    return root


def run(repo: Path, vault: Path, *args: str, **kw: object) -> int:
    return import_vault(Project.at(repo), vault, **kw)  # type: ignore[arg-type]


def test_import_writes_posts_assets_and_manifest(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    vault, repo = make_vault(tmp_path / "vault"), tmp_path / "repo"
    assert run(repo, vault, folder="Blog") == 0
    out = capsys.readouterr().out
    posts = repo / "daily-blog"
    assert sorted(p.name for p in posts.glob("*.md")) == [
        "2026-11-24 - Softmax.md", "2026-11-25 - Attention, finally.md", "2026-11-27 - Grids.md"]
    assert "skipped Journal/2026-11-26.md (not opted in" in out
    assert "created Blog/2026-11-25 - Attention.md -> daily-blog/2026-11-25 - Attention, " \
           "finally.md" in out
    text = (posts / "2026-11-25 - Attention, finally.md").read_text(encoding="utf-8")
    assert text.startswith("---\ntags:\n- attention\n---\n# Attention, finally\n")
    assert "aliases" not in text and "cssclasses" not in text and "private aside" not in text
    assert "![loss curve](assets/loss%20curve.png)" in text
    assert "[[2026-11-24 - Softmax|yesterday]]" in text
    assert "```\n![[not-an-embed.png]]\n```" in text  # code is shown as written
    softmax = (posts / "2026-11-24 - Softmax.md").read_text(encoding="utf-8")
    assert softmax == "Softmax, then Private idea.\n"  # unpublished note: plain text
    assert (posts / "assets/loss curve.png").read_bytes() == PNG
    grids = (posts / "2026-11-27 - Grids.md").read_text(encoding="utf-8")
    assert "title: Grids" in grids and "publish" not in grids and "date:" not in grids
    assert "![grid](assets/loss%20curve.png)" in grids
    post, problems = read_post(posts / "2026-11-25 - Attention, finally.md")
    assert problems == [] and post is not None and post.date == date(2026, 11, 25)
    manifest = json.loads((posts / ".imported.json").read_text(encoding="utf-8"))
    assert manifest["posts"]["2026-11-24 - Softmax.md"]["source"] == "Blog/2026-11-24 Softmax.md"


def test_reimport_changes_nothing_and_a_changed_note_updates(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    vault, repo = make_vault(tmp_path / "vault"), tmp_path / "repo"
    assert run(repo, vault, folder="Blog") == 0
    posts = repo / "daily-blog"
    before = {p: p.stat().st_mtime_ns for p in posts.rglob("*") if p.is_file()}
    capsys.readouterr()
    assert run(repo, vault, folder="Blog") == 0
    out = capsys.readouterr().out
    assert "created" not in out and "updated" not in out and out.count("unchanged") == 3
    assert {p: p.stat().st_mtime_ns for p in posts.rglob("*") if p.is_file()} == before

    write(vault / "Blog/2026-11-24 Softmax.md", "Softmax, rewritten.\n")
    assert run(repo, vault, folder="Blog") == 0
    assert "updated Blog/2026-11-24 Softmax.md" in capsys.readouterr().out
    assert (posts / "2026-11-24 - Softmax.md").read_text(encoding="utf-8") == \
        "Softmax, rewritten.\n"


def test_a_post_edited_in_the_repo_is_kept_unless_forced(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    vault, repo = make_vault(tmp_path / "vault"), tmp_path / "repo"
    assert run(repo, vault, folder="Blog") == 0
    post = repo / "daily-blog/2026-11-24 - Softmax.md"
    post.write_text("Fixed a typo in the repo.\n", encoding="utf-8")
    write(vault / "Blog/2026-11-24 Softmax.md", "New vault text.\n")
    capsys.readouterr()
    assert run(repo, vault, folder="Blog") == 0
    assert "skipped Blog/2026-11-24 Softmax.md (daily-blog/2026-11-24 - Softmax.md was " \
           "edited in the repo since import; --force replaces it)" in capsys.readouterr().out
    assert post.read_text(encoding="utf-8") == "Fixed a typo in the repo.\n"
    assert run(repo, vault, folder="Blog", force=True) == 0
    assert post.read_text(encoding="utf-8") == "New vault text.\n"


def test_dry_run_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    vault, repo = make_vault(tmp_path / "vault"), tmp_path / "repo"
    assert run(repo, vault, folder="Blog", dry_run=True) == 0
    assert "created Blog/2026-11-24 Softmax.md" in capsys.readouterr().out
    assert not repo.exists()


def test_without_folder_only_publish_true_notes_and_since(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    vault, repo = make_vault(tmp_path / "vault"), tmp_path / "repo"
    assert run(repo, vault) == 0
    assert [p.name for p in (repo / "daily-blog").glob("*.md")] == ["2026-11-27 - Grids.md"]
    assert run(tmp_path / "repo2", vault, folder="Blog", since=date(2026, 11, 25)) == 0
    assert sorted(p.name for p in (tmp_path / "repo2/daily-blog").glob("*.md")) == [
        "2026-11-25 - Attention, finally.md", "2026-11-27 - Grids.md"]


def test_every_bad_note_is_reported_and_nothing_is_written(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    vault, repo = make_vault(tmp_path / "vault"), tmp_path / "repo"
    outside = write(tmp_path / "secret.png", PNG)
    (vault / "Blog/leak.png").symlink_to(outside)
    write(vault / "Blog/2026-11-28 Latin.md", "caf\xe9\n".encode("latin-1"))
    write(vault / "Blog/2026-11-29 Broken.md", "---\ntags: [a\n---\nText.\n")
    write(vault / "Blog/2026-11-30 Missing.md", "Look: ![[gone.png]]\n")
    write(vault / "Blog/2026-12-01 Leak.md", "![x](leak.png) and ![y](../../secret.png)\n")
    assert run(repo, vault, folder="Blog") == 1
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(lines) == 5, err
    assert any("2026-11-28 Latin.md: not valid UTF-8" in line for line in lines)
    assert any("2026-11-29 Broken.md" in line and "invalid YAML" in line for line in lines)
    assert any("2026-11-30 Missing.md: attachment 'gone.png' not found" in line
               for line in lines)
    assert sum("2026-12-01 Leak.md: attachment" in line and "outside the vault" in line
               for line in lines) == 2
    assert "nothing written" in err
    assert not repo.exists()


def test_missing_vault_is_one_line_error(tmp_path: Path) -> None:
    out = dlip("import", str(tmp_path / "nope"), "--repo", str(tmp_path))
    assert out.returncode == 1
    assert out.stderr.strip() == f"error: {tmp_path / 'nope'}: vault folder not found"


def test_end_to_end_import_then_check_passes(tmp_path: Path) -> None:
    vault, repo = make_vault(tmp_path / "vault"), tmp_path / "repo"
    repo.mkdir()

    imported = dlip("import", str(vault), "--folder", "Blog", "--repo", str(repo))
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.count("created") == 3
    checked = dlip("check", "--repo", str(repo))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "3 posts" in checked.stdout and "0 errors" in checked.stdout


def test_an_embedded_note_is_imported_as_an_embed_and_shown_in_place(
        tmp_path: Path) -> None:
    """`![[note]]` of another imported note stays an embed, and the site shows that post."""
    vault, repo = tmp_path / "vault", tmp_path / "repo"
    write(vault / "Blog/2026-11-24 Softmax.md",
          "# Softmax\n\nExponentiate.\n\n## Why\n\nProbabilities that sum to one.\n")
    write(vault / "Blog/2026-11-25 Attention.md",
          "# Attention\n\nRecall:\n\n![[2026-11-24 Softmax#Why]]\n\n![[Private idea]]\n")
    write(vault / "Private idea.md", "Not published.\n")
    write(repo / "README.md", "# Learning\n\nIn public.\n")
    assert run(repo, vault, folder="Blog") == 0
    text = (repo / "daily-blog/2026-11-25 - Attention.md").read_text(encoding="utf-8")
    assert "![[2026-11-24 - Softmax#Why]]" in text
    assert "![[Private" not in text and "Not published" not in text
    result = dlip("build", "--repo", str(repo))
    assert result.returncode == 0, result.stderr
    html = (repo / "site/blog/2026/11/25/attention/index.html").read_text(encoding="utf-8")
    assert 'class="admonition dlip-embed"' in html
    assert "Probabilities that sum to one." in html and "Exponentiate." not in html
    assert 'href="../../24/softmax/#why"' in html
