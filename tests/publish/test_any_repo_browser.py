"""Math renders in a real browser, with KaTeX served by the site itself; a long notebook
output opens from its folded block; an embedded note shows in its box.

A repo with a post, a note and a notebook that hold `$...$` and `$$...$$` is built with
`dlip build`, served on 127.0.0.1 and opened in Chromium (Playwright). Each page must show
KaTeX's rendered elements, load its fonts, raise no console error, and send no request to
any other host: every request outside the origin is aborted and recorded.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from headless_browser import TIMEOUT_MS, same_origin
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from repo_files import dlip, write

pytestmark = pytest.mark.browser

MATH = ("Inline $E = mc^2$ and $\\alpha_i$, then a block:\n\n$$\n"
        "\\frac{1}{n}\\sum_{i=1}^{n} x_i^2\n$$\n")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("math") / "repo"
    write(root / "README.md", "# Math in public\n\nNotes with formulas.\n")
    write(root / "daily-blog" / "2024-05-01 - Variance.md", "# Variance\n\n" + MATH)
    write(root / "notes" / "loss.md", "# Loss\n\n> [!note] A callout\n> with $x^2$ inside\n\n"
          + MATH)
    nbformat.write(new_notebook(cells=[new_markdown_cell("# Notebook math\n\n" + MATH)]),
                   root / "notes" / "derivation.ipynb")
    log = "".join(f"epoch {i} loss {1 / (i + 1):.4f}\n" for i in range(3000))
    nbformat.write(new_notebook(cells=[
        new_markdown_cell("# Training log"),
        new_code_cell("train()", execution_count=1,
                      outputs=[new_output("stream", name="stdout", text=log)]),
    ]), root / "notes" / "training.ipynb")
    write(root / "notes" / "summary.md", "# Summary\n\nWhat I learnt:\n\n![[loss]]\n")
    write(root / "daily-blog" / "2024-05-02 - Attention.md", "# Attention\n\n$$\n"
          + " + ".join(f"\\mathrm{{softmax}}(Q_{i} K_{i}^\\top / \\sqrt{{d_k}}) V_{i}"
                       for i in range(6)) + "\n$$\n")
    result = dlip("build", "--repo", str(root))
    assert result.returncode == 0, result.stderr
    return root / "site"


@pytest.mark.parametrize(("url", "blocks"), [
    ("blog/2024/05/01/variance/", 1),
    ("notes/loss/", 1),
    ("notes/derivation/", 1),
])
def test_math_renders_with_no_request_leaving_the_origin(browser, base_url: str, url: str,
                                                         blocks: int) -> None:
    origin = base_url.rstrip("/")
    context = browser.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    requests: list[str] = []
    strangers: list[str] = []
    errors: list[str] = []

    def route(r) -> None:
        if same_origin(r.request.url, origin):
            r.continue_()
        else:
            strangers.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    context.on("request", lambda request: requests.append(request.url))
    context.on("response", lambda response: response.status >= 400
               and errors.append(f"HTTP {response.status}: {response.url}"))
    page = context.new_page()
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
    try:
        response = page.goto(base_url + url, wait_until="networkidle")
        assert response is not None and response.ok
        page.wait_for_selector(".katex", state="attached")
        inline = page.locator(".katex:not(.katex-display .katex)").count()
        display = page.locator(".katex-display").count()
        assert display >= blocks and inline >= 2, (inline, display)
        assert page.locator(".katex-error").count() == 0
        text = page.locator("article").first.inner_text()
        assert "$$" not in text and "\\frac" not in text  # no raw TeX left on the page
        assert any("KaTeX_Main" in r and r.endswith(".woff2") for r in requests), requests
        page.evaluate("document.fonts.ready")
        assert strangers == [], f"requests left {origin}: {strangers}"
        assert errors == [], errors
    finally:
        context.close()


def test_a_long_output_opens_from_its_folded_block(browser, base_url: str) -> None:
    page = browser.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    try:
        page.goto(base_url + "notes/training/", wait_until="networkidle")
        assert page.get_by_text("epoch 19 loss", exact=False).first.is_visible()
        block = page.locator("details.dlip-output-more")
        assert block.count() == 1 and block.get_attribute("open") is None
        last = block.locator("pre")
        assert not last.is_visible()  # folded: the rest of the log is not in view
        block.locator("summary").click()
        assert block.get_attribute("open") is not None and last.is_visible()
        assert "epoch 2999 loss" in last.inner_text()
    finally:
        page.close()


def test_an_embedded_note_shows_in_its_box_with_its_math(browser, base_url: str) -> None:
    page = browser.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    try:
        page.goto(base_url + "notes/summary/", wait_until="networkidle")
        box = page.locator(".admonition.dlip-embed")
        assert box.count() == 1 and box.is_visible()
        title = box.locator(".admonition-title a")
        assert title.inner_text() == "Loss" and title.get_attribute("href") == "../loss/"
        page.wait_for_selector(".dlip-embed .katex", state="attached")
        assert box.locator(".admonition.note").count() == 1  # the note's callout, inside
        assert box.locator(".katex-error").count() == 0
    finally:
        page.close()


def test_a_formula_wider_than_a_phone_scrolls_in_its_box(browser, base_url: str) -> None:
    """The page keeps the phone's width; the formula scrolls sideways inside its block."""
    context = browser.new_context(viewport={"width": 390, "height": 800})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    try:
        page.goto(base_url + "blog/2024/05/02/attention/", wait_until="networkidle")
        page.wait_for_selector(".katex-display", state="attached")
        widths = page.evaluate("""() => {
            const box = document.querySelector('.katex-display').closest('.arithmatex');
            return {page: document.documentElement.scrollWidth, inner: box.scrollWidth,
                    shown: box.clientWidth, overflow: getComputedStyle(box).overflowX};
        }""")
        assert widths["page"] <= 390, widths
        assert widths["inner"] > widths["shown"] and widths["overflow"] == "auto", widths
    finally:
        context.close()


def test_a_notebook_on_a_phone_gives_the_prompts_width_to_code_and_keeps_log_lines(
        browser, base_url: str) -> None:
    """Jupyter's In/Out prompt column took a quarter of a 390 px screen, and its
    pre-wrap broke every line of a training log in two."""
    context = browser.new_context(viewport={"width": 390, "height": 800})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    try:
        page.goto(base_url + "notes/training/", wait_until="networkidle")
        shown = page.evaluate("""() => ({
            prompts: [...document.querySelectorAll('.jp-InputPrompt, .jp-OutputPrompt')]
                .map(e => getComputedStyle(e).display),
            wrap: getComputedStyle(document.querySelector('.jp-OutputArea-output pre'))
                .whiteSpace,
            page: document.documentElement.scrollWidth})""")
        assert shown["prompts"] and set(shown["prompts"]) == {"none"}, shown
        assert shown["wrap"] == "pre" and shown["page"] <= 390, shown
    finally:
        context.close()
