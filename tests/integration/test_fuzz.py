"""Fuzzing at CI size: a running worker fed hostile and broken messages on every input topic.

``make fuzz`` runs the same with 10,000 bad messages per topic (``benchmarks/fuzz.py``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.fuzz import print_report, run_fuzz
from benchmarks.mutations import Mutator
from streams.settings import Settings
from streams.topics import INPUT_TOPICS

pytestmark = pytest.mark.integration

BAD_PER_TOPIC = 300
VALID = {"offers": 60, "jobseekers": 60, "emails": 20, "feedback": 60}


def test_no_crash_every_bad_message_dead_lettered_every_valid_one_processed(
    settings: Settings, tmp_path: Path
) -> None:
    report = run_fuzz(
        settings,
        bad_per_topic=BAD_PER_TOPIC,
        valid_per_topic=VALID,
        flips_per_topic=40,
        seed=11,
        workdir=tmp_path,
        timeout_s=150,
        stall_s=45,
    )
    print_report(report)
    assert not report.crashed and not report.stalled, report.failure
    assert report.lag == 0 and report.worker_counted >= report.on_topics
    for topic in INPUT_TOPICS:
        bad, valid = report.bad[topic], report.valid[topic]
        assert bad.sent >= BAD_PER_TOPIC and bad.with_reason == bad.sent, topic
        assert valid.sent >= VALID[topic] and valid.processed == valid.sent, topic
    kinds = {k.split(" ")[0] for k, t in report.kinds.items() if t.sent}
    assert kinds >= {"valid", "body_flip"} | set(Mutator.bad_kind_names()), kinds
    assert report.misjudged == [], report.misjudged
    # A constructed bad message is refused for what it is, never by a use case's bug.
    assert report.errors["UnexpectedError"] == 0, report.errors
    assert report.share("bad") == 1.0 and report.share("valid") == 1.0
