"""The right to be forgotten, without services: what each use case and model drops.

The Redis keys, the compacted changelog and the snapshots are checked on the real services in
``tests/integration/test_erasure.py``.
"""

from __future__ import annotations

import pickle
import zlib
from array import array
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from agents.emails.logic import EmailsHandler
from agents.emails.model import CachedEmail, FeatureCache
from agents.jobseekers.logic import ERASING_MODELS, JobSeekersHandler
from agents.jobseekers.model import MODEL_NAME, make_jobseeker_diagnostic
from agents.offers.logic import OffersHandler
from agents.offers.model import (
    SUPPLY_MODEL_NAME,
    make_jobseeker_supply,
    make_offer_intelligence,
)
from sinks.erasure import audit_record
from sinks.outputs import Erasure, Outputs, SourceRef
from streams.modelstore import ManagedModel, MemoryModelStore
from streams.referential import Referential
from streams.rules import check_record
from streams.table import ChangelogTable
from tests.unit.test_jobseeker_diagnostics import NOW, StubView, profile, ref, source

__all__ = ["ref"]  # the module-scoped referential fixture

GONE, KEPT = "DE00000001", "DE00000002"


def erased(jid: str = GONE) -> dict[str, Any]:
    return {
        "event_id": "00000000-0000-4000-8000-0000000000e1",
        "jobseeker_id": jid,
        "erasure_id": "RGPD-42",
        "requested_by": "agency-system",
        "requested_at": NOW + timedelta(days=1),
    }


def test_the_rule_refuses_an_erasure_without_reference_or_from_the_future(ref: Referential):
    check_record("JobSeekerErased", erased(), ref, NOW + timedelta(days=2))
    for bad, when in (
        ({"erasure_id": " "}, NOW + timedelta(days=2)),
        ({"requested_by": ""}, NOW + timedelta(days=2)),
        ({}, NOW),  # requested after it was sent
    ):
        try:
            check_record("JobSeekerErased", {**erased(), **bad}, ref, when)
        except Exception as exc:  # noqa: BLE001 - the type is checked below
            assert type(exc).__name__ == "ValidationError"
        else:
            raise AssertionError(f"accepted {bad}")


def test_the_profile_leaves_the_table_with_a_tombstone_and_the_sinks_are_told(
    ref: Referential,
) -> None:
    table = ChangelogTable("vigie.jobseeker-profiles", "vigie.jobseekers", 4)
    learner = ManagedModel(MODEL_NAME, MemoryModelStore(), make_jobseeker_diagnostic)
    h = JobSeekersHandler(StubView(), learner, ref, profiles=table)
    out = Outputs()
    for offset, jid in enumerate((GONE, KEPT)):
        h.handle("JobSeekerProfileUpdated", profile(ref, jobseeker_id=jid), source(offset), out)
    table.drain()
    h.handle("JobSeekerErased", erased(), source(9), out)
    assert set(table) == {KEPT}
    [change] = table.drain()
    assert (change.key, change.value) == (GONE, None)  # a tombstone on the compacted changelog
    [erasure] = out.erasures
    assert erasure.jobseeker_id == GONE and erasure.table_entry
    assert set(erasure.models) == {MODEL_NAME, SUPPLY_MODEL_NAME, "email-triage"}
    assert (out.examples[-1].model, out.examples[-1].record_name) == (MODEL_NAME, "JobSeekerErased")
    # An erasure of someone the table never held still reaches the sinks (emails, alerts...).
    out = Outputs()
    h.handle("JobSeekerErased", erased("DE-unknown"), source(10), out)
    assert not out.erasures[0].table_entry and table.drain() == []


def test_the_diagnostic_model_forgets_the_spell_and_snapshots_at_once(ref: Referential) -> None:
    store = MemoryModelStore()
    learner = ManagedModel(MODEL_NAME, store, make_jobseeker_diagnostic, interval_s=3600)
    h = JobSeekersHandler(StubView(), learner, ref)
    for offset, jid in enumerate((GONE, KEPT)):
        h.learn(MODEL_NAME, "JobSeekerProfileUpdated", profile(ref, jobseeker_id=jid),
                source(offset), Outputs())  # fmt: skip
        learner.learned("vigie.jobseekers", 0, offset)
    learner.maybe_snapshot(force=True)
    assert GONE in store.latest(MODEL_NAME).load().spells
    h.learn(MODEL_NAME, "JobSeekerErased", erased(), source(5), Outputs())
    learner.learned("vigie.jobseekers", 0, 5)
    assert learner.snapshot_due(), "an erasure does not wait for the hour-long interval"
    assert learner.maybe_snapshot()
    spells = store.latest(MODEL_NAME).load().spells
    assert GONE not in spells and KEPT in spells
    assert all(jid != GONE for _, jid in learner.model._due)  # noqa: SLF001 - its heap


