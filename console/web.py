"""What the routes share: the Console, templates, French labels, identity, refusals."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import redis.asyncio as aioredis
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from console.auth import COOKIE, AuthenticationError, DevSigner, Identity, TokenVerifier
from console.feedback import FeedbackSink
from console.metrics import ConsoleMetrics
from console.store import ConsoleStore
from streams.settings import Settings

logger = logging.getLogger(__name__)

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))

SEVERITIES = {"critical": "Critique", "warning": "Attention", "info": "Information"}
ALERT_TYPES = {
    "email_urgent": "Courriel urgent",
    "jobseeker_long_term_risk": "Risque de chômage de longue durée",
    "jobseeker_reconversion": "Piste de reconversion",
    "jobseeker_data_quality": "Qualité des données",
    "offer_proposal_to_review": "Proposition d'offre à revoir",
    "offer_low_salary": "Salaire sous le marché",
    "offer_hard_to_fill": "Offre à risque",
}


class Forbidden(Exception):  # noqa: N818 - reads as what the route answers
    """Raised by a route when the user may not see the resource (answered 403, counted)."""

    def __init__(self, resource: str) -> None:
        super().__init__(resource)
        self.resource = resource


class NotFound(Exception):  # noqa: N818
    """Raised by a route when the job seeker, email, offer or alert is unknown (404)."""


def token_of(request: Request) -> str | None:
    """The bearer token of a request: the Authorization header, else the sign-in cookie."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return request.cookies.get(COOKIE) or None


def identify(request: Request, verifier: TokenVerifier) -> Identity:
    """The verified identity of a request; raises AuthenticationError."""
    token = token_of(request)
    if token is None:
        raise AuthenticationError("no token")
    return verifier.verify(token)


def parse_audience(text: str | None) -> tuple[str, str] | None:
    """``adviser:ADV-1`` -> ("adviser", "ADV-1"); empty or ``all`` -> None."""
    if not text or text == "all" or ":" not in text:
        return None
    kind, _, ident = text.partition(":")
    return (kind, ident)


def audience_text(audience: tuple[str, str] | None) -> str:
    """The inverse of :func:`parse_audience`."""
    return "all" if audience is None else f"{audience[0]}:{audience[1]}"


def loads(text: str | None, default: Any) -> Any:
    """Parse a JSON field of a state hash; the default when absent or malformed."""
    if not text:
        return default
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return default


def number(text: str | None, digits: int = 0, percent: bool = False) -> str:
    """A figure in French notation (``0,82``, ``82 %``); ``—`` when absent."""
    if not text:  # None, "" or a field the hash does not have (Jinja's Undefined)
        return "—"
    try:
        value = float(text)  # type: ignore[arg-type]
    except ValueError:
        return str(text)
    if percent:
        return f"{value * 100:.0f} %"
    return f"{value:,.{digits}f}".replace(",", "\u202f").replace(".", ",")


TEMPLATES.env.filters["nombre"] = number
TEMPLATES.env.globals.update(SEVERITIES=SEVERITIES, ALERT_TYPES=ALERT_TYPES)


@dataclass
class Console:
    """What the routes share: settings, Redis reads, the feedback publisher, metrics."""

    settings: Settings
    verifier: TokenVerifier
    store: ConsoleStore
    feedback: FeedbackSink
    metrics: ConsoleMetrics
    live: aioredis.Redis
    dev: DevSigner | None = None
    live_max_s: float = 600.0  # a live stream closes then; the browser resumes by Last-Event-ID

    def refuse(self, who: Identity, resource: str) -> Forbidden:
        """Count a refusal and return the exception that answers it."""
        self.metrics.forbidden.labels(resource, who.role).inc()
        logger.warning("console forbidden resource=%s role=%s sub=%s", resource, who.role, who.sub)
        return Forbidden(resource)


def who(request: Request) -> Identity:
    """The identity the middleware verified for this request."""
    identity: Identity = request.state.identity
    return identity


def console_of(request: Request) -> Console:
    """The Console this app serves."""
    console: Console = request.app.state.console
    return console


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render a page with the signed-in user (if any) in its header."""
    context.setdefault("me", getattr(request.state, "identity", None))
    context.setdefault("dev", console_of(request).dev is not None)
    return TEMPLATES.TemplateResponse(request, template, context, status_code=status_code)
