"""The job-seeker diagnostics beat their baselines on held-out simulated traffic (fixed seed).

A smaller population and a slower day than ``python -m agents.jobseekers.evaluate`` (same
seed 7, the one the learning rates were chosen on) so that 100,000 events still cover 20 months:
outcomes at 12 months must come due. About 50 s.
"""

from __future__ import annotations

import pytest

from agents.jobseekers.evaluate import (
    Run,
    duration_report,
    flag_report,
    risk_report,
    roc_auc,
    run_simulated,
)
from streams.referential import load_referential
from streams.settings import load_settings
from streams.simulator import SimConfig

CONFIG = SimConfig(
    offers_posted=0.02,
    profile_updates=0.90,
    emails=0.08,
    jobseeker_defects=0.02,
    spontaneous_per_day=150.0,
    jobseekers=2_500,
)


@pytest.fixture(scope="module")
def run() -> Run:
    return run_simulated(7, 100_000, ref=load_referential(load_settings().data_dir), config=CONFIG)


def _split(run: Run) -> float:
    return run.start + 0.5 * (run.end - run.start)


def test_exact_auc() -> None:
    assert roc_auc([False, True, False, True], [0.1, 0.9, 0.4, 0.4]) == pytest.approx(0.875)


def test_time_to_return_beats_constants_and_time_alone(run: Run) -> None:
    report = duration_report(run, _split(run))
    assert report.n > 10_000
    mae = report.mae_log
    best_constant = mae["best constant (held-out median, hindsight)"]
    assert mae["model"] < best_constant - 0.02
    assert mae["model"] < mae["time registered alone"] - 0.03
    assert mae["model"] < mae["constant (warm-up returns)"] - 0.3
    assert mae["model"] > mae["simulator's true median (ceiling)"]


def test_long_term_risk_beats_the_base_rate_and_is_calibrated(run: Run) -> None:
    report = risk_report(run, _split(run))
    assert report.n > 10_000 and 0.3 < report.base_rate < 0.7
    assert report.auc["model"] > 0.68
    assert report.log_loss["model"] < report.log_loss["base rate"] - 0.05
    assert report.log_loss["model"] < report.log_loss["duration model alone"]
    for label, n, predicted, observed in report.reliability:
        if n >= 2_000:
            assert abs(predicted - observed) < 0.06, label


def test_flags_catch_every_injected_defect_and_stay_quiet_on_clean_events(run: Run) -> None:
    report = flag_report(run)
    assert sum(report.injected.values()) > 500
    assert report.caught == report.injected
    # The only flag on clean simulated events is a real one: a profile left 9 months unchanged.
    assert set(report.clean_flags) <= {"stale_profile"}
    assert sum(report.clean_flags.values()) < 0.005 * report.clean_events


def test_alerts_are_raised_for_each_kind(run: Run) -> None:
    assert set(run.alerts) == {
        "jobseeker_long_term_risk",
        "jobseeker_reconversion",
        "jobseeker_data_quality",
    }
    assert sum(run.alerts.values()) < 0.15 * run.events["JobSeekerProfileUpdated"]
