"""The console's access control: every route, every role (FastAPI TestClient, fake Redis).

Advisers A and B, the area teams of départements 07 and 75, an operator and an anonymous
visitor ask for the same job seeker, email, offers and alerts, all owned by adviser A in 07.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import fakeredis
import jwt
import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient

from agents.emails.intents import INTENT_LABELS as MODEL_INTENTS
from console.app import create_app
from console.auth import AuthenticationError, DevSigner, TokenVerifier
from console.feedback import INTENT_LABELS
from console.store import ConsoleStore
from sinks.redis_sink import alert_streams, stream_entry
from streams.settings import load_settings

SETTINGS = load_settings({}, redis_prefix="t")


class ListSink:
    """Feedback records kept in a list instead of Kafka."""

    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []

    def send(self, record: dict[str, Any]) -> None:
        self.records.append(record)


def _alert(alert_id: str, kind: str, audience: tuple[str, str], subject: tuple[str, str]) -> dict:
    return {
        "alert_id": alert_id,
        "alert_type": kind,
        "severity": "critical",
        "audience_kind": audience[0],
        "audience_id": audience[1],
        "subject_kind": subject[0],
        "subject_id": subject[1],
        "title": f"Alerte {alert_id}",
        "model_name": "m",
        "model_version": "v1",
        "score": None,
        "created_at": datetime(2026, 12, 1, tzinfo=UTC),
        "reasons": [{"code": "c", "message": "raison", "value": 1.0, "reference": None}],
        "suggestions": ["Rappeler"],
        "inputs": {"jobseeker_id": "JS-A", "email_id": "E-A"},
    }


def _add(client: fakeredis.FakeRedis, alert: dict) -> None:
    for key in alert_streams(SETTINGS, alert):
        client.xadd(key, stream_entry(alert))


@pytest.fixture
def world() -> Iterator[dict[str, Any]]:
    server = fakeredis.FakeServer()
    client = fakeredis.FakeRedis(server=server, decode_responses=True)
    client.hset(
        SETTINGS.key("jobseeker", "JS-A"),
        mapping={"jobseeker_id": "JS-A", "adviser_id": "ADV-A", "departement": "07",
                 "status": "active", "summary": "Résumé", "reconversion": "[]"},
    )  # fmt: skip
    client.hset(
        SETTINGS.key("email", "E-A"),
        mapping={"email_id": "E-A", "jobseeker_id": "JS-A", "adviser_id": "ADV-A",
                 "received_at": "2026-12-01T09:00:00+00:00", "intents": "rendez_vous",
                 "intent_scores": '{"rendez_vous": 0.9}', "urgency": "urgent",
                 "draft": "Madame, Monsieur,", "model_name": "email-triage", "model_version": "v3"},
    )  # fmt: skip
    for offer, dep in (("O-07", "07"), ("O-75", "75")):
        client.hset(
            SETTINGS.key("offer", offer),
            mapping={"offer_id": offer, "status": "open", "departement": dep, "risk": "0.8",
                     "posted_at": "2026-11-30", "gaps": "1", "rome_code": "J1501"},
        )  # fmt: skip
    _add(client, _alert("a1", "email_urgent", ("adviser", "ADV-A"), ("email", "E-A")))
    _add(client, _alert("a2", "offer_hard_to_fill", ("area", "07"), ("offer", "O-07")))
    entry_a = client.xrange(SETTINGS.key("alerts", "adviser", "ADV-A"))[0][0]
    dev = DevSigner(SETTINGS)
    sink = ListSink()
    app = create_app(
        SETTINGS,
        verifier=dev.verifier,
        store=ConsoleStore(SETTINGS, client=client),
        feedback=sink,
        dev=dev,
        live=fakeredis.FakeAsyncRedis(server=server, decode_responses=True),
        live_max_s=0.3,
    )
    tokens = {
        "adviser_a": dev.sign("ADV-A", "adviser"),
        "adviser_b": dev.sign("ADV-B", "adviser"),
        "area_07": dev.sign("equipe-07", "area", "07"),
        "area_75": dev.sign("equipe-75", "area", "75"),
        "operator": dev.sign("ops", "operator"),
    }
    yield {"app": app, "tokens": tokens, "sink": sink, "entry_a": entry_a, "dev": dev}


ROLES = ("anonymous", "adviser_a", "adviser_b", "area_07", "area_75", "operator")


def _by_role(*codes: int) -> dict[str, int]:
    return dict(zip(ROLES, codes, strict=True))


# (method, path, form, {role: expected status}); every role appears for every route.
ROUTES: list[tuple[str, str, dict[str, str] | None, dict[str, int]]] = [
    ("GET", "/", None, _by_role(401, 303, 303, 303, 303, 303)),
    ("GET", "/portefeuille", None, _by_role(401, 200, 200, 200, 200, 200)),
    ("GET", "/portefeuille?audience=adviser:ADV-A", None,
     _by_role(401, 200, 403, 403, 403, 200)),
    ("GET", "/portefeuille?audience=area:07", None,
     _by_role(401, 403, 403, 200, 403, 200)),
    ("GET", "/flux?audience=adviser:ADV-A&depuis=0-0", None,
     _by_role(401, 200, 403, 403, 403, 200)),
    ("POST", "/alertes/avis", {"audience": "adviser:ADV-A", "verdict": "not_useful"},
     _by_role(401, 200, 403, 403, 403, 200)),
    ("GET", "/alertes/etat?audience=adviser:ADV-A&entry_id=ENTRY", None,
     _by_role(401, 200, 403, 403, 403, 200)),
    ("GET", "/demandeurs/JS-A", None, _by_role(401, 200, 403, 200, 403, 200)),
    ("GET", "/courriels", None, _by_role(401, 200, 200, 403, 403, 200)),
    ("GET", "/courriels/E-A", None, _by_role(401, 200, 403, 403, 403, 200)),
    ("POST", "/courriels/E-A/brouillon", {"verdict": "edited", "texte": "Bonjour"},
     _by_role(401, 303, 403, 403, 403, 303)),
    ("POST", "/courriels/E-A/triage", {"verdict": "corrected", "urgence": "normal"},
     _by_role(401, 303, 403, 403, 403, 303)),
    ("GET", "/offres", None, _by_role(401, 403, 403, 200, 200, 200)),
    ("GET", "/offres?zone=75", None, _by_role(401, 403, 403, 403, 200, 200)),
    ("GET", "/offres/O-07", None, _by_role(401, 403, 403, 200, 403, 200)),
    ("GET", "/metrics", None, dict.fromkeys(ROLES, 200)),
    ("GET", "/sante", None, dict.fromkeys(ROLES, 200)),
    ("GET", "/connexion", None, dict.fromkeys(ROLES, 200)),
]  # fmt: skip


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path", "form", "expected"), ROUTES, ids=lambda v: str(v)[:40])
def test_every_route_every_role(world, role, method, path, form, expected) -> None:
    client = TestClient(world["app"], follow_redirects=False)
    headers = {} if role == "anonymous" else {"Authorization": f"Bearer {world['tokens'][role]}"}
    if form is not None and "audience" in form:
        form = {**form, "entry_id": world["entry_a"]}
    if method == "GET":
        response = client.get(path.replace("ENTRY", world["entry_a"]), headers=headers)
    else:
        response = client.post(path, data=form, headers={**headers, "Accept": "application/json"})
    assert response.status_code == expected[role], response.text[:300]


def test_refusals_are_counted_and_feedback_names_its_author(world) -> None:
    client = TestClient(world["app"], follow_redirects=False)
    b = {"Authorization": f"Bearer {world['tokens']['adviser_b']}"}
    a = {"Authorization": f"Bearer {world['tokens']['adviser_a']}", "Accept": "application/json"}
    assert client.get("/demandeurs/JS-A", headers=b).status_code == 403
    assert client.get("/courriels/E-A", headers=b).status_code == 403
    form = {"audience": "adviser:ADV-A", "entry_id": world["entry_a"], "verdict": "not_useful"}
    reply = client.post("/alertes/avis", data=form, headers=a)
    assert reply.status_code == 200 and "ADV-A" in reply.json()["message"]
    metrics = client.get("/metrics").text
    assert 'vigie_console_forbidden_total{resource="demandeur",role="adviser"} 1.0' in metrics
    assert 'vigie_console_forbidden_total{resource="courriel",role="adviser"} 1.0' in metrics
    assert 'vigie_console_feedback_total{target_kind="alert",verdict="not_useful"} 1.0' in metrics
    (record,) = world["sink"].records
    assert record["adviser_id"] == "ADV-A" and record["target_id"] == "a1"
    assert (record["target_kind"], record["model_name"], record["model_version"]) == (
        "alert", "m", "v1",
    )  # fmt: skip


def test_email_page_shows_the_triage_never_a_body_and_edits_are_kept(world) -> None:
    client = TestClient(world["app"])
    a = {"Authorization": f"Bearer {world['tokens']['adviser_a']}"}
    page = client.post(
        "/courriels/E-A/brouillon", data={"verdict": "edited", "texte": "Nouveau <b>texte</b>"},
        headers=a,
    )  # fmt: skip
    assert page.status_code == 200
    assert "Nouveau &lt;b&gt;texte&lt;/b&gt;" in page.text  # escaped, and kept
    record = world["sink"].records[-1]
    assert (record["target_kind"], record["verdict"], record["target_id"]) == (
        "draft", "edited", "E-A",
    )  # fmt: skip


def test_live_stream_sends_alerts_and_resumes_after_last_event_id(world) -> None:
    a = {"Authorization": f"Bearer {world['tokens']['adviser_a']}"}
    with TestClient(world["app"]) as client:  # one event loop for the async Redis client
        body = client.get("/flux?depuis=0-0", headers=a).text
        assert "event: alerte" in body and "Alerte a1" in body
        assert f"id: {world['entry_a']}" in body
        resumed = client.get("/flux?depuis=0-0", headers={**a, "Last-Event-ID": world["entry_a"]})
        assert "Alerte a1" not in resumed.text
        filtered = client.get("/flux?depuis=0-0&gravite=info", headers=a).text
        assert "Alerte a1" not in filtered


def test_bad_tokens_are_refused(world) -> None:
    dev: DevSigner = world["dev"]
    other = DevSigner(SETTINGS)  # another key: bad signature
    client = TestClient(world["app"])
    for token in (
        other.sign("ADV-A", "adviser"),
        dev.sign("ADV-A", "adviser", ttl_s=-60),  # expired
        dev.sign("ADV-A", "chef"),  # unknown role
        dev.sign("equipe", "area"),  # area without its code
        "pas-un-jeton",
    ):
        reply = client.get("/portefeuille", headers={"Authorization": f"Bearer {token}"})
        assert reply.status_code == 401


def test_jwks_verification_checks_signature_issuer_audience() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = orjson.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    jwks = orjson.dumps({"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "RS256"}]})

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(jwks)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        settings = load_settings(
            {},
            oidc_jwks_url=f"http://127.0.0.1:{server.server_port}/jwks",
            oidc_issuer="https://idp.example",
            oidc_audience="vigie-console",
        )
        verifier = TokenVerifier.from_jwks(settings)

        def token(**over: Any) -> str:
            claims = {"iss": "https://idp.example", "aud": "vigie-console", "sub": "ADV-A",
                      "exp": 2_000_000_000, "vigie_role": "adviser", **over}  # fmt: skip
            return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k1"})

        assert verifier.verify(token()).sub == "ADV-A"
        for bad in (token(iss="https://autre"), token(aud="autre"), token(exp=1_000_000)):
            with pytest.raises(AuthenticationError):
                verifier.verify(bad)
    finally:
        server.shutdown()


def test_console_intents_are_the_email_models() -> None:
    assert INTENT_LABELS == MODEL_INTENTS


def test_sign_in_links_exist_only_with_dev_login(world) -> None:
    dev: DevSigner = world["dev"]
    token = dev.sign("ADV-A", "adviser")
    client = TestClient(world["app"], follow_redirects=False)
    reply = client.get("/connexion/jeton", params={"jeton": token})
    assert reply.status_code == 303 and "vigie_jeton" in reply.headers["set-cookie"]
    assert client.get("/portefeuille").status_code == 200  # the cookie signs the next requests
    production = create_app(
        SETTINGS, verifier=dev.verifier, store=ConsoleStore(SETTINGS, client=fakeredis.FakeRedis()),
        feedback=ListSink(), live=fakeredis.FakeAsyncRedis(),
    )  # fmt: skip
    refused = TestClient(production).get("/connexion/jeton", params={"jeton": token})
    assert refused.status_code == 404


def test_every_verdict_the_console_sends_passes_the_schema_and_rules(world) -> None:
    from console.auth import Identity
    from console.feedback import feedback_record
    from schemas.codec import Codec, SchemaRegistry
    from streams.referential import load_referential
    from streams.rules import check_record

    codec, ref = Codec(SchemaRegistry.default()), load_referential(SETTINGS.data_dir)
    me = Identity("ADV-A", "adviser")
    records = [
        feedback_record(me, target_kind="alert", target_id="a1", verdict=v, model=("m", "v1"))
        for v in ("useful", "not_useful", "wrong")
    ]
    records += [
        feedback_record(me, target_kind="draft", target_id="E-A", verdict=v, model=("m", ""))
        for v in ("accepted", "edited", "rejected")
    ]
    records.append(
        feedback_record(me, target_kind="email", target_id="E-A", verdict="corrected",
                        corrected_intent="paiement", corrected_urgency="urgent")
    )  # fmt: skip
    for record in records:
        decoded = codec.decode(codec.encode("AdviserFeedback", record)).record
        check_record("AdviserFeedback", decoded, ref, datetime.now(UTC))
        assert decoded["adviser_id"] == "ADV-A"
