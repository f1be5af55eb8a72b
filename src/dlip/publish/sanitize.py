"""Nothing runs on the site unless the author wrote it.

Raw HTML the author writes in posts, READMEs and notes is theirs and is left alone. Every
other string that reaches a page is data: titles in the nav and the site name are escaped;
HTML that a run wrote, and HTML files copied into the site, pass the `nh3` allowlist
sanitizer; SVG files pass an allowlist of SVG elements and attributes or are not copied;
a Markdown link leads only to http, https, mailto, a relative path or a #fragment.
Each rule says what is allowed, never what is forbidden, so a trick nobody listed fails.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any
from xml.parsers import expat

import nh3
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

# --- URLs --------------------------------------------------------------------------------

URL_SCHEMES = frozenset({"http", "https", "mailto"})  # and relative URLs, #fragments
_SCHEME_RE = re.compile(r"^([^/?#:]*):")
_IGNORED_IN_URLS = re.compile(r"[\x00-\x20\x7f\\]+")  # what browsers drop or bend in a scheme


def safe_url(url: str) -> bool:
    """True for a URL a reader may follow: http(s), mailto, a relative path, a #fragment.

    Read the way a browser reads it: entities decoded, spaces, control characters and
    backslashes dropped, so `java&#115;cript:` or `java\\tscript:` is not taken for a path.
    """
    text = _IGNORED_IN_URLS.sub("", html.unescape(url))
    match = _SCHEME_RE.match(text)
    return match is None or match.group(1).lower() in URL_SCHEMES


class SafeLinks(Treeprocessor):
    """Run by Python-Markdown on every page: a link or image that Markdown syntax made
    (inline, reference, wrapped over lines, autolinked) keeps its URL only if `safe_url`
    allows it, else it loses it and stays as its text. Raw HTML is not in the tree, so the
    author's own HTML is left as written."""

    def run(self, root: Any) -> None:
        for element in root.iter():
            for attr in ("href", "src"):
                value = element.get(attr)
                if value is not None and not safe_url(value):
                    del element.attrib[attr]


class SafeLinksExtension(Extension):
    """`markdown_extensions: [dlip.publish.sanitize]` in mkdocs.yml (dlip adds it)."""

    def extendMarkdown(self, md: Any) -> None:  # noqa: N802 (Python-Markdown's name)
        md.treeprocessors.register(SafeLinks(md), "dlip_safe_links", -10)  # after unescape


def makeExtension(**kwargs: Any) -> SafeLinksExtension:  # noqa: N802 (the loader's name)
    return SafeLinksExtension(**kwargs)


# --- plain text --------------------------------------------------------------------------


def text(value: str) -> str:
    """A string shown as written where the theme puts it into HTML unescaped (site name,
    nav titles): on one line, `<`, `>` and quotes as entities, so no tag or attribute can
    start. `&` is left alone: it starts nothing, and the theme escapes some of these places
    itself (a "Q&A" must not show as "Q&amp;A" there)."""
    flat = " ".join(str(value).split())
    return flat.translate(_TEXT_ENTITIES)


_TEXT_ENTITIES = str.maketrans({"<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"})


def nav_titles(nav: Any) -> Any:
    """The nav with every title escaped; what MkDocs' nav holds: lists of {title: page}."""
    if isinstance(nav, list):
        return [nav_titles(item) for item in nav]
    if isinstance(nav, dict):
        return {text(title): nav_titles(value) for title, value in nav.items()}
    return nav


# --- HTML --------------------------------------------------------------------------------

_TAGS = (set(nh3.ALLOWED_TAGS) | {"details", "summary", "figure", "figcaption", "picture"}) - {
    "area", "map",  # image maps hold links of their own; nothing we render needs them
}
_ATTRIBUTES = {
    **{tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items() if tag in _TAGS},
    "*": {"class", "title", "lang", "dir", "align"},
    "a": {"href", "hreflang", "title"},
    "img": {"src", "alt", "width", "height", "title", "loading"},
    "details": {"open"},
    "td": {"align", "colspan", "rowspan"},
    "th": {"align", "colspan", "rowspan", "scope"},
    **{f"h{n}": {"id"} for n in range(1, 7)},
}


def clean_html(fragment: str) -> str:
    """HTML that keeps its text, tables, lists, links and images and loses everything that
    runs: scripts, styles, frames, forms, event handlers, and links other than http(s),
    mailto and relative ones."""
    return nh3.clean(fragment, tags=_TAGS, attributes=_ATTRIBUTES, url_schemes=set(URL_SCHEMES),
                     link_rel=None, strip_comments=True)


# --- files copied into the site ----------------------------------------------------------

