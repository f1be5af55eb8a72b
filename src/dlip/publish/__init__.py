"""The publisher: daily posts and milestone folders in, a static site with executed results out.

This package imports no torch and no ML code; it works on any learning-in-public repo.
"""
