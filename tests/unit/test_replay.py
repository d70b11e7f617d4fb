"""Audit replay, the pure parts: range bounds, version choice, comparison, report and page."""

from __future__ import annotations

import io
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from schemas.codec import Codec, SchemaRegistry
from sinks.outputs import SourceRef
from streams.errors import ConfigurationError
from streams.modelstore import Snapshot
from streams.pipeline import InputEvent
from streams.replay import html, reading
from streams.replay.bounds import clamp, parse_bound
from streams.replay.compare import Alternative, Facts, SeenDismissal, compare
from streams.replay.progress import Progress, format_duration, render
from streams.replay.reading import RecordedAlert, read_scored_ranges, read_scored_with
from streams.replay.report import AlertStats, EventStats, build_report, to_json
from streams.replay.versions import (
    FROM_ALERT,
    FROM_EARLIER_ALERT,
    FROM_LATEST,
    FROM_TIME,
    FROM_WORKER,
    Choice,
    VersionPlan,
    parse_label,
)
from streams.runtime import scored_ranges

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
MS0 = round(T0.timestamp() * 1000)
M = "offer-intelligence"


def snap(version: int, minutes: int, name: str = M) -> Snapshot:
    return Snapshot(name, version, T0 + timedelta(minutes=minutes), b"")


def alert(offset: int, version: str = "v1", **extra: Any) -> dict[str, Any]:
    a = {
        "alert_id": f"id-{offset}-{extra.get('alert_type', 'offer_low_salary')}",
        "alert_type": "offer_low_salary",
        "created_at": datetime.now(UTC),
        "event_time": T0,
        "severity": "warning",
        "audience_kind": "area",
        "audience_id": "07",
        "subject_kind": "offer",
        "subject_id": f"O{offset}",
        "title": f"Offre O{offset} : salaire 30 % sous la médiane du marché",
        "score": 0.3,
        "reasons": [{"code": "low", "message": "Salaire sous la médiane"}],
        "suggestions": ["Aligner le salaire"],
        "inputs": {},
        "model_name": M,
        "model_version": version,
        "rule": "offer_low_salary",
        "source_topic": "vigie.offers",
        "source_partition": 0,
        "source_offset": offset,
        "source_timestamp": T0 + timedelta(minutes=offset),
    }
    a.update(extra)
    return a


def rec(a: dict[str, Any], offset: int = 0) -> RecordedAlert:
    return RecordedAlert(a, 0, offset)


def plan(
    recorded: list[RecordedAlert] = (),  # type: ignore[assignment]
    mode: str = "recorded",
    scored_with: dict[tuple[str, int, int], tuple[dict[str, int], ...]] | None = None,
    scored_ranges: dict[tuple[str, int], list[tuple[int, int, dict[str, int]]]] | None = None,
) -> VersionPlan:
    history = {M: [snap(1, 0), snap(2, 30), snap(3, 60)]}
    return VersionPlan(mode, history, recorded, scored_with, scored_ranges)  # type: ignore[arg-type]


def source(offset: int, minutes: float) -> SourceRef:
    return SourceRef("vigie.offers", 0, offset, MS0 + round(minutes * 60_000))


# Bounds ---------------------------------------------------------------------------------------


def test_bounds_accept_times_dates_offsets_and_ends() -> None:
    assert parse_bound("2026-11-20T12:00:00Z").time_ms == MS0
    assert parse_bound("2026-11-20T13:00:00+01:00").time_ms == MS0
    assert parse_bound("2026-11-20T12:00:00").time_ms == MS0  # naive is UTC
    assert parse_bound("2026-11-20").time_ms == MS0 - 12 * 3_600_000
    b = parse_bound("offers:0=120, offers:1=80")
    assert b.kind == "offsets" and dict(b.offsets) == {("offers", 0): 120, ("offers", 1): 80}
    assert parse_bound("earliest").kind == "earliest"
    assert parse_bound("now").kind == "latest"
    for bad in ("yesterday", "offers:x=1", "offers=3"):
        with pytest.raises(ConfigurationError):
            parse_bound(bad)


def test_a_range_is_clamped_to_what_retention_kept() -> None:
    r = clamp("vigie.offers", 0, start=10, end=500, low=100, high=300)
    assert (r.start, r.end, r.size, r.lost_to_retention) == (100, 300, 200, 90)
    empty = clamp("vigie.offers", 0, start=400, end=200, low=0, high=300)
    assert (empty.start, empty.end, empty.size) == (300, 300, 0)


