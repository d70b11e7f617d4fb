"""Measure the job-seeker diagnostics offline, through the worker's own handler (no Kafka, Redis).

    .venv/bin/python -m agents.jobseekers.evaluate --seed 7 --events 200000

Simulated traffic (``streams.simulator``, fixed seed, a mix heavy in job-seeker events and with
2 % of profile events carrying a data-quality defect) goes through
:class:`~agents.jobseekers.logic.JobSeekersHandler` in time order, each event scored by the
model as it was, then learnt (``streams.pipeline.InlineHandler``). Diagnostics given during the
first ``--warmup`` share of the simulated time are the warm-up; those given afterwards are the
held-out set, compared with the simulator's hidden truth:

* **time to return to work**: for seekers whose return to work is in the stream, the error on
  log-days of the total search length the diagnostic gave (the median given the days already
  registered), against a constant (the median of the returns to work seen during the warm-up)
  and against the same censored model without features (time registered alone);
* **long-term risk** (still registered 12 months after registering, from the simulator's exit
  times, for diagnostics given before day 365): ROC AUC and log loss of the served risk, of the
  duration model's own P(T >= 365 | T > d), and of the base rate (the best constant, with
  hindsight); reliability table;
* **data-quality flags**: per injected defect, the share flagged with the right code; the flags
  raised on events with no injected defect;
* **alerts** per type, and the cost per event.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from statistics import NormalDist
from typing import Any

from agents.jobseekers.alerts import Diagnostic
from agents.jobseekers.features import DAY_S, registration_seconds
from agents.jobseekers.logic import JobSeekersConfig, JobSeekersHandler
from agents.jobseekers.model import MODEL_NAME, JobSeekerDiagnostic, make_jobseeker_diagnostic
from agents.jobseekers.risk import HORIZON_DAYS
from agents.metrics import log_loss, reliability, roc_auc
from sinks.outputs import Outputs, SourceRef
from streams.modelstore import ManagedModel, MemoryModelStore
from streams.pipeline import InlineHandler
from streams.referential import Referential, load_referential
from streams.settings import load_settings
from streams.simulator import SimConfig, simulate
from streams.simulator.dynamics import SEARCH_SIGMA

STANDARD = NormalDist()

TOPICS = {
    "JobSeekerProfileUpdated": "vigie.jobseekers",
    "JobSeekerExited": "vigie.jobseekers",
    "EmailReceived": "vigie.emails",
}
# Mostly job-seeker events: a simulated day still has ~300 spontaneous events, so 200,000
# events cover about two years, enough for outcomes at 12 months to come due.
EVAL_CONFIG = SimConfig(
    offers_posted=0.02, profile_updates=0.90, emails=0.08, jobseeker_defects=0.02
)
BATCH = 500
# Defect injected by the simulator -> the flag that must catch it.
DEFECT_FLAGS = {
    "experience_implausible": "experience_implausible",
    "mobility_absurd": "mobility_absurd",
    "training_category": "training_category",
    "rome_label_v3": "rome_label_v3",
    "update_after_exit": "update_after_exit",
}


# Metrics ----------------------------------------------------------------------------------------


def mae(truth: Sequence[float], predicted: Sequence[float]) -> float:
    """Mean absolute error."""
    return sum(abs(a - b) for a, b in zip(truth, predicted, strict=True)) / len(truth)


# The run ----------------------------------------------------------------------------------------


@dataclass(slots=True)
class Scored:
    """One diagnostic given during the run, as the adviser saw it."""

    jobseeker_id: str
    t: float
    registered: float
    elapsed: float
    median_days: float | None
    baseline_days: float | None  # the same model without features
    p_long_term: float | None
    risk_source: str
    p_survival: float
    flags: tuple[str, ...]
    defect: str | None
    true_mu: float | None  # the simulator's hidden median log-days of this seeker's search


@dataclass
class Run:
    """What one simulated run produced."""

    scored: list[Scored] = field(default_factory=list)
    exits: dict[str, tuple[float, str]] = field(default_factory=dict)  # id -> (t, reason)
    truth_exit: dict[str, float] = field(default_factory=dict)  # id -> simulator's exit time
    alerts: Counter[str] = field(default_factory=Counter)
    alert_subjects: Counter[tuple[str, str]] = field(default_factory=Counter)
    email_flags: Counter[str] = field(default_factory=Counter)
    events: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    start: float = 0.0
    end: float = 0.0
    state: JobSeekerDiagnostic | None = None


def _handler(ref: Referential, on_diagnostic: Any) -> tuple[InlineHandler, ManagedModel]:
    model = ManagedModel(
        MODEL_NAME, MemoryModelStore(), make_jobseeker_diagnostic, interval_s=math.inf
    )
    handler = JobSeekersHandler(
        model, model, ref, config=JobSeekersConfig(), on_diagnostic=on_diagnostic
    )
    return InlineHandler(handler, {MODEL_NAME: model}), model


def run_simulated(
    seed: int, events: int, *, ref: Referential | None = None, config: SimConfig = EVAL_CONFIG
) -> Run:
    """Feed ``events`` simulated events through the handler; collect every diagnostic."""
    ref = ref or load_referential(load_settings().data_dir)
    run = Run()
    truths: dict[int, tuple[str | None, float | None]] = {}  # record -> (defect, true mu)

    def on_diagnostic(record: dict[str, Any], diag: Diagnostic) -> None:
        est = diag.estimate
        base = state.duration_baseline
        run.scored.append(
            Scored(
                record["jobseeker_id"],
                record["updated_at"].timestamp(),
                registration_seconds(record["registered_at"]),
                est.elapsed_days,
                est.median_days,
                base.median_days({}, est.elapsed_days) if base.returns else None,
                est.p_long_term,
                est.risk_source,
                est.p_survival,
                tuple(f.code for f in diag.flags),
                *truths.get(id(record), (None, None)),
            )
        )

    handler, model = _handler(ref, on_diagnostic)
    state: JobSeekerDiagnostic = model.model
    out, offsets = Outputs(), Counter[str]()
    for event in simulate(seed, events, referential=ref, config=config):
        name = event.record_name
        if name not in TOPICS:
            continue
        t = event.timestamp.timestamp()
        run.start = run.start or t
        run.end = t
        run.events[name] += 1
        if name == "JobSeekerProfileUpdated":
            expected = event.truth.get("expected_search_days")
            true_mu = math.log(expected) - SEARCH_SIGMA**2 / 2.0 if expected else None
            truths[id(event.record)] = (event.truth.get("defect"), true_mu)
            if "exit_at" in event.truth:
                run.truth_exit[event.key] = event.truth["exit_at"].timestamp()
        elif name == "JobSeekerExited":
            run.exits[event.key] = (t, event.record["reason"])
        topic = TOPICS[name]
        source = SourceRef(topic, 0, offsets[topic], int(t * 1000))
        offsets[topic] += 1
        started = time.perf_counter()
        handler.handle(name, event.record, source, out)
        run.seconds += time.perf_counter() - started
        truths.pop(id(event.record), None)
        if sum(offsets.values()) % BATCH == 0:
            _collect(run, out)
            out = Outputs()
    _collect(run, out)
    run.state = state
    return run


def _collect(run: Run, out: Outputs) -> None:
    for alert in out.alerts:
        run.alerts[alert["alert_type"]] += 1
        run.alert_subjects[(alert["alert_type"], alert["subject_id"])] += 1
        if alert["source_topic"] == TOPICS["EmailReceived"]:
            for reason in alert["reasons"]:
                run.email_flags[reason["code"]] += 1


# Reports ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DurationReport:
    """Held-out errors of the search length, on log-days and days, per scorer."""

    n: int
    returned_in_stream: int
    mae_log: dict[str, float]
    mae_days: dict[str, float]


def _oracle_median(mu: float, elapsed: float) -> float:
    """The simulator's true median search length given ``elapsed`` days (the ceiling)."""
    reached = STANDARD.cdf((math.log(max(elapsed, 1.0)) - mu) / SEARCH_SIGMA) if elapsed else 0.0
    level = min(reached + 0.5 * (1.0 - reached), 1.0 - 1e-9)
    return max(elapsed, math.exp(mu + SEARCH_SIGMA * STANDARD.inv_cdf(level)))


