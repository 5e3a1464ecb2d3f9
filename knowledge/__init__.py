"""Content and search: every word the service says, and the search over curated articles.

A leaf package: it imports nothing else of ours (checked by import-linter).
"""
