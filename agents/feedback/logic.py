"""Feedback events: record each adviser's latest verdict on an alert, email or draft.

Routing corrections to the models they concern comes with the model lifecycle; for now the
verdict is validated and kept where adviser tools and operators can see it.
"""

from __future__ import annotations

from typing import Any

from sinks.outputs import Outputs, SourceRef, StateUpdate


class FeedbackHandler:
    """Handles AdviserFeedback."""

    records = frozenset({"AdviserFeedback"})

    def handle(self, name: str, record: dict[str, Any], source: SourceRef, out: Outputs) -> None:
        """Keep the latest verdict on the feedback's target."""
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

    def after_batch(self) -> None:
        """No model yet."""
