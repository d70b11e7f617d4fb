"""What happens to each offer and job-seeker event: assess, explain, alert, then learn.

Plain functions and one handler class, called by the Faust agents, the benchmarks, the evaluation
(``agents.offers.evaluate``) and the audit replay alike. Learning is prequential: an offer is
assessed against baselines and a classifier that have not seen it yet, and its outcome is scored
with the probability given at posting before the classifier learns it.

Where an offer is: its bassin, département and région, finest first; an offer without a
département (OfferPosted v3: located by its région alone, only as France, or abroad; see
``streams.rules``) has the markets it names and the national one, and is assessed against those
(:meth:`OffersHandler.area`). An offer written before v3 has no ``region``: it is its
département's.

Scoring (every worker, with model views), per OfferPosted: local norms
(``baseline.local_norms``), the gap report, the salary check, the prior, the features, the risk;
alerts « salaire sous le marché » and « offre à risque »; the offer's assessment hash. Every
offer and job-seeker event then goes to its model's learner.

Learning (one learner per model): per OfferPosted, the baselines learn the offer and the
open-offer store keeps its features. Per OfferClosed: the assessment is closed, the baselines
learn the time to fill, the outcome (unfilled after 30 days?) is kept. Outcomes are learnt 37
days after posting, for every offer alike (``_learn_due``). Job-seeker events move the
active-seeker counts. Learners also refresh the recruitment potential of every market they
touched and the classifier's metrics hash.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from agents.offers.alerts import (
    RiskExplanation,
    SalaryFinding,
    aged_risk_alert,
    hard_to_fill_alert,
    low_salary_alert,
)
from agents.offers.baseline import LocalNorms, local_norms
from agents.offers.features import (
    OfferFacts,
    hard_to_fill_features,
    market_areas,
    market_keys,
    offer_facts,
)
from agents.offers.gaps import NO_SALARY, AreaWords, GapReport, euros, gap_report
from agents.offers.model import (
    MODEL_NAME,
    RISK_METRICS_NAME,
    SUPPLY_MODEL_NAME,
    JobSeekerSupply,
    OfferIntelligence,
    OpenOffer,
    pack_features,
    risk_at_age,
)
from agents.offers.prior import MarketContext, Prior, market_context, tension_prior
from agents.offers.risk import DAY_S, LABEL_AFTER_DAYS, RiskEstimate, hard_to_fill_label
from agents.wording import place_name
from sinks.outputs import Alert, Outputs, SourceRef, StateUpdate
from streams.modelstore import ManagedModel, ModelView
from streams.referential import Referential

__all__ = ["OffersConfig", "OffersHandler", "assess_salary", "euros"]

GAP_SUMMARY = {
    "salary_below_q1": "salaire sous le premier quartile local",
    "experience_above_norm": "expérience demandée au-dessus de la norme locale",
    "rare_contract": "type de contrat rare localement",
    "part_time_vs_norm": "temps partiel là où le temps plein est la norme",
    "qualification_above_norm": "qualification au-dessus de la norme locale",
}
RELATED_OCCUPATIONS = 2
# Entries of each per-market cache of the handler (contexts, Redis entity ids): cleared when
# full, as markets come and go for ever (benchmarks/memory_growth.py).
CACHE_LIMIT = 50_000


@dataclass(frozen=True, slots=True)
class OffersConfig:
    """The thresholds of the use case (from ``streams.settings``)."""

    ratio_threshold: float = 0.8  # VIGIE_SALARY_ALERT_RATIO
    min_count: int = 5  # VIGIE_BASELINE_MIN_COUNT
    risk_threshold: float = 0.7  # VIGIE_HARD_TO_FILL_THRESHOLD
    min_outcomes: int = 200  # VIGIE_HARD_TO_FILL_MIN_OUTCOMES


def assess_salary(salary: float, norms: LocalNorms, *, ratio_threshold: float) -> SalaryFinding:
    """Compare a full-time-equivalent salary with the median of its finest trusted market.

    Without a market with enough salaries there is no verdict (``ratio`` is None).
    """
    if norms.salary is None or norms.salary_quartiles is None:
        finest = norms.finest()
        level = finest[0] if finest else "bassin"
        return SalaryFinding(salary, None, None, 0.0, 0, None, False, level)
    level, fig = norms.salary
    q1, median, _ = norms.salary_quartiles
    ratio = salary / median
    return SalaryFinding(
        salary, median, q1, fig.salary_count, fig.offers_raw, ratio, ratio < ratio_threshold, level
    )


@dataclass(frozen=True, slots=True)
class Assessment:
    """Everything computed for one posted offer (what ``evaluate.py`` inspects too)."""

    facts: OfferFacts
    keys: tuple[str, ...]
    norms: LocalNorms
    report: GapReport
    salary: SalaryFinding | None
    context: MarketContext
    prior: Prior
    features: dict[str, float]
    estimate: RiskEstimate


def _seconds(when: datetime) -> float:
    return when.timestamp()


class OffersHandler:
    """Scores offers with views of the offer models; their learners learn offers and seekers.

    ``state`` and ``supply`` are the learners of ``offer-intelligence`` and
    ``offer-jobseeker-supply``; ``state_view`` and ``supply_view`` the copies scoring reads
    (default: the learners themselves, as in tests and offline evaluations, with no lag).
    """

    records = frozenset(
        {
            "OfferPosted",
            "OfferClosed",
            "OfferAged",
            "JobSeekerProfileUpdated",
            "JobSeekerExited",
            "JobSeekerErased",
        }
    )
    learners = {
        MODEL_NAME: frozenset({"OfferPosted", "OfferClosed"}),
        SUPPLY_MODEL_NAME: frozenset(
            {"JobSeekerProfileUpdated", "JobSeekerExited", "JobSeekerErased"}
        ),
    }

    def __init__(
        self,
        state: ManagedModel,
        referential: Referential,
        *,
        supply: ManagedModel | None = None,
        config: OffersConfig | None = None,
        on_assessment: Callable[[dict[str, Any], Assessment], None] | None = None,
        state_view: ModelView | None = None,
        supply_view: ModelView | None = None,
    ) -> None:
        self.state = state
        self.supply = supply
        self.view: ModelView | ManagedModel = state_view or state
        self.supply_view: ModelView | ManagedModel | None = supply_view or supply
        self.ref = referential
        self.config = config or OffersConfig()
        self.on_assessment = on_assessment
        # Batches run on the event loop, but a learner catching up after a rebalance
        # (Runtime.restore) runs on an executor thread meanwhile: one lock keeps the per-batch
        # hashes and caches below consistent.
        self._lock = threading.RLock()
        self._batch: Outputs | None = None
        self._batch_states: dict[tuple[str, str], dict[str, str]] = {}
        self._contexts: dict[tuple[Any, ...], tuple[MarketContext, Prior]] = {}
        self._area_words: dict[tuple[str | None, str, str | None, str], AreaWords] = {}
        self._potential_ids: dict[str, str] = {}
        state.describe = self.metadata
        if supply is not None:
            supply.describe = lambda: {"active_jobseekers": len(supply.model)}

    @property
    def intelligence(self) -> OfferIntelligence:
        """The learnt offer state (baselines, open offers, classifier): the learner's."""
        model: OfferIntelligence = self.state.model
        return model

    # Pipeline protocol ------------------------------------------------------------------------

    def _start(self, out: Outputs) -> None:
        if out is not self._batch:  # a new batch: hashes written once per batch start over
            self._batch, self._batch_states = out, {}

    def handle(self, name: str, record: dict[str, Any], source: SourceRef, out: Outputs) -> None:
        """Score a posted offer; send every offer and job-seeker event to its model's learner."""
        with self._lock:
            self._start(out)
            if name == "OfferPosted":
                self._posted(record, source, out)
            elif name == "OfferAged":  # the learner's timer: scored here, nothing to learn
                self._aged(record, source, out)
                return
            if name in self.learners[MODEL_NAME]:
                out.learn(MODEL_NAME, name, record, source)
            elif self.supply is not None:
                out.learn(SUPPLY_MODEL_NAME, name, record, source)

    def learn(
        self, model: str, name: str, record: dict[str, Any], source: SourceRef, out: Outputs
    ) -> None:
        """Learn one event on the learner of ``model``."""
        with self._lock:
            self._start(out)
            if name == "OfferPosted":
                self._learn_posted(record, out)
            elif name == "OfferClosed":
                self._closed(record, out)
            else:
                self._seeker(name, record, out)

    def after_batch(self) -> None:
        """Nothing to do: the runtime snapshots the learners."""

    def metadata(self) -> dict[str, Any]:
        """What the offer-intelligence snapshot says about itself (``vigie models``)."""
        s = self.intelligence
        return {
            "hard_to_fill": s.risk.summary(),
            "open_offers": len(s.open_offers),
            "markets": len(s.baseline),
            "markets_pruned": s.baseline.pruned,
            "baseline_half_life_days": s.baseline.half_life_days,
            "closed_unknown": s.closed_unknown,
            "censored": s.censored,
            "labelled_open": s.labelled_open,
            "forgotten": s.open_offers.forgotten,
        }

    # Offers -----------------------------------------------------------------------------------

    def area(self, record: dict[str, Any]) -> tuple[str | None, str, str | None]:
        """(bassin, département or "", région or None) of an offer."""
        dep = record.get("departement") or ""
        region = record.get("region") or (self.ref.region_of_departement(dep) if dep else None)
        if (record.get("country") or "FR") != "FR":
            return None, "", None
        return record.get("bassin"), dep, region

    def _context(
        self, rome: str, bassin: str | None, dep: str, region: str | None
    ) -> tuple[MarketContext, Prior]:
        key = (rome, bassin, dep, region)
        found = self._contexts.get(key)
        if found is None:
            context = market_context(self.ref, rome, bassin, dep, region)
            found = self._contexts[key] = (context, tension_prior(context))
            if len(self._contexts) > CACHE_LIMIT:
                self._contexts.clear()
        return found

    def _words(self, record: dict[str, Any]) -> AreaWords:
        bassin, dep, region = self.area(record)
        country = record.get("country") or "FR"
        key = (bassin, dep, region, country)
        words = self._area_words.get(key)
        if words is None:
            words = self._area_words[key] = AreaWords(
                bassin,
                place_name(self.ref.bassin_name(bassin)) if bassin else None,
                dep,
                self.ref.departement_name(dep) if dep else None,
                region,
                self.ref.region_name(region) if region else None,
                country,
            )
        return words

    def assess(self, record: dict[str, Any], state: OfferIntelligence | None = None) -> Assessment:
        """Assess a posted offer against ``state`` (default: the view scoring uses)."""
        s, cfg = state or self.view.model, self.config
        (bassin, dep, region), rome = self.area(record), record["rome_code"]
        keys = tuple(
            sys.intern(key)
            for _, key in market_keys(rome, bassin=bassin, departement=dep, region=region)
        )
        t = _seconds(record["posted_at"])
        levels = [(key.split("|", 1)[1].split(":", 1)[0], key) for key in keys]
        norms = local_norms(s.baseline, levels, t, cfg.min_count)
        facts = offer_facts(record)
        occupation = record.get("rome_label") or self.ref.rome_label(rome) or rome
        report = gap_report(facts, norms, self._words(record), occupation)
        salary = None
        if facts.salary_fte is not None:
            salary = assess_salary(facts.salary_fte, norms, ratio_threshold=cfg.ratio_threshold)
        context, prior = self._context(rome, bassin, dep, region)
        features = hard_to_fill_features(facts, norms, context, prior, record["posted_at"])
        estimate = s.risk.assess(features, prior.probability, min_outcomes=cfg.min_outcomes)
        return Assessment(facts, keys, norms, report, salary, context, prior, features, estimate)

    def _posted(self, record: dict[str, Any], source: SourceRef, out: Outputs) -> None:
        cfg = self.config
        assessment = self.assess(record)
        if self.on_assessment is not None:
            self.on_assessment(record, assessment)
        version = (MODEL_NAME, self.view.version_label)
        words = self._words(record)
        salary_alert = risk_alert = None
        if assessment.salary is not None and assessment.salary.below_market:
            salary_alert = low_salary_alert(record, source, assessment.salary, words, version)
            out.alerts.append(salary_alert)
        if assessment.estimate.risk >= cfg.risk_threshold:
            risk_alert = self._risk_alert(record, source, assessment, words, version)
            out.alerts.append(risk_alert)
        out.states.append(
            _offer_state(record, assessment, salary_alert, risk_alert, version[1], words.level)
        )

    def _learn_posted(self, record: dict[str, Any], out: Outputs) -> None:
        """The baselines learn the offer; the open-offer store keeps its features.

        The learner assesses the offer again against its own state, which is the view's plus
        what it learnt since the last snapshot: the risk it keeps for the prequential metrics
        is the one a lag-free scorer would have served.
        """
        s = self.intelligence
        assessment = self.assess(record, s)
        t = _seconds(record["posted_at"])
        self._learn_due(t, out)
        previous = s.open_offers.get(record["offer_id"])
        if previous is None:  # an update of an open offer is not a new offer of the market
            s.baseline.learn_offer(assessment.keys, assessment.facts, t)
        est = assessment.estimate
        s.open_offers.add(
            record["offer_id"],
            OpenOffer(
                previous.posted_at if previous else t,
                assessment.keys,
                pack_features(assessment.features),
                est.p_model,
                est.p_prior,
                est.risk,
                assessment.facts.positions,
                alerted=est.risk >= self.config.risk_threshold,
            ),
        )
        touched = set(assessment.keys)
        for _, gone in s.open_offers.expire(t):
            touched.update(gone.keys)
        self._potential(out, touched, record["posted_at"], s, self._supply_seen())
        self._metrics(out, record["posted_at"])

    def _risk_alert(
        self,
        record: dict[str, Any],
        source: SourceRef,
        a: Assessment,
        words: AreaWords,
        version: tuple[str, str],
    ) -> Alert:
        s, cfg = self.view.model, self.config
        contributions = s.risk.contributions(a.features) if a.estimate.source == "model" else {}
        related = self._related(record)
        explained = RiskExplanation(
            a.estimate,
            a.prior,
            a.context,
            a.report,
            contributions,
            s.risk.n_outcomes,
            cfg.min_outcomes,
            s.risk.base_rate,
            related,
        )
        return hard_to_fill_alert(
            record,
            source,
            explained,
            words,
            version,
            threshold=cfg.risk_threshold,
            features=a.features,
        )

    def _closed(self, record: dict[str, Any], out: Outputs) -> None:
        s = self.intelligence
        fields = {
            "offer_id": record["offer_id"],
            "status": "closed",
            "outcome": record["outcome"],
            "closed_at": record["closed_at"].isoformat(),
        }
        t = _seconds(record["closed_at"])
        s.closure_clock = max(s.closure_clock, t)
        offer = s.open_offers.pop(record["offer_id"])  # before: its own outcome is known
        self._learn_due(t, out)
        if offer is None:
            s.closed_unknown += 1
        else:
            hard = self._learn_closure(offer, record, t)
            fields["days_open"] = f"{(t - offer.posted_at) / DAY_S:.2f}"
            fields["hard_to_fill_observed"] = "" if hard is None else str(int(hard))
            fields["risk_at_posting"] = f"{offer.risk:.4f}"
            self._potential(out, set(offer.keys), record["closed_at"], s, self._supply_seen())
        out.states.append(StateUpdate("offer", record["offer_id"], fields))
        self._metrics(out, record["closed_at"])

    def _learn_closure(self, offer: OpenOffer, record: dict[str, Any], t: float) -> bool | None:
        """Learn a closed offer's time to fill; keep its 30-day outcome until it is due."""
        s = self.intelligence
        days = None
        if record["outcome"] == "filled":
            filled = record.get("filled_at") or record["closed_at"]
            days = max(0.0, (_seconds(filled) - offer.posted_at) / DAY_S)
            s.quick_fills.learn(days)
        s.baseline.learn_outcome(offer.keys, t, days_to_fill=days, hard=None)
        if offer.labelled:  # learnt as hard while it stayed open
            return True
        hard = hard_to_fill_label(offer.posted_at, record)
        if hard is None:
            s.censored += 1
        elif t >= offer.posted_at + LABEL_AFTER_DAYS * DAY_S:
            self._learn_outcome(offer, hard, t)
        else:
            s.open_offers.settle(record["offer_id"], offer, hard)
        return hard

    def _learn_due(self, now: float, out: Outputs) -> None:
        """Learn the outcomes of the offers posted 37 days (30 + 7 of grace) before ``now``.

        Every offer is learnt at the same age, filled or not. Learning quick hires at their
        closure and slow ones a month later would teach the model, at any time, that what was
        posted recently is easy: features that drift with time (market norms filling up,
        the month) then rank offers backwards (measured: prequential AUC 0.38).

        "Still open" is only believed up to the latest closure seen: if closures stopped
        arriving (an upstream outage) while offers kept coming, every offer would look unfilled.
        """
        s = self.intelligence
        s.clock = max(s.clock, now)
        known_until = min(s.clock, s.closure_clock)
        for offer, hard, still_open in s.open_offers.due(known_until, LABEL_AFTER_DAYS):
            s.labelled_open += still_open
            self._learn_outcome(offer, hard, offer.posted_at + LABEL_AFTER_DAYS * DAY_S)
        self._age_due(known_until, out)

    def _age_due(self, now: float, out: Outputs) -> None:
        """Re-assess the open offers that reached 7, 14 or 21 days by ``now`` (event time).

        The learner holds the open offers, so the timer runs here, on the same clock as the
        labels (closures known up to ``now``), and its re-assessments are written as
        ``OfferAged`` events on the offers topic: scoring workers raise their alerts, and an
        audit replay re-reads them. The risk is the offer's posting features scored by the
        model as it is now, conditioned on the offer being still open at that age
        (``risk_at_age``). The first age whose risk reaches the threshold, for an offer that
        has not alerted yet, raises « offre à risque »: once per offer.
        """
        s, cfg = self.intelligence, self.config
        for offer_id, due, age in s.open_offers.aged(now):
            # Several ages may fall due at once: read the offer as the earlier ones left it.
            offer = s.open_offers.get(offer_id) or due
            if offer.labelled or not len(offer.features):
                now_risk, source = offer.risk, "model"
            else:
                est = s.risk.assess(
                    offer.feature_dict(), offer.p_prior, min_outcomes=cfg.min_outcomes
                )
                now_risk, source = est.risk, est.source
            share = s.quick_fills.still_open_share(age)
            risk = risk_at_age(now_risk, share)
            if risk >= cfg.risk_threshold and not offer.alerted:
                s.open_offers.mark_alerted(offer_id)
            rome, areas = market_areas(offer.keys)
            posted_at = datetime.fromtimestamp(offer.posted_at, UTC)
            out.publish(
                "OfferAged",
                {
                    "event_id": f"aged:{offer_id}:{age}",
                    "offer_id": offer_id,
                    "posted_at": posted_at,
                    "aged_at": posted_at + timedelta(days=age),
                    "checkpoint_days": age,
                    "rome_code": rome,
                    "departement": areas.get("departement", ""),
                    "region": areas.get("region"),
                    "bassin": areas.get("bassin"),
                    "risk": risk,
                    "risk_at_posting": offer.risk,
                    "risk_now_unconditioned": now_risk,
                    "still_open_share": share,
                    "risk_source": source,
                    "outcomes_learnt": s.risk.n_outcomes,
                    "alerted_before": offer.alerted,
                    "model_version": self.state.version_label,
                },
            )

    def _aged(self, record: dict[str, Any], source: SourceRef, out: Outputs) -> None:
        """Score an offer's re-assessment at an age: its hash fields, and its alert once."""
        cfg = self.config
        words = self._words(record)
        alert = None
        if record["risk"] >= cfg.risk_threshold and not record["alerted_before"]:
            bassin, dep, region = self.area(record)
            context, prior = self._context(record["rome_code"], bassin, dep, region)
            related = self._related(record)
            alert = aged_risk_alert(
                record, source, context, prior, words, related, threshold=cfg.risk_threshold
            )
            out.alerts.append(alert)
        age = record["checkpoint_days"]
        fields = {
            "offer_id": record["offer_id"],
            "checkpoint_days": str(age),
            "aged_at": record["aged_at"].isoformat(),
            f"risk_at_{age}d": f"{record['risk']:.4f}",
            "risk_aged": f"{record['risk']:.4f}",
        }
        if alert is not None:
            fields["aged_risk_alert_id"] = alert["alert_id"]
        out.states.append(StateUpdate("offer", record["offer_id"], fields))

    def _related(self, record: dict[str, Any]) -> list[str]:
        """Labels of the occupations the ROME data relates to the offer's, in its bassin."""
        related: list[str] = []
        if record.get("bassin"):
            for code, _ in self.ref.related_occupations(record["bassin"], record["rome_code"]):
                label = self.ref.rome_label(code)
                if label and code != record["rome_code"]:
                    related.append(label)
                if len(related) == RELATED_OCCUPATIONS:
                    break
        return related

    def _learn_outcome(self, offer: OpenOffer, hard: bool, t: float) -> None:
        s = self.intelligence
        s.baseline.learn_outcome(offer.keys, t, days_to_fill=None, hard=hard)
        s.risk.learn(
            offer.feature_dict(),
            hard,
            p_model=offer.p_model,
            p_prior=offer.p_prior,
            p_served=offer.risk,
            t=t,
        )

    # Job seekers and shared outputs -------------------------------------------------------------

    def _seeker(self, name: str, record: dict[str, Any], out: Outputs) -> None:
        if self.supply is None:
            return
        supply: JobSeekerSupply = self.supply.model
        jid = record["jobseeker_id"]
        if name == "JobSeekerExited":
            touched = supply.exit(jid)
            when = record["exited_at"]
        elif name == "JobSeekerErased":  # forgotten: no longer counted, nor kept by id
            touched = supply.exit(jid)
            when = record["requested_at"]
            expedite = getattr(self.supply, "expedite", None)
            if expedite is not None:
                expedite()
        else:
            dep = record["departement"]
            keys = market_keys(
                record["rome_code"],
                bassin=record.get("bassin"),
                departement=dep,
                region=self.ref.region_of_departement(dep),
            )
            touched = supply.update(jid, [sys.intern(key) for _, key in keys])
            when = record["updated_at"]
        # The open offers are the offer model's: its view here, unless this worker learns both.
        self._potential(out, set(touched), when, self.view.model, supply)

    def _supply_seen(self) -> JobSeekerSupply | None:
        return self.supply_view.model if self.supply_view is not None else None

    def _batch_state(self, out: Outputs, kind: str, entity_id: str) -> dict[str, str]:
        """The fields of one hash written once per batch (updated in place until delivery)."""
        fields = self._batch_states.get((kind, entity_id))
        if fields is None:
            fields = self._batch_states[(kind, entity_id)] = {}
            out.states.append(StateUpdate(kind, entity_id, fields))
        return fields

    def _potential(
        self,
        out: Outputs,
        keys: set[str],
        when: datetime,
        state: OfferIntelligence,
        supply: JobSeekerSupply | None,
    ) -> None:
        """Refresh the recruitment potential (open offers vs active seekers) of ``keys``.

        Each learner counts its own side exactly and reads the other model's side from
        what it holds of it (the other learner's latest snapshot, on another worker).
        """
        offers = state.open_offers
        updated_at = when.isoformat()
        for key in keys:
            entity = self._potential_ids.get(key)
            if entity is None:  # "G1603|bassin:8420" -> "G1603:bassin:8420"
                if len(self._potential_ids) >= CACHE_LIMIT:  # one per market ever seen: bounded
                    self._potential_ids.clear()
                entity = self._potential_ids[key] = key.replace("|", ":", 1)
            open_offers, positions = offers.counts(key)
            seekers = supply.active(key) if supply is not None else 0
            fields = self._batch_state(out, "potential", entity)
            fields["open_offers"] = str(open_offers)
            fields["open_positions"] = str(positions)
            fields["active_jobseekers"] = str(seekers)
            fields["ratio"] = f"{seekers / open_offers:.2f}" if open_offers else ""
            fields["updated_at"] = updated_at

    def _metrics(self, out: Outputs, when: datetime) -> None:
        """Refresh the classifier's metrics hash (written once per batch).

        The AUCs cost tens of microseconds to read: they are read at the batch's first offer
        event, so the hash lags the classifier by at most the batch in progress; the counts
        are exact.
        """
        s = self.intelligence
        fresh = ("model", RISK_METRICS_NAME) not in self._batch_states
        fields = self._batch_state(out, "model", RISK_METRICS_NAME)
        if fresh:
            fields.update({k: "" if v is None else str(v) for k, v in s.risk.summary().items()})
        fields.update(
            outcomes=str(s.risk.n_outcomes),
            positives=str(s.risk.positives),
            model_name=MODEL_NAME,
            model_version=self.state.version_label,
            in_use="model" if s.risk.n_outcomes >= self.config.min_outcomes else "prior",
            min_outcomes=str(self.config.min_outcomes),
            threshold=str(self.config.risk_threshold),
            open_offers=str(len(s.open_offers)),
            markets=str(len(s.baseline)),
            closed_unknown=str(s.closed_unknown),
            censored=str(s.censored),
            labelled_open=str(s.labelled_open),
            updated_at=when.isoformat(),
        )


