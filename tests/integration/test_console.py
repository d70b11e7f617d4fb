"""The console against the real broker, Redis and worker, and in Debian's chromium.

``test_feedback_goes_through_kafka_with_its_author`` needs only Kafka and Redis: the console
reads alerts the Redis sink wrote and publishes verdicts through the real Publisher.
``test_an_adviser_works_in_the_browser`` drives chromium (Playwright, the system browser, no
download) against a real worker: an urgent email's alert arrives live, the draft is edited,
the alert is judged « Pas utile » and its cause stays quiet, and another adviser is refused the
first one's job seeker. ``UPDATE_SCREENSHOTS=1`` writes each page to ``docs/console-*.png``.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
import redis
import uvicorn

from console.app import create_app
from console.auth import DevSigner
from console.feedback import KafkaFeedback
from console.store import ConsoleStore
from schemas.codec import Codec
from sinks.outputs import Outputs
from sinks.redis_sink import RedisSink
from streams.publisher import Publisher
from streams.settings import PROJECT_ROOT, Settings
from tests.integration.conftest import read_topic, wait_for
from tests.integration.test_offers import seeker
from tests.integration.test_worker import offer

CHROMIUM = Path("/usr/bin/chromium")
ADVISER, OTHER = "ADV-0701-09", "ADV-0701-10"


class ConsoleServer:
    """The console served by uvicorn in a thread of the test process."""

    def __init__(self, settings: Settings) -> None:
        self.dev = DevSigner(settings)
        app = create_app(
            settings,
            verifier=self.dev.verifier,
            store=ConsoleStore(settings),
            feedback=KafkaFeedback(settings),
            dev=self.dev,
            live_max_s=60,
        )
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning",
            timeout_graceful_shutdown=1,
        )  # fmt: skip
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def sign_in_link(self, sub: str, role: str = "adviser", area: str = "") -> str:
        return f"{self.url}/connexion/jeton?jeton={self.dev.sign(sub, role, area)}"

    def __enter__(self) -> ConsoleServer:
        self.thread.start()
        wait_for(lambda: self.server.started, timeout_s=10, what="the console")
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def console(settings: Settings) -> Iterator[ConsoleServer]:
    with ConsoleServer(settings) as server:
        yield server


def urgent_email(email_id: str, jobseeker_id: str) -> dict[str, Any]:
    return {
        "event_id": f"evt-{email_id}-{time.monotonic_ns()}",
        "email_id": email_id,
        "jobseeker_id": jobseeker_id,
        "adviser_id": ADVISER,
        "agency_id": "AG-0701",
        "received_at": datetime.now(UTC) - timedelta(minutes=5),
        "subject": "Loyer",
        "body": "Si rien ne bouge on va nous mettre dehors, je suis à bout.",
        "body_format": "text",
        "attachments": [],
        "in_reply_to": None,
    }


def test_feedback_goes_through_kafka_with_its_author(
    settings: Settings, console: ConsoleServer, redis_client: redis.Redis, codec: Codec
) -> None:
    import httpx

    alert = {
        "alert_id": "a-console-1", "alert_type": "email_urgent", "severity": "critical",
        "audience_kind": "adviser", "audience_id": ADVISER, "subject_kind": "email",
        "subject_id": "E-1", "title": "Message urgent", "model_name": "email-triage",
        "model_version": "v4", "score": None, "created_at": datetime.now(UTC),
        "reasons": [], "suggestions": [], "inputs": {}, "source_timestamp": 0,
    }  # fmt: skip
    sink = RedisSink(settings)
    sink.write(Outputs(alerts=[alert]))
    entry_id = redis_client.xrange(settings.key("alerts", "adviser", ADVISER))[0][0]
    with httpx.Client(base_url=console.url, follow_redirects=False) as http:
        token = console.dev.sign(ADVISER, "adviser")
        page = http.get("/portefeuille", headers={"Authorization": f"Bearer {token}"})
        assert page.status_code == 200 and "Message urgent" in page.text
        reply = http.post(
            "/alertes/avis",
            data={"audience": f"adviser:{ADVISER}", "entry_id": entry_id, "verdict": "wrong"},
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
        )
        assert reply.status_code == 200, reply.text
        other = console.dev.sign(OTHER, "adviser")
        refused = http.post(
            "/alertes/avis",
            data={"audience": f"adviser:{ADVISER}", "entry_id": entry_id, "verdict": "useful"},
            headers={"Authorization": f"Bearer {other}", "Accept": "application/json"},
        )
        assert refused.status_code == 403
    (message,) = read_topic(settings, "feedback", expect=1)
    record = codec.decode(message.value()).record
    assert (record["adviser_id"], record["target_kind"], record["target_id"]) == (
        ADVISER, "alert", "a-console-1",
    )  # fmt: skip
    assert (record["verdict"], record["model_name"], record["model_version"]) == (
        "wrong", "email-triage", "v4",
    )  # fmt: skip


@pytest.fixture
def chromium() -> Path:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: apt-get install -y chromium (make install does)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true, so not skipping: {message}", pytrace=False)
        pytest.skip(message)
    return CHROMIUM


def _shots(tmp_path: Path) -> Path:
    return PROJECT_ROOT / "docs" if os.environ.get("UPDATE_SCREENSHOTS") == "1" else tmp_path


@pytest.mark.browser
def test_an_adviser_works_in_the_browser(
    settings: Settings,
    console: ConsoleServer,
    publisher: Publisher,
    worker_factory,
    redis_client: redis.Redis,
    chromium: Path,
    tmp_path: Path,
) -> None:
    from playwright.sync_api import expect, sync_playwright

    shots = _shots(tmp_path)
    jid = "DE-console-1"
    profile = {**seeker(jid), "adviser_id": ADVISER, "departement": "07", "agency_id": "AG-0701"}
    publisher.publish("JobSeekerProfileUpdated", profile)
    publisher.publish("OfferPosted", offer("O-console-1", 1500.0, dep="07"))
    publisher.flush()
    worker_factory()
    wait_for(lambda: redis_client.exists(settings.key("jobseeker", jid)), what="the diagnostic")

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium), args=["--no-sandbox"])
        try:
            adviser = browser.new_page(viewport={"width": 1150, "height": 900})
            adviser.set_default_timeout(60_000)
            adviser.goto(console.sign_in_link(ADVISER))
            expect(adviser.locator("h1")).to_have_text("Mon portefeuille")
            expect(adviser.locator("#direct")).to_have_text("en direct")

            # The urgent email arrives while the page is open: no reload.
            publisher.publish("EmailReceived", urgent_email("E-console-1", jid))
            publisher.flush()
            card = adviser.locator("article.alerte[data-type='email_urgent']")
            expect(card).to_be_visible()
            expect(card.locator("h3")).to_contain_text("Message urgent")
            adviser.screenshot(path=str(shots / "console-portefeuille.png"), full_page=True)

            # The triage: edit the draft and send it (« Modifier »).
            card.get_by_role("link", name="Ouvrir le triage").click()
            expect(adviser.locator("h1")).to_contain_text("Triage du courriel E-console-1")
            draft = adviser.locator("#texte-brouillon")
            draft.fill(draft.input_value() + "\nJe vous rappelle aujourd'hui avant midi.")
            adviser.get_by_role("button", name="Modifier").click()
            expect(adviser.locator(".message")).to_contain_text("Modifié")
            assert "avant midi" in adviser.locator("#texte-brouillon").input_value()
            adviser.screenshot(path=str(shots / "console-courriel.png"), full_page=True)

            # « Pas utile » on the alert, from the portfolio.
            adviser.goto(f"{console.url}/portefeuille")
            card = adviser.locator("article.alerte[data-type='email_urgent']")
            card.get_by_role("button", name="Pas utile").click()
            expect(card.locator(".etat")).to_contain_text("Pas utile")
            expect(card.locator(".etat")).to_contain_text("Pris en compte par le worker")

            adviser.goto(f"{console.url}/demandeurs/{jid}")
            expect(adviser.locator("h1")).to_have_text(f"Demandeur {jid}")
            adviser.screenshot(path=str(shots / "console-demandeur.png"), full_page=True)

            # Another adviser may not open the first one's job seeker.
            other = browser.new_context().new_page()
            other.goto(console.sign_in_link(OTHER))
            response = other.goto(f"{console.url}/demandeurs/{jid}")
            assert response is not None and response.status == 403
            expect(other.locator("h1")).to_have_text("Accès refusé")
            other.screenshot(path=str(shots / "console-refus.png"))

            area = browser.new_context().new_page()
            area.goto(console.sign_in_link("equipe-07", "area", "07"))
            expect(area.locator("h1")).to_contain_text("Offres ouvertes")
            wait_for(lambda: redis_client.exists(settings.key("offer", "O-console-1")),
                     what="the offer")  # fmt: skip
            area.reload()
            expect(area.get_by_role("link", name="O-console-1")).to_be_visible()
            area.screenshot(path=str(shots / "console-offres.png"), full_page=True)
        finally:
            browser.close()

    # The worker recorded the verdict, dismissed the cause, and a new event about the same
    # email raises nothing.
    alert_id = redis_client.hget(settings.key("email", "E-console-1"), "alert_id")
    cause = "email_urgent:email:E-console-1"
    wait_for(lambda: redis_client.exists(settings.key("dismissed", cause)), what="the dismissal")
    verdict = redis_client.hgetall(settings.key("feedback", "alert", alert_id))
    assert (verdict["verdict"], verdict["adviser_id"]) == ("not_useful", ADVISER)
    publisher.publish("EmailReceived", {**urgent_email("E-console-1", jid)})
    publisher.flush()
    metrics = settings.key("metrics", "worker")
    wait_for(lambda: int(redis_client.hget(metrics, "alerts_suppressed_dismissed") or 0) >= 1,
             what="the second alert suppressed")  # fmt: skip
    stream = redis_client.xrange(settings.key("alerts", "adviser", ADVISER))
    urgent = [e for _, e in stream if e["alert_type"] == "email_urgent"]
    assert len(urgent) == 1, [orjson.loads(e["json"])["title"] for _, e in urgent]
