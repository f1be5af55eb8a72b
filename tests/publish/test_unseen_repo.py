"""A learner's repo the publisher has never seen: no mkdocs.yml, no milestone.yml, its own
habits (README.MD in capitals, 2- and 3-digit folders, notebooks with stored outputs,
images next to code, a notes/ folder, `# date - title` headings, `%20` links) and its own
mistakes (a README link to a folder that was renamed since).
"""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from repo_files import dlip

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)
SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8">'
       '<rect width="8" height="8"/></svg>')


def notebook(path: Path, title: str, printed: str) -> None:
    nb = new_notebook(cells=[
        new_markdown_cell(f"# {title}\n\nTrying things out."),
        new_code_cell(f"print({printed!r})", execution_count=1,
                      outputs=[new_output("stream", name="stdout", text=printed + "\n")]),
        new_code_cell("plot()", execution_count=2, outputs=[
            new_output("display_data", data={"image/png": base64.b64encode(PNG).decode(),
                                             "text/plain": "<Figure>"})]),
    ])
    nbformat.write(nb, path)


def make_learner_repo(root: Path, under_code: bool) -> Path:
    base = root / "code" if under_code else root
    prefix = "code/" if under_code else ""
    xor, mnist, gpt = base / "00_neural-network-xor", base / "01_mnist-digits", base / "05_gpt"
    for folder in (xor, mnist, gpt):
        folder.mkdir(parents=True)
    (xor / "xor.py").write_text("import numpy as np\nprint('xor')\n", encoding="utf-8")
    (xor / "loss curve.png").write_bytes(PNG)
    (xor / "network.svg").write_text(SVG, encoding="utf-8")
    (xor / "readme.md").write_text("# XOR from scratch\n\n![net](network.svg)\n"
                                   "![loss](loss%20curve.png)\n", encoding="utf-8")
    notebook(xor / "explore.ipynb", "Exploring XOR", "hello from a stored output")
    notebook(mnist / "mnist.ipynb", "Digits", "accuracy 0.97")
    (gpt / "train model.py").write_text("print('tiny gpt')\n", encoding="utf-8")
    (gpt / "attention.py").write_text("def attend():\n    pass\n", encoding="utf-8")

    (root / "README.MD").write_text(
        "# Deep learning, my way\n\n"
        f"- DONE [XOR]({prefix}00_neural-network-xor/)\n"
        f"- DONE [MNIST]({prefix}02_mnist-classifier/) (renamed since)\n"
        f"- [notebook]({prefix}00_neural-network-xor/explore.ipynb)\n"
        "- [my notes](notes/attention.md)\n", encoding="utf-8")
    notes = root / "notes"
    (notes / "maths").mkdir(parents=True)
    (notes / "attention.md").write_text("# Attention notes\n\nSee [the code]"
                                        f"(../{prefix}05_gpt/attention.py).\n", encoding="utf-8")
    (notes / "maths" / "chain rule.md").write_text("Just text, no heading.\n", encoding="utf-8")
    notebook(notes / "scratch.ipynb", "Scratch pad", "stored scratch output")

    blog = root / "daily-blog"
    blog.mkdir()
    (blog / "2024-02-01 - Morning.md").write_text(
        "# 2024-02-01 - Morning session\n\nRan "
        f"[the script](../{prefix}05_gpt/train%20model.py).\n", encoding="utf-8")
    (blog / "2024-02-01 - Evening.md").write_text(
        "# 2024-02-01 - Evening session\n\nAfter "
        "[the morning](2024-02-01%20-%20Morning.md) I read [my notes](../notes/attention.md).\n",
        encoding="utf-8")
    (blog / "2024-02-03 - Digits.md").write_text(
        "# 2024-02-03 - Digits\n\n"
        f"[The notebook](../{prefix}01_mnist-digits/mnist.ipynb).\n", encoding="utf-8")
    return root


@pytest.fixture(scope="module", params=[False, True], ids=["top-level", "under-code"])
def learner(request, tmp_path_factory) -> tuple[Path, str, subprocess.CompletedProcess]:
    under_code = request.param
    root = make_learner_repo(tmp_path_factory.mktemp("learner"), under_code)
    return root, "code/" if under_code else "", dlip("build", "--repo", str(root))


def page(root: Path, rel: str) -> str:
    path = root / "site" / rel
    assert path.is_file(), f"no page {rel}"
    return path.read_text(encoding="utf-8")


def test_builds_without_any_configuration(learner) -> None:
    root, _, result = learner
    assert result.returncode == 0, result.stderr
    assert not (root / "mkdocs.yml").exists()
    # the renamed folder is a warning that names the README and the link
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert any("README.MD" in w and "02_mnist-classifier" in w for w in warnings), warnings


def test_every_post_folder_note_and_notebook_has_a_page(learner) -> None:
    root, prefix, _ = learner
    assert "Morning session" in page(root, "blog/2024/02/01/morning-session/index.html")
    assert "Evening session" in page(root, "blog/2024/02/01/evening-session/index.html")
    assert "Digits" in page(root, "blog/2024/02/03/digits/index.html")
    for folder in ("00_neural-network-xor", "01_mnist-digits", "05_gpt"):
        assert "<h1" in page(root, f"{prefix}{folder}/index.html")
    assert "Attention notes" in page(root, "notes/attention/index.html")
    assert "Just text" in page(root, "notes/maths/chain rule/index.html")
    explore = page(root, f"{prefix}00_neural-network-xor/explore/index.html")
    assert "hello from a stored output" in explore  # stored outputs, not executed
    assert "data:image/png;base64" in explore
    assert "accuracy 0.97" in page(root, f"{prefix}01_mnist-digits/mnist/index.html")
    assert "stored scratch output" in page(root, "notes/scratch/index.html")


def test_milestone_pages_show_readme_images_and_code(learner) -> None:
    root, prefix, _ = learner
    xor = page(root, f"{prefix}00_neural-network-xor/index.html")
    assert "XOR from scratch" in xor
    assert (root / f"site/{prefix}00_neural-network-xor/network.svg").is_file()
    assert (root / f"site/{prefix}00_neural-network-xor/loss curve.png").is_file()
    assert 'src="loss%20curve.png"' in xor
    assert 'href="explore/"' in xor
    gpt = page(root, f"{prefix}05_gpt/index.html")
    assert 'id="src-train-model.py"' in gpt
    assert (root / f"site/{prefix}05_gpt/train model.py").is_file()


def test_links_with_spaces_and_percent_twenty_resolve(learner) -> None:
    root, prefix, _ = learner
    depth = "../" * 5
    morning = page(root, "blog/2024/02/01/morning-session/index.html")
    assert f'href="{depth}{prefix}05_gpt/#src-train-model.py"' in morning
    evening = page(root, "blog/2024/02/01/evening-session/index.html")
    assert 'href="../morning-session/"' in evening
    assert f'href="{depth}notes/attention/"' in evening
    home = page(root, "index.html")
    assert "Deep learning, my way" in home
    assert f'href="{prefix}00_neural-network-xor/"' in home
    assert f'href="{prefix}00_neural-network-xor/explore/"' in home


def test_check_fails_on_the_renamed_folder(learner) -> None:
    root, _, _ = learner
    result = dlip("check", "--repo", str(root))
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, errors
    assert "README.MD" in errors[0] and "02_mnist-classifier" in errors[0]