# Versions -------------------------------------------------------------------------------------


def test_version_labels() -> None:
    assert parse_label("v3") == (3, 0)
    assert parse_label("v3+12") == (3, 12)
    assert parse_label("latest") is None


def test_the_version_an_alert_names_wins_then_the_one_live_at_the_event() -> None:
    p = plan([rec(alert(5, "v2")), rec(alert(7, "v9"))])
    assert p.choose(M, source(5, 10)).how == FROM_ALERT
    assert p.choose(M, source(5, 10)).version == 2
    assert p.choose(M, source(1, -5)).version == 0  # before any snapshot: factory-fresh
    assert (p.choose(M, source(2, 45)).version, p.choose(M, source(2, 45)).how) == (2, FROM_TIME)
    # v9 is not in the store: fall back to the time rule, raised by the earlier v2 alert.
    assert p.choose(M, source(7, 1)).version == 2
    assert p.choose(M, source(7, 1)).how == FROM_EARLIER_ALERT
    assert plan(mode="current").choose(M, source(1, -5)).version == 3
    assert plan(mode="current").choose(M, source(1, -5)).how == FROM_LATEST


def test_versions_for_counts_usage_and_names_snapshots() -> None:
    p = plan(scored_with={("vigie.offers", 0, 2): ({M: 1},)})
    versions = p.versions_for(source(1, 40))
    assert versions == (2,)
    assert p.snapshots(versions)[M].version == 2  # type: ignore[union-attr]
    assert p.versions_for(source(2, 40)) == (1,)
    assert p.usage == Counter({(M, 2, FROM_TIME): 1, (M, 1, FROM_WORKER): 1})
    assert p.events_by_choice == Counter({FROM_TIME: 1, FROM_WORKER: 1})


def test_the_versions_the_scoring_worker_recorded_win() -> None:
    key = ("vigie.offers", 0, 5)
    p = plan([rec(alert(5, "v3"))], scored_with={key: ({M: 1, "other-model": 4},)})
    # Exact, whatever the event's time or alerts say (an alert naming another version is a
    # difference the comparison reports, not a reason to doubt the worker's record).
    assert (p.choose(M, source(5, 45)).version, p.choose(M, source(5, 45)).how) == (1, FROM_WORKER)
    # A version the store no longer holds, or a model the record does not name: next rules.
    gone = plan(scored_with={key: ({M: 9},), ("vigie.offers", 0, 6): ({"other-model": 2},)})
    assert gone.choose(M, source(5, 45)).how == FROM_TIME
    assert gone.choose(M, source(6, 45)).how == FROM_TIME
    assert plan(scored_with={key: ({M: 0},)}).choose(M, source(5, 45)).version == 0  # v0
    assert plan(mode="current", scored_with={key: ({M: 1},)}).choose(M, source(5, 45)).version == 3


def test_an_event_scored_twice_takes_the_versions_its_recorded_alert_agrees_with() -> None:
    key = ("vigie.offers", 0, 5)
    twice = {key: ({M: 1}, {M: 2})}  # earliest first
    assert plan(scored_with=twice).choose(M, source(5, 45)).version == 1
    assert plan(scored_with=twice).rescored == 1
    agreed = plan([rec(alert(5, "v2"))], scored_with=twice)
    assert agreed.choose(M, source(5, 45)) == Choice(2, FROM_WORKER, "v2")
    neither = plan([rec(alert(5, "v3"))], scored_with=twice)
    assert neither.choose(M, source(5, 45)).version == 1


