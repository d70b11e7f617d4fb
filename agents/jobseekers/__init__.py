"""Job-seeker diagnostics. For now: the latest profile state per job seeker."""
