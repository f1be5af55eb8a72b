"""Third stage: turn what was discovered and frozen into Markdown pages, written nowhere.

Imports the shared ground, `discover` and `run`; never the site.
"""
