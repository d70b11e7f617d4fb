"""The traffic simulator: deterministic, time-ordered, coherent, real codes, documented dynamics."""

from __future__ import annotations

import hashlib
import os
import re
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson
import pytest

from streams.referential import Referential, load_referential
from streams.settings import PROJECT_ROOT, load_settings
from streams.simulator import DEFAULT_START, SimConfig, SimEvent, dynamics, market, simulate

SEED = 20260105
EVENTS = 20_000

FIELDS: dict[str, set[str]] = {
    "OfferPosted": {
        "event_id", "offer_id", "posted_at", "updated_at", "title", "rome_code", "rome_label",
        "appellation_label", "commune_code", "postal_code", "departement", "bassin", "latitude",
        "longitude", "contract_type", "contract_duration_months", "experience_required",
        "experience_months", "salary_text", "salary_monthly_gross", "salary_monthly_gross_min",
        "salary_monthly_gross_max", "weekly_hours", "full_time", "qualification_code",
        "qualification_label", "positions", "naf_code", "employer_name", "lacks_candidates",
        "source",
    },
    "OfferClosed": {
        "event_id", "offer_id", "closed_at", "outcome", "posted_at", "filled_at",
        "positions_filled",
    },
    "JobSeekerProfileUpdated": {
        "event_id", "jobseeker_id", "updated_at", "registered_at", "category", "rome_code",
        "rome_label", "departement", "bassin", "commune_code", "qualification_code",
        "experience_months", "mobility_radius_km", "constraints", "training_in_progress",
        "adviser_id", "agency_id", "last_contact_at", "source",
    },
    "JobSeekerExited": {
        "event_id", "jobseeker_id", "exited_at", "reason", "job_rome_code", "contract_type",
        "registered_at",
    },
    "EmailReceived": {
        "event_id", "email_id", "jobseeker_id", "adviser_id", "agency_id", "received_at",
        "subject", "body", "body_format", "attachments", "in_reply_to",
    },
}  # fmt: skip
EVENT_TIME_FIELD = {
    "OfferPosted": "posted_at",
    "OfferClosed": "closed_at",
    "JobSeekerProfileUpdated": "updated_at",
    "JobSeekerExited": "exited_at",
    "EmailReceived": "received_at",
}
FORBIDDEN = {"sex", "gender", "age", "birth", "nationality", "health", "disability", "handicap"}


@pytest.fixture(scope="module")
def ref() -> Referential:
    return load_referential(load_settings().data_dir)


@pytest.fixture(scope="module")
def events(ref: Referential) -> list[SimEvent]:
    return list(simulate(SEED, EVENTS, referential=ref))


def _digest(evs: list[SimEvent]) -> str:
    h = hashlib.sha256()
    for e in evs:
        h.update(e.record_name.encode())
        h.update(e.key.encode())
        h.update(orjson.dumps(e.record, option=orjson.OPT_SORT_KEYS))
        h.update(e.timestamp.isoformat().encode())
    return h.hexdigest()


def _of(evs: list[SimEvent], name: str) -> list[SimEvent]:
    return [e for e in evs if e.record_name == name]


# Determinism ------------------------------------------------------------------------------------


def test_same_seed_gives_the_same_sequence(ref: Referential, events: list[SimEvent]) -> None:
    again = list(simulate(SEED, 2_000, referential=ref))
    assert _digest(again) == _digest(events[:2_000])


def test_sequence_does_not_depend_on_hash_randomisation(events: list[SimEvent]) -> None:
    # A fresh interpreter with another PYTHONHASHSEED must produce the same bytes.
    code = (
        "import hashlib, orjson\n"
        "from streams.simulator import simulate\n"
        "h = hashlib.sha256()\n"
        f"for e in simulate({SEED}, 2000):\n"
        "    h.update(e.record_name.encode()); h.update(e.key.encode())\n"
        "    h.update(orjson.dumps(e.record, option=orjson.OPT_SORT_KEYS))\n"
        "    h.update(e.timestamp.isoformat().encode())\n"
        "print(h.hexdigest())\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
        check=True, timeout=120,
    )  # fmt: skip
    assert out.stdout.strip() == _digest(events[:2_000])


