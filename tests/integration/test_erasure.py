"""The right to be forgotten on the real broker and Redis, through a real worker.

Two job seekers send profiles, emails and get proposals, alerts and advisers' feedback; one is
erased with ``vigie forget``. Afterwards nothing of that person is left in Redis, in the
compacted topics (the profiles changelog, the latest snapshots) or in the models they fed,
the other is intact, and the audit record names the request, never the person.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
import redis

from agents.emails.model import MODEL_NAME as EMAILS_MODEL
from agents.jobseekers.model import MODEL_NAME as DIAGNOSTIC_MODEL
from agents.offers.model import SUPPLY_MODEL_NAME
from streams.forget import read_audit
from streams.modelstore import KafkaModelStore
from streams.publisher import Publisher
from streams.settings import PROJECT_ROOT, Settings
from tests.integration.conftest import read_topic, settings_env, wait_for
from tests.integration.test_emails import _everything_in, email
from tests.integration.test_offers import seeker
from tests.integration.test_proposals import proposal

pytestmark = pytest.mark.integration

GONE, KEPT = "DE-gone-4711", "DE-kept-0815"
ADVISER = "ADV-7617-01"
OFFER = "offer-never-posted"
URGENT = "Si rien ne bouge on va nous mettre dehors, je suis à bout."


def _feedback(target_kind: str, target_id: str, verdict: str, n: str) -> dict[str, Any]:
    return {
        "event_id": f"evt-fb-{n}",
        "feedback_id": f"fb-{n}",
        "adviser_id": ADVISER,
        "given_at": datetime.now(UTC) - timedelta(seconds=30),
        "target_kind": target_kind,
        "target_id": target_id,
        "verdict": verdict,
        "corrected_intent": None,
        "corrected_urgency": None,
        "model_name": None,
        "model_version": None,
    }


def _traffic(publisher: Publisher, jid: str) -> dict[str, str]:
    """A person's events; returns the ids that name them (emails, proposal)."""
    ids = {"email": f"mail-{jid}", "urgent": f"mail-urgent-{jid}", "proposal": f"P-{jid}"}
    # In training yet filed in category A: a data-quality alert to the adviser.
    odd = {**seeker(jid), "training_in_progress": True}
    publisher.publish("JobSeekerProfileUpdated", odd)
    for email_id, body in ((ids["email"], "Je voudrais une attestation."), (ids["urgent"], URGENT)):
        record = email(email_id, body, jobseeker_id=jid, adviser_id=ADVISER, agency_id="AG-7617")
        publisher.publish("EmailReceived", record)
    publisher.publish("OfferProposed", proposal(ids["proposal"], jid, OFFER))
    return ids


def _alert_ids(client: redis.Redis, settings: Settings, jid: str) -> dict[str, str]:
    stream = settings.key("alerts", "all")
    return {
        f["alert_type"]: f["alert_id"]
        for _, f in client.xrange(stream)
        if jid in f["subject_id"] or f["subject_id"].startswith("mail-urgent-" + jid)
    }


def _latest_by_key(settings: Settings, topic: str) -> dict[bytes, bytes | None]:
    """What a compacted topic holds once compacted: the last value of each key."""
    latest: dict[bytes, bytes | None] = {}
    for message in read_topic(settings, topic, expect=1):
        latest[message.key()] = message.value()
    return latest


def _snapshot_covers(settings: Settings, name: str, topic: str, partition: int, offset: int):
    store = KafkaModelStore(settings)

    def covered() -> Any:
        store.refresh()
        snapshot = store.latest(name)
        positions = snapshot.metadata.get("positions", {}) if snapshot else {}
        return snapshot if positions.get(f"{topic}:{partition}", 0) > offset else None

    return covered


