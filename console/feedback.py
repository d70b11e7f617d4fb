"""Advisers' verdicts as ``AdviserFeedback`` events, through the Publisher of ``vigie publish``.

The signed-in user is the event's ``adviser_id``: whoever clicked is on record. The record is
validated (schema and domain rules) and acknowledged by the broker before the page says « envoyé ».
"""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime
from typing import Any, Protocol

from console.auth import Identity
from streams.settings import Settings

ALERT_VERDICTS = {"useful": "Utile", "not_useful": "Pas utile", "wrong": "Erronée"}
DRAFT_VERDICTS = {"accepted": "Accepté", "edited": "Modifié", "rejected": "Rejeté"}
TRIAGE_VERDICTS = {"confirmed": "Confirmé", "corrected": "Corrigé", "wrong": "Erroné"}
URGENCY_CODES = {"urgent": "Urgent", "normal": "Normal"}
# The email model's intents (agents/emails/intents.py; a unit test keeps both lists equal).
INTENT_LABELS = {
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


class FeedbackSink(Protocol):
    """Where feedback records go (the Kafka publisher; a list in unit tests)."""

    def send(self, record: dict[str, Any]) -> None:
        """Publish one AdviserFeedback record and wait for the broker's acknowledgement."""


def feedback_record(
    who: Identity,
    *,
    target_kind: str,
    target_id: str,
    verdict: str,
    model: tuple[str, str] | None = None,
    corrected_intent: str | None = None,
    corrected_urgency: str | None = None,
) -> dict[str, Any]:
    """An AdviserFeedback record given by ``who`` now."""
    return {
        "event_id": str(uuid.uuid4()),
        "feedback_id": str(uuid.uuid4()),
        "adviser_id": who.sub,
        "given_at": datetime.now(UTC),
        "target_kind": target_kind,
        "target_id": target_id,
        "verdict": verdict,
        "corrected_intent": corrected_intent,
        "corrected_urgency": corrected_urgency,
        "model_name": model[0] if model else None,
        "model_version": model[1] if model else None,
    }


class KafkaFeedback:
    """Publishes through :class:`streams.publisher.Publisher`, built on first use."""

    def __init__(self, settings: Settings, flush_timeout_s: float = 10.0) -> None:
        self.settings = settings
        self.flush_timeout_s = flush_timeout_s
        self._publisher: Any = None
        self._lock = threading.Lock()

    def send(self, record: dict[str, Any]) -> None:
        """Validate, publish and wait for the acknowledgement (raises when refused or lost)."""
        with self._lock:  # one producer, requests from uvicorn's thread pool
            if self._publisher is None:
                from streams.publisher import Publisher

                self._publisher = Publisher(self.settings)
            self._publisher.publish("AdviserFeedback", record)
            self._publisher.flush(self.flush_timeout_s)
