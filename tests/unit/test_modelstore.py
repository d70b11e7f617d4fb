"""Model store contract: versions grow, snapshots restore, audits find the live version."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from streams.modelstore import ManagedModel, MemoryModelStore


class Tally:
    """The smallest learning model: counts and sums values per key."""

    def __init__(self) -> None:
        self.seen: dict[str, list[float]] = {}

    def learn_one(self, key: str, value: float) -> None:
        self.seen.setdefault(key, []).append(value)


def make_salary_baseline() -> Tally:
    return Tally()


def test_a_restarted_model_resumes_from_its_latest_snapshot() -> None:
    store = MemoryModelStore()
    first = ManagedModel("baseline", store, make_salary_baseline, interval_s=0)
    for offset, pay in enumerate((1800.0, 1900.0, 2000.0, 2100.0, 2200.0)):
        first.model.learn_one("M1805|07", pay)
        first.learned("offers", 0, offset)
    assert first.version_label == "v0+5"
    assert first.maybe_snapshot()
    assert first.version == 1 and first.version_label == "v1"

    second = ManagedModel("baseline", store, make_salary_baseline)
    assert second.version == 1
    assert second.model.seen["M1805|07"] == first.model.seen["M1805|07"]
    assert len(second.model.seen["M1805|07"]) == 5
    assert not second.should_learn("offers", 0, 4), "already in the snapshot"
    assert second.should_learn("offers", 0, 5) and second.should_learn("offers", 1, 0)


def test_no_snapshot_without_learning_or_before_the_interval() -> None:
    store = MemoryModelStore()
    managed = ManagedModel("baseline", store, make_salary_baseline, interval_s=3600)
    assert not managed.maybe_snapshot()
    managed.model.learn_one("k", 1.0)
    managed.learned("offers", 0, 0)
    assert not managed.maybe_snapshot()  # interval not reached
    assert managed.maybe_snapshot(force=True)
    assert [s.version for s in store.versions("baseline")] == [1]


def test_at_returns_the_version_live_at_a_time() -> None:
    store = MemoryModelStore()
    v1 = store.save("m", {"w": 1})
    v2 = store.save("m", {"w": 2})
    assert store.at("m", v1.created_at) == v1
    assert store.at("m", v2.created_at + timedelta(seconds=1)) == v2
    assert store.at("m", datetime(2000, 1, 1, tzinfo=UTC)) is None
    assert store.latest("m").load() == {"w": 2}