def test_forget_erases_one_seeker_everywhere_and_keeps_the_other(
    settings: Settings, publisher: Publisher, worker_factory, redis_client: redis.Redis
) -> None:
    worker = worker_factory()
    ids = {jid: _traffic(publisher, jid) for jid in (GONE, KEPT)}
    publisher.flush()

    def everything_processed() -> bool:
        seen = [redis_client.exists(settings.key("jobseeker", j)) for j in ids]
        mails = [redis_client.exists(settings.key("email", i["urgent"])) for i in ids.values()]
        pairs = [
            redis_client.exists(settings.key("proposal", j, "offer-never-posted")) for j in ids
        ]
        return all(seen + mails + pairs)

    wait_for(everything_processed, timeout_s=90, what="both seekers' events processed")
    alerts = {jid: wait_for(lambda j=jid: len(a := _alert_ids(redis_client, settings, j)) >= 3
                            and a, what=f"3 alerts about {jid}") for jid in ids}  # fmt: skip
    for n, jid in enumerate(ids):
        publisher.publish("AdviserFeedback", _feedback(
            "alert", alerts[jid]["jobseeker_data_quality"], "not_useful", f"{n}a"))  # fmt: skip
        publisher.publish("AdviserFeedback", _feedback("email", ids[jid]["email"], "confirmed",
                                                       f"{n}e"))  # fmt: skip
    publisher.flush()
    for jid in ids:
        email_feedback = settings.key("feedback", "email", ids[jid]["email"])
        wait_for(lambda j=jid, k=email_feedback: redis_client.exists(k)
                 and redis_client.keys(settings.key("dismissed", "*", j)),
                 what=f"the feedback about {jid}")  # fmt: skip
    # The triage model's cache holds both seekers' emails in its latest snapshot.
    store = KafkaModelStore(settings)

    def cached_both() -> bool:
        store.refresh()
        snapshot = store.latest(EMAILS_MODEL)
        return bool(snapshot) and snapshot.metadata.get("cache_size", 0) >= 4

    wait_for(cached_both, what="both seekers' emails in the triage snapshot")
    assert GONE.encode() in _profile_changelog(settings)

    # An adviser tool has read its stream without acknowledging yet: entries are pending.
    adviser_stream = settings.key("alerts", "adviser", ADVISER)
    redis_client.xgroup_create(adviser_stream, "poste", id="0")
    assert redis_client.xreadgroup("poste", "c1", {adviser_stream: ">"})

    # The erasure, as an operator asks it.
    env = {**os.environ, **settings_env(settings)}
    done = subprocess.run(
        [sys.executable, "-m", "streams.cli", "forget", "--jobseeker", GONE,
         "--erasure-id", "RGPD-TEST-1", "--requested-by", "dpo-console", "--wait", "60"],
        env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    audit = read_audit(settings, "RGPD-TEST-1", timeout_s=5)
    assert audit is not None
    assert GONE not in orjson.dumps(audit).decode() and audit["requested_by"] == "dpo-console"
    assert audit["profile_table"] == "tombstone"
    deleted = audit["redis"]
    assert deleted["jobseeker_hashes"] == 1 and deleted["email_hashes"] == 2
    assert deleted["proposal_hashes"] == 1 and deleted["dismissals"] == 1
    assert deleted["alert_stream_entries"] >= 6  # 3 alerts, each in 2 streams
    assert deleted["feedback_hashes"] >= 2

    # Every model the person fed writes its next version without them, at once.
    event = audit["event"]
    snapshots = {
        name: wait_for(
            _snapshot_covers(settings, name, event["topic"], event["partition"], event["offset"]),
            what=f"a snapshot of {name} after the erasure",
        )
        for name in (DIAGNOSTIC_MODEL, SUPPLY_MODEL_NAME, EMAILS_MODEL)
    }
    worker.stop()

    # Redis: nothing names the person, their emails or their proposal; the other is intact.
    everything = "\n".join(_everything_in(redis_client, settings.redis_prefix))
    for value in (GONE, *ids[GONE].values(), *alerts[GONE].values()):
        assert value not in everything, f"{value} still in Redis"
    for value in (KEPT, *ids[KEPT].values(), *alerts[KEPT].values()):
        assert value in everything, f"{value} of the other seeker was erased too"

    # The tool's pending list keeps only the other seeker's entries, all still readable.
    pending = [
        p["message_id"]
        for p in redis_client.xpending_range(adviser_stream, "poste", "-", "+", 1000)
    ]
    remaining = [entry_id for entry_id, _ in redis_client.xrange(adviser_stream)]
    assert pending and sorted(pending) == sorted(remaining)

    # The profiles changelog, compacted: a tombstone for the person, the other's profile kept.
    latest = _latest_by_key(settings, "jobseeker-profiles")
    assert latest[GONE.encode()] is None and latest[KEPT.encode()] is not None

    # The latest snapshots (what model-latest holds): nothing of the person, the other there.
    emails_model = snapshots[EMAILS_MODEL].load()
    senders = {e.jobseeker_id for e in emails_model.cache._items.values()}  # noqa: SLF001
    assert GONE not in senders and KEPT in senders
    assert all(GONE not in k for k in emails_model.cache._items)  # noqa: SLF001
    for name in (DIAGNOSTIC_MODEL, SUPPLY_MODEL_NAME):
        payload = snapshots[name].data()
        assert GONE.encode() not in payload and KEPT.encode() in payload, name
    on_latest = _latest_by_key(settings, "model-latest")
    for name in snapshots:
        if name != EMAILS_MODEL:
            assert GONE.encode() not in (on_latest[name.encode()] or b""), name


def _profile_changelog(settings: Settings) -> bytes:
    """Every key of the profiles changelog, joined (before compaction)."""
    return b"\n".join(m.key() for m in read_topic(settings, "jobseeker-profiles", expect=1))