# Documents a browser runs scripts in when a reader opens them on the site. Every other
# file is served as an image, text or a download, and runs nothing.
HTML_SUFFIXES = frozenset({".html", ".htm"})  # published through `clean_html`
SVG_SUFFIXES = frozenset({".svg"})  # published when `svg_problem` finds nothing
UNCHECKED_SUFFIXES = frozenset({  # XML documents (XHTML, XSLT, feeds, archives) we cannot check
    ".xhtml", ".xht", ".shtml", ".xml", ".xsl", ".xslt", ".svgz", ".mht", ".mhtml", ".rss",
    ".atom",
})


def file_problem(path: Path) -> str | None:
    """Why a repo file may not be copied into the site as it is; None when it may.

    An SVG must pass `svg_problem`; XML documents that cannot be checked are never copied.
    HTML files may be copied, through `clean_html`.
    """
    kind = document_kind(path.name)
    if kind == "unchecked":
        return "a document a browser may run scripts in, which dlip cannot check; not published"
    if kind == "svg":
        try:
            problem = svg_problem(path.read_bytes())
        except OSError as exc:
            return f"cannot be read ({exc.strerror or exc})"
        return None if problem is None else f"an SVG that is more than a drawing ({problem}); " \
                                           "not published"
    return None


def document_kind(name: str) -> str:
    """'html', 'svg', 'unchecked' (never copied) or 'inert' for a file name."""
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix in HTML_SUFFIXES:
        return "html"
    if suffix in SVG_SUFFIXES:
        return "svg"
    return "unchecked" if suffix in UNCHECKED_SUFFIXES else "inert"


# --- notebook outputs --------------------------------------------------------------------

# Output types shown as they are: text, images, LaTeX, JSON shown as text. HTML and
# Markdown outputs pass `clean_html`, SVG outputs `svg_problem`; anything else (JavaScript,
# widget views, plotting libraries' own formats) needs a script to show and is dropped.
INERT_OUTPUTS = frozenset({"text/plain", "text/latex", "image/png", "image/jpeg", "image/gif",
                           "image/webp", "application/json"})
DROPPED_OUTPUT = "[an output that needs a script to show; not published]"


def clean_notebook(text: str) -> str | None:
    """The notebook with its outputs passed through the allowlists; None when it is not a
    notebook (the build reports those). Code and Markdown cells are the author's and are
    left as written; what the code printed or displayed is data."""
    try:
        nb = json.loads(text)
    except ValueError:
        return None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        return None
    for cell in nb["cells"]:
        outputs = cell.get("outputs") if isinstance(cell, dict) else None
        for output in outputs if isinstance(outputs, list) else ():
            if isinstance(output, dict) and isinstance(output.get("data"), dict):
                output["data"] = _clean_bundle(output["data"])
    if isinstance(nb.get("metadata"), dict):
        nb["metadata"].pop("widgets", None)  # widget state drives scripts
    return json.dumps(nb, ensure_ascii=False, indent=1)


def _clean_bundle(data: dict[str, Any]) -> dict[str, Any]:
    import markdown

    kept: dict[str, Any] = {}
    for mime, value in data.items():
        body = "".join(value) if isinstance(value, list) else str(value)
        if mime in INERT_OUTPUTS:
            kept[mime] = value
        elif mime == "text/html":
            kept[mime] = clean_html(body)
        elif mime == "text/markdown" and "text/html" not in data:
            kept["text/html"] = clean_html(markdown.markdown(body, extensions=["tables"]))
        elif mime == "image/svg+xml" and svg_problem(body.encode("utf-8")) is None:
            kept[mime] = value
    return kept or {"text/plain": DROPPED_OUTPUT}


