"""The offers use case's alerts, in French: « salaire sous le marché » and « offre à risque ».

Both go to the employer-relations team of the offer's département (audience ``area``; an
offer located only by its région goes to ``region-NN``, one located only as France or abroad
to ``FR``: ``gaps.AreaWords.audience``), with
deterministic ids (``sinks.outputs.alert_id``), their figures as reasons, concrete suggestions,
the inputs that produced them (as text) and the model name and version.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from agents.offers.gaps import AreaWords, Gap, GapReport, euros
from agents.offers.model import MODEL_NAME
from agents.offers.prior import (
    BMO_NATIONAL_SHARE,
    POOL_REFERENCE,
    SMALL_POOL,
    MarketContext,
    Prior,
)
from agents.offers.risk import RiskEstimate
from agents.wording import count, percent
from sinks.outputs import Alert, SourceRef, alert_envelope, cause_alert_id

RULE_LOW_SALARY = "offer_low_salary"
RULE_HARD_TO_FILL = "offer_hard_to_fill"
PRIOR_ONLY = (
    "estimation a priori (indicateurs de tension), "
    "le modèle n'a pas encore assez d'issues observées"
)


@dataclass(frozen=True, slots=True)
class SalaryFinding:
    """How an offer's pay compares with its market's median."""

    salary: float  # full-time equivalent
    median: float | None
    q1: float | None
    count: float  # decayed number of comparable offers with a salary
    count_raw: int  # offers ever seen in that market
    ratio: float | None  # salary / local median; None without a trusted market
    below_market: bool
    level: str = ""  # area level of the market: bassin, departement, region or national


def _base(
    record: dict[str, Any], source: SourceRef, rule: str, model: tuple[str, str], words: AreaWords
) -> dict[str, Any]:
    return alert_envelope(
        source,
        rule,
        event_time=record["posted_at"],
        audience=("area", words.audience),
        subject=("offer", record["offer_id"]),
        model=model,
    )


def _area_inputs(record: dict[str, Any], words: AreaWords) -> dict[str, str]:
    """The inputs every offer alert names: the occupation and the areas of its market."""
    return {
        "rome_code": record["rome_code"],
        "departement": words.departement,
        "region": words.region or "",
        "area_level": words.level,
        "bassin": str(record.get("bassin")),
    }


def low_salary_alert(
    record: dict[str, Any],
    source: SourceRef,
    finding: SalaryFinding,
    words: AreaWords,
    model: tuple[str, str],
) -> Alert:
    """The « salaire sous le marché » alert."""
    assert finding.median is not None and finding.q1 is not None and finding.ratio is not None
    gap = 1.0 - finding.ratio
    occupation = record.get("rome_label") or record["rome_code"]
    return {
        **_base(record, source, RULE_LOW_SALARY, model, words),
        "severity": "critical" if finding.ratio < 0.6 else "warning",
        "title": f"Offre {record['offer_id']} : salaire {gap:.0%} sous la médiane du marché",
        "score": round(gap, 4),
        "reasons": [
            {
                "code": "salary_below_local_median",
                "message": (
                    f"Salaire proposé : {euros(finding.salary)} brut mensuel (équivalent temps "
                    f"plein), contre une médiane de {euros(finding.median)} pour « {occupation} » "
                    f"{words.where(finding.level)} ({round(finding.count)} offres observées)."
                ),
                "value": round(finding.salary, 2),
                "reference": round(finding.median, 2),
                "level": finding.level,
            }
        ],
        "suggestions": [
            f"Aligner le salaire sur la médiane locale : {euros(finding.median)} brut mensuel.",
            f"À défaut, viser au moins le premier quartile local : {euros(finding.q1)}.",
        ],
        "inputs": {
            **_area_inputs(record, words),
            "salary_monthly_gross": str(record.get("salary_monthly_gross")),
            "weekly_hours": str(record.get("weekly_hours")),
            "salary_full_time_equivalent": f"{finding.salary:.2f}",
            "market_median": f"{finding.median:.2f}",
            "market_q1": f"{finding.q1:.2f}",
            "market_count": str(finding.count_raw),
            "market_weight": f"{finding.count:.2f}",
            "market_level": finding.level,
        },
        "rule": f"{RULE_LOW_SALARY}:ratio<{finding.ratio:.2f}",
    }


@dataclass(frozen=True, slots=True)
class RiskExplanation:
    """Everything the « offre à risque » alert says about one offer."""

    estimate: RiskEstimate
    prior: Prior
    context: MarketContext
    report: GapReport
    contributions: dict[str, float]  # empty while the prior alone gives the risk
    outcomes: int
    min_outcomes: int
    base_rate: float
    related: Sequence[str]  # labels of related occupations in the bassin

    def ranked_gaps(self) -> list[Gap]:
        """Gaps, the ones weighing most in the model's risk first."""
        if not self.contributions:
            return list(self.report.gaps)
        return sorted(self.report.gaps, key=lambda g: -self.contributions.get(g.feature, 0.0))


