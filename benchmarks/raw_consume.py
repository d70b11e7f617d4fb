"""The baseline: a raw confluent-kafka consume-and-decode loop, run as its own process.

``python -m benchmarks.raw_consume throughput --expect N`` reads the namespace's input topics
from their beginning and decodes every value with :meth:`Codec.decode`, nothing else: the
least any consumer of these topics must do, so the worker's throughput is read as a share of
it. ``live --expect M`` starts at the current end of the topics, prints ``{"ready": true}``,
then measures each message's produce-to-decode latency while a publisher feeds the topics.

Settings come from the environment like any Vigie process (``streams.settings``). The last
line of stdout is a JSON object with the figures and the process's own peak memory (VmHWM):
running in a separate process keeps that memory figure the loop's own.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

from benchmarks.system import peak_rss_mib
from schemas.codec import Codec, SchemaRegistry
from streams.errors import DecodeError
from streams.security import kafka_config
from streams.settings import Settings, load_settings
from streams.topics import INPUT_TOPICS

BATCH = 1000


def _consumer(settings: Settings) -> Consumer:
    return Consumer(
        {
            **kafka_config(settings),
            # Its own group, but partitions are assigned, not joined: no rebalance to wait for.
            "group.id": f"{settings.app_id}-raw",
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
        }
    )


def _partitions(consumer: Consumer, settings: Settings) -> list[TopicPartition]:
    tps = []
    for short in INPUT_TOPICS:
        topic = settings.topic(short)
        meta = consumer.list_topics(topic, timeout=10).topics[topic]
        if meta.error is not None:
            raise SystemExit(f"raw consumer: topic {topic}: {meta.error}")
        tps += [TopicPartition(topic, p) for p in sorted(meta.partitions)]
    return tps


def throughput(settings: Settings, expect: int, timeout_s: float) -> dict[str, Any]:
    """Consume and decode ``expect`` messages from the beginning; time first poll to last."""
    codec = Codec(SchemaRegistry.default())
    consumer = _consumer(settings)
    try:
        consumer.assign(
            [
                TopicPartition(tp.topic, tp.partition, OFFSET_BEGINNING)
                for tp in _partitions(consumer, settings)
            ]
        )
        decoded = errors = 0
        first_message_s: float | None = None
        began = time.perf_counter()
        deadline = began + timeout_s
        while decoded + errors < expect and time.perf_counter() < deadline:
            # Never ask for more than remain: consume() waits for a full batch or its timeout.
            for msg in consumer.consume(
                num_messages=min(BATCH, expect - decoded - errors), timeout=1.0
            ):
                if msg.error() is not None:
                    if msg.error().fatal():
                        raise SystemExit(f"raw consumer: {msg.error()}")
                    continue  # transient: librdkafka retries by itself
                if first_message_s is None:
                    first_message_s = time.perf_counter() - began
                try:
                    codec.decode(msg.value())
                    decoded += 1
                except DecodeError:
                    errors += 1
        seconds = time.perf_counter() - began
    finally:
        consumer.close()
    return {
        "mode": "throughput",
        "events": decoded + errors,
        "decoded": decoded,
        "decode_errors": errors,
        "seconds": seconds,
        "first_message_s": first_message_s,
        "complete": decoded + errors >= expect,
        "peak_rss_mib": peak_rss_mib(),
    }


def live(settings: Settings, expect: int, timeout_s: float) -> dict[str, Any]:
    """From the topics' current end, time each message from its Kafka timestamp to decoded."""
    codec = Codec(SchemaRegistry.default())
    consumer = _consumer(settings)
    latencies_ms: list[float] = []
    try:
        assigned = []
        for tp in _partitions(consumer, settings):
            _low, high = consumer.get_watermark_offsets(tp, timeout=10)
            assigned.append(TopicPartition(tp.topic, tp.partition, high))
        consumer.assign(assigned)
        consumer.poll(0.5)  # let the first fetches start before the publisher does
        print(json.dumps({"ready": True}), flush=True)
        deadline = time.monotonic() + timeout_s
        while len(latencies_ms) < expect and time.monotonic() < deadline:
            # One message per call: a batch call would hold messages back to fill the batch.
            msg = consumer.poll(0.5)
            if msg is None or msg.error() is not None:
                continue
            try:
                codec.decode(msg.value())
            except DecodeError:
                pass
            latencies_ms.append(time.time() * 1000 - msg.timestamp()[1])
    finally:
        consumer.close()
    return {
        "mode": "live",
        "events": len(latencies_ms),
        "latencies_ms": latencies_ms,
        "complete": len(latencies_ms) >= expect,
        "peak_rss_mib": peak_rss_mib(),
    }


def main(argv: list[str] | None = None) -> int:
    """Run one mode and print its figures as the last line of stdout."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("throughput", "live"))
    parser.add_argument("--expect", type=int, required=True, help="messages to read")
    parser.add_argument("--timeout", type=float, default=600.0, help="give up after (s)")
    args = parser.parse_args(argv)
    settings = load_settings()
    run = throughput if args.mode == "throughput" else live
    print(json.dumps(run(settings, args.expect, args.timeout)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
