"""Held-out evaluation of email triage on simulated emails, with a fixed seed.

    python -m agents.emails.evaluate --seed 11 --train 4000 --test 2000

The simulator (:mod:`streams.simulator`) writes the emails and knows their truth (intents,
urgency, whether a standard reply answers them). The first ``--train`` emails are processed
in order by the real :class:`~agents.emails.logic.EmailsHandler` (prequential, online): each
is triaged, then its adviser's verdicts come back as AdviserFeedback records, after
``--delay`` more emails (advisers answer later):

* on the triage: ``confirmed`` when intents and urgency were right, else ``corrected`` with
  the true intents and/or urgency;
* on the draft: ``accepted`` when the email is answerable by a standard reply and the
  intents were right, ``edited`` when the main intent was right, else ``rejected``.

The model is then frozen and the next ``--test`` emails (later in time, never seen) are
triaged. Printed as Markdown: intent macro-F1, urgent recall and precision (rules alone and
with the model), the share of emails marked answerable with the threshold chosen on the
training verdicts and its precision on the test emails, the best share any threshold could
reach at 95 % precision on the test emails (an upper bound), and the triage time per email.
The same test set is first scored by the model as shipped (seed corpus only: cold start).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from agents.emails.intents import INTENTS
from agents.emails.logic import EmailsHandler, Triage, triage
from agents.emails.model import MODEL_NAME, EmailTriageModel, make_email_triage_model
from sinks.outputs import Outputs, SourceRef
from streams.modelstore import ManagedModel, MemoryModelStore
from streams.pipeline import InlineHandler
from streams.simulator import SimEvent, simulate

EMAILS_TOPIC, FEEDBACK_TOPIC = "eval.emails", "eval.feedback"


def simulated_emails(seed: int, count: int) -> list[SimEvent]:
    """The first ``count`` EmailReceived events of the simulation ``seed``."""
    emails: list[SimEvent] = []
    for event in simulate(seed, count * 20):
        if event.record_name == "EmailReceived":
            emails.append(event)
            if len(emails) == count:
                break
    return emails


def adviser_verdicts(
    event: SimEvent, intents: tuple[str, ...], urgent: bool
) -> list[dict[str, Any]]:
    """The AdviserFeedback records a careful adviser sends about one triaged email."""
    truth = event.truth
    true_intents = set(truth["intents"])
    email_id = event.record["email_id"]
    right_intents = set(intents) == true_intents
    right_urgency = urgent == truth["urgent"]
    base = {
        "adviser_id": event.record["adviser_id"],
        "given_at": event.timestamp + timedelta(hours=4),
        "target_id": email_id,
        "model_name": MODEL_NAME,
        "model_version": None,
        "corrected_intent": None,
        "corrected_urgency": None,
    }
    triage_verdict = {**base, "target_kind": "email", "verdict": "confirmed"}
    if not (right_intents and right_urgency):
        triage_verdict["verdict"] = "corrected"
        if not right_intents:
            triage_verdict["corrected_intent"] = ",".join(truth["intents"])
        if not right_urgency:
            triage_verdict["corrected_urgency"] = "urgent" if truth["urgent"] else "normal"
    if truth["answerable"] and right_intents and not urgent:
        draft = "accepted"
    elif intents[0] in true_intents:
        draft = "edited"
    else:
        draft = "rejected"
    draft_verdict = {**base, "target_kind": "draft", "verdict": draft}
    return [
        {**v, "event_id": f"{email_id}-{i}", "feedback_id": f"{email_id}-{i}"}
        for i, v in enumerate((triage_verdict, draft_verdict))
    ]


def train(model: EmailTriageModel, events: list[SimEvent], *, delay: int = 50) -> InlineHandler:
    """Run ``events`` and their delayed verdicts through the real handler; returns it."""
    managed = ManagedModel(MODEL_NAME, MemoryModelStore(), lambda: model, interval_s=1e9)
    handler = InlineHandler(EmailsHandler(managed, managed), {MODEL_NAME: managed})
    pending: deque[list[dict[str, Any]]] = deque()
    feedback_offset = 0

    def give(verdicts: list[dict[str, Any]]) -> None:
        nonlocal feedback_offset
        for verdict in verdicts:
            ts = int(verdict["given_at"].timestamp() * 1000)
            source = SourceRef(FEEDBACK_TOPIC, 0, feedback_offset, ts)
            handler.handle("AdviserFeedback", verdict, source, Outputs())
            feedback_offset += 1

    for offset, event in enumerate(events):
        source = SourceRef(EMAILS_TOPIC, 0, offset, int(event.timestamp.timestamp() * 1000))
        handler.handle("EmailReceived", event.record, source, Outputs())
        cached = model.cache.get(event.record["email_id"])
        assert cached is not None
        pending.append(adviser_verdicts(event, cached.intents, cached.urgent))
        if len(pending) > delay:
            give(pending.popleft())
        if offset % 100 == 99:
            handler.after_batch()
    while pending:
        give(pending.popleft())
    handler.after_batch()
    return handler


@dataclass
class Scores:
    """Figures of one model on one test set."""

    emails: int = 0
    tp: dict[str, int] = field(default_factory=lambda: dict.fromkeys(INTENTS, 0))
    fp: dict[str, int] = field(default_factory=lambda: dict.fromkeys(INTENTS, 0))
    fn: dict[str, int] = field(default_factory=lambda: dict.fromkeys(INTENTS, 0))
    exact: int = 0
    urgent: int = 0
    urgent_found: int = 0
    urgent_found_rules: int = 0
    flagged_urgent: int = 0
    answerable: int = 0
    answerable_right: int = 0
    truly_answerable: int = 0
    ranked: list[tuple[float, bool]] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)

    def add(self, event: SimEvent, t: Triage, seconds: float) -> None:
        """Score one triaged email against its truth."""
        truth = event.truth
        true, predicted = set(truth["intents"]), set(t.intent_names)
        self.emails += 1
        self.seconds.append(seconds)
        self.exact += true == predicted
        for intent in INTENTS:
            if intent in predicted and intent in true:
                self.tp[intent] += 1
            elif intent in predicted:
                self.fp[intent] += 1
            elif intent in true:
                self.fn[intent] += 1
        self.flagged_urgent += t.urgent
        if truth["urgent"]:
            self.urgent += 1
            self.urgent_found += t.urgent
            self.urgent_found_rules += bool(t.rules)
            if not t.urgent:
                self.missed.append(
                    f"{truth['urgency_reason']}/indirect={truth['urgency_indirect']}"
                )
        right = truth["answerable"] and true == predicted
        self.truly_answerable += bool(truth["answerable"])
        if t.candidate:
            self.ranked.append((t.confidence, right))
        if t.answerable:
            self.answerable += 1
            self.answerable_right += right

    def f1(self, intent: str) -> float:
        """F1 of one intent."""
        tp, fp, fn = self.tp[intent], self.fp[intent], self.fn[intent]
        return 2 * tp / (2 * tp + fp + fn) if tp else 0.0

    @property
    def macro_f1(self) -> float:
        """Mean F1 over the intents."""
        return statistics.fmean(self.f1(i) for i in INTENTS)

    def best_share_at(self, precision: float) -> float:
        """The largest share of emails any threshold marks answerable at ``precision``."""
        best, right = 0, 0
        ordered = sorted(self.ranked, key=lambda r: -r[0])
        for n, (_, ok) in enumerate(ordered, 1):
            right += ok
            if right >= precision * n:
                best = n
        return best / self.emails if self.emails else 0.0


def score(model: EmailTriageModel, events: list[SimEvent]) -> Scores:
    """Triage every test email with the frozen ``model`` and score it."""
    scores = Scores()
    for event in events:
        started = time.perf_counter()
        t = triage(event.record, model)
        scores.add(event, t, time.perf_counter() - started)
    return scores


def _pct(part: int, whole: int) -> str:
    return f"{part / whole:.3f} ({part}/{whole})" if whole else "n/a"


def report(
    seed: int, n_train: int, cold: Scores, warm: Scores, model: EmailTriageModel
) -> Iterator[str]:
    """The Markdown lines of the evaluation report."""
    threshold = model.threshold
    ms = [s * 1000 for s in warm.seconds]
    yield f"Email triage, simulator seed {seed}: {n_train} training emails with adviser "
    yield f"feedback, then {warm.emails} held-out emails (model frozen).\n"
    yield "| measure | seed corpus only (cold start) | after training feedback |"
    yield "|---|---:|---:|"
    yield (
        f"| intent macro-F1 ({len(INTENTS)} intents) | {cold.macro_f1:.3f} | {warm.macro_f1:.3f} |"
    )
    yield (
        f"| exact intent set | {_pct(cold.exact, cold.emails)} | {_pct(warm.exact, warm.emails)} |"
    )
    yield (
        f"| urgent recall | {_pct(cold.urgent_found, cold.urgent)} | "
        f"{_pct(warm.urgent_found, warm.urgent)} |"
    )
    yield (
        f"| urgent recall, rules alone | {_pct(cold.urgent_found_rules, cold.urgent)} | "
        f"{_pct(warm.urgent_found_rules, warm.urgent)} |"
    )
    yield (
        f"| urgent precision | {_pct(cold.urgent_found, cold.flagged_urgent)} | "
        f"{_pct(warm.urgent_found, warm.flagged_urgent)} |"
    )
    yield (
        f"| answerable without an adviser (threshold from feedback) | "
        f"{_pct(cold.answerable, cold.emails)} | {_pct(warm.answerable, warm.emails)} |"
    )
    yield (
        f"| precision of those on the test emails | "
        f"{_pct(cold.answerable_right, cold.answerable)} | "
        f"{_pct(warm.answerable_right, warm.answerable)} |"
    )
    yield (
        f"| best share at >= 95 % precision on the test emails (upper bound) | "
        f"{cold.best_share_at(0.95):.3f} | {warm.best_share_at(0.95):.3f} |"
    )
    yield (
        f"| truly answerable (simulator truth) | {_pct(cold.truly_answerable, cold.emails)} | "
        f"{_pct(warm.truly_answerable, warm.emails)} |"
    )
    yield (
        f"| triage time per email, median / p99 (ms) | "
        f"{statistics.median(s * 1000 for s in cold.seconds):.3f} | "
        f"{statistics.median(ms):.3f} / {statistics.quantiles(ms, n=100)[98]:.3f} |"
    )
    chosen = (
        f"{threshold.value:.3f} (precision {threshold.precision:.3f} on {threshold.support} "
        f"verdicts)"
        if threshold
        else "none yet"
    )
    yield f"\nThreshold chosen on the training verdicts: {chosen}."
    per_intent = ", ".join(f"{i} {warm.f1(i):.2f}" for i in INTENTS)
    yield f"Per-intent F1 after training: {per_intent}."
    if warm.missed:
        yield f"Urgent emails missed after training: {', '.join(sorted(warm.missed))}."


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(
        prog="python -m agents.emails.evaluate",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--seed", type=int, default=11, help="simulator seed")
    parser.add_argument("--train", type=int, default=4000, help="emails with feedback")
    parser.add_argument("--test", type=int, default=2000, help="held-out emails")
    parser.add_argument("--delay", type=int, default=50, help="emails before feedback arrives")
    parser.add_argument("--no-seed-corpus", action="store_true", help="start from an empty model")
    args = parser.parse_args(argv)
    events = simulated_emails(args.seed, args.train + args.test)
    train_events, test_events = events[: args.train], events[args.train :]
    model = make_email_triage_model(seed_corpus=not args.no_seed_corpus)
    cold = score(model, test_events)
    train(model, train_events, delay=args.delay)
    warm = score(model, test_events)
    print("\n".join(report(args.seed, len(train_events), cold, warm, model)))


if __name__ == "__main__":
    main()
