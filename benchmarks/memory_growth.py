"""What grows in a worker's memory as events flow: tracemalloc over the worker's own pipeline.

    .venv/bin/python -m benchmarks.memory_growth [--events 300000] [--seed 5] [--top 15]

No Kafka, no Redis: the worker's app and use cases (``streams.app`` discovery,
``runtime.start`` on a memory model store that keeps only the latest snapshot of each model, as
the Kafka store does) score simulated events in batches of ``VIGIE_BATCH_SIZE``, and every model
learns inline, in order (the worker's learner, without the learning topic). The timer events
the offer learner writes (``OfferAged``) are fed back with the next batch, as the offers topic
would, and the profile table's changes are drained after each batch, as a delivery does. Every
``--snapshot-every`` events every learner is snapshotted and the views swapped to it, as the
worker's model thread does: scoring and learning copies both live, as in a worker.

Email events are left out (``--with-emails`` keeps them): they need the French pipeline and
their cache is capped already. tracemalloc snapshots are taken at ``--mark`` (20 %) and at the
end, and their difference is printed by line (where the growth was allocated), with resident
memory (VmRSS), the sizes of the use cases' caches and tables, and each model's pickled size
at every tenth of the run. Figures go to stdout and ``benchmarks/results/memory_growth.json``.
"""

from __future__ import annotations

import argparse
import gc
import json
import pickle
import sys
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make `benchmarks` importable as a package
    sys.path.insert(0, str(ROOT))

from benchmarks.profile_batch import iter_events  # noqa: E402
from sinks.outputs import SourceRef  # noqa: E402
from streams.modelstore import MemoryModelStore, Snapshot  # noqa: E402
from streams.pipeline import InputEvent, Processor  # noqa: E402
from streams.topics import record_key  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"


class LatestOnlyStore(MemoryModelStore):
    """A memory model store that keeps only each model's latest snapshot (the Kafka store's
    ``model-latest``): older payloads would otherwise be counted as the worker's growth."""

    def save(self, name: str, model: Any, metadata: dict[str, Any] | None = None) -> Snapshot:
        snapshot = super().save(name, model, metadata)
        versions = self._snapshots[name]  # noqa: SLF001 - same family
        del versions[:-1]
        return snapshot


def rss_mib() -> float:
    """This process's resident set size (VmRSS), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def encoded_events(
    processor: Processor, prefix: str, partitions: int, seed: int, events: int, emails: bool
) -> Iterator[InputEvent]:
    """Simulated events, encoded as the publisher sends them, lazily (never all in memory)."""
    for _name, event in iter_events(processor, prefix, partitions, seed, events, emails=emails):
        yield event


def sizes(runtime: Any) -> dict[str, Any]:
    """Counts of what the use cases hold, and each learner's pickled size (bytes)."""
    out: dict[str, Any] = {
        "tables": {name: len(t._data) for name, t in runtime.tables.items()},  # noqa: SLF001
        "models_bytes": {
            name: len(pickle.dumps(m.model, protocol=5)) for name, m in runtime.learners.items()
        },
        "positions": {name: len(m.positions) for name, m in runtime.learners.items()},
    }
    for handler in runtime.processor.handlers:
        inner = getattr(handler, "handler", handler)
        caches = {
            attr: len(value)
            for attr, value in vars(inner).items()
            if isinstance(value, dict | list | set) and not attr.startswith("__")
        }
        out[type(inner).__name__] = caches
    if "spacy" in sys.modules:  # the French pipeline's vocabulary: it grows with each new word
        from agents.emails import language

        if language._nlp is not None:  # noqa: SLF001 - loaded only by an email
            out["spacy_strings"] = len(language._nlp.vocab.strings)  # noqa: SLF001
            out["spacy_lexemes"] = len(language._nlp.vocab)  # noqa: SLF001
    offers = runtime.learners.get("offer-intelligence")
    if offers is not None:
        out["markets"] = len(offers.model.baseline)
        out["open_offers"] = len(offers.model.open_offers)
    return out