def risk_reason(explained: RiskExplanation) -> dict[str, Any]:
    """The first reason of the alert: the risk itself and where it comes from."""
    est = explained.estimate
    head = f"Risque que l'offre ne soit pas pourvue sous 30 jours : {percent(est.risk)}"
    if est.source == "prior":
        text = (
            f"{head}, {PRIOR_ONLY} ({count(explained.outcomes)} sur "
            f"{count(explained.min_outcomes)}) ; "
            f"source : {explained.prior.describe()}."
        )
    else:
        text = (
            f"{head}, contre {percent(explained.base_rate)} en moyenne pour les offres récentes "
            f"(modèle appris sur {count(explained.outcomes)} offres dont l'issue est connue ; "
            f"il compte pour {percent(est.model_weight)} face à l'estimation a priori)."
        )
    return {
        "code": "hard_to_fill_risk",
        "message": text,
        "value": round(est.risk, 4),
        "reference": round(explained.base_rate if est.source == "model" else est.p_prior, 4),
        "level": "high" if est.risk >= 0.8 else "medium",
    }


def tension_reason(context: MarketContext, prior: Prior, words: AreaWords) -> dict[str, Any] | None:
    """The market context: tension indicators of the bassin, or the BMO difficulty share."""
    t = context.tension
    if prior.source == "tension" and t is not None:
        parts = [f"tension {t.tension_class}/5"]
        if t.hard_conditions is not None:
            parts.append(f"conditions de travail contraignantes {t.hard_conditions}/5")
        if t.non_durable_jobs is not None:
            parts.append(f"emplois peu durables {t.non_durable_jobs}/5")
        return {
            "code": "market_tension",
            "message": (
                f"Vivier {words.where('bassin')} : {count(t.jobseekers)} demandeurs d'emploi "
                f"inscrits dans ce métier, contre {count(POOL_REFERENCE)} pour un métier médian ; "
                f"{', '.join(parts)} (indicateurs de tension 2021)."
            ),
            "value": float(t.jobseekers),
            "reference": POOL_REFERENCE,
            "level": "bassin",
        }
    if prior.source == "small_market":
        return {
            "code": "small_market",
            "message": (
                f"Vivier réduit {words.where('bassin')} : moins d'une douzaine de demandeurs "
                "d'emploi inscrits dans ce métier (absent des indicateurs de tension 2021), "
                f"contre {count(POOL_REFERENCE)} pour un métier médian."
            ),
            "value": SMALL_POOL,
            "reference": POOL_REFERENCE,
            "level": "bassin",
        }
    levels = {"bmo_departement": "departement", "bmo_region": "region", "bmo_national": "national"}
    if prior.source in levels and prior.share is not None:
        level = levels[prior.source]
        where = words.where(level)
        subject = (
            "des projets de recrutement de ce métier"
            if level == "national"
            else "des projets de recrutement"
        )
        return {
            "code": "hiring_difficulty",
            "message": (
                f"{percent(prior.share)} {subject} {where} sont jugés difficiles par les "
                f"employeurs (BMO 2024 ; {percent(BMO_NATIONAL_SHARE)} en moyenne)."
            ),
            "value": round(prior.share, 4),
            "reference": BMO_NATIONAL_SHARE,
            "level": level,
        }
    return None


def _gap_reason(gap: Gap) -> dict[str, Any]:
    return {
        "code": gap.code,
        "message": gap.message,
        "value": round(gap.value, 2),
        "reference": round(gap.reference, 2),
        "level": gap.level,
    }


def risk_suggestions(explained: RiskExplanation) -> list[str]:
    """Concrete adjustments, the most useful first."""
    suggestions = [g.suggestion for g in explained.ranked_gaps()]
    if not suggestions:
        suggestions.append(
            "Aucun écart marqué avec les offres comparables : la difficulté tient au marché. "
            "Diffuser l'offre largement et envisager une préparation opérationnelle à l'emploi "
            "(POE) pour des candidats proches du profil."
        )
    if explained.related:
        suggestions.append(
            "Élargir la recherche aux candidats de métiers proches dans le bassin : "
            + ", ".join(f"« {label} »" for label in explained.related)
            + "."
        )
    return suggestions


