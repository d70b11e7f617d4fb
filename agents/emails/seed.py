"""Warm start: the triage model learns a small hand-written corpus before its first email.

``seed_corpus.jsonl`` (next to this module) holds about a hundred short French emails written
by hand for this purpose, each with its intents and whether it is urgent. They are phrased
independently of the simulator's templates, so the cold-start figures of
``agents.emails.evaluate`` say how the shipped model generalises. Learning them is
deterministic (fixed order, fixed epochs), so every fresh worker starts from the same model.
The urgency model learns them too but does not count them towards ``URGENCY_MIN_POSITIVES``:
only advisers' verdicts let it raise alerts on its own.
"""

from __future__ import annotations

import random
from importlib import resources
from typing import TYPE_CHECKING, Any

import orjson

from agents.emails.features import as_input, prepare_email

if TYPE_CHECKING:
    from agents.emails.model import EmailTriageModel

SEED_FILE = "seed_corpus.jsonl"
EPOCHS = 8


def seed_corpus() -> list[dict[str, Any]]:
    """The hand-written examples: ``subject``, ``text``, ``intents``, ``urgent``."""
    raw = resources.files("agents.emails").joinpath(SEED_FILE).read_bytes()
    return [orjson.loads(line) for line in raw.splitlines() if line.strip()]


def warm_up(model: EmailTriageModel, *, epochs: int = EPOCHS) -> int:
    """Teach ``model`` the seed corpus; returns the number of examples learnt."""
    examples = [
        (as_input(prepare_email(e["subject"], e["text"], "text").features), e)
        for e in seed_corpus()
    ]
    order = random.Random(0)  # noqa: S311 - a fixed shuffle, not security
    for _ in range(epochs):
        order.shuffle(examples)
        for x, example in examples:
            model.intents.learn(x, set(example["intents"]))
            model.urgency.learn_one(x, bool(example["urgent"]))
    return len(examples) * epochs
