"""What scores replayed events: the worker's own use cases, on read-only model views.

A replay never re-implements a decision: :class:`RuntimeScorer` runs the worker's
:class:`~streams.pipeline.Processor` built by ``streams.runtime.scoring_runtime`` (the use cases
of ``agents``, no sinks, no learning), pointing each model view at the snapshot the replay chose.
Learning examples the scoring produces are dropped; the store handed to the runtime refuses to
save, so a replay cannot write a model version even by mistake.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from sinks.outputs import Outputs
from streams.errors import VigieError
from streams.modelstore import ModelStore, Snapshot
from streams.pipeline import InputEvent, Processor
from streams.settings import Settings
from streams.topics import INPUT_TOPICS, TOPICS


class ReplayIsolationError(VigieError):
    """Raised when something in a replay tries to write to a live model store."""


class Scorer(Protocol):
    """Scores events with chosen model versions; no side effect outside the returned outputs."""

    def model_names(self) -> list[str]:
        """The models the use cases score with."""
        ...

    def score(
        self, events: Sequence[InputEvent], versions: Mapping[str, Snapshot | None]
    ) -> Outputs:
        """Outputs of ``events`` scored with ``versions`` (None: a model's factory-fresh v0)."""
        ...

    def stateful_topics(self) -> list[str]:
        """Input topics whose events feed per-key state that scoring reads (tables)."""
        ...

    def warm(self, events: Sequence[InputEvent], versions: Mapping[str, Snapshot | None]) -> None:
        """Rebuild that state from ``events`` (before the range); their outputs are dropped."""
        ...


class ReadOnlyStore:
    """A model store that reads through to another and refuses every save."""

    def __init__(self, store: ModelStore) -> None:
        self._store = store

    def latest(self, name: str) -> Snapshot | None:
        return self._store.latest(name)

    def at(self, name: str, when: datetime) -> Snapshot | None:
        return self._store.at(name, when)

    def versions(self, name: str) -> list[Snapshot]:
        return self._store.versions(name)

    def names(self) -> list[str]:
        return self._store.names()

    def refresh(self) -> None:
        refresh = getattr(self._store, "refresh", None)
        if refresh is not None:
            refresh()

    def save(self, name: str, model: Any, metadata: dict[str, Any] | None = None) -> Snapshot:
        raise ReplayIsolationError(f"a replay never saves models (tried to save {name})")


class RuntimeScorer:
    """The worker's scoring pipeline, from ``streams.runtime.scoring_runtime``."""

    def __init__(self, settings: Settings, store: ModelStore) -> None:
        from streams.runtime import scoring_runtime

        self.runtime = scoring_runtime(settings, store)
        self._current: dict[str, int] | None = None

    def model_names(self) -> list[str]:
        names: list[str] = self.runtime.model_names()
        return names

    def score(
        self, events: Sequence[InputEvent], versions: Mapping[str, Snapshot | None]
    ) -> Outputs:
        wanted = {name: s.version if s else 0 for name, s in versions.items()}
        if wanted != self._current:  # a view swap unpickles: only when the versions change
            self.runtime.use_versions(dict(versions))
            self._current = wanted
        out: Outputs = self.runtime.processor.process(events)
        out.examples.clear()  # learning is the learners' business, never a replay's
        return out

    def stateful_topics(self) -> list[str]:
        topics = {t.source_topic for t in self.runtime.tables.values()}
        # Every topic whose records a state-keeping use case scores (emails write memories).
        records = {r for h in self._stateful for r in h.records}
        topics |= {
            self.runtime.settings.topic(spec.name)
            for spec in TOPICS
            if spec.name in INPUT_TOPICS and records & set(spec.records)
        }
        return sorted(topics)

    def warm(self, events: Sequence[InputEvent], versions: Mapping[str, Snapshot | None]) -> None:
        if not self._stateful:
            return
        self.runtime.use_versions(dict(versions))
        self._current = {name: s.version if s else 0 for name, s in versions.items()}
        self._warmer.process(events)

    @property
    def _stateful(self) -> list[Any]:
        return [h for h in self.runtime.processor.handlers if getattr(h, "keeps_state", False)]

    @property
    def _warmer(self) -> Processor:
        """The worker's processor with only the use cases that keep state."""
        p = self.runtime.processor
        return Processor(p.codec, p.referential, self._stateful, p.topic_prefix)


def make_scorer(settings: Settings, store: ModelStore) -> Scorer:
    """The worker's scorer over ``store``, wrapped read-only."""
    return RuntimeScorer(settings, ReadOnlyStore(store))