def test_the_supply_model_no_longer_counts_nor_keeps_the_person(ref: Referential) -> None:
    store = MemoryModelStore()
    supply = ManagedModel(SUPPLY_MODEL_NAME, store, make_jobseeker_supply, interval_s=3600)
    state = ManagedModel("offer-intelligence", store, make_offer_intelligence)
    h = OffersHandler(state, ref, supply=supply)
    out = Outputs()
    for offset, jid in enumerate((GONE, KEPT)):
        record = profile(ref, jobseeker_id=jid)
        h.handle("JobSeekerProfileUpdated", record, source(offset), out)
        h.learn(SUPPLY_MODEL_NAME, "JobSeekerProfileUpdated", record, source(offset), out)
    assert len(supply.model) == 2
    out = Outputs()
    h.handle("JobSeekerErased", erased(), source(7), out)
    assert [(e.model, e.record_name) for e in out.examples] == [
        (SUPPLY_MODEL_NAME, "JobSeekerErased")
    ]
    h.learn(SUPPLY_MODEL_NAME, "JobSeekerErased", erased(), source(7), out)
    assert len(supply.model) == 1
    assert GONE not in pickle.dumps(supply.model).decode("latin-1")


def cached(jid: str | None) -> CachedEmail:
    return CachedEmail(array("H", [1, 2, 3]), ("paiement",), False, True, 0.7, jobseeker_id=jid)


def test_the_feature_cache_drops_the_senders_emails_and_reads_old_snapshots() -> None:
    cache = FeatureCache()
    cache.put("mail-1", cached(GONE))
    cache.put("mail-2", cached(KEPT))
    cache.put("mail-3", cached(GONE))
    assert cache.forget(GONE) == 2
    restored = pickle.loads(pickle.dumps(cache))  # noqa: S301 - our own
    assert restored.get("mail-1") is None and restored.get("mail-2").jobseeker_id == KEPT
    # A cache pickled before the sender was recorded (rows of 7) still loads, sender unknown.
    old = FeatureCache.__new__(FeatureCache)
    rows = [("mail-9", array("H", [4]).tobytes(), ("autre",), False, False, 0.1, False)]
    old.__setstate__({"capacity": 10, "rows": zlib.compress(pickle.dumps(rows))})
    assert old.get("mail-9").jobseeker_id is None


class _Learner:
    """The smallest learner the emails handler needs for ``learn``."""

    def __init__(self, model: Any) -> None:
        self.model, self.describe, self.expedited = model, None, False
        self.version_label = "v1"

    def expedite(self) -> None:
        self.expedited = True


class _Model:
    def __init__(self) -> None:
        self.cache, self.counters, self.threshold = FeatureCache(), Counter[str](), None
        self.verdicts: list[Any] = []


def test_the_triage_learner_forgets_the_senders_cached_emails() -> None:
    learner = _Learner(_Model())
    h = EmailsHandler(learner, learner)  # type: ignore[arg-type]
    learner.model.cache.put("mail-1", cached(GONE))
    learner.model.cache.put("mail-2", cached(KEPT))
    out = Outputs()
    h.handle("JobSeekerErased", erased(), source(3), out)
    assert [(e.model, e.record_name) for e in out.examples] == [("email-triage", "JobSeekerErased")]
    h.learn("email-triage", "JobSeekerErased", erased(), source(3), out)
    assert learner.model.cache.get("mail-1") is None and learner.model.cache.get("mail-2")
    assert learner.expedited and learner.model.counters["erasures"] == 1


def test_the_audit_record_names_the_request_never_the_person() -> None:
    erasure = Erasure(GONE, "RGPD-42", "agency-system", NOW.isoformat(),
                      SourceRef("vigie.jobseekers", 1, 77, 0), True, ERASING_MODELS)  # fmt: skip
    record = audit_record(erasure, {"jobseeker_hashes": 1, "erasures": 1}, "w1",
                          now=datetime(2026, 3, 3, tzinfo=UTC))  # fmt: skip
    assert record["erasure_id"] == "RGPD-42" and record["profile_table"] == "tombstone"
    assert record["redis"] == {"jobseeker_hashes": 1}
    assert GONE not in repr(record)