def test_events_that_taught_no_model_take_the_versions_of_their_scoring_batch() -> None:
    # Two batches of partition 0, and offsets 40-45 read again after a restart, with v3.
    ranges = {("vigie.offers", 0): [(0, 19, {M: 1}), (20, 45, {M: 2}), (40, 60, {M: 3})]}
    p = plan(scored_ranges=ranges)
    assert p.choose(M, source(7, 45)) == Choice(1, FROM_WORKER)  # not v2, live at 45 min
    assert p.choose(M, source(20, 5)) == Choice(2, FROM_WORKER)
    assert p.choose(M, source(50, 5)) == Choice(3, FROM_WORKER)
    assert p.worker_versions(("vigie.offers", 0, 42)) == {M: 2}  # both sets; the earliest
    agreed = plan([rec(alert(42, "v3"))], scored_ranges=ranges)
    assert agreed.choose(M, source(42, 5)).version == 3  # the set its recorded alert names
    assert p.choose(M, source(61, 45)).how == FROM_TIME  # past every recorded range
    # An event's own learning examples come first.
    both = plan(scored_with={("vigie.offers", 0, 7): ({M: 2},)}, scored_ranges=ranges)
    assert both.choose(M, source(7, 45)).version == 2


def test_scored_ranges_are_read_for_the_replayed_partitions_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def record(topic: str, first: int, last: int, versions: dict[str, int]) -> InputEvent:
        value = orjson.dumps(
            {"topic": topic, "partition": 0, "first": first, "last": last, "scored_with": versions}
        )
        return InputEvent(SourceRef("vigie.scored", 0, first, MS0), None, value)

    records = [
        record("vigie.offers", 0, 4, {M: 1}),
        record("vigie.offers", 5, 9, {M: 2}),
        record("vigie.offers", 11, 12, {M: 2}),  # past the range
        record("vigie.emails", 0, 9, {M: 2}),  # not replayed
        record("vigie.offers", 3, 6, {}),  # no versions held
        InputEvent(SourceRef("vigie.scored", 0, 9, MS0), None, b"{not json"),
    ]
    monkeypatch.setattr(reading, "read_ranges", lambda *_a, **_k: iter([records]))
    wanted = [clamp("vigie.offers", 0, 2, 11, 0, 20)]
    index, unparsable = read_scored_ranges(None, [], wanted)  # type: ignore[arg-type]
    assert unparsable == 1
    assert index == {("vigie.offers", 0): [(0, 4, {M: 1}), (5, 9, {M: 2})]}


def test_a_scoring_batch_records_the_offsets_it_read_per_partition() -> None:
    events = [
        InputEvent(SourceRef(topic, partition, offset, MS0), None, b"")
        for topic, partition, offset in [("o", 0, 7), ("o", 1, 3), ("o", 0, 5), ("e", 0, 9)]
    ]
    assert scored_ranges(events) == {("o", 0): (5, 7), ("o", 1): (3, 3), ("e", 0): (9, 9)}


def _example(offset: int, scored_with: dict[str, int], topic: str = "vigie.offers") -> bytes:
    codec = Codec(SchemaRegistry.default())
    return codec.encode(
        "LearningExample",
        {
            "model": M,
            "source_topic": topic,
            "source_partition": 0,
            "source_offset": offset,
            "source_timestamp": T0,
            "record": b"\x00",
            "scored_with": scored_with,
        },
    )


