"""Everything the repo holds, found in one pass: the input of every later stage."""

from __future__ import annotations

from dlip.publish.discover.milestones import discover_milestones
from dlip.publish.discover.posts import discover_posts
from dlip.publish.model import Inventory, Post
from dlip.publish.project import Project


def discover(project: Project) -> Inventory:
    """Posts and milestones of the repo, with every problem found in them."""
    rejected: list[Post] = []
    posts, post_problems = discover_posts(project, rejected)
    milestones, milestone_problems = discover_milestones(project)
    return Inventory(posts, milestones, post_problems + milestone_problems, rejected)
