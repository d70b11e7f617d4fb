"""Email triage on the real broker and Redis, through real ``vigie worker`` processes.

An urgent email alerts its adviser; an adviser's correction changes later predictions; after a
batch of simulated emails no body, subject or personal datum is anywhere in Redis, the
worker's log, the alerts topic or the model snapshots; invalid UTF-8 is dead-lettered.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import redis
from confluent_kafka import Producer

from agents.emails.model import MODEL_NAME
from schemas.codec import Codec
from sinks.kafka_sink import DLQ_HEADER_PREFIX
from streams.publisher import Publisher
from streams.settings import Settings
from streams.simulator import simulate
from tests.integration.conftest import read_topic, wait_for, wait_for_model

ADVISER = "ADV-7501-03"
CANARY = "Le hérisson violet danse sur la passerelle numéro sept"
# Words of the canary, as written and as the models normalise them.
CANARY_FRAGMENTS = ("hérisson", "herisson", "passerelle", "Le hérisson violet")
PERSONAL = {
    "phone": re.compile(r"(?:\+33 |0)6[ .]?39[ .]?98[ .]?\d\d[ .]?\d\d"),
    "email": re.compile(r"[\w.]+@exemple\.fr"),
    "nir": re.compile(r"[12] \d\d \d\d \d\d \d{3} \d{3} \d\d"),
    "iban": re.compile(r"FR\d\d(?: ?\d{4}){5} ?\d{3}"),
    # the sender's, a third party's and an adviser's names, the FT and CAF numbers, the birth date
    "name": re.compile(r"canarinette|tournesol|ophélie|opheline", re.IGNORECASE),
    "france travail id": re.compile(r"4821937K"),
    "caf number": re.compile(r"\b2345678\b"),
    "date of birth": re.compile(r"12/03/1988"),
}
PLANTED = (
    "Rappelez-moi au 06 39 98 41 17 ou sur zoe.canari@exemple.fr. "
    "NIR 2 91 03 75 012 345 67, IBAN FR76 3000 6000 0112 3456 7890 189. "
    "Ma fille Ophélie CANARINETTE est née le 12/03/1988, identifiant 4821937K, "
    "numéro allocataire CAF 2345678.\n"
    "Zoé Canarinette\n\n"
    "Le 03/10/2026, Gwendoline TOURNESOL a écrit :\n> Merci de m'envoyer votre attestation."
)


def email(email_id: str, body: str, *, subject: str = "", **extra: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "event_id": f"evt-{email_id}",
        "email_id": email_id,
        "jobseeker_id": f"DE-{email_id}",
        "adviser_id": ADVISER,
        "agency_id": "AG-7501",
        "received_at": datetime.now(UTC) - timedelta(minutes=5),
        "subject": subject,
        "body": body,
        "body_format": "text",
        "attachments": [],
        "in_reply_to": None,
    }
    record.update(extra)
    return record


def feedback(target_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "event_id": f"fb-{target_id}",
        "feedback_id": f"fb-{target_id}",
        "adviser_id": ADVISER,
        "given_at": datetime.now(UTC) - timedelta(minutes=1),
        "target_kind": "email",
        "target_id": target_id,
        "verdict": "corrected",
        "corrected_intent": None,
        "corrected_urgency": None,
        "model_name": "email-triage",
        "model_version": None,
        **fields,
    }


def triaged(redis_client: redis.Redis, settings: Settings, email_id: str) -> dict[str, str]:
    return wait_for(
        lambda: (
            (h := redis_client.hgetall(settings.key("email", email_id)))
            and h.get("triage") == "done"
            and h
        ),
        what=f"the triage of {email_id}",
    )


def test_an_urgent_email_alerts_its_adviser_with_the_reason(
    settings: Settings, publisher: Publisher, worker_factory, redis_client: redis.Redis
) -> None:
    worker_factory()
    publisher.publish("EmailReceived", email("ok-1", "Je voudrais une attestation d'inscription."))
    publisher.publish(
        "EmailReceived",
        email("urgent-1", "Si rien ne bouge on va nous mettre dehors, je suis à bout.",
              subject="Loyer"),
    )  # fmt: skip
    publisher.flush()

    stream = settings.key("alerts", "adviser", ADVISER)
    entries = wait_for(lambda: redis_client.xrange(stream), what="an alert for the adviser")
    assert len(entries) == 1
    fields = entries[0][1]
    assert (fields["alert_type"], fields["severity"]) == ("email_urgent", "critical")
    assert (fields["subject_kind"], fields["subject_id"]) == ("email", "urgent-1")
    alert = orjson.loads(fields["json"])
    codes = [r["code"] for r in alert["reasons"]]
    # the rules' reasons first; the learnt model may add its own after them
    assert codes[:2] == ["urgency_detresse", "urgency_logement"]
    assert set(codes[2:]) <= {"urgency_modele"}
    assert "expulsion" in alert["reasons"][1]["message"]
    assert "mettre dehors" not in fields["json"] and "bouge" not in fields["json"]

    state = triaged(redis_client, settings, "urgent-1")
    assert state["urgency"] == "urgent" and state["alert_id"] == fields["alert_id"]
    assert triaged(redis_client, settings, "ok-1")["urgency"] == "normal"


def test_a_corrected_intent_changes_the_prediction_for_a_later_similar_email(
    settings: Settings, publisher: Publisher, worker_factory, redis_client: redis.Redis
) -> None:
    worker_factory()
    first = "Je voudrais des informations sur le dispositif Cap Vélo du quartier."
    publisher.publish("EmailReceived", email("cap-1", first))
    publisher.flush()
    before = triaged(redis_client, settings, "cap-1")["intent"]
    assert before != "formation"

    publisher.publish("AdviserFeedback", feedback("cap-1", corrected_intent="formation"))
    publisher.flush()
    metrics = settings.key("metrics", "emails")
    wait_for(
        lambda: redis_client.hget(metrics, "corrections_intent") == "1",
        what="the correction learnt",
    )
    # The learner learnt it; the scoring worker uses it once it holds a snapshot that has it.
    wait_for_model(
        redis_client,
        settings,
        MODEL_NAME,
        lambda m: m.get("counters", {}).get("corrections_intent", 0) >= 1,
    )
    later = "Où en est ma demande pour le dispositif Cap Vélo du quartier ?"
    publisher.publish("EmailReceived", email("cap-2", later))
    publisher.flush()
    after = triaged(redis_client, settings, "cap-2")
    assert after["intent"] == "formation"


def _canary_emails(count: int) -> Iterator[dict[str, Any]]:
    start = datetime.now(UTC) - timedelta(days=20)
    n = 0
    for event in simulate(29, count * 10, start=start):
        if event.record_name != "EmailReceived":
            continue
        record = dict(event.record)
        extra = f"{CANARY}. {PLANTED if n % 3 == 0 else ''}"
        if record["body_format"] == "html":
            record["body"] = record["body"].replace("<body>", f"<body><p>{extra}</p>", 1)
        else:
            record["body"] = f"{extra}\n{record['body']}"
        record["subject"] = f"{record['subject']} {CANARY}"
        n += 1
        yield record
        if n == count:
            return


def _everything_in(client: redis.Redis, prefix: str) -> list[str]:
    """Every key of the namespace and every value it holds, as text."""
    out: list[str] = []
    for key in client.scan_iter(match=f"{prefix}:*", count=500):
        out.append(key)
        kind = client.type(key)
        if kind == "string":
            out.append(client.get(key) or "")
        elif kind == "hash":
            out.extend(f"{k}={v}" for k, v in client.hgetall(key).items())
        elif kind == "stream":
            out.extend(f"{k}={v}" for _, fields in client.xrange(key) for k, v in fields.items())
        elif kind == "list":
            out.extend(client.lrange(key, 0, -1))
        elif kind == "set":
            out.extend(client.smembers(key))
        elif kind == "zset":
            out.extend(client.zrange(key, 0, -1))
        else:
            raise AssertionError(f"unexpected Redis type {kind} for {key}")
    return out


def _assert_clean(where: str, text: str) -> None:
    for fragment in CANARY_FRAGMENTS:
        assert fragment not in text, f"email content ({fragment!r}) found in {where}"
    for kind, pattern in PERSONAL.items():
        found = pattern.search(text)
        assert found is None, f"{kind} {found.group(0) if found else ''!r} found in {where}"


def test_no_email_content_reaches_redis_logs_alerts_or_snapshots(
    settings: Settings,
    publisher: Publisher,
    worker_factory,
    redis_client: redis.Redis,
    codec: Codec,
) -> None:
    records = list(_canary_emails(120))
    hostile = email(
        "hostile-1",
        "<html><head><script>" + "steal();" * 50_000 + f"</script></head><body><p>{CANARY}. "
        f"{PLANTED} Je suis à bout.</p></body></html>",
        subject=CANARY,
        body_format="html",
    )
    records.append(hostile)
    assert sum(PLANTED in r["body"] for r in records) >= 40
    worker = worker_factory()
    for record in records:
        publisher.publish("EmailReceived", record)
    publisher.flush()

    metrics = settings.key("metrics", "emails")
    wait_for(
        lambda: int(redis_client.hget(metrics, "triaged") or 0) >= len(records),
        timeout_s=120,
        what=f"{len(records)} emails triaged",
    )
    for record in records:
        assert redis_client.hget(settings.key("email", record["email_id"]), "triage") == "done"
    assert int(redis_client.hget(metrics, "urgent") or 0) >= 1
    worker.stop()  # the final snapshot is written on a graceful stop

    everything = _everything_in(redis_client, settings.redis_prefix)
    assert len(everything) > 4 * len(records)
    _assert_clean("Redis", "\n".join(everything))
    _assert_clean("the worker's log", worker.log())
    alerts = read_topic(settings, "alerts", expect=1)
    assert alerts
    _assert_clean("the alerts topic", "\n".join(orjson.dumps(codec.decode(m.value()).record,
                                                             default=str).decode()
                                                 for m in alerts))  # fmt: skip
    snapshots = read_topic(settings, "model-snapshots", expect=1)
    assert any(m.key() == b"email-triage" for m in snapshots)
    for message in snapshots:
        _assert_clean("a model snapshot", message.value().decode("utf-8", "replace"))


def test_invalid_utf8_in_an_email_is_dead_lettered_with_its_reason(
    settings: Settings,
    publisher: Publisher,
    worker_factory,
    redis_client: redis.Redis,
    codec: Codec,
) -> None:
    placeholder = b"PLACEHOLDER-BODY"
    valid = codec.encode("EmailReceived", email("bad-utf8", placeholder.decode()))
    invalid = b"\xff\xfe invalid!!! \xc3\x28"  # not UTF-8, same length: the Avro framing holds
    assert len(invalid) == len(placeholder) and valid.count(placeholder) == 1
    raw = Producer({"bootstrap.servers": settings.kafka_bootstrap_servers})
    raw.produce(
        settings.topic("emails"), key=b"DE-bad-utf8", value=valid.replace(placeholder, invalid)
    )
    raw.flush(10)
    publisher.publish("EmailReceived", email("after-bad", "Question sur mon actualisation."))
    publisher.flush()
    worker_factory()

    triaged(redis_client, settings, "after-bad")
    [letter] = read_topic(settings, "deadletter", expect=1)
    headers = {k.removeprefix(DLQ_HEADER_PREFIX): v.decode() for k, v in letter.headers()}
    assert headers["error_type"] == "DecodeError"
    assert "UnicodeDecodeError" in headers["error_message"]
    assert headers["topic"] == settings.topic("emails")
    assert not redis_client.exists(settings.key("email", "bad-utf8"))
    worker_metrics = redis_client.hgetall(settings.key("metrics", "worker"))
    assert worker_metrics["dead_letters:DecodeError"] == "1"