def print_growth(
    first: tracemalloc.Snapshot, last: tracemalloc.Snapshot, top: int, frames: int
) -> list[dict[str, Any]]:
    """Print (and return) the ``top`` allocation sites by growth from ``first`` to ``last``."""
    noise = (tracemalloc.__file__, __file__)
    filters = [tracemalloc.Filter(False, path) for path in noise]
    diff = last.filter_traces(filters).compare_to(first.filter_traces(filters), "traceback")
    total = sum(stat.size_diff for stat in diff)
    print(f"\n--- top {top} allocation sites by growth ({total / 2**20:+.1f} MiB in all) ---")
    growth: list[dict[str, Any]] = []
    for stat in diff[:top]:
        at = [f"{f.filename.removeprefix(str(ROOT) + '/')}:{f.lineno}" for f in stat.traceback]
        growth.append({"kib": round(stat.size_diff / 1024), "count": stat.count_diff, "at": at})
        print(f"{stat.size_diff / 1024:+10.0f} KiB {stat.count_diff:+9d} blocks")
        for frame in at[-frames:]:
            print(f"      {frame}")
    return growth


def main(argv: list[str] | None = None) -> int:
    """Run the events through the pipeline; print what grew between the mark and the end."""
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument("--events", type=int, default=300_000, help="simulated events asked")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument(
        "--mark", type=float, default=0.2, help="share of the run: first snap (above 1: no tracing)"
    )
    parser.add_argument("--snapshot-every", type=int, default=10_000, help="events")
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--frames", type=int, default=5, help="tracemalloc frames kept")
    parser.add_argument("--with-emails", action="store_true")
    parser.add_argument(
        "--compare",
        nargs=2,
        metavar=("EARLIER", "LATER"),
        help="print what grew between two snapshots a worker wrote (VIGIE_TRACEMALLOC_DIR)",
    )
    args = parser.parse_args(argv)
    if args.compare:
        earlier, later = (tracemalloc.Snapshot.load(path) for path in args.compare)
        print_growth(earlier, later, args.top, args.frames)
        return 0

    from streams.app import app, runtime

    app.discover()
    runtime.start(model_store=LatestOnlyStore(), deliver=False)
    runtime.learning.active.update(runtime.learners)
    processor, settings = runtime.processor, runtime.settings
    processor.inline = runtime.learning
    offers_topic = settings.topic("offers")
    timer_offset = 10**12  # timer events get offsets of their own on the offers topic

    began = time.perf_counter()
    first: tracemalloc.Snapshot | None = None
    rows: list[dict[str, Any]] = []
    done = since_snapshot = 0
    pending: list[InputEvent] = []
    stream = encoded_events(
        processor,
        settings.topic_prefix,
        settings.partitions,
        args.seed,
        args.events,
        args.with_emails,
    )
    # Marks are placed on the events asked; the run processes more (scheduled closures and
    # exits, the learner's timer events), so its end comes later than 100 % of them.
    expected = args.events
    next_row = 0.1
    exhausted = False
    while not exhausted:
        batch = pending
        pending = []
        while len(batch) < settings.batch_size:
            event = next(stream, None)
            if event is None:
                exhausted = True
                break
            batch.append(event)
        if not batch:
            break
        out = processor.process(batch)
        for table in runtime.tables.values():
            table.drain()
        for name, record in out.records:  # the learner's timer events, back on the offers topic
            timer_offset += 1
            value = processor.codec.encode(name, record)
            source = SourceRef(offers_topic, 0, timer_offset, batch[-1].source.timestamp_ms)
            pending.append(InputEvent(source, record_key(name, record).encode(), value))
        processor.after_batch()
        done += len(batch)
        since_snapshot += len(batch)
        if since_snapshot >= args.snapshot_every:
            since_snapshot = 0
            for model in runtime.learners.values():
                model.maybe_snapshot(force=True)
            for view in runtime.views.values():
                view.refresh(runtime.model_store)
        if first is None and done >= args.mark * expected:
            # Tracing starts here: what is still allocated at the end was allocated since the
            # mark (and tracing the whole run would make it several times slower).
            gc.collect()
            tracemalloc.start(args.frames)
            first = tracemalloc.take_snapshot()
            print(f"tracing from {done:,} events, RSS {rss_mib():.0f} MiB", flush=True)
        if done >= next_row * expected or exhausted:
            next_row += 0.1
            row = {
                "events": done,
                "s": round(time.perf_counter() - began, 1),
                "rss_mib": round(rss_mib(), 1),
                "traced_mib": round(tracemalloc.get_traced_memory()[0] / 2**20, 1),
                **sizes(runtime),
            }
            rows.append(row)
            print(json.dumps(row), flush=True)
    gc.collect()
    growth: list[dict[str, Any]] = []
    if first is not None:
        growth = print_growth(first, tracemalloc.take_snapshot(), args.top, args.frames)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "memory_growth.json").write_text(
        json.dumps({"args": vars(args), "rows": rows, "growth": growth}, indent=2)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
