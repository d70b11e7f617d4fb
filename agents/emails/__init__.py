"""Email triage: cleaning, masking, urgency rules, intents, reply drafts, learning from advisers."""
