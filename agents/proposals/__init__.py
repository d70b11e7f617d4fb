"""Job-offer proposals checked as they happen (issue: no offer proposed to someone back at work)."""
