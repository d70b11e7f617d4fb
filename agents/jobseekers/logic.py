"""Job-seeker diagnostics kept current: one handler for profile updates, exits and emails.

Per ``JobSeekerProfileUpdated``: the seeker's stored profile (the profiles table) is replaced
by the event's; the diagnostic is computed from the model *view* (time to return to work, risk of
long-term unemployment), the hints (reconversion, mobility) and the data-quality flags; alerts go
to the adviser when it changed materially; the diagnostic is written to the seeker's hash; the
record is sent to the model's learner. Per ``JobSeekerExited``: the profile becomes a tombstone
(status, exit, registration: what later flags need), the hash says so, the learner learns the
exit. Per ``EmailReceived``: only the flags an email can raise (a seeker back at work for a
month, a stale profile).

**No repeated alerts.** The profile keeps a small memory of what was last said: whether the risk
was above the threshold, which reconversion options and which flags were shown. An alert is
raised only for a crossing (the risk goes above ``risk_threshold``; it must fall below
``risk_rearm`` before it can alert again), a reconversion option not shown before (once the
search has lasted ``reconversion_min_days`` or the risk is high), or a flag not present before.
The same diagnostic twice raises nothing; a replay raises the same alert ids.

Scoring never learns: the learner (``learn``) runs once per event, on the model's single
learner, and may add the model's metrics hash.
"""

from __future__ import annotations

import json
from collections.abc import Callable, MutableMapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from agents.jobseekers.alerts import (
    Diagnostic,
    data_quality_alert,
    reconversion_alert,
    risk_alert,
)
from agents.jobseekers.features import (
    elapsed_days,
    registration_seconds,
    seeker_features,
    stored_profile,
)
from agents.jobseekers.hints import (
    Market,
    mobility_options,
    reconversion_options,
)
from agents.jobseekers.model import MODEL_NAME, JobSeekerDiagnostic
from agents.jobseekers.quality import Flag, email_flags, profile_flags
from agents.proposals.logic import (
    check_proposal,
    feedback_state,
    proposal_alert,
    remember,
    verdict_state,
)
from sinks.outputs import Alert, Erasure, Outputs, SourceRef, StateUpdate
from streams.referential import Referential

__all__ = ["MODEL_NAME", "JobSeekersConfig", "JobSeekersHandler"]

# The models that hold something of a person and drop it on JobSeekerErased, each on its own
# learner (the offers use case's supply counts, the triage model's feature cache, this one's
# spells); named here so the audit record says which snapshots will no longer hold them.
ERASING_MODELS = (MODEL_NAME, "offer-jobseeker-supply", "email-triage")

PROFILE = "JobSeekerProfileUpdated"
EXITED = "JobSeekerExited"
EMAIL = "EmailReceived"
PROPOSED = "OfferProposed"
FEEDBACK = "AdviserFeedback"
ERASED = "JobSeekerErased"
# Diagnostic fields of the hash, emptied when the seeker exits (a hash only ever gains fields).
DIAGNOSTIC_FIELDS = (
    "elapsed_days",
    "return_median_days",
    "return_low_days",
    "return_high_days",
    "long_term_risk",
    "risk_source",
    "already_long_term",
    "market",
    "reconversion",
    "mobility",
    "summary",
)


class ModelHolder(Protocol):
    """A model view or learner: the model, and the version alerts name."""

    model: Any

    @property
    def version_label(self) -> str:
        """``v3``, or ``v3+12`` for a learner 12 examples past snapshot 3."""
        ...


@dataclass(frozen=True, slots=True)
class JobSeekersConfig:
    """The thresholds of the use case."""

    risk_threshold: float = 0.75  # a risk crossing it alerts the adviser
    risk_rearm: float = 0.6  # ... once it has fallen below this since the previous alert
    # Reconversion is a conversation for a search that lasts: a new option alerts once the
    # seeker has been registered this long, or sooner when their risk is above the threshold.
    reconversion_min_days: float = 180.0
    # An exited seeker's entry in the profiles table (what flags an update after a return to
    # work) is dropped this long after the exit, in event time: the table then holds the
    # active population and a bounded tail of exits, not everyone ever registered.
    exited_retention_days: float = 180.0


