"""Feedback events: every adviser verdict is recorded, and a dismissed alert stays dismissed.

An alert judged ``not_useful`` or ``wrong`` dismisses its cause (rule + subject): the sinks
refuse later alerts with the same cause, whatever event raises them. Corrections of intent,
urgency and drafts train the email models (``agents.emails``), which also own those records.
"""

from __future__ import annotations

from typing import Any

from sinks.outputs import Dismissal, Outputs, SourceRef, StateUpdate

DISMISSING_VERDICTS = frozenset({"not_useful", "wrong"})


class FeedbackHandler:
    """Handles AdviserFeedback."""

    records = frozenset({"AdviserFeedback"})
    learners: dict[str, frozenset[str]] = {}  # the models that learn verdicts own them too

    def handle(self, name: str, record: dict[str, Any], source: SourceRef, out: Outputs) -> None:
        """Keep the latest verdict on the feedback's target; dismiss alerts judged useless."""
        if record["target_kind"] == "alert" and record["verdict"] in DISMISSING_VERDICTS:
            out.dismissals.append(Dismissal(record["target_id"], record["verdict"]))
        out.states.append(
            StateUpdate(
                "feedback",
                f"{record['target_kind']}:{record['target_id']}",
                {
                    "feedback_id": record["feedback_id"],
                    "adviser_id": record["adviser_id"],
                    "verdict": record["verdict"],
                    "given_at": record["given_at"].isoformat(),
                },
            )
        )

    def learn(
        self, model: str, name: str, record: dict[str, Any], source: SourceRef, out: Outputs
    ) -> None:
        """Never called: this use case teaches no model."""

    def after_batch(self) -> None:
        """Nothing to do after a batch."""
