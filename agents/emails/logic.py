"""Email events: validate them and record their receipt, never their content.

Triage (urgency, intent, reply draft) is not built yet; until it is, each email's state says
``triage=pending`` so that adviser tools do not mistake silence for "not urgent".
"""

from __future__ import annotations

from typing import Any

from sinks.outputs import Outputs, SourceRef, StateUpdate


class EmailsHandler:
    """Handles EmailReceived."""

    records = frozenset({"EmailReceived"})

    def handle(self, name: str, record: dict[str, Any], source: SourceRef, out: Outputs) -> None:
        """Record the email's receipt; subject and body are deliberately left out."""
        out.states.append(
            StateUpdate(
                "email",
                record["email_id"],
                {
                    "email_id": record["email_id"],
                    "jobseeker_id": record["jobseeker_id"],
                    "adviser_id": record["adviser_id"],
                    "agency_id": record["agency_id"],
                    "received_at": record["received_at"].isoformat(),
                    "attachments": str(len(record.get("attachments") or [])),
                    "triage": "pending",
                },
            )
        )

    def after_batch(self) -> None:
        """No model yet."""
