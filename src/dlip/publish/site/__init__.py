"""Last stage: write the pages into the docs folder, configure and run MkDocs, serve.

The only stage that knows about MkDocs; it may import every stage below it.
"""
