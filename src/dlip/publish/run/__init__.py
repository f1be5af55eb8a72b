"""Second stage: run milestones, freeze their results and decide what is stale.

Imports the shared ground and `discover`; never the pages or the site.
"""
