"""Email triage. For now: validation and a body-free receipt per email."""
