"""Everything the repo holds, found in one pass: the input of every later stage."""

from __future__ import annotations

from dlip.publish.discover.milestones import discover_milestones
from dlip.publish.discover.posts import discover_posts
from dlip.publish.model import Inventory
from dlip.publish.project import Project


def discover(project: Project) -> Inventory:
    """Posts and milestones of the repo, with every problem found in them."""
    posts, post_problems = discover_posts(project)
    milestones, milestone_problems = discover_milestones(project)
    return Inventory(posts, milestones, post_problems + milestone_problems)
