"""Deterministic simulator of France Travail agency traffic over the real referential.

>>> from streams.simulator import simulate
>>> events = list(simulate(seed=7, events=1000))
>>> sorted({e.record_name for e in events})
['EmailReceived', 'JobSeekerExited', 'JobSeekerProfileUpdated', 'OfferClosed', 'OfferPosted']
>>> offer = next(e for e in events if e.record_name == "OfferPosted")
>>> offer.key, offer.record["salary_text"], round(offer.truth["p_hard_to_fill"], 2)
('SIM0000001', 'Mensuel de 2721.4 Euros sur 12.0 mois', 0.18)

``truth`` (hidden ground truth) is for evaluation and tests only: never publish it.

Modules: :mod:`~streams.simulator.generator` (the clock, entities and records),
:mod:`~streams.simulator.dynamics` (every hidden dynamic, in one place),
:mod:`~streams.simulator.market` (salaries, qualifications, contracts),
:mod:`~streams.simulator.world` (samplers over the referential),
:mod:`~streams.simulator.emails` (French email templates).
"""

from streams.simulator.generator import (
    DEFAULT_START,
    RECORD_NAMES,
    SimConfig,
    SimEvent,
    simulate,
)

__all__ = ["DEFAULT_START", "RECORD_NAMES", "SimConfig", "SimEvent", "simulate"]