def test_learning_examples_become_the_versions_of_their_events(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def learning(value: bytes, at_minutes: int, offset: int) -> InputEvent:
        return InputEvent(
            SourceRef("vigie.learning", 0, offset, MS0 + at_minutes * 60_000), None, value
        )

    records = [
        learning(_example(5, {M: 2, "email-triage": 1}), 2, 0),
        learning(_example(5, {"email-triage": 1, M: 2}), 2, 1),  # another model's example
        learning(_example(6, {M: 3}), 9, 2),  # re-delivered: scored again, later...
        learning(_example(6, {M: 2}), 3, 3),  # ...than this one (another partition's order)
        learning(_example(7, {}), 3, 4),  # a worker that did not record versions
        learning(_example(50, {M: 3}), 3, 5),  # outside the replayed range
        learning(_example(5, {M: 3}, topic="vigie.emails"), 3, 6),  # not replayed
        learning(b"garbage", 3, 7),
    ]
    monkeypatch.setattr(reading, "read_ranges", lambda *_a, **_k: iter([records]))
    wanted = [clamp("vigie.offers", 0, 0, 10, 0, 10)]
    index, undecodable = read_scored_with(None, [], Codec(SchemaRegistry.default()), wanted)  # type: ignore[arg-type]
    assert undecodable == 1
    assert index == {
        ("vigie.offers", 0, 5): ({"email-triage": 1, M: 2},),
        ("vigie.offers", 0, 6): ({M: 2}, {M: 3}),
    }


# Comparison -----------------------------------------------------------------------------------


def test_identical_alerts_match_whatever_their_creation_time() -> None:
    a = alert(5, "v2")
    later = {**a, "created_at": a["created_at"] + timedelta(hours=3)}
    result = compare([rec(a, 1), rec(a, 2)], [later], plan([rec(a)]))
    assert len(result.matches) == 1 and not result.differences
    assert result.identical_copies == 1  # the same alert delivered twice


def test_a_tampered_copy_is_a_difference_next_to_the_good_one() -> None:
    a = alert(5, "v2")
    bad = {**a, "score": 0.45}
    result = compare([rec(a, 1), rec(bad, 2)], [a], plan([rec(a)]))
    assert len(result.matches) == 1
    (d,) = result.differences
    assert (d.kind, d.code, d.copy_at) == ("different", "score_differs", (0, 2))
    assert "recorded 0.45 vs re-derived 0.3 with the same version v2" in d.explanation
    assert "2 different copies" in d.explanation and "0@1 matches the replay" in d.explanation


def test_missing_alerts_are_explained() -> None:
    same = alert(5, "v2")
    learning = alert(6, "v1+40")
    dead = alert(8, "v2")
    facts = Facts(dead_letters={("vigie.offers", 0, 8): "ValidationError: bad ROME"})
    recorded = [rec(x) for x in (same, learning, dead)]
    result = compare(recorded, [], plan(recorded), facts)
    codes = {d.alert["source_offset"]: d for d in result.differences}
    assert codes[5].code == "decision_differs"
    assert "replay with v2 raises no alert" in codes[5].explanation
    assert codes[6].code == "learning_worker_label"
    assert "learnt 40 example(s) since snapshot v1" in codes[6].explanation
    assert codes[8].code == "dead_lettered" and "bad ROME" in codes[8].explanation


def test_extra_alerts_are_explained() -> None:
    dismissed = alert(20, "v3", subject_id="D1")
    earlier = alert(1, "v1", subject_id="D1", alert_id="old")
    moved = alert(2, "v1", alert_id="moved")
    lost = alert(3, "v3", alert_id="lost", source_timestamp=T0 + timedelta(minutes=90))
    facts = Facts(
        dismissals=[SeenDismissal("old", "not_useful", SourceRef("vigie.feedback", 1, 4, MS0))],
        alternatives={"moved": Alternative("v2", 1.5, raises=False)},
    )
    result = compare([rec(earlier)], [earlier, dismissed, moved, lost], plan([rec(earlier)]), facts)
    by_id = {d.alert["alert_id"]: d for d in result.differences}
    assert by_id[dismissed["alert_id"]].code == "dismissed"
    assert "dismissed by an adviser (not_useful)" in by_id[dismissed["alert_id"]].explanation
    assert by_id["moved"].code == "version_uncertain"
    assert "v2, saved 1.5 s after the event, raises no alert" in by_id["moved"].explanation
    assert by_id["lost"].code == "not_recorded"


def test_an_extra_alert_with_the_versions_the_worker_recorded_is_never_version_uncertain() -> None:
    lost = alert(3, "v1", alert_id="lost")
    inferred = alert(4, "v1", alert_id="inferred")
    facts = Facts(
        alternatives={
            "lost": Alternative("v2", 1.5, raises=False),
            "inferred": Alternative("v2", 1.5, raises=False),
        }
    )
    p = plan(scored_with={("vigie.offers", 0, 3): ({M: 1},)})
    result = compare([], [lost, inferred], p, facts)
    by_id = {d.alert["alert_id"]: d for d in result.differences}
    assert by_id["lost"].code == "not_recorded"
    assert by_id["lost"].chosen_as == FROM_WORKER
    assert "the scoring worker recorded on the learning topic" in by_id["lost"].explanation
    assert by_id["inferred"].code == "version_uncertain"
    assert by_id["inferred"].chosen_as == FROM_TIME


def test_an_alert_naming_another_version_than_the_worker_recorded_is_explained() -> None:
    a = alert(5, "v2")
    replayed = {**a, "model_version": "v1", "score": 0.25}
    p = plan([rec(a)], scored_with={("vigie.offers", 0, 5): ({M: 1},)})
    (d,) = compare([rec(a)], [replayed], p).differences
    assert (d.kind, d.code, d.chosen_as) == ("different", "versions_disagree", FROM_WORKER)
    assert "the scoring worker recorded v1 for this event on the learning topic" in d.explanation
    # A forged alert naming a version the worker did not score its event with: said so too.
    (m,) = compare([rec(a)], [], p).differences
    assert (m.kind, m.code) == ("missing", "versions_disagree")
    assert "replay with v1 (recorded by the scoring worker) raises no alert" in m.explanation


def test_what_if_differences_say_so() -> None:
    a = alert(5, "v1")
    today = {**a, "model_version": "v3", "score": 0.2}
    result = compare([rec(a)], [today], plan([rec(a)], mode="current"))
    (d,) = result.differences
    assert d.code == "what_if_changed" and d.explanation.startswith("what-if")


# Report and page ------------------------------------------------------------------------------


def _report(now: datetime, tamper: bool = True) -> dict[str, Any]:
    a, b = alert(5, "v2"), alert(9, "v2", title="<script>alert(1)</script>")
    recorded = [rec(a, 1), rec(b, 2)]
    if tamper:
        recorded.append(rec({**a, "score": 0.9}, 3))
    p = plan(recorded, scored_with={("vigie.offers", 0, 5): ({M: 2},)})
    for s in (source(5, 40), source(9, 44)):
        p.versions_for(s)
    events = EventStats(read=2, scored=2, by_topic=Counter({"vigie.offers": 2}))
    events.timestamps = [MS0 + 40 * 60_000, MS0 + 44 * 60_000]
    return build_report(
        mode="recorded",
        bounds=("earliest", "latest"),
        topics=["offers"],
        ranges=[clamp("vigie.offers", 0, 0, 10, 0, 10)],
        events=events,
        alerts=AlertStats(3, 0, 3),
        usage=p.usage,
        comparison=compare(recorded, [b, a], p),
        rederived_count=2,
        generated_at=now,
        choices=p.events_by_choice,
        rescored=p.rescored,
    )


def test_the_json_report_is_deterministic_apart_from_its_timestamp() -> None:
    one = to_json(_report(T0))
    two = to_json(_report(T0))
    assert one == two
    three = orjson.loads(to_json(_report(T0 + timedelta(days=1))))
    assert three.pop("generated_at") != orjson.loads(one).pop("generated_at")
    assert three == {k: v for k, v in orjson.loads(one).items() if k != "generated_at"}
    report = orjson.loads(one)
    assert report["summary"]["matches"] == 2 and report["summary"]["different"] == 1
    assert report["by_type"][0]["recorded"] == 2  # a tampered copy is not a new alert
    assert sum(b["events"] for b in report["timeline"]["buckets"]) == 2
    assert report["versions_chosen"] == {
        "events": {FROM_ALERT: 1, FROM_WORKER: 1},
        "scored_twice_with_other_versions": 0,
    }
    assert report["differences"][0]["version_chosen_as"] == FROM_WORKER


def test_the_page_has_charts_tables_explanations_and_escapes_alert_text() -> None:
    page = html.render(orjson.loads(to_json(_report(T0))))
    assert page.startswith("<!DOCTYPE html>") and page.count("<svg") == 2
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "score_differs" in page and "with the same version v2" in page
    assert "Differences: 1" in page
    assert f"{FROM_WORKER}: 1" in page
    clean = html.render(orjson.loads(to_json(_report(T0, tamper=False))))
    assert "Identical" in clean and "http" not in clean.replace("http://www.w3.org/2000/svg", "")


# Progress -------------------------------------------------------------------------------------


def test_progress_shows_rate_and_eta() -> None:
    assert format_duration(42) == "0:42" and format_duration(3723) == "1:02:03"
    line = render(2500, 10_000, 2.0)
    assert "25%" in line and "1,250/s" in line and "ETA 0:06" in line
    clock = iter([0.0, 1.0, 2.0, 9.0, 10.0])
    out = io.StringIO()
    bar = Progress(100, stream=out, clock=lambda: next(clock), line_every_s=5.0)
    bar.advance(10)  # shown (first)
    bar.advance(10)  # too soon
    bar.advance(80)  # shown
    bar.finish()  # nothing new to say
    assert out.getvalue().count("\n") == 2 and "100%" in out.getvalue()
