"""The intents an email can carry, and the River classifiers that recognise them.

Ten intents, the reasons job seekers write to their adviser (France Travail's own categories
for the « messagerie conseiller »); an email can carry several:

======================= =========================== ==============================================
code                    label                       e.g.
======================= =========================== ==============================================
rendez_vous             Rendez-vous                 take, move or confirm an appointment
actualisation           Actualisation mensuelle     the monthly declaration, hours worked
paiement                Paiement, allocation        allowance not received, amount, overpayment
documents               Documents, justificatifs    sending or asking for a certificate
formation               Formation                   finding or financing a training course
offre_candidature       Offre, candidature          an offer, an application
changement_situation    Changement de situation     new job, moving house, end of contract
reclamation             Réclamation                 complaint, contesting a decision
radiation               Radiation                   deregistration, re-registration
autre                   Autre                       anything else (login, thanks, opening hours)
======================= =========================== ==============================================

:class:`IntentClassifier` is one River ``LogisticRegression`` per intent (one-vs-rest,
multi-label) over the hashed features of :mod:`agents.emails.features`: each gives a
probability; the most probable intent is always kept, and every other one from
:data:`INTENT_THRESHOLD` on (at most :data:`MAX_INTENTS` in all). Logistic losses keep the
probabilities usable as confidences, which the « answerable without an adviser » threshold
relies on.

>>> model = make_intent_classifier()
>>> x = {1: 1.0, 2: 1.0}
>>> model.learn(x, {"paiement"})
>>> model.learn({3: 1.0}, {"radiation"})
>>> model.predict(x)[0][0]
'paiement'
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from river import linear_model, optim

INTENTS: tuple[str, ...] = (
    "rendez_vous",
    "actualisation",
    "paiement",
    "documents",
    "formation",
    "offre_candidature",
    "changement_situation",
    "reclamation",
    "radiation",
    "autre",
)
INTENT_LABELS: dict[str, str] = {
    "rendez_vous": "Rendez-vous",
    "actualisation": "Actualisation mensuelle",
    "paiement": "Paiement, allocation",
    "documents": "Documents, justificatifs",
    "formation": "Formation",
    "offre_candidature": "Offre, candidature",
    "changement_situation": "Changement de situation",
    "reclamation": "Réclamation",
    "radiation": "Radiation",
    "autre": "Autre",
}
INTENT_THRESHOLD = 0.3  # a second intent is kept from here: mixed emails split the evidence
MAX_INTENTS = 3
LEARNING_RATE = 1.0  # inputs have unit length (features.as_input)
INTERCEPT_LEARNING_RATE = 0.05
L2 = 1e-5


def make_binary_classifier() -> linear_model.LogisticRegression:
    """The River model behind each intent and behind urgency: logistic regression, plain SGD."""
    return linear_model.LogisticRegression(
        optimizer=optim.SGD(LEARNING_RATE), intercept_lr=INTERCEPT_LEARNING_RATE, l2=L2
    )


def probability(model: linear_model.LogisticRegression, x: dict[int, float]) -> float:
    """P(True) of a binary River classifier for input ``x``."""
    return float(model.predict_proba_one(x).get(True, 0.0))


class IntentClassifier:
    """Multi-label intent classifier: one River logistic regression per intent."""

    def __init__(self) -> None:
        self.classifiers = {intent: make_binary_classifier() for intent in INTENTS}
        self.examples = 0

    def scores(self, x: dict[int, float]) -> dict[str, float]:
        """P(intent) for every intent (they need not sum to one: intents can mix)."""
        return {intent: probability(model, x) for intent, model in self.classifiers.items()}

    def predict(self, x: dict[int, float]) -> list[tuple[str, float]]:
        """The email's intents with their probabilities, most probable first (never empty)."""
        ranked = sorted(self.scores(x).items(), key=lambda item: -item[1])
        kept = [ranked[0]] + [(i, p) for i, p in ranked[1:] if p >= INTENT_THRESHOLD]
        return kept[:MAX_INTENTS]

    def learn(self, x: dict[int, float], positives: set[str], weight: float = 1.0) -> None:
        """Learn that ``x`` carries exactly the intents ``positives``."""
        for intent, model in self.classifiers.items():
            model.learn_one(x, intent in positives, w=weight)
        self.examples += 1

    def unlearn(self, x: dict[int, float], negatives: Iterable[str], weight: float = 1.0) -> None:
        """Learn that ``x`` carries none of ``negatives`` (nothing said about the others)."""
        for intent in negatives:
            self.classifiers[intent].learn_one(x, False, w=weight)
        self.examples += 1


def make_intent_classifier() -> IntentClassifier:
    """A fresh, empty intent classifier."""
    return IntentClassifier()


def parse_intents(text: str | None) -> set[str]:
    """Intents named in a correction (« paiement » or « paiement,documents »); unknown ones out."""
    if not text:
        return set()
    names = (part.strip().lower().replace("-", "_") for part in re.split(r"[,+;|/]", text))
    return {name for name in names if name in INTENT_LABELS}