# --- SVG ---------------------------------------------------------------------------------

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_NS = "http://www.w3.org/XML/1998/namespace"
# Metadata matplotlib and Inkscape write; browsers never render or run these.
METADATA_NS = frozenset({
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#", "http://purl.org/dc/elements/1.1/",
    "http://creativecommons.org/ns#", "http://www.inkscape.org/namespaces/inkscape",
    "http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd",
})
SVG_ELEMENTS = frozenset("""
svg g defs symbol use path rect circle ellipse line polyline polygon text tspan textPath
title desc metadata clipPath mask pattern linearGradient radialGradient stop image marker
style filter feBlend feColorMatrix feComponentTransfer feComposite feFlood feFuncA feFuncB
feFuncG feFuncR feGaussianBlur feMerge feMergeNode feMorphology feOffset feTile
""".split())
SVG_ATTRIBUTES = frozenset("""
id class style transform viewBox preserveAspectRatio version baseProfile width height x y
x1 y1 x2 y2 cx cy r rx ry d points pathLength fill fill-opacity fill-rule stroke
stroke-width stroke-opacity stroke-linecap stroke-linejoin stroke-miterlimit
stroke-dasharray stroke-dashoffset opacity color clip-path clip-rule clipPathUnits mask
maskUnits maskContentUnits display visibility overflow font-family font-size font-style
font-weight font-variant font-stretch text-anchor dominant-baseline alignment-baseline
baseline-shift letter-spacing word-spacing writing-mode text-decoration dx dy rotate
lengthAdjust textLength offset stop-color stop-opacity gradientUnits gradientTransform
spreadMethod fx fy fr patternUnits patternContentUnits patternTransform markerWidth
markerHeight markerUnits refX refY orient marker-start marker-mid marker-end filter
filterUnits primitiveUnits in in2 result stdDeviation mode operator k1 k2 k3 k4 values
type tableValues slope intercept amplitude exponent flood-color flood-opacity radius
edgeMode shape-rendering text-rendering image-rendering color-interpolation-filters
vector-effect paint-order mix-blend-mode isolation media space href role aria-label
aria-hidden aria-labelledby aria-describedby focusable
""".split())
_URL_VALUE = re.compile(r"url\(\s*(['\"]?)(?P<target>[^)'\"]*)\1\s*\)", re.IGNORECASE)
_RASTER_DATA = re.compile(r"^data:image/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/=\s]*$")
_CSS_ALLOWED = re.compile(r"^[\w\s#%.,:;()'\"*+>~=\[\]{}!/-]*$")


def svg_problem(data: bytes) -> str | None:
    """Why an SVG may not be published on the site's origin; None when it passes.

    Every element must be an SVG drawing element (or inert metadata), every attribute a
    presentation attribute, every link (`href`, `url(...)`) point inside the file or hold an
    embedded raster image, and CSS hold no `@` rules, escapes or outside URLs. No DOCTYPE
    subset, entity or processing instruction. A browser opening the file runs nothing.
    """
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    style_depth = 0

    def refuse(reason: str) -> None:
        raise _Refused(reason)  # the first reason stops the parse: nothing is expanded further

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal style_depth
        ns, _, local = name.rpartition(" ")
        if ns in METADATA_NS:
            return
        if ns != SVG_NS or local not in SVG_ELEMENTS:
            refuse(f"element <{local}> is not an SVG drawing element")
        if local == "style":
            style_depth += 1
        for key, value in attrs.items():
            attr_ns, _, attr = key.rpartition(" ")
            if attr_ns in METADATA_NS:
                continue
            if attr_ns not in ("", XLINK_NS, XML_NS) or attr not in SVG_ATTRIBUTES:
                refuse(f"attribute {attr!r} on <{local}> is not a presentation attribute")
            elif attr == "href":
                if not (value.startswith("#") or _RASTER_DATA.match(value) and local == "image"):
                    refuse(f"<{local}> links {value[:60]!r} outside the file")
            elif attr == "style":
                _check_css(value, refuse)
            elif "url(" in value.lower():
                _check_urls(value, refuse)

    def end(name: str) -> None:
        nonlocal style_depth
        if name == f"{SVG_NS} style":
            style_depth -= 1

    def chars(data: str) -> None:
        if style_depth:
            _check_css(data, refuse)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    parser.ProcessingInstructionHandler = lambda target, data: refuse(
        f"processing instruction <?{target}?>")
    parser.EntityDeclHandler = lambda *args: refuse("declares an entity")
    parser.StartDoctypeDeclHandler = lambda name, sysid, pubid, has_internal_subset: (
        refuse("DOCTYPE with an internal subset") if has_internal_subset else None)
    parser.ExternalEntityRefHandler = lambda *args: refuse("refers to an external entity")
    try:
        parser.Parse(data, True)
    except _Refused as exc:
        return str(exc)
    except expat.ExpatError as exc:
        return f"not well-formed XML ({expat.ErrorString(exc.code)})"
    return None


class _Refused(Exception):
    """Raised inside the parser's handlers to stop at the first thing not allowed."""


def _check_css(css: str, refuse) -> None:
    if "@" in css or "\\" in css or "<" in css or not _CSS_ALLOWED.match(css):
        refuse("CSS with an @ rule, an escape or characters outside plain declarations")
    _check_urls(css, refuse)


def _check_urls(value: str, refuse) -> None:
    for match in _URL_VALUE.finditer(value):
        if not match["target"].strip().startswith("#"):
            refuse(f"url({match['target'][:60]}) leads outside the file")
    if value.lower().count("url(") != len(_URL_VALUE.findall(value)):
        refuse("a url(...) that cannot be read")
