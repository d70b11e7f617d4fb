"""Where the worker's CPU goes: cProfile of :meth:`Processor.process` on simulated batches.

    .venv/bin/python -m benchmarks.profile_batch [--events 20000] [--seed 7] [--top 25]

No Kafka and no Redis I/O: the events are simulated and Avro-encoded here (the same bytes the
publisher sends), wrapped as :class:`~streams.pipeline.InputEvent` s and fed in batches of
``VIGIE_BATCH_SIZE`` to the processor the worker builds (the app's own discovery registers the
use cases; models live in a memory store). It prints the processing rate without the profiler,
then the top functions of a profiled pass over the same events (new offsets, so models keep
learning): what a worker batch costs before delivery, Faust and the network.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import sys
import time
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from sinks.outputs import SourceRef
from streams.modelstore import MemoryModelStore
from streams.pipeline import InputEvent, Processor
from streams.settings import Settings
from streams.simulate import simulation_start
from streams.simulator import SimConfig, simulate
from streams.topics import record_key, topic_for_record


def iter_events(
    processor: Processor,
    prefix: str,
    partitions: int,
    seed: int,
    events: int,
    *,
    config: SimConfig | None = None,
    emails: bool = True,
) -> Iterator[tuple[str, InputEvent]]:
    """(record type, event) of ``events`` simulated events, encoded as the publisher sends
    them and placed as the worker would read them, lazily (``emails=False`` skips emails)."""
    config = config or SimConfig()
    now_ms = int(datetime.now(UTC).timestamp() * 1000)
    offsets: dict[tuple[str, int], int] = {}
    for event in simulate(
        seed,
        events,
        start=simulation_start(events, config),
        config=config,
        referential=processor.referential,
    ):
        short = topic_for_record(event.record_name).name
        if short == "emails" and not emails:
            continue
        key = record_key(event.record_name, event.record)
        topic = f"{prefix}{short}"
        partition = zlib.crc32(key.encode()) % partitions
        offset = offsets.get((topic, partition), 0)
        offsets[(topic, partition)] = offset + 1
        value = processor.codec.encode(event.record_name, event.record)
        source = SourceRef(topic, partition, offset, now_ms)
        yield event.record_name, InputEvent(source, key.encode(), value)


def simulated_events(*args: Any, names: list[str] | None = None, **kwargs: Any) -> list[InputEvent]:
    """:func:`iter_events`' events in a list (``names``, when given, receives each event's
    record type)."""
    out = []
    for name, event in iter_events(*args, **kwargs):
        out.append(event)
        if names is not None:
            names.append(name)
    return out


def rates_by_type(
    processor: Processor,
    settings: Settings,
    seed: int,
    events: int,
    *,
    emails: bool,
) -> dict[str, dict[str, float]]:
    """Events/s of :meth:`Processor.process` for each record type, and for the whole mix.

    The first fifth of the traffic warms the models and caches up; the rest is processed in
    the worker's batches once in its order (the mix), then again type by type at new offsets
    (each type's batches alone, so its rate is its own).
    """
    config = SimConfig() if emails else SimConfig(emails=0.0)
    names: list[str] = []
    prefix, partitions, batch = settings.topic_prefix, settings.partitions, settings.batch_size
    evs = simulated_events(processor, prefix, partitions, seed, events, config=config, names=names)
    warm = len(evs) // 5
    run_batches(processor, evs[:warm], batch)
    rest, rest_names = evs[warm:], names[warm:]
    began = time.perf_counter()
    run_batches(processor, rest, batch)
    mixed = time.perf_counter() - began
    out = {"all": {"events": len(rest), "events_per_s": len(rest) / mixed}}
    again = shifted(rest, len(evs))
    for name in sorted(set(rest_names)):
        mine = [e for e, n in zip(again, rest_names, strict=True) if n == name]
        began = time.perf_counter()
        run_batches(processor, mine, batch)
        seconds = time.perf_counter() - began
        out[name] = {"events": len(mine), "events_per_s": len(mine) / seconds}
    return out


def shifted(events: list[InputEvent], by: int) -> list[InputEvent]:
    """The same events at offsets ``by`` further: new events to the models."""
    return [
        InputEvent(
            SourceRef(
                e.source.topic, e.source.partition, e.source.offset + by, e.source.timestamp_ms
            ),
            e.key,
            e.value,
        )
        for e in events
    ]


def run_batches(processor: Processor, events: list[InputEvent], batch: int) -> tuple[int, int]:
    """Process ``events`` in batches; returns (processed, alerts)."""
    processed = alerts = 0
    for i in range(0, len(events), batch):
        outputs = processor.process(events[i : i + batch])
        processed += outputs.processed
        alerts += len(outputs.alerts)
    return processed, alerts


def main(argv: list[str] | None = None) -> int:
    """Time, then profile, the processor on simulated events."""
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--top", type=int, default=25, help="functions shown per ordering")
    parser.add_argument(
        "--rates",
        action="store_true",
        help="print only the events/s of each record type as one JSON line (make bench's)",
    )
    parser.add_argument("--no-emails", action="store_true", help="simulate no EmailReceived")
    args = parser.parse_args(argv)

    # The worker's own app and discovery: the same use cases, built the same way.
    from streams.app import app, runtime

    app.discover()
    runtime.start(model_store=MemoryModelStore())
    processor, settings = runtime.processor, runtime.settings
    if args.rates:
        rates = rates_by_type(
            processor, settings, args.seed, args.events, emails=not args.no_emails
        )
        print(json.dumps(rates), flush=True)
        return 0
    events = simulated_events(
        processor,
        settings.topic_prefix,
        settings.partitions,
        args.seed,
        args.events,
        emails=not args.no_emails,
    )
    sizes = sorted(len(e.value) for e in events)
    print(
        f"{len(events):,} events, value size median {sizes[len(sizes) // 2]} B; "
        f"batches of {settings.batch_size}"
    )

    began = time.perf_counter()
    processed, alerts = run_batches(processor, events, settings.batch_size)
    seconds = time.perf_counter() - began
    print(
        f"Processor.process, no profiler: {processed:,} processed, {alerts:,} alerts in "
        f"{seconds:.2f}s = {processed / seconds:,.0f} events/s, "
        f"{seconds / len(events) * 1e6:.0f} us/event"
    )

    profiler = cProfile.Profile()
    again = shifted(events, len(events))
    profiler.enable()
    run_batches(processor, again, settings.batch_size)
    profiler.disable()
    for order in ("tottime", "cumulative"):
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).strip_dirs().sort_stats(order).print_stats(args.top)
        print(f"\n--- profiled pass, top {args.top} by {order} ---")
        print(text.getvalue().split("\n", 4)[-1].strip("\n"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
