"""Measure the offers use case offline, through the worker's own handler code (no Kafka, no Redis).

    .venv/bin/python -m agents.offers.evaluate --seed 5 --events 60000

1. **Simulated traffic** (``streams.simulator``, fixed seed): every event goes through
   :class:`~agents.offers.logic.OffersHandler` in time order, as the worker would process it
   (one partition per topic, models in a memory store). Offers posted during the first
   ``--warmup`` share of the simulated time are the warm-up; the offers posted afterwards are
   the held-out set. Each held-out offer is scored *at posting*, by the model as it was then,
   and compared with its true outcome (unfilled after 30 days, from the simulator's hidden
   truth; offers withdrawn before 30 days are left out, as the model leaves them out). Four
   scorers: the model's own probability, the served risk (the model blended with the prior),
   the tension prior alone, and a static salary-gap rule (``1 - salary / local median``).
   Printed: ROC AUC, log loss, a reliability table, the classifier's own prequential metrics,
   and the cost per offer.
2. **Real offers** (France Travail API records; by default the 150 Ardèche offers of
   ``tests/fixtures/ft_offers_sample.jsonl``, ``--real tests/fixtures/ft_offers_dev_national.jsonl``
   for the 434 national ones): read by ``streams.offers_import.iter_raw_offers``, the reader of
   ``vigie import-offers`` (JSON lines end at a line feed only), mapped by ``map_offer``,
   checked by the domain rules, then assessed in posting order from an empty state. Printed:
   how many were assessed or rejected (each with its reason), the area level each was assessed
   at, how many salary labels gave a monthly figure, the verdict of each gap criterion, and
   example gap reports in French. ``--real-only`` skips the simulated traffic.
"""

from __future__ import annotations

import argparse
import functools
import math
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from statistics import mean
from typing import Any

from agents.metrics import log_loss, reliability, roc_auc
from agents.offers.logic import Assessment, OffersConfig, OffersHandler
from agents.offers.model import (
    MODEL_NAME,
    SUPPLY_MODEL_NAME,
    make_jobseeker_supply,
    make_offer_intelligence,
)
from agents.wording import percent
from sinks.outputs import Outputs, SourceRef
from streams.errors import MappingError, ValidationError
from streams.modelstore import ManagedModel, MemoryModelStore
from streams.offers_import import iter_raw_offers, map_offer, parse_weekly_hours, read_salary
from streams.pipeline import InlineHandler
from streams.referential import Referential, load_referential
from streams.rules import check_record
from streams.settings import PROJECT_ROOT, load_settings
from streams.simulator import simulate

SAMPLE = PROJECT_ROOT / "tests" / "fixtures" / "ft_offers_sample.jsonl"
DEV_NATIONAL = PROJECT_ROOT / "tests" / "fixtures" / "ft_offers_dev_national.jsonl"
HORIZON_DAYS = 30.0
TOPICS = {
    "OfferPosted": "vigie.offers",
    "OfferClosed": "vigie.offers",
    "JobSeekerProfileUpdated": "vigie.jobseekers",
    "JobSeekerExited": "vigie.jobseekers",
}
SCORERS = ("model", "served", "prior", "salary_rule", "oracle")


# Metrics ----------------------------------------------------------------------------------------


# Simulated traffic ------------------------------------------------------------------------------


@dataclass
class Scored:
    """One posted offer: its posting time, the four scores and its true outcome."""

    posted_at: datetime
    scores: dict[str, float]
    hard: bool | None = None


@dataclass
class SimulatedReport:
    """What :func:`evaluate_simulated` measured."""

    seed: int
    events: int
    warmup_end: datetime
    heldout: list[Scored]
    classifier: dict[str, Any]
    offers: int
    closures: int
    posted_seconds: float
    closed_seconds: float
    other_seconds: float
    alerts: Counter[str] = field(default_factory=Counter)

    def labelled(self) -> list[Scored]:
        """Held-out offers whose outcome is known."""
        return [s for s in self.heldout if s.hard is not None]

    def auc(self, scorer: str) -> float:
        """Held-out ROC AUC of one scorer."""
        rows = self.labelled()
        return roc_auc([bool(r.hard) for r in rows], [r.scores[scorer] for r in rows])

    def log_loss(self, scorer: str) -> float:
        """Held-out log loss of one probability scorer."""
        rows = self.labelled()
        return log_loss([bool(r.hard) for r in rows], [r.scores[scorer] for r in rows])


