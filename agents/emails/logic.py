"""What happens to each email and each adviser verdict: triage, alert, draft, learn.

:func:`triage` is pure: clean, mask, normalise, apply the urgency rules and the models, find
the facts, write the draft. :class:`EmailsHandler` hands its result to the sinks (a state
hash per email, an alert to the adviser when urgent) and sends the model's learner what it
needs: each email's hashed features (``EmailTriaged``), kept in the model's cache, and the
adviser's verdict when it arrives (``AdviserFeedback`` on an ``email`` or a ``draft``; other
target kinds belong to other use cases), from which it learns intents, urgency and draft
acceptance. The learner publishes the metrics hash; the runtime makes it learn each event once.

Privacy: neither the subject, the body, attachment names nor anything written by the sender
reaches Redis, alerts or logs; only the derived triage (intents, urgency and its reasons,
the draft built from templates and resolved dates) does.
"""

from __future__ import annotations

import logging
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import orjson

from agents.emails.drafts import ANSWERABLE_INTENTS, compose_draft
from agents.emails.evidence import rules_and_evidence
from agents.emails.facts import documents, find_dates, local, offer_refs
from agents.emails.features import (
    PreparedEmail,
    as_input,
    intent_input,
    normalise,
    prepare_emails,
    tagged_bucket,
    with_evidence,
)
from agents.emails.generative import GenerativeSettings, generate_draft
from agents.emails.intents import parse_intents
from agents.emails.model import (
    CORRECTION_WEIGHT,
    MODEL_NAME,
    RULE_SET_ASIDE_BELOW,
    URGENCY_MODEL_THRESHOLD,
    CachedEmail,
    EmailTriageModel,
)
from agents.emails.urgency import ABSOLUTE_RULES, UrgencyHit
from sinks.outputs import Alert, Outputs, SourceRef, StateUpdate, alert_envelope
from streams.modelstore import ManagedModel, ModelView

logger = logging.getLogger(__name__)

RULE_URGENT = "email_urgent"
URGENCY_MODEL_RULE = "modele"
FEEDBACK_KINDS = frozenset({"email", "draft"})
URGENT_CODES = frozenset({"urgent", "urgente", "critical", "high", "oui", "true", "1"})
NORMAL_CODES = frozenset({"normal", "normale", "non_urgent", "low", "non", "false", "0"})
MAX_DATES_IN_DRAFT = 2
THRESHOLD_REFRESH_EVERY = 25  # verdicts between two threshold selections within a batch


@dataclass(frozen=True, slots=True)
class Triage:
    """The derived triage of one email: everything here may be stored, nothing is content."""

    features: array[int]  # hashed buckets
    intents: list[tuple[str, float]]  # most probable first
    rules: list[UrgencyHit]  # the rules that fired and stand (see confirmed_rules)
    urgency_score: float
    model_urgent: bool
    confidence: float  # answer confidence (see EmailTriageModel.answer_confidence)
    candidate: bool  # allow-listed intents, not urgent
    answerable: bool
    draft: str
    dates: list[str]
    documents: list[str]
    masked: dict[str, int]
    cleaning: dict[str, bool]
    set_aside: tuple[str, ...] = ()  # rules that fired but the learnt model overruled

    @property
    def urgent(self) -> bool:
        """Urgent by a rule or by the learnt model."""
        return bool(self.rules) or self.model_urgent

    @property
    def intent_names(self) -> tuple[str, ...]:
        """The predicted intents, most probable first."""
        return tuple(i for i, _ in self.intents)


def _attachment_tags(record: dict[str, Any]) -> tuple[list[str], list[int]]:
    kinds: list[str] = []
    tags: list[int] = []
    for attachment in record.get("attachments") or []:
        # Only the kind of document is derived from a file name; the name itself is dropped.
        name = normalise(str(attachment.get("filename", ""))[:200].replace("_", " "))
        kinds.extend(k for k in documents(name) if k not in kinds)
        tags.append(tagged_bucket("attachment"))
    tags.extend(tagged_bucket(f"attached={k}") for k in kinds)
    return kinds, tags


def triage(record: dict[str, Any], model: EmailTriageModel) -> Triage:
    """Triage one EmailReceived record with ``model`` (which is not changed)."""
    return triage_many([record], model)[0]


def triage_many(records: Sequence[dict[str, Any]], model: EmailTriageModel) -> list[Triage]:
    """:func:`triage` for a batch: the French pipeline runs once over the whole batch."""
    return [
        triage_prepared(r, p, model) for r, p in zip(records, prepare_records(records), strict=True)
    ]


