"""The shared kernel every app builds on. It imports from no app of this project.

Today: the transactional outbox (`core.outbox`), the one way out of a transaction for work that
must happen after a commit.
"""
