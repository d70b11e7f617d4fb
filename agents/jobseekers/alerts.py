"""The job-seeker alerts, in French, for the adviser who follows the seeker.

Three alerts, each raised only when the diagnostic changes materially (``logic.py`` decides):

* ``jobseeker_long_term_risk``: the risk of still being registered at 12 months crossed the
  threshold;
* ``jobseeker_reconversion``: a related occupation with strong local demand appeared while the
  seeker's own occupation has weak demand;
* ``jobseeker_data_quality``: a data-quality problem was found (``quality.py``).

All go to audience ``adviser`` / the seeker's adviser, subject ``jobseeker`` / the seeker, with a
deterministic id (``sinks.outputs.alert_id``: the causing event and the rule), the figures as
reasons, suggestions, the inputs (as text) and the model's name and version.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from agents.jobseekers.hints import Market, MobilityOption, ReconversionOption
from agents.jobseekers.model import Estimate
from agents.jobseekers.quality import Flag
from agents.wording import count, percent, place_name
from sinks.outputs import Alert, SourceRef, alert_envelope
from streams.referential import Referential

RULE_RISK = "jobseeker_long_term_risk"
RULE_RECONVERSION = "jobseeker_reconversion"
RULE_DATA_QUALITY = "jobseeker_data_quality"
CRITICAL_RISK = 0.8
CONSTRAINT_WORDS = {
    "childcare": "garde d'enfants",
    "transport": "transport",
    "housing": "logement",
    "financial": "difficultés financières",
    "administrative": "démarches administratives",
    "digital": "usage du numérique",
    "language": "maîtrise du français",
}
CONSTRAINT_SUGGESTIONS = {
    "childcare": "Frein garde d'enfants : orienter vers les solutions de garde (aide à la garde "
    "d'enfants pour parents isolés, crèches à vocation d'insertion professionnelle).",
    "transport": "Frein transport : mobiliser les aides à la mobilité (permis, "
    "déplacements, location de véhicule).",
    "housing": "Frein logement : orienter vers un accompagnement social ou les aides au "
    "logement liées à la reprise d'emploi.",
}


def market_words(ref: Referential, market: Market) -> str:
    """« tension 2/5 dans le bassin de Privas : 120 offres pour 800 demandeurs d'emploi (2021) »."""
    name = place_name(ref.bassin_name(market.bassin)) or market.bassin
    text = (
        f"tension {market.tension_class}/5 dans le bassin de {name} : {count(market.offers)} "
        f"offres pour {count(market.jobseekers)} demandeurs d'emploi sur l'année (2021)"
    )
    if market.open_offers is not None:
        text += f", {count(market.open_offers)} offres ouvertes en ce moment"
    return text


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """Everything computed for one job seeker at one profile event."""

    jobseeker_id: str
    estimate: Estimate
    market: Market | None  # the seeker's own occupation in their bassin
    reconversion: Sequence[ReconversionOption]
    mobility: Sequence[MobilityOption]
    flags: Sequence[Flag]
    base_rate: float  # recent share of long-term seekers (what the risk compares to)
    outcomes: int  # long-term outcomes the classifier learnt

    def summary(self) -> str:
        """One French sentence for the adviser's portfolio view."""
        est = self.estimate
        parts = [f"inscription depuis {count(est.elapsed_days)} jours"]
        if est.already_long_term:
            parts.append("déjà 12 mois d'inscription ou plus")
        if est.remaining_days is not None:
            parts.append(f"retour à l'emploi estimé dans {count(est.remaining_days)} jours")
        if est.p_long_term is not None and not est.already_long_term:
            parts.append(f"risque de chômage de longue durée {percent(est.p_long_term)}")
        if self.reconversion:
            parts.append(f"{len(self.reconversion)} piste(s) de reconversion")
        if self.mobility:
            parts.append(f"{len(self.mobility)} piste(s) de mobilité")
        if self.flags:
            parts.append(f"{len(self.flags)} point(s) de dossier à vérifier")
        text = " ; ".join(parts)
        return text[:1].upper() + text[1:] + "."


def _base(
    record: dict[str, Any],
    source: SourceRef,
    rule: str,
    model: tuple[str, str],
    event_time: datetime,
) -> dict[str, Any]:
    return alert_envelope(
        source,
        rule,
        event_time=event_time,
        audience=("adviser", record["adviser_id"]),
        subject=("jobseeker", record["jobseeker_id"]),
        model=model,
    )


