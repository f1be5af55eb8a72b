"""The generated pages are plain Markdown on disk: Zensical, Material's successor, builds them.

Nothing here goes through MkDocs or the dlip hook: the pages, the nav dlip wrote and a
minimal config are all Zensical gets.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml
from repo_files import write

from dlip.publish.project import Project
from dlip.publish.site.build import generate_pages
from dlip.publish.site.config import REQUIRED_EXTENSIONS
from dlip.publish.site.docs import NAV_FILE


def _small_repo(root: Path) -> Path:
    """Two posts (one a draft), a milestone with a README and a script, a README."""
    blog = root / "daily-blog"
    write(blog / "2024-01-01 - Starting out.md", "---\ntags: [meta]\n---\nDay one.\n")
    write(blog / "2024-01-02 - XOR works.md",
          "---\ntags: [numpy]\nmilestone: '000'\n---\n# XOR works\n\n"
          "The [training script](../code/000_xor/train.py) and [day one]"
          "(2024-01-01%20-%20Starting%20out.md).\n")
    write(blog / "2024-01-03 - Secret draft.md", "---\ndraft: true\n---\nnot yet\n")
    m = root / "code" / "000_xor"
    write(m / "train.py", "print('hello')\n")
    write(m / "README.md", "# XOR by hand\n\nA table:\n\n| a | b |\n|---|---|\n| 1 | 2 |\n")
    write(m / "milestone.yml", "title: A network that solves XOR\nstatus: done\n")
    write(root / "README.md", "# My learning log\n\nHello. See [code](code/000_xor/).\n")
    return root


def test_zensical_builds_the_generated_pages(tmp_path: Path) -> None:
    project = Project.at(_small_repo(tmp_path / "repo"))
    site = generate_pages(project)
    assert not [p for p in site.problems if p.severity == "error"], site.problems
    config = {
        "site_name": "My learning log",
        # Relative to the config file: Zensical wants its folders below the config.
        "docs_dir": project.docs_dir.relative_to(project.work_dir).as_posix(),
        "site_dir": "zensical-site",
        "use_directory_urls": True,
        "nav": json.loads((project.work_dir / NAV_FILE).read_text(encoding="utf-8")),
        "markdown_extensions": list(REQUIRED_EXTENSIONS),
    }
    config_file = project.work_dir / "zensical.yml"
    config_file.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "zensical", "build", "--strict",
                             "--config-file", config_file.name], cwd=project.work_dir,
                            capture_output=True, text=True, check=False, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    out = project.work_dir / "zensical-site"
    post = out / "blog/2024/01/02/xor-works/index.html"
    milestone = out / "code/000_xor/index.html"
    for page in (out / "index.html", out / "blog/index.html", post, milestone,
                 out / "blog/tags/numpy/index.html",
                 out / "blog/2024/01/01/starting-out/index.html"):
        assert page.is_file(), page
    assert "XOR works" in post.read_text(encoding="utf-8")
    assert "A network that solves XOR" in milestone.read_text(encoding="utf-8")
    assert "Secret draft" not in (out / "blog/index.html").read_text(encoding="utf-8")