def prepare_records(records: Sequence[dict[str, Any]]) -> list[PreparedEmail]:
    """The cleaned, masked, parsed form of each EmailReceived record, in one pipeline pass."""
    return prepare_emails(
        [(r.get("subject"), r.get("body"), r.get("body_format")) for r in records]
    )


def triage_prepared(
    record: dict[str, Any], prepared: PreparedEmail, model: EmailTriageModel
) -> Triage:
    """:func:`triage` of a record whose text :func:`prepare_records` has prepared."""
    norm, cleaned = prepared.norm, prepared.cleaned
    attached_kinds, attachment_tags = _attachment_tags(record)
    received_at = record["received_at"]
    mentions = find_dates(norm, received_at)
    # What the rules saw joins the features (the urgency model reads it; so does its learning
    # from a later verdict, which reads the cached features).
    fired, evidence = rules_and_evidence(norm, received_at, mentions)
    features = with_evidence(prepared.features, evidence)
    x = as_input(features, *attachment_tags)
    x_intent = intent_input(features, *attachment_tags)
    if attachment_tags:
        features = array("H", sorted(x))
    intents = model.intents.predict(x_intent)
    urgency_score = model.urgency_probability(x)
    rules, set_aside = confirmed_rules(
        fired, urgency_score, model.urgency_ready, words=len(norm.split())
    )
    model_urgent = model.urgency_ready and urgency_score >= URGENCY_MODEL_THRESHOLD
    urgent = bool(rules) or model_urgent
    candidate = not urgent and all(i in ANSWERABLE_INTENTS for i, _ in intents)
    confidence = model.answer_confidence(x_intent, intents)
    now = local(received_at)
    upcoming = [d for d in mentions if d.hours_after(now)[1] > 0]
    dates = [d.describe() for d in upcoming[:MAX_DATES_IN_DRAFT]]
    kinds = documents(norm)
    kinds += [k for k in attached_kinds if k not in kinds]
    draft = compose_draft(
        [i for i, _ in intents],
        dates=dates,
        documents=kinds,
        offers=offer_refs(norm),
        attached=bool(attachment_tags),
        urgent_rules=[h.rule for h in rules],
        urgent=urgent,
    )
    return Triage(
        features=features,
        intents=intents,
        rules=rules,
        urgency_score=urgency_score,
        model_urgent=model_urgent,
        confidence=confidence,
        candidate=candidate,
        answerable=candidate and model.is_answerable(confidence),
        draft=draft,
        dates=dates,
        documents=kinds,
        masked=dict(prepared.masked),
        cleaning={
            "html": cleaned.html,
            "truncated": cleaned.truncated,
            "quoted_removed": cleaned.quoted_removed,
            "signature_removed": cleaned.signature_removed,
        },
        set_aside=tuple(h.rule for h in set_aside),
    )


MIN_WORDS_TO_OVERRULE = 12  # below, a situational rule stands whatever the model says


def confirmed_rules(
    fired: list[UrgencyHit], score: float, model_ready: bool, *, words: int | None = None
) -> tuple[list[UrgencyHit], list[UrgencyHit]]:
    """The rules that stand, and those set aside because the learnt model overrules them.

    An absolute rule (suicidal thoughts, a farewell, a threat against staff) always stands.
    Another rule stands unless the learnt model, once ready, scores the email under
    :data:`RULE_SET_ASIDE_BELOW`: « à bout » and « radié » also fill ordinary mail (a question
    about sanctions, a crisis long past, a training course on violence), and the model, which
    reads what the rules saw and the words around, is then 90 % sure the email can wait. An
    email of fewer than :data:`MIN_WORDS_TO_OVERRULE` words (``words``) gives the model no
    words around: « Je suis à bout. » alone always alerts. A rule set aside is kept in the
    email's triage hash for the adviser and the audit.

    >>> hit = UrgencyHit("logement", "t", "m", "s")
    >>> confirmed_rules([hit], 0.01, True)[0], confirmed_rules([hit], 0.01, False)[0] == [hit]
    ([], True)
    >>> confirmed_rules([hit], 0.01, True, words=4)[0] == [hit]
    True
    """
    if not model_ready or (words is not None and words < MIN_WORDS_TO_OVERRULE):
        return fired, []
    stand = [h for h in fired if h.rule in ABSOLUTE_RULES or score >= RULE_SET_ASIDE_BELOW]
    return stand, [h for h in fired if h not in stand]