def _inputs(record: dict[str, Any], diag: Diagnostic) -> dict[str, str]:
    est = diag.estimate
    inputs = {
        "rome_code": record["rome_code"],
        "bassin": str(record.get("bassin")),
        "departement": record["departement"],
        "qualification_code": str(record.get("qualification_code")),
        "experience_months": str(record.get("experience_months")),
        "mobility_radius_km": str(record.get("mobility_radius_km")),
        "constraints": ",".join(sorted(record.get("constraints") or ())),
        "training_in_progress": str(bool(record.get("training_in_progress"))),
        "elapsed_days": f"{est.elapsed_days:.1f}",
        "p_survival_365": f"{est.p_survival:.4f}",
    }
    if est.p_long_term is not None:
        inputs["p_long_term"] = f"{est.p_long_term:.4f}"
        inputs["risk_source"] = est.risk_source
    if est.median_days is not None:
        inputs["median_total_days"] = f"{est.median_days:.1f}"
    return inputs


def _option_text(ref: Referential, option: ReconversionOption) -> str:
    closeness = (
        f"proximité {percent(option.proximity)} selon le ROME"
        if option.proximity is not None
        else "même famille de métiers"
    )
    return f"« {option.label} » ({closeness}) : {market_words(ref, option.market)}."


def _mobility_text(ref: Referential, option: MobilityOption, departement: str = "") -> str:
    place = f"Bassin de {option.bassin_name}"
    other = ref.bassin_departement(option.market.bassin)
    if other and other != departement:
        place += f" ({ref.departement_name(other) or other})"
    if option.distance_km is None:
        reach = f"zone du département, environ {count(option.reach_km)} km"
    else:
        start = {"commune": "de la commune de résidence"}.get(
            option.distance_from or "", "du centre du bassin de résidence"
        )
        reach = f"centre du bassin à environ {count(option.distance_km)} km à vol d'oiseau {start}"
    return (
        f"{place}, dans le rayon de mobilité déclaré ({reach}) : "
        f"{market_words(ref, option.market)}."
    )


def risk_alert(
    record: dict[str, Any],
    source: SourceRef,
    diag: Diagnostic,
    ref: Referential,
    model: tuple[str, str],
    threshold: float,
) -> Alert:
    """« Risque de chômage de longue durée »: the risk crossed ``threshold``."""
    est = diag.estimate
    assert est.p_long_term is not None
    if est.risk_source == "model":
        origin = (
            f"contre {percent(diag.base_rate)} en moyenne parmi les parcours récents (modèle "
            f"appris sur {count(diag.outcomes)} parcours dont l'issue à 12 mois est connue)"
        )
    else:
        origin = (
            "estimation du modèle de durée (le modèle de risque n'a pas encore assez "
            f"d'issues à 12 mois : {count(diag.outcomes)})"
        )
    reasons = [
        {
            "code": "long_term_risk",
            "message": (
                f"Probabilité que l'inscription dure 12 mois ou plus : "
                f"{percent(est.p_long_term)}, {origin}."
            ),
            "value": round(est.p_long_term, 4),
            "reference": round(diag.base_rate, 4),
            "level": "high",
        }
    ]
    if est.remaining_days is not None and est.low_days is not None and est.high_days is not None:
        reasons.append(
            {
                "code": "time_to_return",
                "message": (
                    f"Inscription depuis {count(est.elapsed_days)} jours ; retour à l'emploi "
                    f"estimé dans {count(est.remaining_days)} jours (médiane ; entre "
                    f"{count(est.low_days - est.elapsed_days)} et "
                    f"{count(est.high_days - est.elapsed_days)} jours pour la moitié des "
                    "parcours comparables)."
                ),
                "value": round(est.remaining_days, 1),
                "reference": None,
                "level": None,
            }
        )
    if diag.market is not None:
        occupation = record.get("rome_label") or ref.rome_label(record["rome_code"])
        reasons.append(
            {
                "code": "local_demand",
                "message": f"Métier « {occupation} » : {market_words(ref, diag.market)}.",
                "value": float(diag.market.tension_class),
                "reference": 3.0,
                "level": None,
            }
        )
    constraints = [c for c in record.get("constraints") or () if c in CONSTRAINT_WORDS]
    if constraints or record.get("training_in_progress"):
        words = [CONSTRAINT_WORDS[c] for c in sorted(constraints)]
        if record.get("training_in_progress"):
            words.append("formation en cours")
        reasons.append(
            {
                "code": "declared_situation",
                "message": "Situation déclarée : " + ", ".join(words) + ".",
                "value": None,
                "reference": None,
                "level": None,
            }
        )
    suggestions = [
        "Proposer un entretien approfondi pour revoir le projet et la stratégie de recherche."
    ]
    suggestions += [
        CONSTRAINT_SUGGESTIONS[c] for c in sorted(constraints) if c in CONSTRAINT_SUGGESTIONS
    ]
    suggestions += [f"Piste de reconversion : {_option_text(ref, o)}" for o in diag.reconversion]
    suggestions += [
        f"Piste de mobilité : {_mobility_text(ref, o, record['departement'])}"
        for o in diag.mobility
    ]
    return {
        **_base(record, source, RULE_RISK, model, record["updated_at"]),
        "severity": "critical" if est.p_long_term >= CRITICAL_RISK else "warning",
        "title": (
            f"Risque de chômage de longue durée : {percent(est.p_long_term)} "
            f"(seuil {percent(threshold)})"
        ),
        "score": round(est.p_long_term, 4),
        "reasons": reasons,
        "suggestions": suggestions,
        "inputs": _inputs(record, diag),
        "rule": f"{RULE_RISK}:p>={threshold:.2f}",
    }