def _log_days(seconds: float) -> float:
    return math.log(max(1.0, seconds / DAY_S))


def duration_report(run: Run, split: float) -> DurationReport:
    """Errors of the held-out diagnostics against each seeker's true search length.

    The truth is the simulator's exit time (the exit in the stream, else the one scheduled):
    every held-out diagnostic counts, not only the seekers whose return to work happened to
    come before the run ended (a set biased towards short searches). In the simulator a search
    ends at the same time whatever the exit reason, so this is the length the censored model
    estimates.
    """
    registered = {s.jobseeker_id: s.registered for s in run.scored}
    warm = [
        _log_days(t - registered[jid])
        for jid, (t, reason) in run.exits.items()
        if reason == "back_to_work" and t < split and jid in registered
    ]
    constant = statistics.median(warm)  # what ignoring the people still searching gives
    truth: list[float] = []
    scorers: dict[str, list[float]] = {
        "model": [], "time registered alone": [], "constant (warm-up returns)": [],
        "simulator's true median (ceiling)": [],
    }  # fmt: skip
    returned = 0
    for s in run.scored:
        exit_t, reason = run.exits.get(s.jobseeker_id, (run.truth_exit.get(s.jobseeker_id), ""))
        if s.t < split or s.median_days is None or exit_t is None or s.true_mu is None:
            continue
        returned += reason == "back_to_work"
        truth.append(_log_days(exit_t - s.registered))
        scorers["model"].append(math.log(s.median_days))
        scorers["time registered alone"].append(math.log(s.baseline_days or 1.0))
        scorers["constant (warm-up returns)"].append(constant)
        scorers["simulator's true median (ceiling)"].append(
            math.log(_oracle_median(s.true_mu, s.elapsed))
        )
    best = statistics.median(truth)
    scorers["best constant (held-out median, hindsight)"] = [best] * len(truth)
    days = [math.exp(v) for v in truth]
    return DurationReport(
        len(truth),
        returned,
        {k: mae(truth, v) for k, v in scorers.items()},
        {k: mae(days, [math.exp(p) for p in v]) for k, v in scorers.items()},
    )