def truth_label(truth: dict[str, Any], posted_at: datetime) -> bool | None:
    """The simulator's true outcome, with the same definition as ``risk.hard_to_fill_label``."""
    if truth["outcome"] == "filled":
        return bool(truth["days_to_fill"] > HORIZON_DAYS)
    if truth["outcome"] == "expired":
        return True
    open_days = (truth["closes_at"] - posted_at).total_seconds() / 86_400.0
    return True if open_days > HORIZON_DAYS else None


def _handler(ref: Referential, config: OffersConfig, on_assessment: Any = None) -> InlineHandler:
    store = MemoryModelStore()
    settings = load_settings()
    factory = functools.partial(
        make_offer_intelligence, settings.baseline_half_life_days, settings.open_offer_max_days
    )
    state = ManagedModel(MODEL_NAME, store, factory, interval_s=math.inf)
    supply = ManagedModel(SUPPLY_MODEL_NAME, store, make_jobseeker_supply, interval_s=math.inf)
    handler = OffersHandler(state, ref, supply=supply, config=config, on_assessment=on_assessment)
    return InlineHandler(handler, {MODEL_NAME: state, SUPPLY_MODEL_NAME: supply})


def evaluate_simulated(
    seed: int,
    events: int,
    *,
    warmup: float = 0.5,
    config: OffersConfig | None = None,
    referential: Referential | None = None,
    batch: int = 500,
) -> SimulatedReport:
    """Run ``events`` simulated events through the handler; score the held-out offers."""
    ref = referential or load_referential(load_settings().data_dir)
    config = config or OffersConfig()
    traffic = list(simulate(seed, events, referential=ref))
    start, end = traffic[0].timestamp, traffic[-1].timestamp
    warmup_end = start + (end - start) * warmup
    scored: dict[str, Scored] = {}

    def capture(record: dict[str, Any], a: Assessment) -> None:
        scores = {
            "model": a.estimate.p_model,
            "served": a.estimate.risk,
            "prior": a.prior.probability,
            "salary_rule": a.features["salary_gap"],
        }
        scored[record["offer_id"]] = Scored(record["posted_at"], scores)

    handler = _handler(ref, config, capture)
    offsets: Counter[str] = Counter()
    seconds: Counter[str] = Counter()
    alerts: Counter[str] = Counter()
    out = Outputs()
    for n, event in enumerate(traffic, start=1):
        topic = TOPICS.get(event.record_name)
        if topic is not None:
            source = SourceRef(topic, 0, offsets[topic], int(event.timestamp.timestamp() * 1000))
            offsets[topic] += 1
            began = time.perf_counter()
            handler.handle(event.record_name, event.record, source, out)
            seconds[event.record_name] += time.perf_counter() - began
            if event.record_name == "OfferPosted":
                row = scored[event.key]
                row.hard = truth_label(event.truth, event.record["posted_at"])
                row.scores["oracle"] = event.truth["p_hard_to_fill"]
        if n % batch == 0 or n == len(traffic):  # as the worker: one Outputs per batch
            alerts.update(a["alert_type"] for a in out.alerts)
            began = time.perf_counter()
            handler.after_batch()
            seconds["after_batch"] += time.perf_counter() - began
            out = Outputs()
    heldout = [s for s in scored.values() if s.posted_at >= warmup_end]
    return SimulatedReport(
        seed=seed,
        events=events,
        warmup_end=warmup_end,
        heldout=heldout,
        classifier=handler.intelligence.risk.summary(),
        offers=sum(1 for e in traffic if e.record_name == "OfferPosted"),
        closures=sum(1 for e in traffic if e.record_name == "OfferClosed"),
        posted_seconds=seconds["OfferPosted"],
        closed_seconds=seconds["OfferClosed"],
        other_seconds=seconds["JobSeekerProfileUpdated"] + seconds["JobSeekerExited"],
        alerts=alerts,
    )


# Real offers ------------------------------------------------------------------------------------


