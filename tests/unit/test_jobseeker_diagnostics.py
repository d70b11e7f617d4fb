"""Job-seeker diagnostics: crafted flags, hints, alerts that never repeat, state, learning."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from agents.jobseekers import features, quality
from agents.jobseekers.features import FEATURE_NAMES, seeker_features, stored_profile
from agents.jobseekers.hints import mobility_options, reach_km, reconversion_options
from agents.jobseekers.logic import JobSeekersConfig, JobSeekersHandler
from agents.jobseekers.model import MODEL_NAME, Estimate, make_jobseeker_diagnostic
from agents.jobseekers.quality import email_flags, profile_flags
from agents.jobseekers.survival import DurationModel
from sinks.outputs import Outputs, SourceRef
from streams.modelstore import ManagedModel, MemoryModelStore
from streams.pipeline import InlineHandler
from streams.referential import Referential, load_referential
from streams.settings import load_settings

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
# Real cells of the 2021 tension table: forestry workers (A1203) have weak demand in bassin
# 3201 (Somme) where related occupations recruit; A1101 in 9315 (Vaucluse, a département of
# 3,567 km², proxy reach 34 km) has stronger demand in nearby bassins (25-44 km away).
WEAK_ROME, WEAK_BASSIN, WEAK_DEP = "A1203", "3201", "80"
MOBILE_ROME, MOBILE_BASSIN, MOBILE_DEP = "A1101", "9315", "84"


@pytest.fixture(scope="module")
def ref() -> Referential:
    return load_referential(load_settings().data_dir)


def profile(ref: Referential, **changes: Any) -> dict[str, Any]:
    """A clean JobSeekerProfileUpdated record, as the codec decodes it."""
    record = {
        "event_id": "00000000-0000-4000-8000-000000000000",
        "jobseeker_id": "DE00000001",
        "updated_at": NOW,
        "registered_at": date(2025, 9, 1),
        "category": "A",
        "rome_code": WEAK_ROME,
        "rome_label": ref.rome_label(WEAK_ROME),
        "departement": WEAK_DEP,
        "bassin": WEAK_BASSIN,
        "commune_code": None,
        "qualification_code": "3",
        "experience_months": 36,
        "mobility_radius_km": 20,
        "constraints": [],
        "training_in_progress": False,
        "adviser_id": "ADV-3201-01",
        "agency_id": "AG-3201",
        "last_contact_at": NOW - timedelta(days=20),
        "source": "agency",
    }
    record.update(changes)
    return record


def exited(when: datetime, reason: str = "back_to_work") -> dict[str, Any]:
    return {
        "event_id": "00000000-0000-4000-8000-000000000001",
        "jobseeker_id": "DE00000001",
        "exited_at": when,
        "reason": reason,
        "job_rome_code": None,
        "contract_type": None,
        "registered_at": date(2025, 9, 1),
    }


def source(offset: int, topic: str = "vigie.jobseekers") -> SourceRef:
    return SourceRef(topic, 0, offset, int(NOW.timestamp() * 1000))


# Flags on crafted cases -------------------------------------------------------------------------


def codes(flags: list[quality.Flag]) -> list[str]:
    return [f.code for f in flags]


def test_a_clean_profile_raises_no_flag(ref: Referential) -> None:
    record = profile(ref)
    assert profile_flags(record, None, ref) == []
    previous = stored_profile(profile(ref, updated_at=NOW - timedelta(days=40)))
    assert profile_flags(record, previous, ref) == []
    # Category D without a training also files people on sick leave: never a flag.
    assert profile_flags(profile(ref, category="D"), None, ref) == []
    # In training and in category D: coherent.
    assert profile_flags(profile(ref, category="D", training_in_progress=True), None, ref) == []


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"experience_months": 900}, "experience_implausible"),
        ({"experience_months": -3}, "experience_implausible"),
        ({"mobility_radius_km": 999}, "mobility_absurd"),
        ({"mobility_radius_km": -5}, "mobility_absurd"),
        ({"training_in_progress": True, "category": "A"}, "training_category"),
        ({"registered_at": date(2026, 3, 10)}, "registered_after_update"),
        ({"last_contact_at": NOW + timedelta(days=3)}, "contact_after_update"),
    ],
)
def test_each_field_defect_is_flagged(ref: Referential, changes: dict[str, Any], code: str) -> None:
    flags = profile_flags(profile(ref, **changes), None, ref)
    assert codes(flags) == [code]
    assert flags[0].message and flags[0].message[0].isupper()


def test_a_rome_v3_label_is_flagged_with_the_rome_4_codes(ref: Referential) -> None:
    code = "M1805"
    v3 = ref.rome_v3_label(code)
    assert v3 is not None and v3 != ref.rome_label(code)
    flags = profile_flags(profile(ref, rome_code=code, rome_label=v3), None, ref)
    assert codes(flags) == ["rome_label_v3"]
    assert "ROME 4" in flags[0].message and ref.rome_children(code)[0] in flags[0].message
    # The ROME 4 label is fine.
    assert (
        profile_flags(profile(ref, rome_code=code, rome_label=ref.rome_label(code)), None, ref)
        == []
    )


def test_a_stale_profile_is_flagged_when_it_comes_back(ref: Referential) -> None:
    previous = stored_profile(profile(ref, updated_at=NOW - timedelta(days=300)))
    assert codes(profile_flags(profile(ref), previous, ref)) == ["stale_profile"]
    recent = stored_profile(profile(ref, updated_at=NOW - timedelta(days=200)))
    assert profile_flags(profile(ref), recent, ref) == []


def test_emails_after_a_return_to_work_are_flagged_after_a_grace(ref: Referential) -> None:
    tombstone = {"status": "exited", "exit_reason": "back_to_work",
                 "exited_at": (NOW - timedelta(days=45)).isoformat()}  # fmt: skip
    assert codes(email_flags(tombstone, NOW)) == ["email_after_exit"]
    assert email_flags(tombstone, NOW - timedelta(days=20)) == []
    assert email_flags({**tombstone, "exit_reason": "moved"}, NOW) == []
    assert email_flags(stored_profile(profile(ref)), NOW + timedelta(days=10)) == []


# Features ---------------------------------------------------------------------------------------


def test_features_never_carry_protected_attributes_or_their_proxies(ref: Referential) -> None:
    forbidden = (
        *("sex", "gender", "age", "birth", "nationality", "health", "disability", "handicap"),
        *("language", "digital", "category_d", "category_e", "commune"),
    )
    for name in FEATURE_NAMES:
        assert not any(word in name.lower() for word in forbidden), name
    x = seeker_features(
        profile(ref, constraints=["language", "digital", "housing"], category="D"), ref
    )
    assert "constraint_housing" in x
    assert not any("language" in k or "digital" in k or "category" in k for k in x)
    # The stored profile keeps no commune of residence and no free text.
    stored = stored_profile(profile(ref, commune_code="80021"))
    assert "commune_code" not in stored and "rome_label" not in stored


def test_absurd_values_are_clipped_in_the_features(ref: Referential) -> None:
    wild = seeker_features(profile(ref, experience_months=12_000, mobility_radius_km=999), ref)
    assert wild["experience_log_years"] == pytest.approx(math.log1p(45.0))
    assert wild["mobility_log"] == pytest.approx(math.log(200 / 20))


# Hints ------------------------------------------------------------------------------------------


def test_reconversion_options_have_strong_demand_where_the_occupation_is_weak(
    ref: Referential,
) -> None:
    options = reconversion_options(ref, WEAK_ROME, WEAK_BASSIN)
    assert options, "the fixture cell should have related occupations that recruit"
    own = ref.tension(WEAK_ROME, WEAK_BASSIN)
    assert own is not None and own.tension_class <= 2
    for option in options:
        assert option.market.tension_class >= 4 and option.market.offers >= 20
        assert option.market.rome != WEAK_ROME and option.label
    # Strong or unknown local demand: no reconversion hint.
    strong = next(o.market.rome for o in options)
    assert reconversion_options(ref, strong, WEAK_BASSIN) == []
    assert reconversion_options(ref, WEAK_ROME, None) == []


def test_mobility_options_need_a_radius_that_reaches_another_bassin(ref: Referential) -> None:
    # The département-disc proxy radius (used without coordinates, test_jobseeker_mobility.py).
    reach = reach_km(ref, MOBILE_DEP)
    assert reach is not None and 30 < reach < 40
    # By distance: the nearest other bassin's centre is 25 km from the centre of 9315.
    far = mobility_options(ref, MOBILE_ROME, MOBILE_BASSIN, MOBILE_DEP, 50)
    assert far and all(o.market.bassin != MOBILE_BASSIN for o in far)
    assert all(o.market.tension_class >= 4 for o in far)
    assert all(o.distance_km is not None and o.distance_km <= 50 for o in far)
    assert mobility_options(ref, MOBILE_ROME, MOBILE_BASSIN, MOBILE_DEP, 20) == []
    assert mobility_options(ref, MOBILE_ROME, MOBILE_BASSIN, MOBILE_DEP, None) == []


# The handler ------------------------------------------------------------------------------------


@dataclass
class StubLongTerm:
    base_rate: float = 0.45
    n_outcomes: int = 1_000


@dataclass
class StubModel:
    """A diagnostic model whose risk the test sets."""

    risk: float | None = 0.2
    long_term: StubLongTerm = field(default_factory=StubLongTerm)

    def estimate(self, x: dict[str, float], elapsed: float) -> Estimate:
        return Estimate(elapsed, elapsed + 120.0, elapsed + 40.0, elapsed + 300.0, self.risk,
                        "model" if self.risk is not None else "", 0.5, elapsed >= 365)  # fmt: skip


@dataclass
class StubView:
    model: StubModel = field(default_factory=StubModel)
    version_label: str = "v7"


def handler(ref: Referential, view: StubView | None = None) -> JobSeekersHandler:
    return JobSeekersHandler(view or StubView(), None, ref, config=JobSeekersConfig())


def alerts_of(h: JobSeekersHandler, record: dict[str, Any], offset: int) -> list[dict[str, Any]]:
    out = Outputs()
    h.handle("JobSeekerProfileUpdated", record, source(offset), out)
    return out.alerts


def test_the_same_diagnostic_twice_raises_nothing(ref: Referential) -> None:
    h = handler(ref)
    record = profile(ref, experience_months=900)
    first = alerts_of(h, record, 1)
    assert [a["alert_type"] for a in first] == ["jobseeker_reconversion", "jobseeker_data_quality"]
    assert alerts_of(h, record, 2) == []
    assert alerts_of(h, {**record, "updated_at": NOW + timedelta(days=5)}, 3) == []
    # A new problem is a material change; the one already reported is listed after it.
    again = alerts_of(h, {**record, "mobility_radius_km": 999}, 4)
    assert [a["alert_type"] for a in again] == ["jobseeker_data_quality"]
    assert [r["code"] for r in again[0]["reasons"]] == ["mobility_absurd", "experience_implausible"]


def test_risk_alerts_on_a_crossing_only(ref: Referential) -> None:
    view = StubView()
    h = handler(ref, view)
    clean = profile(ref, rome_code=MOBILE_ROME, rome_label=None, bassin=MOBILE_BASSIN,
                    departement=MOBILE_DEP)  # fmt: skip

    def risk_alerts(p: float, offset: int) -> int:
        view.model.risk = p
        found = alerts_of(h, clean, offset)
        return sum(a["alert_type"] == "jobseeker_long_term_risk" for a in found)

    assert [risk_alerts(p, i) for i, p in enumerate((0.5, 0.8, 0.85, 0.65, 0.8, 0.55, 0.78))] == [
        0, 1, 0, 0, 0, 0, 1,
    ]  # fmt: skip
    view.model.risk = None  # no model ready: no risk alert, whatever happens
    assert risk_alerts(0.0, 99) == 0


def test_risk_alert_is_french_explained_and_addressed_to_the_adviser(ref: Referential) -> None:
    view = StubView(StubModel(risk=0.82))
    h = handler(ref, view)
    record = profile(ref, constraints=["transport"], registered_at=date(2026, 1, 5))
    alerts = alerts_of(h, record, 5)
    risk = next(a for a in alerts if a["alert_type"] == "jobseeker_long_term_risk")
    assert risk["audience_kind"] == "adviser" and risk["audience_id"] == "ADV-3201-01"
    assert risk["subject_kind"] == "jobseeker" and risk["subject_id"] == "DE00000001"
    assert risk["title"] == "Risque de chômage de longue durée : 82 % (seuil 75 %)"
    assert risk["severity"] == "critical" and risk["score"] == 0.82
    assert risk["model_name"] == MODEL_NAME and risk["model_version"] == "v7"
    codes_ = [r["code"] for r in risk["reasons"]]
    assert codes_ == ["long_term_risk", "time_to_return", "local_demand", "declared_situation"]
    assert "transport" in risk["reasons"][-1]["message"]
    assert any("Piste de reconversion" in s for s in risk["suggestions"])
    assert any("mobilité" in s for s in risk["suggestions"])
    # Deterministic id: the same event judged again gives the same alert.
    again = handler(ref, StubView(StubModel(risk=0.82)))
    assert [a["alert_id"] for a in alerts_of(again, record, 5)] == [a["alert_id"] for a in alerts]


def test_reconversion_waits_for_a_lasting_search_unless_the_risk_is_high(
    ref: Referential,
) -> None:
    h = handler(ref)
    young = profile(ref, registered_at=date(2026, 1, 5))
    assert alerts_of(h, young, 1) == []
    out = Outputs()
    h.handle("JobSeekerProfileUpdated", young, source(2), out)
    assert len(__import__("json").loads(out.states[0].fields["reconversion"])) >= 1
    # Six months later the same options are news for the adviser, once.
    later = {**young, "updated_at": datetime(2026, 7, 10, tzinfo=UTC)}
    assert [a["alert_type"] for a in alerts_of(h, later, 3)] == ["jobseeker_reconversion"]
    assert alerts_of(h, {**later, "updated_at": datetime(2026, 7, 20, tzinfo=UTC)}, 4) == []


def test_state_and_learning_examples(ref: Referential) -> None:
    h = handler(ref)
    out = Outputs()
    h.handle("JobSeekerProfileUpdated", profile(ref), source(1), out)
    fields = out.states[0].fields
    assert out.states[0].kind == "jobseeker" and fields["status"] == "active"
    assert fields["summary"].startswith("Inscription depuis 182 jours ; retour à l'emploi")
    assert fields["return_median_days"] == "120" and fields["long_term_risk"] == "0.2000"
    assert all(isinstance(v, str) for v in fields.values())
    h.handle("JobSeekerExited", exited(NOW + timedelta(days=3)), source(2), out)
    assert out.states[-1].fields["status"] == "exited"
    assert out.states[-1].fields["long_term_risk"] == ""
    assert [(e.model, e.record_name) for e in out.examples] == [
        (MODEL_NAME, "JobSeekerProfileUpdated"), (MODEL_NAME, "JobSeekerExited"),
    ]  # fmt: skip
    assert h.profiles["DE00000001"]["status"] == "exited"
    assert set(h.profiles["DE00000001"]) >= {"exited_at", "exit_reason", "memory"}


def test_updates_and_emails_after_a_return_to_work_are_flagged_once(ref: Referential) -> None:
    h = handler(ref)
    out = Outputs()
    h.handle("JobSeekerProfileUpdated", profile(ref), source(1), out)
    h.handle("JobSeekerExited", exited(NOW + timedelta(days=3)), source(2), out)
    stray = profile(ref, updated_at=NOW + timedelta(days=20))
    alerts = alerts_of(h, stray, 3)
    assert [a["alert_type"] for a in alerts] == ["jobseeker_data_quality"]
    assert alerts[0]["reasons"][0]["code"] == "update_after_exit"
    assert h.profiles["DE00000001"]["status"] == "exited"  # the stray update changes nothing
    assert alerts_of(h, {**stray, "updated_at": NOW + timedelta(days=22)}, 4) == []
    email = {"email_id": "MSG1", "jobseeker_id": "DE00000001", "adviser_id": "ADV-3201-01",
             "agency_id": "AG-3201", "received_at": NOW + timedelta(days=60)}  # fmt: skip
    out = Outputs()
    h.handle("EmailReceived", email, source(1, "vigie.emails"), out)
    assert [r["code"] for r in out.alerts[0]["reasons"]] == ["email_after_exit"]
    out = Outputs()
    h.handle("EmailReceived", {**email, "received_at": NOW + timedelta(days=70)},
             source(2, "vigie.emails"), out)  # fmt: skip
    assert out.alerts == [] and out.examples == []


def test_exits_leave_the_profiles_table_after_their_retention(ref: Referential) -> None:
    h = handler(ref)
    out = Outputs()
    early, late = "DE00000001", "DE00000002"
    h.handle("JobSeekerProfileUpdated", profile(ref), source(1), out)
    h.handle("JobSeekerExited", exited(NOW + timedelta(days=3)), source(2), out)
    active = profile(ref, jobseeker_id="DE00000003")
    h.handle("JobSeekerProfileUpdated", active, source(3), out)
    h.after_batch()
    assert h.profiles[early]["status"] == "exited"  # kept: its exit is recent
    # 200 days later another seeker exits: the first exit is past its 180 days, not the rest.
    later = {**exited(NOW + timedelta(days=203)), "jobseeker_id": late}
    h.handle("JobSeekerExited", later, source(4), out)
    h.after_batch()
    assert early not in h.profiles
    assert h.profiles[late]["status"] == "exited"
    assert h.profiles["DE00000003"]["status"] == "active"  # the active are never swept


# Learning ---------------------------------------------------------------------------------------


def test_the_learner_follows_spells_and_censors_other_exits(ref: Referential) -> None:
    model = ManagedModel(MODEL_NAME, MemoryModelStore(), make_jobseeker_diagnostic)
    h = JobSeekersHandler(model, model, ref)
    inline = InlineHandler(h, {MODEL_NAME: model})
    out = Outputs()
    inline.handle("JobSeekerProfileUpdated", profile(ref), source(1), out)
    inline.handle("JobSeekerProfileUpdated", profile(ref, updated_at=NOW + timedelta(days=30)),
                  source(2), out)  # fmt: skip
    inline.handle("JobSeekerExited", exited(NOW + timedelta(days=40), "moved"), source(3), out)
    state = model.model
    assert state.duration.pieces == 1 and state.duration.censored == 1
    assert state.duration.returns == 0 and state.exits == {"moved": 1}
    assert state.first_seen_late == 1  # registered in September, first seen in March
    metrics = [s for s in out.states if s.kind == "model"]
    assert metrics and metrics[0].entity_id == MODEL_NAME
    assert h.metadata()["duration"]["censored"] == 1


def test_censoring_and_truncation_recover_the_true_median() -> None:
    import random

    rng = random.Random(3)
    model = DurationModel()
    only_returns: list[float] = []
    for _ in range(30_000):
        total = math.exp(rng.gauss(5.5, 0.8))
        entry = rng.uniform(0.0, 60.0)
        if total <= entry:
            continue  # registered before Vigie and gone before: never seen
        other_exit = entry + rng.expovariate(1.0 / 120.0)  # left for other reasons
        seen = entry + (min(total, other_exit) - entry) * rng.random()
        model.learn_survival({}, entry, seen)
        if total <= other_exit:
            model.learn_exit({}, start=seen, duration=total, returned=True)
            only_returns.append(math.log(total))
        else:
            model.learn_exit({}, start=seen, duration=other_exit, returned=False)
    assert model.mu({}) == pytest.approx(5.5, abs=0.12)
    assert model.sigma == pytest.approx(0.8, abs=0.1)
    # What learning from the returns to work alone would give: far from the truth.
    assert sum(only_returns) / len(only_returns) < 5.0


def test_the_diagnostic_model_survives_pickling() -> None:
    import pickle

    state = make_jobseeker_diagnostic()
    state.observe_profile("DE1", registered=0.0, t=5 * features.DAY_S, x={"training": 1.0})
    again = pickle.loads(pickle.dumps(state))  # noqa: S301 - our own object
    assert again.spells.keys() == state.spells.keys()
    assert again.estimate({}, 5.0) == state.estimate({}, 5.0)


@pytest.mark.parametrize("module", ["features", "survival", "risk", "model", "hints", "quality"])
def test_docstring_examples_run(module: str) -> None:
    import doctest
    import importlib

    found = doctest.testmod(importlib.import_module(f"agents.jobseekers.{module}"))
    assert found.attempted and not found.failed
