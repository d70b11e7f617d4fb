"""``vigie console``: builds the app for production (JWKS) or dev sign-in, and serves it."""

from __future__ import annotations

import logging
import sys

from fastapi import FastAPI

from console.app import create_app
from console.auth import AuthenticationError, DevSigner, TokenVerifier
from console.feedback import KafkaFeedback
from console.store import ConsoleStore
from streams.settings import Settings

logger = logging.getLogger(__name__)


def build_app(settings: Settings, *, dev_login: bool) -> tuple[FastAPI, DevSigner | None]:
    """The console wired to Redis and Kafka; with ``dev_login``, to a local signing key."""
    dev = DevSigner(settings) if dev_login else None
    verifier = dev.verifier if dev else TokenVerifier.from_jwks(settings)
    app = create_app(
        settings,
        verifier=verifier,
        store=ConsoleStore(settings),
        feedback=KafkaFeedback(settings),
        dev=dev,
    )
    return app, dev


def base_url(settings: Settings) -> str:
    """Where the console answers."""
    host = "127.0.0.1" if settings.console_host in ("0.0.0.0", "") else settings.console_host  # noqa: S104
    return f"http://{host}:{settings.console_port}"


def run_console(settings: Settings, *, dev_login: bool) -> int:
    """Serve until stopped; prints the URL (and an operator's dev sign-in link)."""
    import uvicorn

    try:
        app, dev = build_app(settings, dev_login=dev_login)
    except AuthenticationError as exc:
        print(f"vigie console: {exc}", file=sys.stderr)
        return 2
    url = base_url(settings)
    print(f"Vigie console: {url}/  (metrics {url}/metrics)", flush=True)
    if dev is not None:
        print(f"  dev sign-in (every adviser and area): {url}/connexion", flush=True)
        token = dev.sign("ops-dev", "operator")
        print(f"  dev sign-in as operator: {url}/connexion/jeton?jeton={token}", flush=True)
    uvicorn.run(
        app,
        host=settings.console_host,
        port=settings.console_port,
        log_level=settings.log_level.lower(),
        access_log=False,
        timeout_graceful_shutdown=2,  # live streams would hold a stop otherwise
    )
    return 0