def reconversion_alert(
    record: dict[str, Any],
    source: SourceRef,
    diag: Diagnostic,
    new_codes: set[str],
    ref: Referential,
    model: tuple[str, str],
) -> Alert:
    """« Piste de reconversion »: a strong related occupation appeared in the seeker's bassin."""
    assert diag.market is not None and diag.reconversion
    options = sorted(diag.reconversion, key=lambda o: o.market.rome not in new_codes)
    first = options[0]
    occupation = record.get("rome_label") or ref.rome_label(record["rome_code"])
    reasons = [
        {
            "code": "weak_local_demand",
            "message": f"Métier recherché « {occupation} » : {market_words(ref, diag.market)}.",
            "value": float(diag.market.tension_class),
            "reference": 3.0,
            "level": "low",
        }
    ]
    for option in options:
        reasons.append(
            {
                "code": "related_occupation",
                "message": "Métier proche qui recrute : " + _option_text(ref, option),
                "value": float(option.market.tension_class),
                "reference": float(diag.market.tension_class),
                "level": "high",
            }
        )
    suggestions = [
        f"Présenter le métier « {o.label} » et proposer une immersion professionnelle (PMSMP)."
        for o in options
    ]
    suggestions.append(
        "Vérifier les compétences transférables et, si besoin, une formation courte."
    )
    inputs = _inputs(record, diag)
    inputs["options"] = ",".join(o.market.rome for o in options)
    inputs["new_options"] = ",".join(sorted(new_codes))
    return {
        **_base(record, source, RULE_RECONVERSION, model, record["updated_at"]),
        "severity": "info",
        "title": f"Piste de reconversion : « {first.label} » recrute dans le bassin",
        "score": None,
        "reasons": reasons,
        "suggestions": suggestions,
        "inputs": inputs,
        "rule": f"{RULE_RECONVERSION}:new_option",
    }


def data_quality_alert(
    record: dict[str, Any],
    source: SourceRef,
    flags: Sequence[Flag],
    new_codes: set[str],
    model: tuple[str, str],
    event_time: datetime,
) -> Alert:
    """« Dossier à vérifier »: data-quality problems, the new ones first."""
    ordered = sorted(flags, key=lambda f: f.code not in new_codes)
    return {
        **_base(record, source, RULE_DATA_QUALITY, model, event_time),
        "severity": "warning",
        "title": f"Dossier à vérifier : {len(ordered)} incohérence(s) dans le profil",
        "score": None,
        "reasons": [
            {
                "code": f.code,
                "message": f.message,
                "value": f.value,
                "reference": f.reference,
                "level": "high" if f.code in new_codes else "medium",
            }
            for f in ordered
        ],
        "suggestions": ["Vérifier ces informations avec la personne et corriger le dossier."],
        "inputs": {
            "flags": ",".join(f.code for f in ordered),
            "new_flags": ",".join(sorted(new_codes)),
        },
        "rule": f"{RULE_DATA_QUALITY}:" + "+".join(sorted(new_codes)),
    }
