"""What happens to each offer event: assess its salary against the local market, learn, alert.

Plain functions and one handler class, called by the Faust agent, the benchmarks and the audit
replay alike. The offer is scored against the baseline *before* it is learnt, so an offer is
never compared with a market that already contains it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from agents.offers.features import full_time_equivalent_salary, market_keys
from agents.offers.model import MODEL_NAME, BaselineSummary
from sinks.outputs import Alert, Outputs, SourceRef, StateUpdate, alert_id
from streams.modelstore import ManagedModel

RULE_LOW_SALARY = "offer_low_salary"


@dataclass(frozen=True, slots=True)
class SalaryFinding:
    """How an offer's pay compares with its market."""

    salary: float
    market: BaselineSummary | None
    ratio: float | None  # salary / local median
    below_market: bool
    level: str = ""  # the area level of ``market``: bassin, departement, region or national


def euros(amount: float) -> str:
    """French formatting of a monthly amount: ``2 150 €``."""
    return f"{round(amount):,}".replace(",", " ") + " €"


def assess_salary(
    salary: float,
    market: BaselineSummary | None,
    *,
    ratio_threshold: float,
    min_count: int,
    level: str = "departement",
) -> SalaryFinding:
    """Compare a full-time-equivalent salary with its market's median.

    A market with fewer than ``min_count`` offers has no trustworthy median: no verdict then.
    """
    if market is None or market.count < min_count or market.median <= 0:
        return SalaryFinding(salary, market, None, False, level)
    ratio = salary / market.median
    return SalaryFinding(salary, market, ratio, ratio < ratio_threshold, level)


LEVEL_WORDS = {
    "bassin": "le bassin d'emploi {bassin}",
    "departement": "le département {departement}",
    "region": "la région de l'offre",
    "national": "l'ensemble de la France",
}


def where(record: dict[str, Any], level: str) -> str:
    """French words for the area a market covers, e.g. « le département 07 »."""
    return LEVEL_WORDS[level].format(bassin=record.get("bassin"), departement=record["departement"])


def low_salary_alert(
    record: dict[str, Any], source: SourceRef, finding: SalaryFinding, model_version: str
) -> Alert:
    """The « salaire sous le marché » alert for the employer-relations team of the area."""
    assert finding.market is not None and finding.ratio is not None
    market, dep, rome = finding.market, record["departement"], record["rome_code"]
    gap = 1.0 - finding.ratio
    occupation = record.get("rome_label") or rome
    return {
        "alert_id": alert_id(source, RULE_LOW_SALARY),
        "alert_type": RULE_LOW_SALARY,
        "created_at": datetime.now(UTC),
        "event_time": record["posted_at"],
        "severity": "critical" if finding.ratio < 0.6 else "warning",
        "audience_kind": "area",
        "audience_id": dep,
        "subject_kind": "offer",
        "subject_id": record["offer_id"],
        "title": f"Offre {record['offer_id']} : salaire {gap:.0%} sous la médiane du marché",
        "score": round(gap, 4),
        "reasons": [
            {
                "code": "salary_below_local_median",
                "message": (
                    f"Salaire proposé : {euros(finding.salary)} brut mensuel (équivalent temps "
                    f"plein), contre une médiane de {euros(market.median)} pour « {occupation} » "
                    f"dans {where(record, finding.level)} ({market.count} offres observées)."
                ),
                "value": round(finding.salary, 2),
                "reference": round(market.median, 2),
                "level": finding.level,
            }
        ],
        "suggestions": [
            f"Aligner le salaire sur la médiane locale : {euros(market.median)} brut mensuel.",
            f"À défaut, viser au moins le premier quartile local : {euros(market.q1)}.",
        ],
        "inputs": {
            "rome_code": rome,
            "departement": dep,
            "salary_monthly_gross": str(record.get("salary_monthly_gross")),
            "weekly_hours": str(record.get("weekly_hours")),
            "salary_full_time_equivalent": f"{finding.salary:.2f}",
            "market_median": f"{market.median:.2f}",
            "market_q1": f"{market.q1:.2f}",
            "market_count": str(market.count),
            "market_level": finding.level,
        },
        "model_name": MODEL_NAME,
        "model_version": model_version,
        "rule": f"{RULE_LOW_SALARY}:ratio<{finding.ratio:.2f}",
        "source_topic": source.topic,
        "source_partition": source.partition,
        "source_offset": source.offset,
        "source_timestamp": source.timestamp_ms,
    }