@dataclass
class RealReport:
    """What :func:`evaluate_real_offers` found in a file of real offers.

    Every record of the file is either assessed or rejected with its reason:
    ``len(assessed) + len(rejected) == total``. ``salaries`` counts what each record's
    ``salaire`` gave: ``label`` (a figure from ``salaire.libelle``), ``label_without_amount``
    (a label naming no amount, "Annuel de"), ``label_unread`` (a label with an amount that gave
    no figure, listed in ``unread_labels``), ``comment`` (a figure from the free text only),
    ``not_stated`` (free text without a figure: « salaire non précisé ») and ``nothing``.
    """

    total: int
    assessed: list[tuple[dict[str, Any], Assessment]]
    rejected: list[tuple[int, str]]  # (line number, reason)
    alerts: Counter[str]
    source: Path | None = None
    salaries: Counter[str] = field(default_factory=Counter)
    unread_labels: list[str] = field(default_factory=list)

    @property
    def assessed_share(self) -> float:
        """Share of the file's records that were assessed."""
        return len(self.assessed) / self.total if self.total else 0.0

    @property
    def label_share(self) -> float:
        """Share of the salary labels stating an amount that gave a monthly figure."""
        read, unread = self.salaries["label"], self.salaries["label_unread"]
        return read / (read + unread) if read + unread else 1.0

    def flag_aucs(self) -> dict[str, float]:
        """ROC AUC against France Travail's ``offresManqueCandidats`` flag, where it is set.

        ``prior``: the prior at posting; ``risk``: the risk served (the prior until the model
        has learnt enough outcomes); ``tension_class``: the 2021 tension class alone (3 where
        the pair is not in the file). ``flagged`` and ``labelled`` count the offers.
        """
        rows = [(r, a) for r, a in self.assessed if r.get("lacks_candidates") is not None]
        truth = [bool(r["lacks_candidates"]) for r, _ in rows]
        if not any(truth) or all(truth):
            return {"labelled": float(len(rows)), "flagged": float(sum(truth))}
        return {
            "labelled": float(len(rows)),
            "flagged": float(sum(truth)),
            "prior": roc_auc(truth, [a.prior.probability for _, a in rows]),
            "risk": roc_auc(truth, [a.estimate.risk for _, a in rows]),
            "tension_class": roc_auc(truth, [float(a.prior.tension_class or 3) for _, a in rows]),
            "mean_prior_flagged": mean(
                a.prior.probability for r, a in rows if r["lacks_candidates"]
            ),
            "mean_prior_unflagged": mean(
                a.prior.probability for r, a in rows if not r["lacks_candidates"]
            ),
        }

    def levels(self) -> Counter[str]:
        """How many offers were assessed at each area level (bassin ... national, abroad)."""
        out: Counter[str] = Counter()
        for record, _ in self.assessed:
            out[area_level(record)] += 1
        return out

    def criteria(self) -> dict[str, Counter[str]]:
        """Per criterion, how many offers got each verdict."""
        out: dict[str, Counter[str]] = {}
        for _, a in self.assessed:
            for code, verdict in a.report.checks.items():
                out.setdefault(code, Counter())[verdict] += 1
        return out

    def examples(self, n: int = 3) -> list[tuple[dict[str, Any], Assessment]]:
        """Offers with the most gaps (then the latest posted), for the docs."""
        if n <= 0:
            return []
        with_gaps = [(r, a) for r, a in self.assessed if a.report.gaps]
        with_gaps.sort(key=lambda ra: (-len(ra[1].report.gaps), ra[0]["offer_id"]))
        chosen, seen = [], set()
        for r, a in with_gaps:  # one example per criterion first, for variety
            first = a.report.gaps[0].code
            if first not in seen:
                chosen.append((r, a))
                seen.add(first)
            if len(chosen) == n:
                return chosen
        for r, a in with_gaps:
            if (r, a) not in chosen and len(chosen) < n:
                chosen.append((r, a))
        return chosen


def evaluate_real_offers(
    path: Path = SAMPLE,
    *,
    config: OffersConfig | None = None,
    referential: Referential | None = None,
    now: datetime | None = None,
) -> RealReport:
    """Map, check and assess every offer of a France Travail API extract.

    The file is read as ``vigie import-offers`` reads it (``iter_raw_offers``: JSON lines that
    end at a line feed only, or a JSON array). Each record is assessed, or rejected with its
    line number and the reason, in the importer's words (« offer 190HCYJ: missing romeCode »).
    """
    ref = referential or load_referential(load_settings().data_dir)
    now = now or datetime.now(UTC)
    accepted: list[dict[str, Any]] = []
    rejected: list[tuple[int, str]] = []
    salaries: Counter[str] = Counter()
    unread: list[str] = []
    total = 0
    for number, raw in iter_raw_offers(path):
        total += 1
        if isinstance(raw, Exception):
            rejected.append((number, f"unreadable record: {raw}"))
            continue
        _count_salary(raw, salaries, unread)
        try:
            record = map_offer(raw, ref, now=now)
            check_record("OfferPosted", record, ref, now)
        except (MappingError, ValidationError) as exc:
            rejected.append((number, f"offer {raw.get('id', '?')}: {exc}"))
            continue
        accepted.append(record)
    accepted.sort(key=lambda r: (r["posted_at"], r["offer_id"]))
    assessed: list[tuple[dict[str, Any], Assessment]] = []
    handler = _handler(ref, config or OffersConfig(), lambda r, a: assessed.append((r, a)))
    alerts: Counter[str] = Counter()
    for offset, record in enumerate(accepted):
        out = Outputs()
        handler.handle("OfferPosted", record, SourceRef("vigie.offers", 0, offset, 0), out)
        alerts.update(a["alert_type"] for a in out.alerts)
    return RealReport(total, assessed, rejected, alerts, Path(path), salaries, unread)