def test_another_seed_gives_another_sequence(ref: Referential, events: list[SimEvent]) -> None:
    other = list(simulate(SEED + 1, 2_000, referential=ref))
    assert _digest(other) != _digest(events[:2_000])
    assert [e.record["event_id"] for e in other[:50]] != [e.record["event_id"] for e in events[:50]]


def test_exact_count_and_default_start(events: list[SimEvent]) -> None:
    assert len(events) == EVENTS
    assert DEFAULT_START <= events[0].timestamp < DEFAULT_START + timedelta(hours=1)
    days = (events[-1].timestamp - events[0].timestamp) / timedelta(days=1)
    # ~300 spontaneous events a day plus scheduled ones: a few hundred a day.
    assert 200 <= EVENTS / days <= 600


def test_start_is_respected_and_must_be_aware(ref: Referential) -> None:
    start = datetime(2027, 3, 1, 9, 30, tzinfo=UTC)
    first = next(simulate(1, 10, start=start, referential=ref))
    assert start <= first.timestamp < start + timedelta(hours=2)
    with pytest.raises(ValueError, match="timezone-aware"):
        simulate(1, 10, start=datetime(2027, 3, 1), referential=ref)  # noqa: DTZ001


# Time order and lifecycle coherence -------------------------------------------------------------


def test_timestamps_never_go_back(events: list[SimEvent]) -> None:
    stamps = [e.timestamp for e in events]
    assert all(a <= b for a, b in zip(stamps, stamps[1:], strict=False))
    for e in events:
        assert e.timestamp.tzinfo is not None and e.timestamp.utcoffset() == timedelta(0)
        assert e.record[EVENT_TIME_FIELD[e.record_name]] == e.timestamp


def test_offers_close_once_and_after_being_posted(events: list[SimEvent]) -> None:
    posted: dict[str, datetime] = {}
    closed: set[str] = set()
    for e in events:
        r = e.record
        if e.record_name == "OfferPosted":
            assert e.key == r["offer_id"] and r["offer_id"] not in posted
            posted[r["offer_id"]] = r["posted_at"]
        elif e.record_name == "OfferClosed":
            assert r["offer_id"] in posted, "closure of an offer never posted"
            assert r["offer_id"] not in closed, "offer closed twice"
            closed.add(r["offer_id"])
            assert r["posted_at"] == posted[r["offer_id"]] < r["closed_at"]
            if r["outcome"] == "filled":
                assert r["posted_at"] < r["filled_at"] <= r["closed_at"]
                assert r["positions_filled"] >= 1
            else:
                assert r["filled_at"] is None and r["positions_filled"] is None
    assert len(closed) > 1_000


def test_seekers_exit_and_write_only_after_registering(events: list[SimEvent]) -> None:
    registered: dict[str, date] = {}
    exited: set[str] = set()
    counts: Counter[str] = Counter()
    for e in events:
        r = e.record
        if e.record_name in {"OfferPosted", "OfferClosed"}:
            continue
        assert e.key == r["jobseeker_id"]
        assert r["jobseeker_id"] not in exited, "event after the seeker left"
        counts[e.record_name] += 1
        if e.record_name == "JobSeekerProfileUpdated":
            registered.setdefault(r["jobseeker_id"], r["registered_at"])
            assert r["registered_at"] == registered[r["jobseeker_id"]]
            assert r["registered_at"] <= r["updated_at"].date()
        else:
            assert r["jobseeker_id"] in registered, f"{e.record_name} before registration"
            if e.record_name == "JobSeekerExited":
                assert r["registered_at"] == registered[r["jobseeker_id"]]
                exited.add(r["jobseeker_id"])
    assert counts["JobSeekerExited"] > 100 and counts["EmailReceived"] > 1_000


# Records ----------------------------------------------------------------------------------------