def _offer_state(
    record: dict[str, Any], finding: SalaryFinding | None, alert: Alert | None, version: str
) -> StateUpdate:
    fields = {
        "offer_id": record["offer_id"],
        "status": "open",
        "rome_code": record["rome_code"],
        "departement": record["departement"],
        "posted_at": record["posted_at"].isoformat(),
        "model_version": version,
        "alert_id": alert["alert_id"] if alert else "",
    }
    if finding is None:
        fields["salary_assessment"] = "no_salary"
    elif finding.ratio is None:
        fields["salary_assessment"] = "no_baseline"
    else:
        fields["salary_assessment"] = "below_market" if finding.below_market else "in_market"
        fields["salary_ratio"] = f"{finding.ratio:.4f}"
    if finding is not None:
        fields["salary_full_time_equivalent"] = f"{finding.salary:.2f}"
        if finding.market is not None:
            fields["market_median"] = f"{finding.market.median:.2f}"
            fields["market_count"] = str(finding.market.count)
            fields["market_level"] = finding.level
    return StateUpdate("offer", record["offer_id"], fields)


class OffersHandler:
    """Handles OfferPosted and OfferClosed for the pipeline."""

    records = frozenset({"OfferPosted", "OfferClosed"})

    def __init__(
        self,
        baseline: ManagedModel,
        *,
        ratio_threshold: float,
        min_count: int,
        region_of: Callable[[str], str | None] = lambda dep: None,
    ):
        self.baseline = baseline
        self.region_of = region_of
        self.ratio_threshold = ratio_threshold
        self.min_count = min_count

    def handle(self, name: str, record: dict[str, Any], source: SourceRef, out: Outputs) -> None:
        """Assess a posted offer, or close a closed one's assessment."""
        if name == "OfferPosted":
            self._posted(record, source, out)
        else:
            out.states.append(
                StateUpdate(
                    "offer",
                    record["offer_id"],
                    {
                        "offer_id": record["offer_id"],
                        "status": "closed",
                        "outcome": record["outcome"],
                        "closed_at": record["closed_at"].isoformat(),
                    },
                )
            )

    def _posted(self, record: dict[str, Any], source: SourceRef, out: Outputs) -> None:
        salary = full_time_equivalent_salary(record)
        version = self.baseline.version_label
        finding = alert = None
        if salary is not None:
            dep = record["departement"]
            keys = market_keys(
                record["rome_code"],
                bassin=record.get("bassin"),
                departement=dep,
                region=self.region_of(dep),
            )
            trusted = self.baseline.model.first_trusted(keys, self.min_count)
            level, market = trusted if trusted else (keys[0][0], None)
            finding = assess_salary(
                salary,
                market,
                ratio_threshold=self.ratio_threshold,
                min_count=self.min_count,
                level=level,
            )
            if finding.below_market:
                alert = low_salary_alert(record, source, finding, version)
                out.alerts.append(alert)
            if self.baseline.should_learn(source.topic, source.partition, source.offset):
                for _, key in keys:
                    self.baseline.model.learn_one(key, salary)
                self.baseline.learned(source.topic, source.partition, source.offset)
        out.states.append(_offer_state(record, finding, alert, version))

    def after_batch(self) -> None:
        """Snapshot the baseline when its interval has passed."""
        self.baseline.maybe_snapshot()
