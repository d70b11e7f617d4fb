"""Centralised learning without Kafka: examples, one learner per model, views, tables."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from schemas.codec import Codec, SchemaRegistry
from sinks.outputs import Example, Outputs, SourceRef
from streams.modelstore import ManagedModel, MemoryModelStore, ModelView
from streams.pipeline import InputEvent, Learning, LearningProcessor, Processor
from streams.referential import load_referential
from streams.settings import load_settings
from streams.table import ChangelogTable, key_partition
from streams.topics import learning_partition

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
LEARNING = "vigie.learning"


class Counter:
    """A use case whose model counts the offers closed it learnt; raises on demand."""

    records = frozenset({"OfferClosed"})
    learners = {"closures": frozenset({"OfferClosed"})}

    def __init__(self, learner: ManagedModel) -> None:
        self.learner = learner

    def handle(self, name: str, record: dict[str, Any], source: SourceRef, out: Outputs) -> None:
        out.alerts.append({"alert_id": record["offer_id"]})
        if record["offer_id"] == "boom":
            raise KeyError("a bug after the alert was added")
        out.learn("closures", name, record, source)

    def learn(
        self, model: str, name: str, record: dict[str, Any], source: SourceRef, out: Outputs
    ) -> None:
        self.learner.model["seen"].append(record["offer_id"])

    def after_batch(self) -> None:
        pass


@pytest.fixture(scope="module")
def codec() -> Codec:
    return Codec(SchemaRegistry.default())


def closed(offer_id: str) -> dict[str, Any]:
    return {
        "event_id": f"e-{offer_id}",
        "offer_id": offer_id,
        "closed_at": NOW,
        "outcome": "filled",
    }


def src(offset: int, partition: int = 0) -> SourceRef:
    return SourceRef("vigie.offers", partition, offset, int(NOW.timestamp() * 1000))


def learner(store: MemoryModelStore | None = None) -> ManagedModel:
    return ManagedModel("closures", store or MemoryModelStore(), lambda: {"seen": []})


def wrapped(codec: Codec, example: Example, offset: int, partition: int = 0) -> InputEvent:
    """An example as the learning topic carries it."""
    value = codec.encode(
        "LearningExample",
        {
            "model": example.model,
            "source_topic": example.source.topic,
            "source_partition": example.source.partition,
            "source_offset": example.source.offset,
            "source_timestamp": NOW,
            "record": codec.encode(example.record_name, example.record),
            "scored_with": {"closures": 3},
        },
    )
    return InputEvent(SourceRef(LEARNING, partition, offset, 0), b"closures", value)


def test_an_event_is_learnt_once_however_often_it_is_sent() -> None:
    model = learner()
    learning = Learning([Counter(model)], {"closures": model})
    out = Outputs()
    for offset in (0, 1, 0, 1, 2):  # a scoring worker restarted and sent 0 and 1 again
        learning.apply(Example("closures", "OfferClosed", closed(f"o{offset}"), src(offset)), out)
    assert model.model["seen"] == ["o0", "o1", "o2"] and model.pending == 3


def test_a_learner_not_owned_here_learns_nothing() -> None:
    model = learner()
    learning = Learning([Counter(model)], {"closures": model})
    learning.active.clear()
    assert not learning.apply(Example("closures", "OfferClosed", closed("x"), src(0)), Outputs())
    assert model.model["seen"] == [] and model.pending == 0


def test_scoring_sends_examples_and_never_learns(codec: Codec) -> None:
    model = learner()
    ref = load_referential(load_settings().data_dir)
    processor = Processor(codec, ref, [Counter(model)], topic_prefix="vigie.")
    value = codec.encode("OfferClosed", closed("a"))
    out = processor.process([InputEvent(src(0), b"a", value)])
    assert [e.record["offer_id"] for e in out.examples] == ["a"]
    assert model.model["seen"] == []


def test_an_event_that_fails_half_way_causes_nothing_but_its_dead_letter(codec: Codec) -> None:
    model = learner()
    ref = load_referential(load_settings().data_dir)
    processor = Processor(codec, ref, [Counter(model)], topic_prefix="vigie.")
    events = [
        InputEvent(src(i), b"k", codec.encode("OfferClosed", closed(oid)))
        for i, oid in enumerate(("a", "boom", "b"))
    ]
    out = processor.process(events)
    assert [a["alert_id"] for a in out.alerts] == ["a", "b"]
    assert [e.record["offer_id"] for e in out.examples] == ["a", "b"]
    assert [d.source.offset for d in out.dead_letters] == [1]


def test_the_learning_processor_learns_decodes_and_tracks_its_position(codec: Codec) -> None:
    model = learner()
    learning = Learning([Counter(model)], {"closures": model})
    partition = learning_partition("closures", 4)
    proc = LearningProcessor(codec, learning, learning_topic=LEARNING, partitions=4)
    examples = [Example("closures", "OfferClosed", closed(f"o{i}"), src(i)) for i in range(3)]
    batch = [wrapped(codec, ex, 10 + i, partition) for i, ex in enumerate(examples)]
    batch.insert(1, InputEvent(SourceRef(LEARNING, partition, 99, 0), None, b"not avro"))
    out = proc.process(batch)
    assert model.model["seen"] == ["o0", "o1", "o2"]
    assert len(out.dead_letters) == 1 and out.dead_letters[0].source.offset == 99
    # A new learner re-reads the learning topic after the last example read.
    assert model.positions[f"{LEARNING}:{partition}"] == 13
    assert model.positions["vigie.offers:0"] == 3


def test_a_view_takes_newer_snapshots_and_names_their_version() -> None:
    store = MemoryModelStore()
    view = ModelView("closures", lambda: {"seen": []})
    assert not view.refresh(store) and view.version_label == "v0"
    model = learner(store)
    model.model["seen"].append("x")
    model.pending = 1
    assert model.maybe_snapshot(force=True)
    assert view.refresh(store) and view.version_label == "v1" and view.model == {"seen": ["x"]}
    model.model["seen"].append("y")  # the learner goes on; the view is a copy
    assert view.model == {"seen": ["x"]}
    view.use(None)
    assert view.version == 0 and view.model == {"seen": []}


def test_a_snapshot_carries_what_describe_says() -> None:
    store = MemoryModelStore()
    model = learner(store)
    model.describe = lambda: {"seen": len(model.model["seen"])}
    model.model["seen"].extend(["a", "b"])
    model.pending = 2
    model.maybe_snapshot(force=True)
    latest = store.latest("closures")
    assert latest is not None and latest.metadata["seen"] == 2


def test_a_table_records_the_newest_change_of_each_key_on_its_partition() -> None:
    table = ChangelogTable("vigie.profiles", "vigie.jobseekers", 4)
    table["DE1"] = {"v": 1}
    table["DE1"] = {"v": 2}
    table["DE2"] = {"v": 1}
    del table["DE2"]
    changes = {c.key: c for c in table.drain()}
    assert orjson.loads(changes["DE1"].value or b"") == {"v": 2}
    assert changes["DE2"].value is None
    assert changes["DE1"].partition == key_partition("DE1", 4)
    assert table.drain() == [] and dict(table) == {"DE1": {"v": 2}}
    replay = ChangelogTable("vigie.profiles", "vigie.jobseekers", 4, record=False)
    replay["DE1"] = {"v": 1}
    assert replay.drain() == []


def test_a_table_forgets_the_partitions_it_gives_up() -> None:
    table = ChangelogTable("vigie.profiles", "vigie.jobseekers", 4)
    for i in range(40):
        table[f"DE{i}"] = {"i": i}
    table.release([0, 1])
    assert table and all(key_partition(k, 4) in (2, 3) for k in table)


@pytest.mark.parametrize(
    ("key", "java_murmur2"), [("21", -973932308), ("foobar", -790332482), ("abc", 479470107)]
)
def test_keys_land_on_the_partitions_the_java_client_would_choose(
    key: str, java_murmur2: int
) -> None:
    # Reference hashes from Kafka's UtilsTest; the partitioner takes toPositive(hash) % n.
    for n in (1, 2, 7, 12):
        assert key_partition(key, n) == (java_murmur2 & 0x7FFFFFFF) % n