@dataclass(frozen=True, slots=True)
class RiskReport:
    """Held-out discrimination and calibration of the long-term risk."""

    n: int
    base_rate: float
    auc: dict[str, float]
    log_loss: dict[str, float]
    reliability: list[tuple[str, int, float, float]]
    sources: Counter[str]


def risk_report(run: Run, split: float) -> RiskReport:
    """Risk given before day 365 in the held-out period, against the simulator's truth."""
    labels: list[bool] = []
    served: list[float] = []
    survival: list[float] = []
    sources: Counter[str] = Counter()
    for s in run.scored:
        if s.t < split or s.p_long_term is None or s.elapsed >= HORIZON_DAYS:
            continue
        exit_t = run.exits.get(s.jobseeker_id, (run.truth_exit.get(s.jobseeker_id), ""))[0]
        if exit_t is None:
            continue
        labels.append((exit_t - s.registered) / DAY_S >= HORIZON_DAYS)
        served.append(s.p_long_term)
        survival.append(s.p_survival)
        sources[s.risk_source] += 1
    rate = sum(labels) / len(labels) if labels else float("nan")
    constant = [rate] * len(labels)
    return RiskReport(
        len(labels),
        rate,
        {"model": roc_auc(labels, served), "duration model alone": roc_auc(labels, survival),
         "base rate": 0.5},
        {"model": log_loss(labels, served), "duration model alone": log_loss(labels, survival),
         "base rate": log_loss(labels, constant)},
        reliability(labels, served),
        sources,
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class FlagReport:
    """Injected defects caught, and flags raised on events with no injected defect."""

    injected: Counter[str]
    caught: Counter[str]
    clean_events: int
    clean_flags: Counter[str]


def flag_report(run: Run) -> FlagReport:
    """Per defect, how many events carried it and how many got the right flag."""
    injected: Counter[str] = Counter()
    caught: Counter[str] = Counter()
    clean_flags: Counter[str] = Counter()
    clean = 0
    for s in run.scored:
        if s.defect is None:
            clean += 1
            clean_flags.update(s.flags)
            continue
        injected[s.defect] += 1
        if DEFECT_FLAGS[s.defect] in s.flags:
            caught[s.defect] += 1
    return FlagReport(injected, caught, clean, clean_flags)


# Printing ---------------------------------------------------------------------------------------


def _print_report(run: Run, warmup: float) -> None:
    split = run.start + warmup * (run.end - run.start)
    assert run.state is not None
    days = (run.end - run.start) / DAY_S
    print(f"events: {dict(run.events)} over {days:.0f} simulated days; "
          f"split at day {days * warmup:.0f}")  # fmt: skip
    d = duration_report(run, split)
    print(f"\nSearch length, {d.n:,} held-out diagnostics ({d.returned_in_stream:,} of seekers "
          "whose return to work is in the stream):")  # fmt: skip
    print("| scorer | MAE log-days | MAE days |\n|---|---:|---:|")
    for name in d.mae_log:
        print(f"| {name} | {d.mae_log[name]:.3f} | {d.mae_days[name]:.0f} |")
    r = risk_report(run, split)
    print(f"\nLong-term risk, {r.n:,} held-out diagnostics before day 365, "
          f"{r.base_rate:.1%} long-term; sources {dict(r.sources)}:")  # fmt: skip
    print("| scorer | ROC AUC | log loss |\n|---|---:|---:|")
    for name in r.auc:
        print(f"| {name} | {r.auc[name]:.3f} | {r.log_loss[name]:.3f} |")
    print("\n| predicted | diagnostics | mean predicted | observed |\n|---|---:|---:|---:|")
    for label, n, mean_p, observed in r.reliability:
        print(f"| {label} | {n:,} | {mean_p:.3f} | {observed:.3f} |")
    f = flag_report(run)
    print("\n| injected defect | events | flagged |\n|---|---:|---:|")
    for kind, n in sorted(f.injected.items()):
        print(f"| {kind} | {n:,} | {f.caught[kind]:,} ({f.caught[kind] / n:.0%}) |")
    clean = dict(f.clean_flags) or "none"
    print(f"flags on the {f.clean_events:,} profile events with no injected defect: {clean}; "
          f"flags raised by emails: {dict(run.email_flags)}")  # fmt: skip
    repeated = sum(n - 1 for n in run.alert_subjects.values())
    profiles = run.events["JobSeekerProfileUpdated"]
    print(f"\nalerts: {dict(run.alerts)} ({sum(run.alerts.values()) / profiles * 1000:.1f} per "
          f"1,000 profile events); same type again for the same seeker: {repeated:,}")  # fmt: skip
    n = sum(run.events.values())
    print(f"cost: {run.seconds / n * 1000:.3f} ms per event (score, explain, alert, learn)")
    print(f"\nmodel's own online metrics: {run.state.summary()}")


def main(argv: Sequence[str] | None = None) -> int:
    """Print the figures of ``agents/jobseekers/README.md``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7, help="simulation seed (default 7)")
    parser.add_argument("--events", type=int, default=200_000, help="events (default 200000)")
    parser.add_argument("--warmup", type=float, default=0.5, help="warm-up share of the time")
    args = parser.parse_args(argv)
    started = datetime.now()
    run = run_simulated(args.seed, args.events)
    _print_report(run, args.warmup)
    print(f"(evaluation took {(datetime.now() - started).total_seconds():.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
