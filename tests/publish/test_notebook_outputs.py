"""Long notebook outputs: the head in view, the rest folded in <details>, and hard caps."""

from __future__ import annotations

import json

import nbformat
from nbformat.v4 import new_code_cell, new_notebook, new_output

from dlip.publish import sanitize
from dlip.publish.pages import notebook_outputs as no
from dlip.publish.pages.notebook_outputs import Budget, fold_outputs


def stream(text: str) -> dict:
    return dict(new_output("stream", name="stdout", text=text))


def lines(n: int, width: int = 0) -> str:
    return "".join(f"line {i}{'x' * width}\n" for i in range(n))


def test_a_short_output_is_left_as_it_is() -> None:
    output = stream(lines(no.FOLD_LINES))
    assert fold_outputs([output], Budget()) == [output]


def test_a_long_output_keeps_its_head_and_folds_the_rest() -> None:
    head, more = fold_outputs([stream(lines(5000))], Budget())
    assert head["text"] == lines(no.HEAD_LINES)
    assert more["output_type"] == "display_data"
    folded = more["data"]["text/html"]
    assert folded.startswith('<details class="dlip-output-more"><summary>Show 4,980 more lines')
    assert "line 20\n" in folded and folded.endswith("line 4999</pre></details>")
    assert "cut on the site" not in folded
    assert more["data"]["text/plain"] == "[4,980 more lines folded on the site]"
    # the sanitizer keeps the block, and a notebook with it is still a valid notebook
    nb = new_notebook(cells=[new_code_cell("x", outputs=[nbformat.from_dict(head),
                                                         nbformat.from_dict(more)])])
    cleaned = json.loads(sanitize.clean_notebook(json.dumps(nb)) or "{}")
    kept = cleaned["cells"][0]["outputs"][1]["data"]["text/html"]
    assert "<details" in kept and "<summary>" in kept and "line 4999" in kept
    nbformat.validate(nbformat.from_dict(cleaned))


def test_a_50_mb_output_publishes_at_most_the_cap_and_says_what_was_cut() -> None:
    text = lines(500_000, width=90)  # ~50 MB
    head, more = fold_outputs([stream(text)], Budget())
    published = len(head["text"]) + len(more["data"]["text/html"])
    assert published <= no.MAX_OUTPUT_CHARS + 1000, published
    folded = more["data"]["text/html"]
    assert "output cut on the site:" in folded and "the notebook file has all of it" in folded
    assert "cut on the site" in more["data"]["text/plain"]


def test_one_notebook_publishes_at_most_its_budget() -> None:
    budget = Budget()
    outputs = [stream(lines(20_000, width=40)) for _ in range(10)]  # ~1 MB each
    folded = fold_outputs(outputs, budget)
    published = sum(len(o.get("text", "")) + len(o.get("data", {}).get("text/html", ""))
                    for o in folded)
    assert published <= no.MAX_NOTEBOOK_CHARS + 10 * (no.HEAD_CHARS + 1000), published
    assert "cut on the site" in folded[-1]["data"]["text/html"]


def test_one_huge_line_is_folded_too() -> None:
    head, more = fold_outputs([stream("x" * 100_000)], Budget())
    assert len(head["text"]) == no.HEAD_CHARS
    assert "x" * 1000 in more["data"]["text/html"]


def test_folded_text_is_escaped_and_reads_as_the_terminal_showed_it() -> None:
    text = "<script>alert(1)</script>\n" * 100 + "\x1b[31mred\x1b[0m\n" + "10%\r50%\r100%\n"
    _, more = fold_outputs([stream(text)], Budget())
    folded = more["data"]["text/html"]
    assert "<script>" not in folded and "&lt;script&gt;" in folded
    assert "\x1b" not in folded and "red\n100%" in folded


def test_a_long_result_folds_its_text_and_a_long_html_table_folds_whole() -> None:
    result = dict(new_output("execute_result", execution_count=1,
                             data={"text/plain": lines(1000)}))
    head, more = fold_outputs([result], Budget())
    assert head["data"]["text/plain"] == lines(no.HEAD_LINES) and "line 999" in str(more)
    table = "<table>" + "<tr><td>1</td></tr>\n" * 2000 + "</table>"
    html_result = dict(new_output("display_data", data={"text/html": table,
                                                        "text/plain": "<DataFrame>"}))
    (folded,) = fold_outputs([html_result], Budget())
    assert folded["data"]["text/html"].startswith('<details class="dlip-output-more">'
                                                  "<summary>Show the output (")
    assert folded["data"]["text/html"].endswith("</table></details>")
    huge = dict(new_output("display_data", data={"text/html": "<p>x</p>" * 200_000,
                                                 "text/plain": "<HTML>"}))
    (dropped,) = fold_outputs([huge], Budget())
    assert "text/html" not in dropped["data"]
    assert "too large to publish" in dropped["data"]["text/plain"]
