"""The stylesheet the generated pages use (streak calendar, status badges, broken links)."""

from __future__ import annotations

CSS_PATH = "_generated/dlip.css"  # docs-relative: where the site serves it

# Styles for the streak calendar, status badges and broken links, served from the site.
DLIP_CSS = """\
.dlip-streak { margin: 1em 0 1.5em; }
.dlip-streak-months { display: flex; flex-wrap: wrap; gap: 1.2em; }
table.dlip-streak-month { border-collapse: separate; border-spacing: 3px; font-size: .7rem; }
table.dlip-streak-month caption { font-weight: 600; text-align: left; }
table.dlip-streak-month th { font-weight: 400; opacity: .7; padding: 0; }
.dlip-day { width: 1.7em; height: 1.7em; text-align: center; border-radius: 3px; padding: 0; }
.dlip-streak-legend .dlip-day { display: inline-block; width: .9em; height: .9em;
  vertical-align: middle; }
.dlip-day.posted { background: #2e7d32; color: #fff; }
.dlip-day.missed { background: #ffcdd2; }
.dlip-day.rest { background: #e3f2fd; }
.dlip-day.future, .dlip-day.before, .dlip-day.after { opacity: .45; }
.dlip-status { display: inline-block; padding: 0 .5em; border-radius: 1em; font-size: .8em;
  color: #fff; background: #9e9e9e; white-space: nowrap; }
.dlip-status-done { background: #2e7d32; }
.dlip-status-in-progress { background: #ef8f00; }
.dlip-roadmap { display: grid; gap: .6rem; margin: .8em 0 1.6em; }
.dlip-milestone { border: 1px solid var(--md-default-fg-color--lightest);
  border-left: .3rem solid #cfd8dc; border-radius: .2rem; padding: .5rem .8rem; }
.dlip-milestone-done { border-left-color: #2e7d32; }
.dlip-milestone-in-progress { border-left-color: #ef8f00; }
.dlip-milestone-planned { border-left-color: #9e9e9e; }
.md-typeset .dlip-milestone p { margin: .2em 0; }
.md-typeset .dlip-milestone-title { font-weight: 600; }
.dlip-milestone-number { font-variant-numeric: tabular-nums; opacity: .6; margin-right: .3em; }
.dlip-milestone-title .dlip-status { margin-left: .4em; font-weight: 400; vertical-align: .1em; }
.md-typeset .dlip-milestone-headline code { font-size: .8em; }
.md-typeset .dlip-milestone-summary { font-size: .8em; opacity: .85; }
.dlip-progress { margin: .6em 0 1em; overflow-x: auto; }
.md-typeset div.arithmatex { overflow-x: auto; overflow-y: hidden; position: relative; }
.dlip-progress svg { max-width: 100%; height: auto; font-family: var(--md-text-font-family); }
.md-typeset td code, .md-typeset th code { word-break: normal; overflow-wrap: normal;
  hyphens: none; }  /* file names in tables wrap between words, never inside one */
.dlip-broken-link { text-decoration: underline dotted #c62828; }
.dlip-metric { border-bottom: 1px dotted currentColor; cursor: help; }
/* Wide tables scroll inside their box (Material's scroll wrapper); a first-column label or
   date is never broken in two. */
.md-typeset table:not([class]) td:first-child { white-space: nowrap; }
/* Figures: centred, captions small; the labelled headline metrics stand out a little. */
.md-typeset figure.dlip-figure { margin: 1.2em auto; }
.md-typeset figure.dlip-figure img { max-width: 100%; height: auto; }
.md-typeset figure.dlip-figure figcaption { font-size: .72rem; opacity: .8; max-width: 40rem; }
.md-typeset .dlip-key-results { border-left: .2rem solid var(--md-primary-fg-color);
  padding: .1rem .8rem; margin: .8em 0 1.2em; }
.md-typeset .dlip-better { font-size: .75em; opacity: .7; white-space: nowrap; }
.md-typeset details.dlip-all-metrics > summary { cursor: pointer; }
/* An embedded note (`![[note]]`): a quiet box at the text's size, its title a link to it. */
.md-typeset .admonition.dlip-embed { font-size: inherit; border-color:
  var(--md-default-fg-color--lighter); box-shadow: none; }
.md-typeset .dlip-embed > .admonition-title { padding-left: .8rem; font-size: .7rem;
  background: var(--md-default-fg-color--lightest); border-color: transparent; }
.md-typeset .dlip-embed > .admonition-title::before { display: none; }
/* A long notebook output: its head in view, the rest folded under it (and scrolling). */
details.dlip-output-more { margin: .2em 0 .6em; }
details.dlip-output-more > summary { cursor: pointer; font-size: .75rem; opacity: .8; }
details.dlip-output-more > pre { max-height: 36em; overflow: auto; margin: .3em 0 0; }
/* On a phone the blog index shows its posts first and the calendar (its latest month) after. */
@media screen and (max-width: 44.984em) {
  .md-content__inner:has(> .dlip-streak) { display: flex; flex-direction: column; }
  .md-content__inner:has(> .dlip-streak) > .dlip-streak { order: 1; }
  .dlip-streak-months > table:not(:last-child) { display: none; }
  /* Notebooks: the In/Out prompts give their width to the code; a log keeps its lines and
     scrolls sideways instead of breaking each one in two. */
  .md-content .jupyter-wrapper .jp-CodeCell .jp-Cell-inputWrapper .jp-InputPrompt,
  .md-content .jupyter-wrapper .jp-OutputPrompt { display: none; }
  .md-content .jupyter-wrapper .jp-OutputArea-output pre { white-space: pre; }
}
"""