def area_level(record: dict[str, Any]) -> str:
    """The finest area an OfferPosted names: bassin, departement, region, national, abroad."""
    if (record.get("country") or "FR") != "FR":
        return "abroad"
    if record.get("bassin"):
        return "bassin"
    if record.get("departement"):
        return "departement"
    return "region" if record.get("region") else "national"


def _count_salary(raw: dict[str, Any], counts: Counter[str], unread: list[str]) -> None:
    salaire = raw.get("salaire") if isinstance(raw.get("salaire"), dict) else {}
    label = str(salaire.get("libelle") or "").strip()
    try:
        on = datetime.fromisoformat(str(raw.get("dateCreation")).strip()).date()
    except ValueError:
        on = None
    info = read_salary(salaire, parse_weekly_hours(raw), on)
    if label:
        if info.source == "libelle":
            counts["label"] += 1
        elif not any(c.isdigit() for c in label):
            counts["label_without_amount"] += 1
        else:
            counts["label_unread"] += 1
            unread.append(label)
    if info.source == "commentaire":
        counts["comment"] += 1
    elif info.salary is None and salaire.get("commentaire"):
        counts["not_stated"] += 1
    elif info.salary is None and not label:
        counts["nothing"] += 1


# Printing ---------------------------------------------------------------------------------------


