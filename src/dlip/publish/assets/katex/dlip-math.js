// Renders the math of a page with the KaTeX served by the site itself (no CDN).
// pymdownx.arithmatex (generic) leaves \(..\) and \[..\] in .arithmatex elements;
// notebook pages keep their $..$ in the rendered Markdown cells.
(function () {
  function render() {
    if (typeof katex === "undefined") return;
    document.querySelectorAll(".arithmatex").forEach(function (el) {
      if (el.dataset.dlipMath) return;
      el.dataset.dlipMath = "1";
      var tex = el.textContent.trim().replace(/^\\[([]/, "").replace(/\\[)\]]$/, "");
      katex.render(tex, el, { displayMode: el.tagName === "DIV", throwOnError: false });
    });
    if (typeof renderMathInElement === "undefined") return;
    document.querySelectorAll(".jupyter-wrapper .jp-RenderedMarkdown").forEach(function (el) {
      renderMathInElement(el, {
        delimiters: [
          { left: "$$", right: "$$", display: true },
          { left: "$", right: "$", display: false },
          { left: "\\[", right: "\\]", display: true },
          { left: "\\(", right: "\\)", display: false }
        ],
        throwOnError: false
      });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", render);
  else render();
})();
