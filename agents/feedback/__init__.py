"""Advisers' feedback. For now: the latest verdict per target."""