def hard_to_fill_alert(
    record: dict[str, Any],
    source: SourceRef,
    explained: RiskExplanation,
    words: AreaWords,
    model: tuple[str, str],
    *,
    threshold: float,
    features: dict[str, float],
) -> Alert:
    """The « offre à risque » alert: risk, main reasons and suggested adjustments."""
    est = explained.estimate
    reasons = [risk_reason(explained), *(_gap_reason(g) for g in explained.ranked_gaps())]
    context = tension_reason(explained.context, explained.prior, words)
    if context is not None:
        reasons.append(context)
    inputs = {
        **_area_inputs(record, words),
        "risk": f"{est.risk:.4f}",
        "risk_source": est.source,
        "p_prior": f"{est.p_prior:.4f}",
        "p_model": f"{est.p_model:.4f}",
        "model_weight": f"{est.model_weight:.4f}",
        "outcomes_learnt": str(explained.outcomes),
        "min_outcomes": str(explained.min_outcomes),
        "threshold": f"{threshold:.2f}",
        "prior_source": explained.prior.source,
        "tension_class": str(explained.prior.tension_class),
        "gaps": ",".join(g.code for g in explained.report.gaps),
    }
    inputs.update({f"x.{name}": f"{value:.4f}" for name, value in features.items()})
    return {
        **_base(record, source, RULE_HARD_TO_FILL, model, words),
        "severity": "critical" if est.risk >= 0.8 else "warning",
        "title": (
            f"Offre {record['offer_id']} à risque : {percent(est.risk)} de risque "
            "de ne pas être pourvue sous 30 jours"
        ),
        "score": round(est.risk, 4),
        "reasons": reasons,
        "suggestions": risk_suggestions(explained),
        "inputs": inputs,
        "rule": f"{RULE_HARD_TO_FILL}:risk>={threshold:.2f}:{est.source}",
    }


def aged_risk_alert(
    record: dict[str, Any],
    source: SourceRef,
    context: MarketContext,
    prior: Prior,
    words: AreaWords,
    related: Sequence[str],
    *,
    threshold: float,
) -> Alert:
    """« Offre à risque » for an offer still open at an age (an ``OfferAged`` event).

    Its id is the cause's (``offer:<id>:age:<days>``), not the event's offset: a timer event
    written twice raises one alert.
    """
    age, risk = record["checkpoint_days"], record["risk"]
    share = record["still_open_share"]
    reasons: list[dict[str, Any]] = [
        {
            "code": "hard_to_fill_risk_at_age",
            "message": (
                f"Offre toujours ouverte {age} jours après sa publication : le risque qu'elle ne "
                f"soit pas pourvue sous 30 jours passe de {percent(record['risk_at_posting'])} "
                f"à la publication à {percent(risk)}. Parmi les offres pourvues en moins de "
                f"30 jours, {percent(share)} étaient encore ouvertes à cet âge."
            ),
            "value": round(risk, 4),
            "reference": round(record["risk_at_posting"], 4),
            "level": "high" if risk >= 0.8 else "medium",
        }
    ]
    market = tension_reason(context, prior, words)
    if market is not None:
        reasons.append(market)
    suggestions = [
        "Reprendre l'offre avec l'employeur : salaire, expérience demandée et horaires au "
        "regard des offres comparables, puis la rediffuser.",
        "Proposer une préparation opérationnelle à l'emploi (POE) pour des candidats proches "
        "du profil.",
    ]
    if related:
        suggestions.append(
            "Élargir la recherche aux candidats de métiers proches dans le bassin : "
            + ", ".join(f"« {label} »" for label in related)
            + "."
        )
    cause = f"offer:{record['offer_id']}:age:{age}"
    envelope = alert_envelope(
        source,
        RULE_HARD_TO_FILL,
        event_time=record["aged_at"],
        audience=("area", words.audience),
        subject=("offer", record["offer_id"]),
        model=(MODEL_NAME, record["model_version"]),
    )
    envelope["alert_id"] = cause_alert_id(cause, RULE_HARD_TO_FILL)
    return {
        **envelope,
        "severity": "critical" if risk >= 0.8 else "warning",
        "title": (
            f"Offre {record['offer_id']} toujours ouverte après {age} jours : {percent(risk)} "
            "de risque de ne pas être pourvue sous 30 jours"
        ),
        "score": round(risk, 4),
        "reasons": reasons,
        "suggestions": suggestions,
        "inputs": {
            **_area_inputs(record, words),
            "checkpoint_days": str(age),
            "risk": f"{risk:.4f}",
            "risk_at_posting": f"{record['risk_at_posting']:.4f}",
            "risk_now_unconditioned": f"{record['risk_now_unconditioned']:.4f}",
            "still_open_share": f"{share:.4f}",
            "risk_source": record["risk_source"],
            "outcomes_learnt": str(record["outcomes_learnt"]),
            "threshold": f"{threshold:.2f}",
            "prior_source": prior.source,
        },
        "rule": f"{RULE_HARD_TO_FILL}:age{age}d:risk>={threshold:.2f}:{record['risk_source']}",
    }
