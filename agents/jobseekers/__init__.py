"""Job-seeker diagnostics: time to return to work, long-term risk, hints, data-quality flags."""
