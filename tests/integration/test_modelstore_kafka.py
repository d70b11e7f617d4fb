"""The Kafka model store: a new worker reads the latest snapshots only; audits get history."""

from __future__ import annotations

from datetime import timedelta

from streams.modelstore import KafkaModelStore
from streams.settings import Settings


def test_a_new_store_starts_from_the_latest_and_reads_history_only_when_asked(
    settings: Settings,
) -> None:
    writer = KafkaModelStore(settings)
    saved = [writer.save("m", {"w": i}, {"step": i}) for i in range(3)]
    writer.save("other", [1, 2, 3])
    assert [s.version for s in saved] == [1, 2, 3]

    reader = KafkaModelStore(settings)
    latest = reader.latest("m")
    assert latest is not None and latest.version == 3 and latest.load() == {"w": 2}
    assert latest.metadata == {"step": 2}
    assert reader._history is None, "start-up read the compacted topic only"

    history = reader.versions("m")
    assert [s.version for s in history] == [1, 2, 3]
    # The history keeps metadata only; a version's model is read back when loaded.
    assert all(s.payload == b"" and s.size > 0 for s in history)
    assert [s.load() for s in history] == [{"w": 0}, {"w": 1}, {"w": 2}]
    assert history[0].metadata == {"step": 0}
    assert reader.at("m", saved[1].created_at + timedelta(microseconds=1)).version in (2, 3)
    assert reader.at("m", saved[0].created_at - timedelta(seconds=1)) is None
    assert reader.names() == ["m", "other"]
    # Versions keep counting from the latest, whoever saved it.
    assert reader.save("m", {"w": 3}).version == 4
    assert [s.version for s in reader.versions("m")] == [1, 2, 3, 4]