def test_records_have_exactly_the_schema_fields(events: list[SimEvent]) -> None:
    seen = set()
    for e in events:
        assert set(e.record) == FIELDS[e.record_name], e.record_name
        seen.add(e.record_name)
        for name, value in e.record.items():
            if name.endswith("_at") and name != "registered_at" and value is not None:
                assert isinstance(value, datetime) and value.tzinfo is not None, name
        if "registered_at" in e.record:
            assert type(e.record["registered_at"]) is date
    assert seen == set(FIELDS)


def test_codes_and_places_are_real(ref: Referential, events: list[SimEvent]) -> None:
    deps, bassins = set(ref.departements()), set(ref.bassins())
    for e in events:
        r = e.record
        for field in ("rome_code", "job_rome_code"):
            if r.get(field) is not None:
                assert ref.is_known_rome(r[field]), r[field]
        if "commune_code" in r:
            commune = ref.commune(r["commune_code"])
            assert commune is not None
            assert r["departement"] in deps and r["departement"] == commune.departement
            assert r["bassin"] in bassins and r["bassin"] == commune.bassin
        if "agency_id" in r:
            bassin = r["agency_id"].removeprefix("AG-")
            assert bassin in bassins
            assert re.fullmatch(rf"ADV-{bassin}-\d{{2}}", r["adviser_id"])


def test_offer_values_follow_the_domain(events: list[SimEvent]) -> None:
    for e in _of(events, "OfferPosted"):
        r = e.record
        assert r["contract_type"] in {"CDI", "CDD", "MIS", "SAI"}
        assert (r["contract_duration_months"] is None) == (r["contract_type"] == "CDI")
        assert r["experience_required"] in {"D", "S", "E"}
        assert (r["experience_months"] is None) == (r["experience_required"] == "D")
        assert r["qualification_code"] in market.QUALIFICATION_LABELS
        assert r["full_time"] == (r["weekly_hours"] == 35.0)
        assert r["full_time"] or 20 <= r["weekly_hours"] <= 30
        assert r["positions"] >= 1 and r["source"] == "simulator"
        low, mid, high = (r[f"salary_monthly_gross{s}"] for s in ("_min", "", "_max"))
        assert 0 < low <= mid <= high


_SALARY = re.compile(
    r"(?P<period>Mensuel|Horaire|Annuel) de (?P<low>\d+\.\d{1,2}) Euros"
    r"(?: à (?P<high>\d+\.\d{1,2}) Euros)?(?: sur 12(?:\.0)? mois)?$"
)


def test_salary_text_matches_the_monthly_amounts(events: list[SimEvent]) -> None:
    periods: Counter[str] = Counter()
    for e in _of(events, "OfferPosted"):
        r = e.record
        m = _SALARY.match(r["salary_text"])
        assert m is not None, r["salary_text"]
        low = float(m["low"])
        high = float(m["high"]) if m["high"] else low
        factor = {"Mensuel": 1.0, "Annuel": 1 / 12, "Horaire": r["weekly_hours"] * 52 / 12}
        f = factor[m["period"]]
        periods[m["period"]] += 1
        assert r["salary_monthly_gross_min"] == pytest.approx(low * f, abs=0.01)
        assert r["salary_monthly_gross_max"] == pytest.approx(high * f, abs=0.01)
        assert r["salary_monthly_gross"] == pytest.approx((low + high) * f / 2, abs=0.01)
    assert set(periods) == {"Mensuel", "Horaire", "Annuel"}


def test_no_record_or_truth_carries_protected_attributes(events: list[SimEvent]) -> None:
    def keys(value: Any) -> set[str]:
        if isinstance(value, dict):
            return set(value) | {k for v in value.values() for k in keys(v)}
        if isinstance(value, list):
            return {k for v in value for k in keys(v)}
        return set()

    for e in events:
        for key in keys(e.record) | keys(e.truth):
            tokens = set(key.lower().split("_"))
            assert not tokens & FORBIDDEN, key
            assert not key.lower().startswith(("birth", "nationalit", "disab", "handicap")), key


# Hidden dynamics --------------------------------------------------------------------------------


def test_below_market_share_is_in_the_documented_band(events: list[SimEvent]) -> None:
    offers = _of(events, "OfferPosted")
    for e in offers:
        r, t = e.record, e.truth
        fte = r["salary_monthly_gross"] * 35.0 / r["weekly_hours"]
        assert t["salary_ratio"] == pytest.approx(fte / t["local_median_monthly"], rel=1e-4)
        assert t["below_market"] == (t["salary_ratio"] < 0.75)
    share = sum(e.truth["below_market"] for e in offers) / len(offers)
    low, high = dynamics.BELOW_MARKET_BAND
    assert low <= share <= high, share
    # Only the employers with a "low" pay policy are that far below market.
    assert {e.truth["employer_policy"] for e in offers if e.truth["below_market"]} == {"low"}


def test_hard_to_fill_rises_with_tension_class(events: list[SimEvent]) -> None:
    by_class: dict[int, list[float]] = defaultdict(list)
    for e in _of(events, "OfferPosted"):
        by_class[e.truth["tension_class"]].append(e.truth["p_hard_to_fill"])
    assert sorted(by_class) == [1, 2, 3, 4, 5]
    means = [statistics.mean(by_class[c]) for c in sorted(by_class)]
    assert all(a < b for a, b in zip(means, means[1:], strict=False)), means


def test_truth_outcomes_agree_with_the_closures(events: list[SimEvent]) -> None:
    truth = {e.key: e.truth for e in _of(events, "OfferPosted")}
    for e in _of(events, "OfferClosed"):
        t, r = truth[e.key], e.record
        assert r["outcome"] == t["outcome"] and r["closed_at"] == t["closes_at"]
        assert t["will_fill"] == (r["outcome"] == "filled")
        if t["will_fill"]:
            filled_after = (r["filled_at"] - r["posted_at"]) / timedelta(days=1)
            assert filled_after == pytest.approx(t["days_to_fill"], abs=1e-7)


def test_fill_time_matches_its_hard_to_fill_probability() -> None:
    import random

    rng = random.Random(3)
    for p in (0.2, 0.6):
        late = sum(dynamics.sample_days_to_fill(p, rng) > 30 for _ in range(20_000)) / 20_000
        assert late == pytest.approx(p, abs=0.015)


def test_salary_sensitivity_drifts_upwards_then_caps() -> None:
    values = [dynamics.salary_sensitivity(m) for m in (0, 6, 12, 240)]
    assert values[0] < values[1] < values[2] < values[3]
    assert values[3] == pytest.approx(dynamics.HTF_SALARY_GAP * dynamics.HTF_SALARY_DRIFT_CAP)

    def p(ratio: float, months: float) -> float:
        score = dynamics.hard_to_fill_score(
            salary_ratio=ratio, experience_required="D", experience_months=None,
            tension_class=3, contract_type="CDI", full_time=True, hard_conditions=3,
            lack_of_workforce=3, months_elapsed=months,
        )  # fmt: skip
        return dynamics.hard_to_fill_probability(score)

    assert p(0.7, 0) > p(1.0, 0)
    assert p(0.7, 12) - p(1.0, 12) > p(0.7, 0) - p(1.0, 0)


def test_better_local_market_and_mobility_shorten_the_search() -> None:
    base = {
        "offers": 100, "jobseekers": 100, "qualification_code": "6", "experience_months": 24,
        "mobility_radius_km": 20, "constraints": [], "training_in_progress": False,
        "category": "A",
    }  # fmt: skip
    mu = dynamics.search_log_median(**base)  # type: ignore[arg-type]
    assert dynamics.search_log_median(**{**base, "offers": 400}) < mu  # type: ignore[arg-type]
    assert dynamics.search_log_median(**{**base, "mobility_radius_km": 100}) < mu  # type: ignore[arg-type]
    assert dynamics.search_log_median(**{**base, "constraints": ["housing"]}) > mu  # type: ignore[arg-type]
    assert dynamics.search_log_median(**{**base, "training_in_progress": True}) > mu  # type: ignore[arg-type]


def test_seeker_truth_is_consistent(events: list[SimEvent]) -> None:
    profiles = _of(events, "JobSeekerProfileUpdated")
    for e in profiles:
        assert e.truth["expected_search_days"] > 0 and e.truth["exit_at"] > e.timestamp
    last_exit = {e.key: e.truth["exit_at"] for e in profiles}
    for e in _of(events, "JobSeekerExited"):
        assert e.timestamp == last_exit[e.key]


def test_emails_urgency_share_and_shapes(events: list[SimEvent]) -> None:
    emails = _of(events, "EmailReceived")
    urgent = [e for e in emails if e.truth["urgent"]]
    low, high = dynamics.URGENT_EMAIL_BAND
    assert low <= len(urgent) / len(emails) <= high
    assert {e.truth["urgency_reason"] for e in urgent} == set(dynamics.URGENT_REASONS)
    assert any(e.truth["urgency_indirect"] for e in urgent)
    assert any(not e.truth["urgency_indirect"] for e in urgent)
    formats = Counter(e.record["body_format"] for e in emails)
    assert 0.05 < formats["html"] / len(emails) < 0.3
    for e in emails:
        r = e.record
        assert e.truth["intents"] and r["subject"] is not None and len(r["body"]) > 40
        assert r["body"].startswith("<html>") == (r["body_format"] == "html")
        assert (r["in_reply_to"] is not None) == e.truth["style"]["quoted"]
        for attachment in r["attachments"]:
            assert set(attachment) == {"filename", "content_type", "size_bytes"}
    quoted = [e for e in emails if e.truth["style"]["quoted"] and e.record["body_format"] == "text"]
    assert quoted and all(" a écrit :" in e.record["body"] for e in quoted)


# Invalid events and configuration ---------------------------------------------------------------


def test_no_invalid_events_by_default(events: list[SimEvent]) -> None:
    assert not any("invalid" in e.truth for e in events)


def test_invalid_share_is_honoured(ref: Referential) -> None:
    n = 6_000
    evs = list(simulate(7, n, referential=ref, config=SimConfig(invalid_share=0.05)))
    invalid = [e for e in evs if "invalid" in e.truth]
    assert abs(len(invalid) - 0.05 * n) <= 1
    assert {e.truth["invalid"] for e in invalid} == {
        "unknown_rome",
        "negative_salary",
        "future_date",
    }
    for e in invalid:
        r, reason = e.record, e.truth["invalid"]
        if reason == "unknown_rome":
            assert not ref.is_known_rome(r["rome_code"])
        elif reason == "negative_salary":
            assert r["salary_monthly_gross"] < 0
        else:
            when = r.get("posted_at") or datetime.combine(
                r["registered_at"], datetime.min.time(), UTC
            )
            assert when > e.timestamp + timedelta(days=1)
    # Invalid offers never get a closure: nobody downstream knows them.
    invalid_offers = {e.key for e in invalid if e.record_name == "OfferPosted"}
    assert not any(e.key in invalid_offers for e in evs if e.record_name == "OfferClosed")


def test_config_is_validated() -> None:
    with pytest.raises(ValueError, match="not implemented"):
        SimConfig(adviser_feedback=0.1)
    with pytest.raises(ValueError):
        SimConfig(invalid_share=1.5)
    with pytest.raises(ValueError):
        SimConfig(offers_posted=0, profile_updates=0, emails=0)


def test_mix_follows_the_configured_weights(ref: Referential) -> None:
    only_offers = list(
        simulate(3, 2_000, referential=ref, config=SimConfig(profile_updates=0, emails=0))
    )
    assert {e.record_name for e in only_offers} <= {"OfferPosted", "OfferClosed"}


def test_generation_is_fast_enough(ref: Referential) -> None:
    # A loose floor so a slow CI machine passes; the documented figure is >= 20k events/s.
    simulate(11, 1, referential=ref)
    started = time.perf_counter()
    n = sum(1 for _ in simulate(11, 20_000, referential=ref))
    assert n / (time.perf_counter() - started) > 5_000