def urgency_reasons(t: Triage) -> list[dict[str, Any]]:
    """The alert reasons: one per rule that fired, then the model's if it spoke."""
    reasons: list[dict[str, Any]] = [
        {
            "code": f"urgency_{hit.rule}",
            "message": hit.message,
            "value": hit.hours,
            "reference": None,
            "level": "high",
        }
        for hit in t.rules
    ]
    if t.model_urgent:
        score = f"{t.urgency_score:.2f}".replace(".", ",")
        reasons.append(
            {
                "code": f"urgency_{URGENCY_MODEL_RULE}",
                "message": "Le modèle appris des retours des conseillers estime ce message "
                f"urgent (score {score}).",
                "value": round(t.urgency_score, 4),
                "reference": URGENCY_MODEL_THRESHOLD,
                "level": "high",
            }
        )
    return reasons


def urgent_alert(record: dict[str, Any], source: SourceRef, t: Triage, model_version: str) -> Alert:
    """The « message urgent » alert for the email's adviser: reasons, never the email's words."""
    rules = [h.rule for h in t.rules] + ([URGENCY_MODEL_RULE] if t.model_urgent else [])
    first = t.rules[0].title if t.rules else "Urgence détectée par le modèle"
    suggestions = [h.suggestion for h in t.rules] or ["Lire ce message en priorité aujourd'hui."]
    return {
        **alert_envelope(
            source,
            RULE_URGENT,
            event_time=record["received_at"],
            audience=("adviser", record["adviser_id"]),
            subject=("email", record["email_id"]),
            model=(MODEL_NAME, model_version),
        ),
        "severity": "critical",
        "title": f"Message urgent de {record['jobseeker_id']} : {first.lower()}",
        "score": round(t.urgency_score, 4) if t.model_urgent else None,
        "reasons": urgency_reasons(t),
        "suggestions": list(dict.fromkeys(suggestions)),
        "inputs": {
            "email_id": record["email_id"],
            "jobseeker_id": record["jobseeker_id"],
            "agency_id": record["agency_id"],
            "received_at": record["received_at"].isoformat(),
            "urgency_rules": ",".join(rules),
            "urgency_model_score": f"{t.urgency_score:.4f}",
            "intents": ",".join(t.intent_names),
        },
        "rule": f"{RULE_URGENT}:{'+'.join(rules)}",
    }


def email_state(
    record: dict[str, Any], t: Triage, alert: Alert | None, model: EmailTriageModel, version: str
) -> StateUpdate:
    """The email's triage hash: ids, times and the derived triage; no subject, no body."""
    threshold = model.threshold
    fields = {
        "email_id": record["email_id"],
        "jobseeker_id": record["jobseeker_id"],
        "adviser_id": record["adviser_id"],
        "agency_id": record["agency_id"],
        "received_at": record["received_at"].isoformat(),
        "attachments": str(len(record.get("attachments") or [])),
        "triage": "done",
        "intent": t.intents[0][0],
        "intent_confidence": f"{t.intents[0][1]:.4f}",
        "intents": ",".join(t.intent_names),
        "intent_scores": orjson.dumps({i: round(p, 4) for i, p in t.intents}).decode(),
        "urgency": "urgent" if t.urgent else "normal",
        "urgency_rules": ",".join(h.rule for h in t.rules),
        "urgency_rules_set_aside": ",".join(t.set_aside),
        "urgency_reasons": " | ".join(r["message"] for r in urgency_reasons(t)),
        "urgency_score": f"{t.urgency_score:.4f}",
        "alert_id": alert["alert_id"] if alert else "",
        "draft_id": record["email_id"],
        "draft": t.draft,
        "answerable": "1" if t.answerable else "0",
        "answer_confidence": f"{t.confidence:.4f}",
        "answerable_threshold": f"{threshold.value:.4f}" if threshold else "",
        "dates": ",".join(t.dates),
        "documents": ",".join(t.documents),
        "masked": ",".join(f"{k.strip('<>').lower()}:{n}" for k, n in sorted(t.masked.items())),
        "cleaning": ",".join(k for k, v in t.cleaning.items() if v),
        "model_name": MODEL_NAME,
        "model_version": version,
    }
    return StateUpdate("email", record["email_id"], fields)