def _offer_state(
    record: dict[str, Any],
    a: Assessment,
    salary_alert: Alert | None,
    risk_alert: Alert | None,
    version: str,
    area_level: str,
) -> StateUpdate:
    est = a.estimate
    fields = {
        "offer_id": record["offer_id"],
        "status": "open",
        "rome_code": record["rome_code"],
        "departement": record.get("departement") or "",
        "region": record.get("region") or "",
        "country": record.get("country") or "FR",
        "area_level": area_level,
        "bassin": record.get("bassin") or "",
        "posted_at": record["posted_at"].isoformat(),
        "model_version": version,
        "alert_id": salary_alert["alert_id"] if salary_alert else "",
        "risk_alert_id": risk_alert["alert_id"] if risk_alert else "",
        "risk": f"{est.risk:.4f}",
        "risk_source": est.source,
        "p_prior": f"{est.p_prior:.4f}",
        "p_model": f"{est.p_model:.4f}",
        "prior_source": a.prior.source,
        "reasons": "; ".join(GAP_SUMMARY[g.code] for g in a.report.gaps) or "aucun écart marqué",
        "gaps": str(len(a.report.gaps)),
        "gap_report": orjson.dumps(a.report.as_json()).decode(),
        "assessed_at": datetime.now(UTC).isoformat(),
    }
    finding = a.salary
    if finding is None:
        fields["salary_assessment"] = "no_salary"
        fields["salary_words"] = NO_SALARY
    else:
        fields["salary_full_time_equivalent"] = f"{finding.salary:.2f}"
        if finding.ratio is None:
            fields["salary_assessment"] = "no_baseline"
        else:
            fields["salary_assessment"] = "below_market" if finding.below_market else "in_market"
            fields["salary_ratio"] = f"{finding.ratio:.4f}"
            fields["market_median"] = f"{finding.median:.2f}"
            fields["market_count"] = str(finding.count_raw)
            fields["market_level"] = finding.level
    return StateUpdate("offer", record["offer_id"], fields)