def _table(rows: Iterable[Sequence[object]], header: Sequence[str]) -> str:
    text_rows = [list(map(str, header)), *([str(c) for c in row] for row in rows)]
    widths = [max(len(row[i]) for row in text_rows) for i in range(len(header))]
    lines = [" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in text_rows]
    lines.insert(1, "-|-".join("-" * w for w in widths))
    return "\n".join(lines)


def print_simulated(report: SimulatedReport) -> None:
    """Print the simulated-traffic figures."""
    labelled = report.labelled()
    hard = sum(bool(s.hard) for s in labelled)
    print(f"== Simulated traffic: seed {report.seed}, {report.events} events ==")
    print(
        f"{report.offers} offers posted, {report.closures} closed; held-out: offers posted after "
        f"{report.warmup_end:%Y-%m-%d} ({len(report.heldout)}, {len(labelled)} with a known "
        f"30-day outcome, {hard / len(labelled):.1%} unfilled after 30 days)"
    )
    rows = []
    for scorer in SCORERS:
        loss = report.log_loss(scorer) if scorer != "salary_rule" else float("nan")
        rows.append((scorer, f"{report.auc(scorer):.3f}", f"{loss:.3f}"))
    print(_table(rows, ("held-out scorer", "ROC AUC", "log loss")))
    print()
    for scorer in ("model", "served", "prior"):
        print(f"reliability ({scorer}, held-out):")
        table = reliability([bool(s.hard) for s in labelled], [s.scores[scorer] for s in labelled])
        print(
            _table(
                ((b, n, f"{p:.3f}", f"{o:.3f}") for b, n, p, o in table),
                ("predicted", "offers", "mean predicted", "observed"),
            )
        )
        print()
    c = report.classifier
    print(
        "classifier's own prequential metrics over the whole run (scored at posting, learnt "
        f"37 days later): outcomes {c['outcomes']}, AUC {c['auc']} (includes its untrained "
        f"first weeks), AUC over the last 1,000 {c['recent_auc']} (prior: "
        f"{c['prior_recent_auc']}, served: {c['served_recent_auc']}), log loss {c['log_loss']} "
        f"(prior: {c['prior_log_loss']}, served: {c['served_log_loss']}); ADWIN drifts "
        f"{c['drifts']}"
    )
    per_offer = report.posted_seconds / max(report.offers, 1) * 1000
    per_close = report.closed_seconds / max(report.closures, 1) * 1000
    print(
        f"cost: {per_offer:.3f} ms per offer posted (assess, explain, alert, learn), "
        f"{per_close:.3f} ms per closure; alerts: {dict(sorted(report.alerts.items()))}"
    )


def print_real(report: RealReport, examples: int = 3) -> None:
    """Print the real-offers figures and example gap reports."""
    name = (report.source or SAMPLE).name
    print(f"== The {report.total} real offers ({name}) ==")
    print(
        f"assessed {len(report.assessed)} ({report.assessed_share:.1%}), "
        f"rejected {len(report.rejected)}"
    )
    for number, reason in report.rejected:
        print(f"  line {number} rejected: {reason}")
    levels = report.levels()
    print("assessed at: " + ", ".join(f"{level} {levels[level]}" for level in AREA_ORDER))
    s = report.salaries
    print(
        f"salary labels stating an amount read as a monthly figure: {s['label']} of "
        f"{s['label'] + s['label_unread']} ({report.label_share:.1%}); labels without an "
        f"amount: {s['label_without_amount']}; figures from the free text only: "
        f"{s['comment']}; free text without a figure (« salaire non précisé »): "
        f"{s['not_stated']}; no salary at all: {s['nothing']}"
    )
    for label in report.unread_labels:
        print(f"  label not read: {label!r}")
    flags = report.flag_aucs()
    if "prior" in flags:
        print(
            f"against France Travail's « manque de candidats » flag ({flags['flagged']:.0f} "
            f"flagged of {flags['labelled']:.0f}): ROC AUC of the prior {flags['prior']:.3f}, "
            f"of the risk served {flags['risk']:.3f}, of the tension class alone "
            f"{flags['tension_class']:.3f}; mean prior {flags['mean_prior_flagged']:.2f} on "
            f"flagged offers, {flags['mean_prior_unflagged']:.2f} on the others"
        )
    with_gaps = sum(1 for _, a in report.assessed if a.report.gaps)
    print(f"offers with at least one gap: {with_gaps}; alerts: {dict(report.alerts)}")
    rows = []
    for code, verdicts in sorted(report.criteria().items()):
        rows.append((code, ", ".join(f"{v}: {n}" for v, n in verdicts.most_common())))
    print(_table(rows, ("criterion", "verdicts")))
    for record, a in report.examples(examples):
        print()
        print(
            f"-- {record['offer_id']} « {record['title']} » ({record['rome_code']}, "
            f"{_where(record)}), risque {percent(a.estimate.risk)} "
            f"({a.estimate.source}, {a.prior.describe()})"
        )
        for gap in a.report.gaps:
            print(f"   * {gap.message}")
            print(f"     -> {gap.suggestion}")


AREA_ORDER = ("bassin", "departement", "region", "national", "abroad")


def _where(record: dict[str, Any]) -> str:
    if record.get("departement"):
        return f"département {record['departement']}"
    if record.get("region"):
        return f"région {record['region']}"
    country = record.get("country") or "FR"
    return "France" if country == "FR" else f"à l'étranger ({country})"


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: see the module docstring."""
    parser = argparse.ArgumentParser(
        prog="python -m agents.offers.evaluate",
        description="Evaluate the offers use case on simulated traffic and on the real sample.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--seed", type=int, default=5, help="simulator seed")
    parser.add_argument("--events", type=int, default=60_000, help="simulated events")
    parser.add_argument("--warmup", type=float, default=0.5, help="share of time for warm-up")
    parser.add_argument("--real", type=Path, default=SAMPLE, help="real offers (JSON lines)")
    parser.add_argument("--examples", type=int, default=3, help="example gap reports to print")
    parser.add_argument(
        "--real-only", action="store_true", help="only the real offers, no simulated traffic"
    )
    args = parser.parse_args(argv)
    settings = load_settings()
    config = OffersConfig(
        ratio_threshold=settings.salary_alert_ratio,
        min_count=settings.baseline_min_count,
        risk_threshold=settings.hard_to_fill_threshold,
        min_outcomes=settings.hard_to_fill_min_outcomes,
    )
    ref = load_referential(settings.data_dir)
    if not args.real_only:
        print_simulated(
            evaluate_simulated(
                args.seed, args.events, warmup=args.warmup, config=config, referential=ref
            )
        )
        print()
    print_real(evaluate_real_offers(args.real, config=config, referential=ref), args.examples)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