def _memory(profile: dict[str, Any] | None) -> dict[str, Any]:
    found = (profile or {}).get("memory")
    return dict(found) if found else {"risk_high": False, "options": [], "flags": []}


def _text(value: Any) -> str:
    return "" if value is None else str(value)


class JobSeekersHandler:
    """Diagnoses job seekers (score, explain, alert) and teaches the diagnostic model."""

    records = frozenset({PROFILE, EXITED, EMAIL, PROPOSED, FEEDBACK, ERASED})
    # Scoring reads and writes per-key state (the profiles table): an audit replay of a range
    # rebuilds it first from the events before the range (``streams.replay``).
    keeps_state = True
    learners = {MODEL_NAME: frozenset({PROFILE, EXITED, ERASED})}

    def __init__(
        self,
        view: ModelHolder,
        learner: ModelHolder | None,
        referential: Referential,
        *,
        profiles: MutableMapping[str, dict[str, Any]] | None = None,
        offers: ModelHolder | None = None,
        config: JobSeekersConfig | None = None,
        on_diagnostic: Callable[[dict[str, Any], Diagnostic], None] | None = None,
    ) -> None:
        self.view = view
        self.learner = learner
        self.ref = referential
        self.profiles: MutableMapping[str, dict[str, Any]] = {} if profiles is None else profiles
        self.offers = offers
        self.config = config or JobSeekersConfig()
        self.on_diagnostic = on_diagnostic
        self._metrics_written: tuple[Outputs, dict[str, str]] | None = None  # the batch's hash
        self._metrics_due: JobSeekerDiagnostic | None = None
        self._latest_exit = ""  # ISO time of the latest exit seen (event time)
        self._next_sweep = ""
        if learner is not None and hasattr(learner, "describe"):
            learner.describe = self.metadata

    # Pipeline protocol ------------------------------------------------------------------------

    def handle(self, name: str, record: dict[str, Any], source: SourceRef, out: Outputs) -> None:
        """Score one record (read-only use of the model view)."""
        if name == PROFILE:
            self._profile(record, source, out)
            out.learn(MODEL_NAME, name, record, source)
        elif name == EXITED:
            self._exited(record, out)
            out.learn(MODEL_NAME, name, record, source)
        elif name == PROPOSED:
            self._proposed(record, source, out)
        elif name == FEEDBACK:  # on the feedback topic: never touches the profiles table
            state = feedback_state(record)
            if state is not None:
                out.states.append(state)
        elif name == ERASED:
            self._erased(record, source, out)
            out.learn(MODEL_NAME, name, record, source)
        else:
            self._email(record, source, out)

    def learn(
        self, model: str, name: str, record: dict[str, Any], source: SourceRef, out: Outputs
    ) -> None:
        """Teach the diagnostic model one profile update or exit (on its single learner)."""
        assert self.learner is not None, "learn() runs only where the learner is"
        state: JobSeekerDiagnostic = self.learner.model
        jid = record["jobseeker_id"]
        if name == ERASED:
            state.forget(jid)
            _expedite(self.learner)
            return
        if name == PROFILE:
            state.observe_profile(
                jid,
                registered=registration_seconds(record["registered_at"]),
                t=record["updated_at"].timestamp(),
                x=seeker_features(record, self.ref),
            )
        else:
            state.observe_exit(jid, t=record["exited_at"].timestamp(), reason=record["reason"])
        self._metrics(out, state)

    def after_batch(self) -> None:
        """Drop the exits past their retention, once a day of event time (the runtime
        snapshots the learner)."""
        if self._latest_exit and self._latest_exit >= self._next_sweep:
            self.sweep_exited()

    def sweep_exited(self) -> int:
        """Drop the table entries of seekers who exited more than ``exited_retention_days``
        before the latest exit seen; returns how many (each leaves a changelog tombstone)."""
        latest = datetime.fromisoformat(self._latest_exit)
        cutoff = (latest - timedelta(days=self.config.exited_retention_days)).isoformat()
        self._next_sweep = (latest + timedelta(days=1)).isoformat()
        # ISO 8601 times in UTC compare as strings: no parsing per entry.
        old = [jid for jid, p in self.profiles.items()
               if p.get("status") == "exited" and (p.get("exited_at") or "") < cutoff]  # fmt: skip
        for jid in old:
            del self.profiles[jid]
        return len(old)

    def metadata(self) -> dict[str, Any]:
        """What a snapshot of the diagnostic model says about itself (``vigie models``)."""
        holder = self.learner if self.learner is not None else self.view
        state: JobSeekerDiagnostic = holder.model
        return state.summary()

    # Diagnostic -------------------------------------------------------------------------------

    def _open_offer_store(self) -> Any:
        """The offers use case's open offers (``OpenOffers``) in its view, when given."""
        return getattr(self.offers.model, "open_offers", None) if self.offers is not None else None

    def _open_offers(self, rome: str, bassin: str) -> int | None:
        """Offers open now in the market, from the offers use case's view (when given)."""
        open_offers = self._open_offer_store()
        if open_offers is None:
            return None
        # The offers use case's market key: "<ROME>|bassin:<code>".
        found: int = open_offers.counts(f"{rome}|bassin:{bassin}")[0]
        return found

    def diagnose(self, record: dict[str, Any], previous: dict[str, Any] | None) -> Diagnostic:
        """The diagnostic of a profile event, given the stored profile before it (no learning)."""
        state: JobSeekerDiagnostic = self.view.model
        x = seeker_features(record, self.ref)
        estimate = state.estimate(x, elapsed_days(record["registered_at"], record["updated_at"]))
        rome, bassin, dep = record["rome_code"], record.get("bassin"), record["departement"]
        live = self._open_offers if self.offers is not None else None
        market = None
        tension = self.ref.tension(rome, bassin) if bassin else None
        if tension is not None and bassin:
            open_now = live(rome, bassin) if live is not None else None
            market = Market(
                rome, bassin, tension.tension_class, tension.offers, tension.jobseekers, open_now
            )
        radius = record.get("mobility_radius_km")
        return Diagnostic(
            jobseeker_id=record["jobseeker_id"],
            estimate=estimate,
            market=market,
            reconversion=reconversion_options(self.ref, rome, bassin, live),
            mobility=mobility_options(
                self.ref, rome, bassin, dep, radius, live, commune=record.get("commune_code")
            ),
            flags=profile_flags(record, previous, self.ref),
            base_rate=state.long_term.base_rate,
            outcomes=state.long_term.n_outcomes,
        )

    def _profile(self, record: dict[str, Any], source: SourceRef, out: Outputs) -> None:
        jid = record["jobseeker_id"]
        previous = self.profiles.get(jid)
        diag = self.diagnose(record, previous)
        if self.on_diagnostic is not None:
            self.on_diagnostic(record, diag)
        memory = _memory(previous)
        model = (MODEL_NAME, self.view.version_label)
        alerts = self._alerts(record, source, diag, memory, model)
        out.alerts.extend(alerts)
        profile = stored_profile(record)
        if any(f.code == "update_after_exit" for f in diag.flags) and previous is not None:
            # The registration ended: the stray update does not bring the seeker back.
            profile.update(
                status="exited",
                exited_at=previous.get("exited_at"),
                exit_reason=previous.get("exit_reason"),
            )
        profile["memory"] = memory
        self.profiles[jid] = profile  # assigned, not mutated: a changelog table sees the change
        out.states.append(
            StateUpdate("jobseeker", jid, self._fields(record, diag, profile, alerts))
        )

    def _alerts(
        self,
        record: dict[str, Any],
        source: SourceRef,
        diag: Diagnostic,
        memory: dict[str, Any],
        model: tuple[str, str],
    ) -> list[Alert]:
        """The alerts a material change of the diagnostic raises; updates ``memory``."""
        cfg, alerts = self.config, []
        est = diag.estimate
        if est.p_long_term is not None and not est.already_long_term:
            if est.p_long_term >= cfg.risk_threshold and not memory["risk_high"]:
                alerts.append(risk_alert(record, source, diag, self.ref, model, cfg.risk_threshold))
                memory["risk_high"] = True
            elif est.p_long_term < cfg.risk_rearm:
                memory["risk_high"] = False
        options = [o.market.rome for o in diag.reconversion]
        shown = [o for o in memory["options"] if o in options]  # gone options may come back
        new_options = set(options) - set(shown)
        due = est.elapsed_days >= cfg.reconversion_min_days or memory["risk_high"]
        if new_options and due:
            alerts.append(reconversion_alert(record, source, diag, new_options, self.ref, model))
            shown = options
        memory["options"] = shown
        alerts.extend(
            self._flag_alerts(record, source, diag.flags, memory, model, record["updated_at"])
        )
        return alerts

    @staticmethod
    def _flag_alerts(
        record: dict[str, Any],
        source: SourceRef,
        flags: Sequence[Flag],
        memory: dict[str, Any],
        model: tuple[str, str],
        when: datetime,
    ) -> list[Alert]:
        codes = [f.code for f in flags]
        new = set(codes) - set(memory["flags"])
        memory["flags"] = codes
        return [data_quality_alert(record, source, flags, new, model, when)] if new else []

    def _fields(
        self,
        record: dict[str, Any],
        diag: Diagnostic,
        profile: dict[str, Any],
        alerts: list[Alert],
    ) -> dict[str, str]:
        est = diag.estimate
        fields = {
            "jobseeker_id": record["jobseeker_id"],
            "status": profile["status"],
            "rome_code": record["rome_code"],
            "departement": record["departement"],
            "bassin": _text(record.get("bassin")),
            "adviser_id": record["adviser_id"],
            "agency_id": record["agency_id"],
            "category": _text(record.get("category")),
            "registered_at": profile["registered_at"],
            "updated_at": profile["updated_at"],
            "elapsed_days": f"{est.elapsed_days:.0f}",
            "return_median_days": "" if est.remaining_days is None else f"{est.remaining_days:.0f}",
            "return_low_days": (
                "" if est.low_days is None else f"{max(0.0, est.low_days - est.elapsed_days):.0f}"
            ),
            "return_high_days": (
                "" if est.high_days is None else f"{est.high_days - est.elapsed_days:.0f}"
            ),
            "long_term_risk": "" if est.p_long_term is None else f"{est.p_long_term:.4f}",
            "risk_source": est.risk_source,
            "already_long_term": "1" if est.already_long_term else "0",
            "market": json.dumps(diag.market.as_json() if diag.market else None),
            "reconversion": json.dumps(
                [
                    {"label": o.label, "proximity": o.proximity, **o.market.as_json()}
                    for o in diag.reconversion
                ],
                ensure_ascii=False,
            ),
            "mobility": json.dumps(
                [
                    {
                        "bassin_name": o.bassin_name,
                        "reach_km": round(o.reach_km),
                        # null: the département-area proxy (no coordinates for the seeker)
                        "distance_km": None if o.distance_km is None else round(o.distance_km),
                        "distance_from": o.distance_from,
                        **o.market.as_json(),
                    }
                    for o in diag.mobility
                ],
                ensure_ascii=False,
            ),
            "summary": diag.summary(),
            "mobility_radius_km": _text(record.get("mobility_radius_km")),
            "model_name": MODEL_NAME,
            "model_version": self.view.version_label,
        }
        fields.update(_flag_fields(diag.flags))
        if alerts:
            fields["alert_ids"] = ",".join(a["alert_id"] for a in alerts)
        return fields

    # Exits, erasures and emails ----------------------------------------------------------------

    def _erased(self, record: dict[str, Any], source: SourceRef, out: Outputs) -> None:
        """Forget the person: their profile (a tombstone on the changelog), then, through the
        sinks, every Redis key about them, and through the learners, their models' entries."""
        jid = record["jobseeker_id"]
        held = jid in self.profiles
        if held:
            del self.profiles[jid]
        out.erasures.append(
            Erasure(
                jobseeker_id=jid,
                erasure_id=record["erasure_id"],
                requested_by=record["requested_by"],
                requested_at=record["requested_at"].isoformat(),
                source=source,
                table_entry=held,
                models=ERASING_MODELS,
            )
        )

    def _exited(self, record: dict[str, Any], out: Outputs) -> None:
        jid = record["jobseeker_id"]
        previous = self.profiles.get(jid) or {}
        registered = record.get("registered_at") or previous.get("registered_at")
        tombstone = {
            "status": "exited",
            "registered_at": registered.isoformat()
            if hasattr(registered, "isoformat")
            else registered,
            "exited_at": record["exited_at"].isoformat(),
            "exit_reason": record["reason"],
            "adviser_id": previous.get("adviser_id"),
            "agency_id": previous.get("agency_id"),
            "memory": _memory(previous),
        }
        self.profiles[jid] = tombstone
        self._latest_exit = max(self._latest_exit, tombstone["exited_at"])
        fields = {
            "jobseeker_id": jid,
            "status": "exited",
            "exit_reason": record["reason"],
            "exited_at": tombstone["exited_at"],
            **dict.fromkeys(DIAGNOSTIC_FIELDS, ""),
        }
        out.states.append(StateUpdate("jobseeker", jid, fields))

    def _proposed(self, record: dict[str, Any], source: SourceRef, out: Outputs) -> None:
        """Check a proposal against the profile and the open offers (``agents.proposals``)."""
        jid = record["jobseeker_id"]
        profile = self.profiles.get(jid)
        verdict = check_proposal(record, profile, self._open_offer_store(), self.ref)
        out.states.append(verdict_state(record, verdict))
        if verdict.findings:
            alert = proposal_alert(record, source, verdict, profile)
            out.alerts.append(alert)
            agency = str((profile or {}).get("agency_id") or "unknown")
            codes = ",".join(f.code for f in verdict.findings)
            out.states.append(
                StateUpdate("proposal-findings", agency, {record["proposal_id"]: codes})
            )
        if profile is not None:
            self.profiles[jid] = remember(profile, record)

    def _email(self, record: dict[str, Any], source: SourceRef, out: Outputs) -> None:
        jid = record["jobseeker_id"]
        profile = self.profiles.get(jid)
        flags = email_flags(profile, record["received_at"])
        if profile is None or not flags:
            return
        memory = _memory(profile)
        model = (MODEL_NAME, self.view.version_label)
        alerts = self._flag_alerts(record, source, flags, memory, model, record["received_at"])
        if not alerts:
            return  # already said: nothing changed
        out.alerts.extend(alerts)
        self.profiles[jid] = {**profile, "memory": memory}
        fields = {"jobseeker_id": jid, **_flag_fields(flags), "alert_ids": alerts[0]["alert_id"]}
        out.states.append(StateUpdate("jobseeker", jid, fields))

    # Metrics ----------------------------------------------------------------------------------

    def _metrics(self, out: Outputs, state: JobSeekerDiagnostic) -> None:
        """Note that the model's metrics hash is due; :meth:`learnt_batch` writes it."""
        self._metrics_due = state

    def learnt_batch(self, out: Outputs) -> None:
        """The model's metrics hash, computed once per batch of learning, after its last
        example (one hash per batch: a later call within the same outputs updates it)."""
        state, self._metrics_due = self._metrics_due, None
        if state is None:
            return
        fields = {k: json.dumps(v) if isinstance(v, dict | list) else _text(v)
                  for k, v in _flatten(state.summary()).items()}  # fmt: skip
        fields["model_name"] = MODEL_NAME
        fields["model_version"] = self.learner.version_label if self.learner else ""
        written = self._metrics_written
        if written is not None and written[0] is out:
            written[1].clear()
            written[1].update(fields)
            return
        self._metrics_written = (out, fields)
        out.states.append(StateUpdate("model", MODEL_NAME, fields))


def _expedite(learner: Any) -> None:
    """Ask a learner to snapshot at its next chance: an erasure must not wait an interval."""
    expedite = getattr(learner, "expedite", None)
    if expedite is not None:
        expedite()


def _flag_fields(flags: Sequence[Flag]) -> dict[str, str]:
    return {
        "flags": ",".join(f.code for f in flags),
        "flag_messages": json.dumps([f.message for f in flags], ensure_ascii=False),
    }


def _flatten(summary: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """{"duration": {"returns": 3}} -> {"duration.returns": 3} (one level of nesting)."""
    flat: dict[str, Any] = {}
    for key, value in summary.items():
        if isinstance(value, dict) and not prefix and key != "exits":
            flat.update(_flatten(value, f"{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat
