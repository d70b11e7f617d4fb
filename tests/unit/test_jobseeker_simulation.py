"""The simulator's job-seeker dynamics: defects at a known rate, training, long searches."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from agents.jobseekers.quality import profile_flags
from streams.referential import Referential, load_referential
from streams.settings import load_settings
from streams.simulator import SimConfig, SimEvent, dynamics, simulate

SEED = 20260105
DEFECTS = 0.05
CONFIG = SimConfig(profile_updates=0.6, emails=0.1, offers_posted=0.3, jobseeker_defects=DEFECTS)


@pytest.fixture(scope="module")
def ref() -> Referential:
    return load_referential(load_settings().data_dir)


@pytest.fixture(scope="module")
def events(ref: Referential) -> list[SimEvent]:
    return list(simulate(SEED, 30_000, referential=ref, config=CONFIG))


def _profiles(events: list[SimEvent]) -> list[SimEvent]:
    return [e for e in events if e.record_name == "JobSeekerProfileUpdated"]


def test_defects_are_off_by_default(ref: Referential) -> None:
    plain = _profiles(list(simulate(SEED, 5_000, referential=ref)))
    assert not any("defect" in e.truth for e in plain)


def test_defects_come_at_the_configured_rate(events: list[SimEvent]) -> None:
    profiles = _profiles(events)
    spoilt = Counter(e.truth["defect"] for e in profiles if e.truth.get("defect"))
    in_place = sum(n for kind, n in spoilt.items() if kind != "update_after_exit")
    assert in_place / len(profiles) == pytest.approx(DEFECTS, abs=0.01)
    assert set(spoilt) == {name for name, _ in dynamics.DEFECT_WEIGHTS} | {"update_after_exit"}
    returns = sum(
        e.record["reason"] == "back_to_work" for e in events if e.record_name == "JobSeekerExited"
    )
    assert 0 < spoilt["update_after_exit"] <= 2 * DEFECTS * returns + 5


def test_stray_updates_come_after_a_return_to_work(events: list[SimEvent]) -> None:
    exits = {e.key: e for e in events if e.record_name == "JobSeekerExited"}
    strays = [e for e in _profiles(events) if e.truth.get("defect") == "update_after_exit"]
    for stray in strays:
        exit_event = exits[stray.key]
        assert exit_event.record["reason"] == "back_to_work"
        assert stray.timestamp - exit_event.timestamp >= timedelta(days=5)


def test_runs_with_defects_are_a_function_of_the_seed(
    ref: Referential, events: list[SimEvent]
) -> None:
    again = list(simulate(SEED, 3_000, referential=ref, config=CONFIG))
    assert [(e.key, e.record, e.truth.get("defect")) for e in again] == [
        (e.key, e.record, e.truth.get("defect")) for e in events[:3_000]
    ]


def test_clean_profiles_raise_no_flag_and_training_means_category_d(
    ref: Referential, events: list[SimEvent]
) -> None:
    clean = [e for e in _profiles(events) if not e.truth.get("defect")]
    assert sum(e.record["training_in_progress"] for e in clean) > 50
    for e in clean:
        assert (e.record["category"] == "D") == e.record["training_in_progress"]
        assert profile_flags(e.record, None, ref) == [], e.record


def test_some_searches_last_a_year_or_more(events: list[SimEvent]) -> None:
    profiles = _profiles(events)
    lengths = [
        (e.truth["exit_at"].date() - e.record["registered_at"]).days
        for e in profiles
        if e.truth.get("new")
    ]
    long_share = sum(days >= 365 for days in lengths) / len(lengths)
    assert 0.2 < long_share < 0.6, long_share
