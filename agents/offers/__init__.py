"""Offer intelligence: local market baselines, explained gaps, and a hard-to-fill risk model.

See ``agents/offers/README.md`` for what happens to each event, the design and the measures.
"""
