"""The console's FastAPI application: sign-in, access checks, metrics, and the pages' routes.

Every route but ``/connexion``, ``/sante`` and ``/metrics`` needs a verified identity; the
pages themselves are in :mod:`console.pages` (alerts, job seekers) and :mod:`console.desk`
(emails, offers).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import redis.asyncio as aioredis
from fastapi import FastAPI, Form, Request, Response
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from console import desk, pages
from console.auth import COOKIE, AuthenticationError, DevSigner, TokenVerifier
from console.feedback import FeedbackSink
from console.metrics import ConsoleMetrics
from console.store import ConsoleStore
from console.web import Console, Forbidden, NotFound, identify, page, who
from streams.security import open_redis_async
from streams.settings import Settings

logger = logging.getLogger(__name__)

PUBLIC_PATHS = frozenset({"/connexion", "/connexion/jeton", "/sante", "/metrics"})


def create_app(
    settings: Settings,
    *,
    verifier: TokenVerifier,
    store: ConsoleStore,
    feedback: FeedbackSink,
    dev: DevSigner | None = None,
    live: aioredis.Redis | None = None,
    live_max_s: float = 600.0,
) -> FastAPI:
    """The console application."""
    app = FastAPI(title="Vigie — console des conseillers", docs_url=None, redoc_url=None)
    console = Console(
        settings=settings,
        verifier=verifier,
        store=store,
        feedback=feedback,
        metrics=ConsoleMetrics(),
        live=live or open_redis_async(settings, decode_responses=True),
        dev=dev,
        live_max_s=live_max_s,
    )
    app.state.console = console
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")

    @app.middleware("http")
    async def authenticate(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        request.state.identity = None
        if request.url.path not in PUBLIC_PATHS and not request.url.path.startswith("/static/"):
            try:
                request.state.identity = identify(request, console.verifier)
            except AuthenticationError as exc:
                console.metrics.unauthenticated.labels(str(exc).split(":")[0]).inc()
                response: Response = page(request, "connexion.html", 401, error=str(exc))
                _observe(console, request, response, started)
                return response
        response = await call_next(request)
        _observe(console, request, response, started)
        return response

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden) -> Response:
        return page(request, "erreur.html", 403, code=403, resource=exc.resource)

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> Response:
        return page(request, "erreur.html", 404, code=404, resource=str(exc))

    @app.get("/sante", response_class=PlainTextResponse)
    def health() -> PlainTextResponse:
        ok = console.store.ping()
        return PlainTextResponse("ok" if ok else "redis indisponible", 200 if ok else 503)

    @app.get("/metrics")
    def metrics() -> Response:
        return Response(generate_latest(console.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/connexion", response_class=HTMLResponse)
    def sign_in_page(request: Request) -> HTMLResponse:
        links = dev_links(console, str(request.base_url).rstrip("/")) if console.dev else []
        return page(request, "connexion.html", links=links)

    @app.get("/connexion/jeton")
    def sign_in_link(request: Request, jeton: str) -> Response:
        # A token in a URL ends up in histories and logs: only for --dev-login's own links.
        if console.dev is None:
            raise NotFound("connexion par lien")
        return _sign_in(request, console, jeton)

    @app.post("/connexion")
    def sign_in_form(request: Request, jeton: str = Form(...)) -> Response:
        return _sign_in(request, console, jeton)

    @app.get("/deconnexion")
    def sign_out() -> Response:
        response = RedirectResponse("/connexion", status_code=303)
        response.delete_cookie(COOKIE)
        return response

    @app.get("/")
    def home(request: Request) -> Response:
        target = "/offres" if who(request).role == "area" else "/portefeuille"
        return RedirectResponse(target, status_code=303)

    app.include_router(pages.router)
    app.include_router(desk.router)
    return app


def _sign_in(request: Request, console: Console, token: str) -> Response:
    try:
        identity = console.verifier.verify(token)
    except AuthenticationError as exc:
        console.metrics.unauthenticated.labels("refused").inc()
        return page(request, "connexion.html", 401, error=str(exc))
    logger.info("console sign-in role=%s sub=%s", identity.role, identity.sub)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict", path="/")
    return response


def dev_links(console: Console, base: str) -> list[tuple[str, str]]:
    """Sign-in links for advisers and areas that have alerts, and an operator (dev only)."""
    assert console.dev is not None  # noqa: S101 - only called in dev mode
    sign = console.dev.sign
    links = [("Exploitation (opérateur) · ops-dev", sign("ops-dev", "operator"))]
    links += [(f"Conseiller {a}", sign(a, "adviser")) for a in console.store.audiences("adviser")]
    links += [
        (f"Équipe entreprises {d}", sign(f"equipe-{d}", "area", d))
        for d in console.store.audiences("area")
    ]
    return [(label, f"{base}/connexion/jeton?jeton={token}") for label, token in links]


def _observe(console: Console, request: Request, response: Response, started: float) -> None:
    route = request.scope.get("route")
    template = getattr(route, "path", "autre")
    console.metrics.requests.labels(template, str(response.status_code)).inc()
    if template != "/flux":
        console.metrics.latency.labels(template).observe(time.perf_counter() - started)
