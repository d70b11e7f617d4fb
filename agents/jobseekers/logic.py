"""Job-seeker events: keep each job seeker's latest state, with no personal data beyond need.

The diagnostic itself (return-to-work estimate, long-term risk, hints) is not built yet: this
handler only validates the events and maintains the state adviser tools read.
"""

from __future__ import annotations

from typing import Any

from sinks.outputs import Outputs, SourceRef, StateUpdate

# What an adviser tool needs to find the person in its portfolio; nothing else is copied.
PROFILE_FIELDS = ("rome_code", "departement", "bassin", "adviser_id", "agency_id", "category")


def _text(value: Any) -> str:
    return "" if value is None else str(value)


class JobSeekersHandler:
    """Handles JobSeekerProfileUpdated and JobSeekerExited."""

    records = frozenset({"JobSeekerProfileUpdated", "JobSeekerExited"})

    def handle(self, name: str, record: dict[str, Any], source: SourceRef, out: Outputs) -> None:
        """Update the job seeker's latest-state hash."""
        jid = record["jobseeker_id"]
        if name == "JobSeekerProfileUpdated":
            fields = {f: _text(record.get(f)) for f in PROFILE_FIELDS}
            fields.update(status="active", updated_at=record["updated_at"].isoformat())
        else:
            fields = {
                "status": "exited",
                "exit_reason": record["reason"],
                "exited_at": record["exited_at"].isoformat(),
            }
        out.states.append(StateUpdate("jobseeker", jid, {"jobseeker_id": jid, **fields}))

    def after_batch(self) -> None:
        """No model yet."""
