"""Generative reply drafts: off by default, checked before use, the template on any failure.

Every test talks to a local stand-in of an OpenAI-compatible endpoint on 127.0.0.1 (port 0,
in a thread) that records the requests and answers canned responses: no other address is
ever called.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from agents.emails.drafts import compose_draft
from agents.emails.generative import GenerativeSettings, generate_draft
from streams.errors import ConfigurationError
from streams.settings import load_settings

MASKED = (
    "Bonjour, je suis <NOM>, mon numéro est <TEL> et mon adresse <EMAIL>. "
    "Je ne peux pas venir au rendez-vous de jeudi, pouvez-vous le déplacer ? Merci."
)
TEMPLATE = compose_draft(["rendez_vous"], dates=["jeudi 15 janvier à 14h00"])
KEY = "sk-test-123"
GOOD = (
    "Madame, Monsieur,\n\nNous avons bien reçu votre message concernant votre rendez-vous du "
    "jeudi 15 janvier à 14h00. Vous pouvez le déplacer depuis votre espace personnel, "
    "rubrique « Mes rendez-vous ». Si aucun créneau ne vous convient, indiquez-le-nous et "
    "votre conseiller vous proposera une autre solution.\n\n"
    "Cordialement,\nVotre conseiller France Travail"
)


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    delay_s: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


def completion(content: object) -> Reply:
    payload = {
        "id": "x",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}}],
    }
    return Reply(body=json.dumps(payload).encode())


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)


class StandIn:
    """The stand-in endpoint: ``reply`` is what it answers next, ``requests`` what it got."""

    def __init__(self) -> None:
        self.reply = completion(GOOD)
        self.requests: list[Recorded] = []
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                stand_in.requests.append(
                    Recorded(
                        "POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body
                    )
                )
                reply = stand_in.reply
                if reply.delay_s:
                    time.sleep(reply.delay_s)
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(reply.body)))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
                    pass

            do_GET = do_POST

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def settings(self, **overrides: object) -> GenerativeSettings:
        values: dict[str, object] = {
            "base_url": self.base_url,
            "model": "albert-large",
            "api_key": KEY,
        }
        values.update(overrides)
        return GenerativeSettings(**values)  # type: ignore[arg-type]


@pytest.fixture
def llm(monkeypatch: pytest.MonkeyPatch) -> Iterator[StandIn]:
    for name in (
        "http_proxy",
        "https_proxy",
        "all_proxy",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
    ):
        monkeypatch.delenv(name, raising=False)  # 127.0.0.1 directly, never through a proxy
    stand_in = StandIn()
    stand_in.thread.start()
    try:
        yield stand_in
    finally:
        stand_in.server.shutdown()
        stand_in.server.server_close()


def test_disabled_by_default_gives_the_template_without_calling_anything(llm: StandIn) -> None:
    assert not GenerativeSettings().enabled
    assert not GenerativeSettings.from_env({}).enabled
    assert generate_draft(MASKED, ["rendez_vous"], TEMPLATE, GenerativeSettings()) == (
        TEMPLATE,
        "template:disabled",
    )
    url_only = GenerativeSettings.from_env({"VIGIE_DRAFT_LLM_URL": llm.base_url})
    assert generate_draft(MASKED, ["rendez_vous"], TEMPLATE, url_only)[1] == "template:disabled"
    assert llm.requests == []


def test_from_env_reads_the_four_variables() -> None:
    s = GenerativeSettings.from_env(
        {
            "VIGIE_DRAFT_LLM_URL": "https://albert.example/v1",
            "VIGIE_DRAFT_LLM_MODEL": "albert-large",
            "VIGIE_DRAFT_LLM_KEY": KEY,
            "VIGIE_DRAFT_LLM_TIMEOUT_S": "2.5",
        }
    )
    assert s.enabled and s.timeout_s == 2.5 and s.api_key == KEY and s.max_chars == 1200
    assert KEY not in repr(s)
    assert GenerativeSettings.from_env({}).timeout_s == 4.0
    with pytest.raises(ConfigurationError, match="VIGIE_DRAFT_LLM_TIMEOUT_S"):
        GenerativeSettings.from_env({"VIGIE_DRAFT_LLM_TIMEOUT_S": "soon"})


def test_the_vigie_settings_carry_the_variables_and_hide_the_key() -> None:
    settings = load_settings(
        {"VIGIE_DRAFT_LLM_URL": "https://albert.example/v1", "VIGIE_DRAFT_LLM_KEY": KEY}
    )
    assert KEY not in repr(settings)
    s = GenerativeSettings.from_env(settings.to_env())
    assert s.base_url == "https://albert.example/v1" and s.api_key == KEY and not s.enabled


def test_a_good_french_answer_is_used_and_the_request_is_as_albert_expects(llm: StandIn) -> None:
    draft, source = generate_draft(MASKED, ["rendez_vous"], TEMPLATE, llm.settings())
    assert (draft, source) == (GOOD, "llm")
    [request] = llm.requests
    assert request.method == "POST" and request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.headers["content-type"] == "application/json"
    body = request.json()
    assert body["model"] == "albert-large"
    assert isinstance(body["temperature"], float) and body["max_tokens"] > 0
    system, user = body["messages"]
    assert system["role"] == "system" and "France Travail" in system["content"]
    assert "français" in system["content"] and "n'invente" in system["content"]
    assert user["role"] == "user"
    assert MASKED in user["content"] and TEMPLATE in user["content"]
    assert "Rendez-vous" in user["content"]  # the intent, by its label


def test_the_request_carries_only_the_masked_text(llm: StandIn) -> None:
    generate_draft(MASKED, ["rendez_vous"], TEMPLATE, llm.settings())
    raw = llm.requests[0].body.decode("utf-8")
    for placeholder in ("<NOM>", "<TEL>", "<EMAIL>"):
        assert placeholder in raw


@pytest.mark.parametrize(
    "unmasked",
    [
        "appelez-moi au 06 12 34 56 78",
        "écrivez à jean.dupont@exemple.fr",
        "IBAN FR76 3000 6000 0112 3456 7890 189",
    ],
)
def test_a_text_still_holding_a_datum_is_never_sent(llm: StandIn, unmasked: str) -> None:
    draft, source = generate_draft(f"Bonjour, {unmasked}.", ["autre"], TEMPLATE, llm.settings())
    assert (draft, source) == (TEMPLATE, "template:unmasked")
    assert llm.requests == []


@pytest.mark.parametrize(
    "answer",
    [
        GOOD.replace("Madame, Monsieur,", "Bonjour <NOM>,"),
        GOOD.replace("Madame, Monsieur,", "Bonjour [Prénom Nom],"),
        GOOD + "\nVous pouvez nous joindre au <TEL>.",
    ],
)
def test_an_echoed_placeholder_falls_back(llm: StandIn, answer: str) -> None:
    llm.reply = completion(answer)
    assert generate_draft(MASKED, ["rendez_vous"], TEMPLATE, llm.settings()) == (
        TEMPLATE,
        "template:placeholder",
    )


@pytest.mark.parametrize(
    "datum",
    [
        "06 12 34 56 78",
        "+33 6 12 34 56 78",
        "0612345678",
        "jean.dupont@exemple.fr",
        "FR76 3000 6000 0112 3456 7890 189",
        "1 84 12 76 451 089 46",
        "1234567A",
    ],
)
def test_an_answer_with_a_personal_datum_falls_back(llm: StandIn, datum: str) -> None:
    llm.reply = completion(GOOD.replace("Cordialement,", f"Référence : {datum}.\n\nCordialement,"))
    assert generate_draft(MASKED, ["rendez_vous"], TEMPLATE, llm.settings()) == (
        TEMPLATE,
        "template:pii",
    )


def test_short_national_numbers_and_offer_references_are_not_personal_data(llm: StandIn) -> None:
    answer = GOOD.replace(
        "Cordialement,",
        "Pour l'offre 190HCYJ, appelez le 3949 ; en cas d'urgence, le 3114.\n\nCordialement,",
    )
    llm.reply = completion(answer)
    assert generate_draft(MASKED, ["rendez_vous"], TEMPLATE, llm.settings()) == (answer, "llm")


def test_an_english_answer_falls_back(llm: StandIn) -> None:
    llm.reply = completion(
        "Dear Sir or Madam,\n\nThank you for your message. We have received your request about "
        "your appointment and your adviser will contact you soon to find a new slot.\n\n"
        "Best regards,\nYour France Travail adviser"
    )
    assert generate_draft(MASKED, ["rendez_vous"], TEMPLATE, llm.settings()) == (
        TEMPLATE,
        "template:not_french",
    )


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (GOOD * 5, "template:length"),
        ("Madame, Monsieur, c'est noté.", "template:length"),
        ("", "template:empty"),
        ("  \n ", "template:empty"),
    ],
)
def test_too_long_too_short_or_empty_falls_back(llm: StandIn, content: str, reason: str) -> None:
    llm.reply = completion(content)
    assert generate_draft(MASKED, ["rendez_vous"], TEMPLATE, llm.settings()) == (TEMPLATE, reason)


def test_max_chars_bounds_the_answer(llm: StandIn) -> None:
    settings = llm.settings(max_chars=len(GOOD) - 1)
    assert generate_draft(MASKED, ["rendez_vous"], TEMPLATE, settings)[1] == "template:length"
    assert llm.requests[0].json()["max_tokens"] > 0


@pytest.mark.parametrize("status", [500, 401, 429])
def test_an_http_error_falls_back(llm: StandIn, status: int) -> None:
    llm.reply = Reply(status=status, body=b'{"error": "nope"}')
    assert generate_draft(MASKED, ["rendez_vous"], TEMPLATE, llm.settings()) == (
        TEMPLATE,
        "template:error",
    )


def test_a_slow_endpoint_times_out(llm: StandIn) -> None:
    llm.reply = Reply(body=completion(GOOD).body, delay_s=1.5)
    start = time.monotonic()
    result = generate_draft(MASKED, ["rendez_vous"], TEMPLATE, llm.settings(timeout_s=0.3))
    assert result == (TEMPLATE, "template:timeout")
    assert time.monotonic() - start < 1.2


@pytest.mark.parametrize(
    "body",
    [
        b"not json at all",
        b'{"choices": []}',
        b'{"choices": [{"message": {}}]}',
        b'{"choices": [{"message": {"content": null}}]}',
        b'["choices"]',
        b"\xff\xfe",
    ],
)
def test_malformed_json_falls_back(llm: StandIn, body: bytes) -> None:
    llm.reply = Reply(body=body)
    assert generate_draft(MASKED, ["rendez_vous"], TEMPLATE, llm.settings()) == (
        TEMPLATE,
        "template:error",
    )


def test_a_redirect_is_not_followed(llm: StandIn) -> None:
    llm.reply = Reply(status=302, headers={"Location": f"{llm.base_url}/elsewhere"})
    assert generate_draft(MASKED, ["rendez_vous"], TEMPLATE, llm.settings()) == (
        TEMPLATE,
        "template:error",
    )
    assert [r.path for r in llm.requests] == ["/v1/chat/completions"]


def test_an_unreachable_endpoint_or_a_bad_url_falls_back() -> None:
    with socket.socket() as sock:  # a local port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    closed = GenerativeSettings(base_url=f"http://127.0.0.1:{port}/v1", model="m", timeout_s=0.5)
    assert generate_draft(MASKED, ["autre"], TEMPLATE, closed) == (TEMPLATE, "template:error")
    not_http = GenerativeSettings(base_url="file:///etc", model="m")
    assert generate_draft(MASKED, ["autre"], TEMPLATE, not_http) == (TEMPLATE, "template:error")


def test_only_the_reason_is_logged(llm: StandIn, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="agents.emails.generative")
    generate_draft(MASKED, ["rendez_vous"], TEMPLATE, llm.settings())
    llm.reply = completion(GOOD.replace("Madame, Monsieur,", "Bonjour <NOM>,"))
    generate_draft(MASKED, ["rendez_vous"], TEMPLATE, llm.settings())
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "llm" in logged and "placeholder" in logged
    for text in ("rendez-vous", "Madame", "Bonjour", KEY, "<NOM>"):
        assert text not in logged


# The worker's email path ------------------------------------------------------------------------


def _handler(drafts: GenerativeSettings):  # noqa: ANN202 - test helper
    from agents.emails.logic import EmailsHandler
    from agents.emails.model import MODEL_NAME, make_email_triage_model
    from streams.modelstore import ManagedModel, MemoryModelStore

    managed = ManagedModel(MODEL_NAME, MemoryModelStore(), make_email_triage_model)
    return EmailsHandler(managed, managed, drafts)


def _triaged_state(handler, body: str) -> dict[str, str]:  # noqa: ANN001
    from datetime import UTC, datetime

    from sinks.outputs import Outputs, SourceRef

    record = {
        "event_id": "evt-1", "email_id": "E1", "jobseeker_id": "DE-1", "adviser_id": "ADV-1",
        "agency_id": "AG-1", "received_at": datetime(2026, 3, 10, 9, 0, tzinfo=UTC),
        "subject": "Rendez-vous", "body": body, "body_format": "text", "attachments": [],
        "in_reply_to": None,
    }  # fmt: skip
    out = Outputs()
    handler.handle("EmailReceived", record, SourceRef("vigie.emails", 0, 0, 0), out)
    return next(s.fields for s in out.states if s.kind == "email")


BODY = (
    "Bonjour, je ne pourrai pas venir au rendez-vous de jeudi, pouvez-vous le déplacer ?\n"
    "Mon numéro : 06 00 00 00 12.\nCordialement,\nKarim Benali"
)


def test_the_worker_path_sends_only_the_masked_body_and_keeps_a_checked_answer(
    llm: StandIn,
) -> None:
    state = _triaged_state(_handler(llm.settings()), BODY)
    assert state["draft_source"] == "llm" and state["draft"] == GOOD
    [request] = llm.requests
    sent = request.body.decode()
    assert "Benali" not in sent and "06 00 00 00 12" not in sent
    assert "rendez-vous de jeudi" in json.loads(sent)["messages"][-1]["content"]


def test_the_worker_path_keeps_the_template_when_generation_is_off_or_fails(
    llm: StandIn,
) -> None:
    off = _triaged_state(_handler(GenerativeSettings()), BODY)
    assert off["draft_source"] == "template" and off["draft"]
    llm.reply = Reply(status=500)
    failed = _triaged_state(_handler(llm.settings()), BODY)
    assert failed["draft_source"] == "template:error" and failed["draft"] == off["draft"]
