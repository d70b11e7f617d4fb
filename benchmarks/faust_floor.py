"""The framework's floor: a Faust agent per input topic that only decodes, as its own process.

    python -m benchmarks.faust_floor --expect N [--timeout S]

The same Faust settings as Vigie's app (raw bytes, ``take_events`` batches of
``VIGIE_BATCH_SIZE`` within ``VIGIE_BATCH_WITHIN_S``), the same decode as the raw loop
(:meth:`Codec.decode`), and nothing else: what any Faust-stream worker pays before its own work.
``make bench`` runs it beside the raw loop, so the worker's rate reads against both the
broker's limit and Faust's.

The last line of stdout is a JSON object (events, seconds from the first decoded message to the
last, peak memory). The process then leaves at once (``os._exit``): a benchmark child has
nothing to commit or flush, and a Faust worker's orderly stop takes seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from typing import Any

import faust

from benchmarks.system import peak_rss_mib
from schemas.codec import Codec, SchemaRegistry
from streams.errors import DecodeError
from streams.settings import PROJECT_ROOT, load_settings
from streams.topics import INPUT_TOPICS


def main(argv: list[str] | None = None) -> int:
    """Run the decode-only Faust worker until ``--expect`` events are decoded."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--expect", type=int, required=True)
    parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args(argv)
    s = load_settings()
    codec = Codec(SchemaRegistry.default())
    app_id = f"{s.app_id}-faust-floor-{uuid.uuid4().hex[:6]}"
    app = faust.App(
        app_id,
        broker=";".join(f"kafka://{b.strip()}" for b in s.kafka_bootstrap_servers.split(",")),
        key_serializer="raw",
        value_serializer="raw",
        consumer_auto_offset_reset="earliest",
        topic_partitions=s.partitions,
        web_enabled=False,
        store="memory://",
        datadir=str(PROJECT_ROOT / ".run" / "faust" / app_id),
    )
    state: dict[str, Any] = {"events": 0, "first": None}
    deadline = time.monotonic() + args.timeout

    def done() -> None:
        now = time.perf_counter()
        result = {
            "events": state["events"],
            "seconds": now - (state["first"] or now),
            "complete": state["events"] >= args.expect,
            "peak_rss_mib": peak_rss_mib(),
        }
        # To the process's real stdout: a Faust worker sends sys.stdout to its logger.
        os.write(1, (json.dumps(result) + "\n").encode())
        os._exit(0)

    async def decode_only(stream: Any) -> None:
        async for events in stream.take_events(s.batch_size, within=s.batch_within_s):
            if state["first"] is None:
                state["first"] = time.perf_counter()
            for event in events:
                try:
                    codec.decode(event.message.value)
                except DecodeError:
                    pass
            state["events"] += len(events)
            if state["events"] >= args.expect or time.monotonic() > deadline:
                done()

    for name in INPUT_TOPICS:
        topic = app.topic(s.topic(name), key_type=bytes, value_type=bytes)
        app.agent(topic, name=f"floor-{name}")(decode_only)

    sys.argv = [sys.argv[0], "worker", "--loglevel", "warn", "--without-web"]
    app.main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
