"""No agent of its own: proposals are checked by the job-seekers agent.

``OfferProposed`` travels on the job-seekers topic, keyed by the seeker, so that it meets the
seeker's profile in the partition that holds it; ``agents.jobseekers.logic`` calls
``agents.proposals.logic`` for each one. This module exists because every use case package
has one (``streams.runtime`` and Faust's autodiscovery import ``agents.<use case>.agent``).
"""
