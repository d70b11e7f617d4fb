"""The Kafka model store: a new worker reads the latest snapshots only; audits get history."""

from __future__ import annotations

import json
import os
import time
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
    # A version saved once the history is loaded joins it without its payload too (a learner
    # saving every few seconds kept every payload: the soak's linear growth), and loads.
    saved_now = reader.versions("m")[-1]
    assert saved_now.payload == b"" and saved_now.size > 0 and saved_now.load() == {"w": 3}
    assert reader.latest("m").load() == {"w": 3}  # the latest keeps its payload


def test_loading_a_large_history_version_fetches_that_snapshot_only(settings: Settings) -> None:
    """A replay over a soak failed to load a 10 MB version (« cannot read model-snapshots at
    35 »): each history fetch pulled the snapshots after it too (librdkafka fetches up to 50 MB
    and queues 64 MB more by default), too much for the deadline on a loaded machine. Loading
    one version now reads about that version from the broker, in any order."""
    size = 2_000_000
    writer = KafkaModelStore(settings)
    for i in range(10):
        writer.save("big", {"i": i, "blob": os.urandom(size)})
    reader = KafkaModelStore(settings)
    stats: list[dict[str, object]] = []
    reader._kafka = {
        **reader._kafka,
        "statistics.interval.ms": 200,
        "stats_cb": lambda raw: stats.append(json.loads(raw)),
    }
    history = reader.versions("big")
    assert [s.version for s in history] == list(range(1, 11))
    assert history[2].load()["i"] == 2
    time.sleep(1.0)  # what the fetcher would prefetch meanwhile counts too
    fetcher = reader._fetcher
    assert fetcher is not None
    for _ in range(4):  # statistics are served by poll
        fetcher.poll(0.3)
    received = max(int(s["rxmsg_bytes"]) for s in stats)  # type: ignore[call-overload]
    assert received < 3 * size, f"{received:,} bytes fetched to load one {size:,}-byte version"
    # Back and forth, as a replay swaps versions.
    assert [history[i].load()["i"] for i in (8, 0, 5, 9)] == [8, 0, 5, 9]
