"""First stage: find what the repo holds (posts, milestones, notes) and what is wrong with it.

Reads the repo and nothing else; imports only the shared ground below it.
"""
