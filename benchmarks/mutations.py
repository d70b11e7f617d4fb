"""Hostile and broken input for the fuzzer: mutations of valid single-object Avro messages.

Every message is labelled before it is sent. *Bad by construction* kinds can never be a valid
event (a cut body, a flipped header bit, a fingerprint nobody wrote, another topic's record, a
string no agency writes, a number or date a rule refuses, invalid UTF-8, a null value, random
bytes); *valid* kinds are sound events, some made deliberately awkward (deep Unicode, numbers
at the edge of their type, a 300 kB email body). ``body_flip`` flips a few bits of a valid
body: the result may or may not be valid, so it is labelled by :func:`judge`, the reference
decision the worker must agree with (the codec and the domain rules, run offline).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from schemas.codec import HEADER_SIZE, MAGIC, Codec
from streams.referential import Referential
from streams.rules import check_record
from streams.simulator import simulate
from streams.topics import BY_NAME, INPUT_TOPICS, record_key

# Strings a careless or hostile producer sends: combining marks stacked deep, bidirectional
# overrides, zero-width joiners, astral characters, NUL and other controls, a BOM.
DEEP_UNICODE = (
    "e" + "\u0301\u0302\u0303\u0304\u0305\u0306\u0307\u0308" * 40,
    "\u202e\u2066gnissecorp\u2069\u202c",
    "👩\u200d👩\u200d👧\u200d👦🏳️\u200d🌈" * 30,
    "𝔙𝔦𝔤𝔦𝔢 \U0001f600\U0010fffd",
    "nul\x00byte\x07bell\x1b[31mansi",
    "\ufeffbom and \ufffe noncharacter",
    "ﷺ ﷽ " * 50,
    "Ǆǅǆ İı ß ẞ ﬃ",
)
INVALID_UTF8 = (b"\xff\xfe", b"\xc0\x80", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"\x80")
MARKER = "\u2603FUZZ\u2603"


@dataclass(frozen=True, slots=True)
class Mutant:
    """One message to send: its topic (short name), key, value, kind and expected fate."""

    topic: str
    key: bytes | None
    value: bytes | None
    kind: str
    bad: bool


class Samples:
    """Valid records per input topic: simulated traffic, plus proposals and feedback."""

    def __init__(self, seed: int, events: int = 3000) -> None:
        start = datetime.now(UTC) - timedelta(days=40)
        self.by_topic: dict[str, list[tuple[str, dict[str, Any]]]] = {t: [] for t in INPUT_TOPICS}
        for event in simulate(seed, events, start=start):
            self._add(event.record_name, event.record)
        rng = random.Random(seed)
        seekers = [r for n, r in self.by_topic["jobseekers"] if n == "JobSeekerProfileUpdated"]
        offers = [r for n, r in self.by_topic["offers"] if n == "OfferPosted"]
        for i in range(200):
            seeker, offer = rng.choice(seekers), rng.choice(offers)
            self._add("OfferProposed", _proposal(i, seeker["jobseeker_id"], offer["offer_id"]))
            self._add("AdviserFeedback", _feedback(i, rng))

    def _add(self, name: str, record: dict[str, Any]) -> None:
        for topic in INPUT_TOPICS:
            if name in BY_NAME[topic].records:
                self.by_topic[topic].append((name, record))


def _proposal(i: int, jobseeker_id: str, offer_id: str) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "proposal_id": f"FZ-P-{i}",
        "offer_id": offer_id,
        "jobseeker_id": jobseeker_id,
        "proposed_by": "ADV-FUZZ",
        "proposer_kind": "adviser",
        "channel": "email",
        "proposed_at": datetime.now(UTC) - timedelta(hours=1),
    }


def _feedback(i: int, rng: random.Random) -> dict[str, Any]:
    kind = rng.choice(["alert", "email", "draft", "proposal", "flag"])
    return {
        "event_id": str(uuid.uuid4()),
        "feedback_id": f"FZ-F-{i}",
        "adviser_id": "ADV-FUZZ",
        "given_at": datetime.now(UTC) - timedelta(minutes=10),
        "target_kind": kind,
        "target_id": f"target-{i}",
        "verdict": rng.choice(["useful", "not_useful", "wrong", "confirmed", "accepted"]),
        "corrected_intent": None,
        "corrected_urgency": None,
        "model_name": None,
        "model_version": None,
    }


def judge(
    codec: Codec, ref: Referential, topic: str, value: bytes | None, sent_at: datetime
) -> str | None:
    """Why the worker must dead-letter ``value`` on ``topic`` (short name), or None if valid."""
    try:
        if value is None:
            return "null value"
        decoded = codec.decode(value)
        if decoded.name not in BY_NAME[topic].records:
            return f"{decoded.name} does not belong on {topic}"
        check_record(decoded.name, decoded.record, ref, sent_at)
    except Exception as exc:  # noqa: BLE001 - any refusal is a reason
        return f"{type(exc).__name__}: {exc}"
    return None


class Mutator:
    """Makes the mutants of one topic from its valid samples."""

    def __init__(self, codec: Codec, samples: Samples, rng: random.Random) -> None:
        self.codec, self.samples, self.rng = codec, samples, rng
        self.foreign = {
            topic: [
                (n, r)
                for other in INPUT_TOPICS
                if other != topic
                for n, r in samples.by_topic[other]
                if n not in BY_NAME[topic].records
            ]
            for topic in INPUT_TOPICS
        }
        self.bad_kinds: dict[str, Callable[[str], tuple[bytes | None, bytes | None]]] = {
            name: getattr(self, name) for name in self.bad_kind_names()
        }

    @staticmethod
    def bad_kind_names() -> list[str]:
        """The names of the bad-by-construction kinds."""
        return [
            "truncated",
            "header_flip",
            "unknown_fingerprint",
            "foreign_fingerprint",
            "other_topic_record",
            "huge_string",
            "invalid_utf8",
            "extreme_number",
            "broken_rule",
            "garbage",
            "null_value",
        ]

    # Helpers ----------------------------------------------------------------------------------

    def _sample(self, topic: str) -> tuple[str, dict[str, Any]]:
        name, record = self.rng.choice(self.samples.by_topic[topic])
        return name, dict(record)

    def _encode(self, name: str, record: dict[str, Any]) -> tuple[bytes, bytes]:
        return record_key(name, record).encode(), self.codec.encode(name, record)

    def valid(self, topic: str) -> tuple[bytes | None, bytes]:
        """A sound event, sometimes awkward (deep Unicode, edge numbers, a long body)."""
        name, record = self._sample(topic)
        roll = self.rng.random()
        texts = [k for k, v in record.items() if isinstance(v, str) and not k.endswith("_id")]
        texts = [k for k in texts if not k.endswith("_code") and k not in _CODED]
        if roll < 0.3 and texts:
            field = self.rng.choice(texts)
            record[field] = self.rng.choice(DEEP_UNICODE)
        elif roll < 0.4 and "experience_months" in record:
            record["experience_months"] = 2**31 - 1
        elif roll < 0.45 and name == "EmailReceived":
            record["body"] = "Bonjour, " + "je cherche un emploi. " * 15_000
        return self._encode(name, record)

    # Bad by construction ----------------------------------------------------------------------

    def truncated(self, topic: str) -> tuple[bytes | None, bytes | None]:
        key, value = self._encode(*self._sample(topic))
        return key, value[: self.rng.randrange(0, len(value))]

    def header_flip(self, topic: str) -> tuple[bytes | None, bytes | None]:
        key, value = self._encode(*self._sample(topic))
        data = bytearray(value)
        data[self.rng.randrange(HEADER_SIZE)] ^= 1 << self.rng.randrange(8)
        return key, bytes(data)

    def unknown_fingerprint(self, topic: str) -> tuple[bytes | None, bytes | None]:
        key, value = self._encode(*self._sample(topic))
        return key, MAGIC + self.rng.randbytes(8) + value[HEADER_SIZE:]

    def foreign_fingerprint(self, topic: str) -> tuple[bytes | None, bytes | None]:
        """This topic's body under the header of a record another topic carries."""
        key, value = self._encode(*self._sample(topic))
        _, other = self._encode(*self.rng.choice(self.foreign[topic]))
        return key, other[:HEADER_SIZE] + value[HEADER_SIZE:]

    def other_topic_record(self, topic: str) -> tuple[bytes | None, bytes | None]:
        """A valid record of another topic: missing fields and extra ones, for this topic."""
        return self._encode(*self.rng.choice(self.foreign[topic]))

    def huge_string(self, topic: str) -> tuple[bytes | None, bytes | None]:
        name, record = self._sample(topic)
        ids = [k for k, v in record.items() if isinstance(v, str) and k.endswith(("_id", "_code"))]
        field = self.rng.choice(ids)
        # Mostly a few kB, one in twenty up to 75,000 characters (300 kB: under Kafka's 1 MB).
        top = 75_000 if self.rng.random() < 0.05 else 5_000
        chars = self.rng.randrange(257, top)
        text = self.rng.choice(DEEP_UNICODE)
        record[field] = (text * (chars // len(text) + 1))[:chars]
        return self._encode(name, record)

    def invalid_utf8(self, topic: str) -> tuple[bytes | None, bytes | None]:
        name, record = self._sample(topic)
        texts = [k for k, v in record.items() if isinstance(v, str)]
        record[self.rng.choice(texts)] = MARKER
        key, value = self._encode(name, record)
        raw = MARKER.encode()
        bad = self.rng.choice(INVALID_UTF8)
        patched = (bad * len(raw))[: len(raw)]  # same length: the varint before it still holds
        return key, value.replace(raw, patched, 1)

    def extreme_number(self, topic: str) -> tuple[bytes | None, bytes | None]:
        name, record = self._sample(topic)
        far = datetime(9999, 12, 31, tzinfo=UTC)
        choices: list[tuple[str, Any]] = [
            (k, far) for k, v in record.items() if isinstance(v, datetime) and k.endswith("_at")
        ]
        if name == "OfferPosted":
            choices += [
                ("salary_monthly_gross", float("nan")),
                ("salary_monthly_gross", 1e308),
                ("salary_monthly_gross", -0.0),
                ("weekly_hours", float("inf")),
                ("positions", -(2**31)),
            ]
        if name == "JobSeekerProfileUpdated":
            choices += [("mobility_radius_km", 2**31 - 1), ("mobility_radius_km", -1)]
        field, value = self.rng.choice(choices)
        record[field] = value
        key, encoded = self._encode(name, record)
        if self.rng.random() < 0.3 and isinstance(value, datetime):
            # A timestamp far before year 1: no datetime can hold it (encoded by hand).
            encoded = self._with_raw_timestamp(name, record, field)
        return key, encoded

    def _with_raw_timestamp(self, name: str, record: dict[str, Any], field: str) -> bytes:
        record = {**record, field: -(2**62)}
        return self.codec.encode(name, record)

    def broken_rule(self, topic: str) -> tuple[bytes | None, bytes | None]:
        """Schema-valid, refused by a domain rule (unknown codes, dates in the future...)."""
        name, record = self._sample(topic)
        future = datetime.now(UTC) + timedelta(days=self.rng.randrange(1, 4000))
        if "rome_code" in record and self.rng.random() < 0.5:
            record["rome_code"] = self.rng.choice(["Z9999", "", "M18O5", "m1805"])
        elif name == "OfferPosted" and self.rng.random() < 0.5:
            record["departement"] = "00"
        elif name == "OfferProposed" and self.rng.random() < 0.5:
            record["proposal_id"] = " "
        else:
            dates = [k for k, v in record.items() if isinstance(v, datetime)]
            record[self.rng.choice(dates)] = future
        return self._encode(name, record)

    def garbage(self, topic: str) -> tuple[bytes | None, bytes | None]:
        size = self.rng.choice([0, 1, 2, 9, 10, 11, self.rng.randrange(12, 4000)])
        data = self.rng.randbytes(size)
        if size >= 2 and self.rng.random() < 0.5:
            data = MAGIC + data[2:]  # looks like Avro, then is not
        return self.rng.choice([None, self.rng.randbytes(8)]), data

    def null_value(self, topic: str) -> tuple[bytes | None, bytes | None]:
        return b"tombstone-" + str(self.rng.randrange(10**6)).encode(), None

    def body_flip(self, topic: str) -> tuple[bytes | None, bytes | None]:
        key, value = self._encode(*self._sample(topic))
        data = bytearray(value)
        for _ in range(self.rng.randrange(1, 4)):
            data[self.rng.randrange(HEADER_SIZE, len(data))] ^= 1 << self.rng.randrange(8)
        return key, bytes(data)


# Coded fields a random Unicode string would make invalid (they are checked against lists).
_CODED = frozenset(
    {"departement", "bassin", "region", "country", "outcome", "reason", "verdict", "target_kind",
     "source", "contract_type", "experience_required", "category", "body_format", "channel",
     "proposer_kind", "postal_code"}
)  # fmt: skip


def mutants(
    codec: Codec,
    ref: Referential,
    *,
    seed: int,
    bad_per_topic: int,
    valid_per_topic: dict[str, int],
    flips_per_topic: int = 0,
    sent_at: datetime | None = None,
) -> Iterator[Mutant]:
    """The messages of a fuzz run, shuffled per topic; bad ones labelled by construction and
    checked against :func:`judge` (a construction that judges valid is a fuzzer bug)."""
    rng = random.Random(seed)
    mutator = Mutator(codec, Samples(seed), rng)
    now = sent_at or datetime.now(UTC)
    kinds = list(mutator.bad_kinds)
    for topic in INPUT_TOPICS:
        plan = [("valid", False)] * valid_per_topic.get(topic, 0)
        plan += [("body_flip", False)] * flips_per_topic
        plan += [(kinds[i % len(kinds)], True) for i in range(bad_per_topic)]
        rng.shuffle(plan)
        for kind, bad in plan:
            if kind == "valid":
                key, value = mutator.valid(topic)
            elif kind == "body_flip":
                key, value = mutator.body_flip(topic)
            else:
                key, value = mutator.bad_kinds[kind](topic)
            verdict = judge(codec, ref, topic, value, now)
            if bad and verdict is None:
                raise AssertionError(f"a {kind} mutant on {topic} is valid: fuzzer bug")
            if kind == "valid" and verdict is not None:
                raise AssertionError(f"a valid sample on {topic} is refused: {verdict}")
            yield Mutant(topic, key, value, kind, verdict is not None)