def triaged_record(record: dict[str, Any], t: Triage) -> dict[str, Any]:
    """What the learner keeps of a triaged email (Avro ``EmailTriaged``): no words."""
    return {
        "email_id": record["email_id"],
        "jobseeker_id": record["jobseeker_id"],
        "features": list(t.features),
        "intents": list(t.intent_names),
        "urgent": t.urgent,
        "urgent_by_rule": bool(t.rules),
        "urgent_by_model_only": t.model_urgent and not t.rules,
        "candidate": t.candidate,
        "answerable": t.answerable,
        "confidence": t.confidence,
    }


def _urgency_label(text: str | None) -> bool | None:
    code = (text or "").strip().lower()
    if code in URGENT_CODES:
        return True
    if code in NORMAL_CODES:
        return False
    return None


class EmailsHandler:
    """Triages EmailReceived with a view of the triage model; its learner learns verdicts.

    Scoring sends the learner what triage derived from each email (``EmailTriaged``: hashed
    features and decisions, never words) and the advisers' verdicts on emails and drafts.
    """

    records = frozenset({"EmailReceived", "AdviserFeedback", "JobSeekerErased"})
    learners = {MODEL_NAME: frozenset({"EmailTriaged", "AdviserFeedback", "JobSeekerErased"})}

    def __init__(
        self,
        view: ModelView | ManagedModel,
        learner: ManagedModel,
        drafts: GenerativeSettings | None = None,
    ) -> None:
        self.view = view
        self.learner = learner
        self.drafts = drafts or GenerativeSettings()  # off unless an endpoint is configured
        self._prepared: dict[str, PreparedEmail] = {}  # event id -> this batch's parsed emails
        self._metrics: StateUpdate | None = None
        self._metrics_out: Outputs | None = None
        learner.describe = self.metadata

    def metadata(self) -> dict[str, Any]:
        """What each snapshot of the triage model says about itself (``vigie models``)."""
        model: EmailTriageModel = self.learner.model
        threshold = model.threshold
        return {
            "counters": dict(sorted(model.counters.items())),
            "answerable_threshold": round(threshold.value, 4) if threshold else None,
            "verdicts_recorded": len(model.verdicts),
            "cache_size": len(model.cache),
        }

    @property
    def model(self) -> EmailTriageModel:
        """The triage model scoring uses (the latest snapshot)."""
        model: EmailTriageModel = self.view.model
        return model

    def prefetch(self, records: list[tuple[str, dict[str, Any]]]) -> None:
        """Parse the batch's emails in one pass of the French pipeline (``nlp.pipe``)."""
        self._prepared.clear()  # a new batch: what the last one did not use is dropped
        emails = [r for name, r in records if name == "EmailReceived"]
        if emails:
            for record, prepared in zip(emails, prepare_records(emails), strict=True):
                self._prepared[record["event_id"]] = prepared

    def handle(self, name: str, record: dict[str, Any], source: SourceRef, out: Outputs) -> None:
        """Triage an email, or pass an adviser's verdict on one to the learner."""
        if name == "EmailReceived":
            self._email(record, source, out)
        elif name == "JobSeekerErased":  # the learner drops the person's cached emails
            out.learn(MODEL_NAME, name, record, source)
        elif record["target_kind"] in FEEDBACK_KINDS:
            out.learn(MODEL_NAME, "AdviserFeedback", record, source)

    def _email(self, record: dict[str, Any], source: SourceRef, out: Outputs) -> None:
        model, version = self.model, self.view.version_label
        prepared = self._prepared.pop(record["event_id"], None)
        if prepared is None:
            prepared = prepare_records([record])[0]
        t = triage_prepared(record, prepared, model)
        draft_source = "template"
        if self.drafts.enabled:
            # Only the masked body is sent; the template comes back if the answer fails a check.
            draft, draft_source = generate_draft(
                prepared.masked_text, list(t.intent_names), t.draft, self.drafts
            )
            t = replace(t, draft=draft)
        alert = urgent_alert(record, source, t, version) if t.urgent else None
        if alert is not None:
            out.alerts.append(alert)
        state = email_state(record, t, alert, model, version)
        state.fields["draft_source"] = draft_source
        out.states.append(state)
        out.learn(MODEL_NAME, "EmailTriaged", triaged_record(record, t), source)

    def learn(
        self, model: str, name: str, record: dict[str, Any], source: SourceRef, out: Outputs
    ) -> None:
        """Keep a triaged email's features, or learn from an adviser's verdict on one."""
        if name == "EmailTriaged":
            self._triaged(record)
        elif name == "JobSeekerErased":
            model: EmailTriageModel = self.learner.model
            model.counters["erasures"] += 1
            model.cache.forget(record["jobseeker_id"])
            expedite = getattr(self.learner, "expedite", None)
            if expedite is not None:  # out of the latest snapshot at its next version, now
                expedite()
        else:
            self._feedback(record)
        self._publish_metrics(out)

    def _triaged(self, record: dict[str, Any]) -> None:
        model = self.learner.model
        model.cache.put(
            record["email_id"],
            CachedEmail(
                array("H", record["features"]),
                tuple(record["intents"]),
                record["urgent"],
                record["candidate"],
                record["confidence"],
                jobseeker_id=record.get("jobseeker_id"),
            ),
        )
        c = model.counters
        c["triaged"] += 1
        c["urgent"] += record["urgent"]
        c["urgent_rules"] += record["urgent_by_rule"]
        c["urgent_model_only"] += record["urgent_by_model_only"]
        c["candidates"] += record["candidate"]
        c["answerable"] += record["answerable"]

    def _feedback(self, record: dict[str, Any]) -> None:
        model: EmailTriageModel = self.learner.model
        c = model.counters
        c[f"feedback_{record['target_kind']}"] += 1
        cached = model.cache.get(record["target_id"])
        if cached is None:
            c["feedback_unmatched"] += 1  # never seen, or dropped from the cache: nothing to learn
        elif record["target_kind"] == "draft":
            self._learn_draft(model, cached, record["verdict"])
        else:
            self._learn_triage(model, cached, record)
        if model.refresh_threshold(every=THRESHOLD_REFRESH_EVERY):
            c["threshold_selections"] += 1

    @staticmethod
    def _learn_draft(model: EmailTriageModel, cached: CachedEmail, verdict: str) -> None:
        if verdict not in ("accepted", "edited", "rejected"):
            model.counters["feedback_unknown_verdict"] += 1
            return
        accepted = verdict == "accepted"
        model.counters[f"drafts_{verdict}"] += 1
        model.learn_draft(cached, accepted)
        model.record_verdict(cached, accepted)

    @staticmethod
    def _learn_triage(model: EmailTriageModel, cached: CachedEmail, record: dict[str, Any]) -> None:
        verdict, c = record["verdict"], model.counters
        corrected = parse_intents(record.get("corrected_intent"))
        urgent = _urgency_label(record.get("corrected_urgency"))
        if verdict == "confirmed":
            model.learn_intents(cached.features, set(cached.intents), 1.0)
            model.learn_urgency(cached.features, cached.urgent, 1.0)
            c["triage_confirmed"] += 1
            return
        if verdict == "wrong" and not corrected and urgent is None:
            model.learn_not_intents(cached.features, cached.intents)
            model.record_verdict(cached, False)
            c["triage_wrong"] += 1
            return
        if corrected:
            model.learn_intents(cached.features, corrected, CORRECTION_WEIGHT)
            c["corrections_intent"] += 1
            if corrected != set(cached.intents):
                model.record_verdict(cached, False)  # its draft answered the wrong question
        elif record.get("corrected_intent"):
            c["corrections_unknown_intent"] += 1
        if urgent is not None:
            model.learn_urgency(cached.features, urgent, CORRECTION_WEIGHT)
            c["corrections_urgency"] += 1

    def _publish_metrics(self, out: Outputs) -> None:
        # One metrics hash per batch: later updates in the same batch refresh the same fields.
        model: EmailTriageModel = self.learner.model
        c, threshold = model.counters, model.threshold
        triaged = c["triaged"]
        fields = {k: str(v) for k, v in sorted(c.items())}
        fields.update(
            {
                "answerable_share": f"{c['answerable'] / triaged:.4f}" if triaged else "0",
                "threshold": f"{threshold.value:.4f}" if threshold else "",
                "threshold_support": str(threshold.support) if threshold else "0",
                "threshold_precision": f"{threshold.precision:.4f}" if threshold else "",
                "verdicts_recorded": str(len(model.verdicts)),
                "cache_size": str(len(model.cache)),
                "model_version": self.learner.version_label,
            }
        )
        if self._metrics is not None and self._metrics_out is out:
            self._metrics.fields.update(fields)
        else:
            self._metrics, self._metrics_out = StateUpdate("metrics", "emails", fields), out
            out.states.append(self._metrics)

    def after_batch(self) -> None:
        """Choose the answerable threshold on the verdicts learnt so far."""
        self._prepared.clear()
        self._metrics = self._metrics_out = None
        with self.learner.lock:
            self.learner.model.refresh_threshold()
