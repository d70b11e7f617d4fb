"""Which snapshot of each model scores each replayed event.

``recorded``: the version that decided live, taken from the first of these that knows it:

1. the learning and ``scored`` topics: a scoring worker records, with the learning examples of
   every event it scores, the version of every model view it held (``scored_with``), and, for
   each input partition of each batch, the range of offsets it scored with those versions (so
   events that teach no model, such as timers, feedback and dead letters, are known too).
   Exact, for every model, whether or not the event raised an alert. An event scored twice
   with different versions (a re-delivery after a restart) takes the set its recorded alerts
   agree with (the first delivered alert wins: ids are deterministic and duplicates are
   refused), else the earliest;
2. the alerts topic: an alert the event raised with model M names M's version;
3. inferred, for events with no example (feedback, dead letters, examples past the learning
   topic's retention): M's version live at the event's timestamp, raised to the version of the
   latest earlier alert of M from the same input partition (a worker scores an event after its
   timestamp, never with an older view than it used on that partition before).

``current``: the latest snapshot of every model (what-if).
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from sinks.outputs import SourceRef
from streams.modelstore import Snapshot
from streams.replay.reading import RecordedAlert, ScoredRanges, VersionMap

Mode = Literal["recorded", "current"]
SourceKey = tuple[str, int, int]

MAX_CANDIDATES = 5  # later versions tried when explaining an unrecorded alert
RANGE_LOOKBACK = 16  # recorded ranges of a partition looked at before an offset
_LABEL = re.compile(r"^v(\d+)(?:\+(\d+))?$")

# How a version was chosen (shown in the report), most certain first.
FROM_WORKER = "recorded by the scoring worker"
FROM_ALERT = "recorded alert"
FROM_EARLIER_ALERT = "earlier alert on the partition"
FROM_TIME = "live at event time"
FROM_LATEST = "latest"
CERTAINTY = (FROM_WORKER, FROM_ALERT, FROM_EARLIER_ALERT, FROM_TIME, FROM_LATEST)
EXACT = frozenset({FROM_WORKER, FROM_ALERT})  # the worker said which version decided


def parse_label(label: str) -> tuple[int, int] | None:
    """``v3`` -> (3, 0); ``v3+12`` (a learning worker's label: 12 examples since v3) -> (3, 12)."""
    m = _LABEL.match(label or "")
    return (int(m[1]), int(m[2] or 0)) if m else None


@dataclass(frozen=True, slots=True)
class Choice:
    """The version of one model for one event, and why."""

    version: int
    how: str
    recorded_label: str | None = None  # what the event's recorded alert said, if any


class VersionPlan:
    """Chooses, for every event, one snapshot per model (see the module docstring)."""

    def __init__(
        self,
        mode: Mode,
        history: Mapping[str, Sequence[Snapshot]],
        recorded: Iterable[RecordedAlert] = (),
        scored_with: Mapping[SourceKey, Sequence[VersionMap]] | None = None,
        scored_ranges: ScoredRanges | None = None,
    ) -> None:
        self.mode = mode
        # source event -> the version sets scoring workers recorded for it, earliest first.
        self._scored_with = scored_with or {}
        # input partition -> the offset ranges scoring batches recorded, by first offset.
        self._ranges = scored_ranges or {}
        self._range_firsts = {key: [r[0] for r in found] for key, found in self._ranges.items()}
        self.models = sorted(history)
        self._snapshots = {name: {s.version: s for s in snaps} for name, snaps in history.items()}
        by_time = {
            name: sorted(snaps, key=lambda s: (s.created_at, s.version))
            for name, snaps in history.items()
        }
        self._times = {
            name: [round(s.created_at.timestamp() * 1000) for s in snaps]
            for name, snaps in by_time.items()
        }
        self._time_versions = {name: [s.version for s in snaps] for name, snaps in by_time.items()}
        self._latest = {
            name: max((s.version for s in snaps), default=0) for name, snaps in history.items()
        }
        # (source event, model) -> label of the alert it raised; (topic, partition, model) ->
        # sorted offsets and versions of the alerts raised there, for the "earlier alert" rule.
        self._labels: dict[tuple[SourceKey, str], str] = {}
        partition_alerts: dict[tuple[str, int, str], list[tuple[int, int]]] = {}
        for r in recorded:
            model, label = r.alert["model_name"], r.alert["model_version"]
            self._labels.setdefault((r.source_key, model), label)
            parsed = parse_label(label)
            if parsed is not None:
                topic, partition, offset = r.source_key
                partition_alerts.setdefault((topic, partition, model), []).append(
                    (offset, parsed[0])
                )
        # Per (topic, partition, model): alert offsets with the highest version named at or
        # before each (``_earlier``) and the lowest named at or after each (``_later``).
        self._earlier: dict[tuple[str, int, str], tuple[list[int], list[int]]] = {}
        self._later: dict[tuple[str, int, str], tuple[list[int], list[int]]] = {}
        for key, items in partition_alerts.items():
            items.sort()
            offsets = [o for o, _ in items]
            versions = [v for _, v in items]
            running_max = [max(versions[: i + 1]) for i in range(len(versions))]
            running_min = [min(versions[i:]) for i in range(len(versions))]
            self._earlier[key] = (offsets, running_max)
            self._later[key] = (offsets, running_min)
        self.usage: Counter[tuple[str, int, str]] = Counter()
        # Events by their least certain choice (an event without example: inferred).
        self.events_by_choice: Counter[str] = Counter()
        # Events scored more than once, with different versions (re-deliveries).
        self.rescored = sum(1 for sets in self._scored_with.values() if len(sets) > 1)

    def snapshot(self, model: str, version: int) -> Snapshot | None:
        """The snapshot of ``model`` at ``version`` (None for v0, the factory-fresh model)."""
        return self._snapshots.get(model, {}).get(version)

    def known(self, model: str, version: int) -> bool:
        """True when the store holds ``version`` of ``model`` (v0 always exists)."""
        return version == 0 or version in self._snapshots.get(model, {})

    def live_at(self, model: str, time_ms: int) -> int:
        """The version of ``model`` saved last at or before ``time_ms`` (0 when none was)."""
        i = bisect.bisect_right(self._times.get(model, []), time_ms)
        return self._time_versions[model][i - 1] if i else 0

    def later_candidates(self, model: str, source: SourceRef, version: int) -> list[Snapshot]:
        """Snapshots after ``version`` the worker may have scored ``source`` with, oldest first.

        A worker scores an event a little after its timestamp, with a view that only moves
        forward: at most the version named by the next alert of the same input partition.
        """
        bound = self._latest.get(model, 0)
        later = self._later.get((source.topic, source.partition, model))
        if later is not None:
            i = bisect.bisect_right(later[0], source.offset)
            if i < len(later[0]):
                bound = later[1][i]
        snaps = self._snapshots.get(model, {})
        found = [snaps[v] for v in sorted(snaps) if version < v <= bound]
        return found[:MAX_CANDIDATES]

    def worker_versions(self, key: SourceKey) -> VersionMap | None:
        """The versions a scoring worker recorded for the event at ``key`` (see the module)."""
        sets = self._scored_with.get(key) or self._sets_of_ranges(key)
        if not sets:
            return None
        if len(sets) == 1:
            return sets[0]
        named = {}
        for model in self.models:
            parsed = parse_label(self._labels.get((key, model), ""))
            if parsed is not None:
                named[model] = parsed[0]
        for versions in sets:
            if named and all(versions.get(m, v) == v for m, v in named.items()):
                return versions
        return sets[0]

    def _sets_of_ranges(self, key: SourceKey) -> tuple[VersionMap, ...]:
        """The version sets of the recorded scoring batches whose range holds ``key``."""
        topic, partition, offset = key
        firsts = self._range_firsts.get((topic, partition))
        if not firsts:
            return ()
        found = self._ranges[(topic, partition)]
        i = bisect.bisect_right(firsts, offset)
        sets: list[VersionMap] = []
        # Ranges of one partition overlap only where a batch was read again: a few at most.
        for first, last, versions in reversed(found[max(0, i - RANGE_LOOKBACK) : i]):
            if first <= offset <= last and versions not in sets:
                sets.append(versions)
        return tuple(reversed(sets))

    def choose(self, model: str, source: SourceRef) -> Choice:
        """The version of ``model`` that scores the event at ``source``."""
        if self.mode == "current":
            return Choice(self._latest.get(model, 0), FROM_LATEST)
        key = (source.topic, source.partition, source.offset)
        label = self._labels.get((key, model))
        recorded = self.worker_versions(key)
        if recorded is not None and model in recorded and self.known(model, recorded[model]):
            return Choice(recorded[model], FROM_WORKER, label)
        parsed = parse_label(label) if label is not None else None
        if parsed is not None and self.known(model, parsed[0]):
            return Choice(parsed[0], FROM_ALERT, label)
        version, how = self.live_at(model, source.timestamp_ms), FROM_TIME
        earlier = self._earlier.get((source.topic, source.partition, model))
        if earlier is not None:
            i = bisect.bisect_left(earlier[0], source.offset)
            if i and earlier[1][i - 1] > version and self.known(model, earlier[1][i - 1]):
                version, how = earlier[1][i - 1], FROM_EARLIER_ALERT
        return Choice(version, how, label)

    def versions_for(self, source: SourceRef) -> tuple[int, ...]:
        """One version per model (in :attr:`models` order) for the event at ``source``."""
        chosen = []
        least = 0 if self.models else None
        for model in self.models:
            c = self.choose(model, source)
            self.usage[(model, c.version, c.how)] += 1
            chosen.append(c.version)
            least = max(least or 0, CERTAINTY.index(c.how))
        if least is not None:
            self.events_by_choice[CERTAINTY[least]] += 1
        return tuple(chosen)

    def snapshots(self, versions: Sequence[int]) -> dict[str, Snapshot | None]:
        """The snapshots a version tuple names, as ``use_versions`` takes them."""
        return {m: self.snapshot(m, v) for m, v in zip(self.models, versions, strict=True)}
