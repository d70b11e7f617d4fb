"""Email triage (« Courriels ») and area offers (« Offres de mon territoire »).

The email pages show the derived triage the worker stored (intents, urgency and its reasons,
the draft), never the email's words, and send the adviser's verdicts on the draft and on the
triage as AdviserFeedback events.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse

from console.access import EMAIL_ROLES, OFFER_ROLES, may_see_email, may_see_offer
from console.auth import Identity
from console.feedback import (
    DRAFT_VERDICTS,
    INTENT_LABELS,
    TRIAGE_VERDICTS,
    URGENCY_CODES,
    feedback_record,
)
from console.pages import publish_verdict
from console.web import Console, NotFound, console_of, loads, page, who

router = APIRouter()

EMAIL_MODEL = "email-triage"
SORTS = {
    "risk": ("risk", float),
    "posted_at": ("posted_at", str),
    "gaps": ("gaps", int),
    "rome_code": ("rome_code", str),
}
MAX_OFFERS_SHOWN = 300
MAX_DRAFT_CHARS = 8_000


def _guarded_state(
    console: Console,
    me: Identity,
    kind: str,
    key: str,
    roles: frozenset[str],
    may_see: Callable[[Identity, Mapping[str, str]], bool],
    label: str,
) -> dict[str, str]:
    """The ``kind`` hash of ``key`` if ``me`` may see it: 403 (counted) or 404 otherwise."""
    if me.role not in roles:
        raise console.refuse(me, label)
    state = console.store.state(kind, key)
    if state is None:
        raise NotFound(label)
    if not may_see(me, state):
        raise console.refuse(me, label)
    return state


def _email(request: Request, console: Console, email_id: str) -> dict[str, str]:
    me = who(request)
    return _guarded_state(console, me, "email", email_id, EMAIL_ROLES, may_see_email, "courriel")


@router.get("/courriels", response_class=HTMLResponse)
def emails(request: Request) -> HTMLResponse:
    console, me = console_of(request), who(request)
    if me.role not in EMAIL_ROLES:
        raise console.refuse(me, "courriels")
    rows = console.store.emails(me.sub if me.role == "adviser" else None)
    return page(request, "courriels.html", rows=rows[:300], total=len(rows), INTENTS=INTENT_LABELS)


@router.get("/courriels/{email_id}", response_class=HTMLResponse)
def email(request: Request, email_id: str, message: str = "") -> HTMLResponse:
    console = console_of(request)
    state = _email(request, console, email_id)
    edited = console.store.edited_draft(email_id)
    model = state.get("model_name") or EMAIL_MODEL
    return page(
        request,
        "courriel.html",
        s=state,
        scores=loads(state.get("intent_scores"), {}),
        draft=edited.get("text") or state.get("draft", ""),
        edited=edited,
        draft_verdict=console.store.feedback("draft", email_id),
        triage_verdict=console.store.feedback("email", email_id),
        serving=console.store.serving_versions(model),
        INTENTS=INTENT_LABELS,
        URGENCIES=URGENCY_CODES,
        message=message,
    )


@router.post("/courriels/{email_id}/brouillon")
async def draft_verdict(
    request: Request, email_id: str, verdict: str = Form(...), texte: str = Form("")
) -> Any:
    """Accepter / Modifier / Rejeter the draft (``target_kind='draft'``)."""
    console, me = console_of(request), who(request)
    state = await run_in_threadpool(_email, request, console, email_id)
    if verdict not in DRAFT_VERDICTS:
        return _back(email_id, "Verdict inconnu.")
    if verdict == "edited":
        text = texte.replace("\r\n", "\n").strip()[:MAX_DRAFT_CHARS]
        if not text:
            return _back(email_id, "Le brouillon modifié est vide.")
        await run_in_threadpool(console.store.save_draft, email_id, text, me.sub)
    record = feedback_record(
        me, target_kind="draft", target_id=email_id, verdict=verdict, model=_model(state)
    )
    message, _ = await publish_verdict(console, record)
    return _back(email_id, message)


@router.post("/courriels/{email_id}/triage")
async def triage_verdict(
    request: Request,
    email_id: str,
    verdict: str = Form(...),
    intention: str = Form(""),
    urgence: str = Form(""),
) -> Any:
    """Confirm the triage, or correct its intent and/or urgency (``target_kind='email'``)."""
    console, me = console_of(request), who(request)
    state = await run_in_threadpool(_email, request, console, email_id)
    intent = intention if intention in INTENT_LABELS else None
    urgency = urgence if urgence in URGENCY_CODES else None
    if verdict not in TRIAGE_VERDICTS or (verdict == "corrected" and not (intent or urgency)):
        return _back(email_id, "Correction incomplète : choisissez une intention ou une urgence.")
    record = feedback_record(
        me,
        target_kind="email",
        target_id=email_id,
        verdict=verdict,
        model=_model(state),
        corrected_intent=intent if verdict == "corrected" else None,
        corrected_urgency=urgency if verdict == "corrected" else None,
    )
    message, _ = await publish_verdict(console, record)
    return _back(email_id, message)


def _back(email_id: str, message: str) -> RedirectResponse:
    return RedirectResponse(f"/courriels/{quote(email_id)}?message={quote(message)}", 303)


def _model(state: dict[str, str]) -> tuple[str, str]:
    return (state.get("model_name") or EMAIL_MODEL, state.get("model_version", ""))


@router.get("/offres", response_class=HTMLResponse)
def offers(
    request: Request, tri: str = "risk", ordre: str = "desc", zone: str = ""
) -> HTMLResponse:
    console, me = console_of(request), who(request)
    if me.role not in OFFER_ROLES or (zone and me.role != "operator" and zone != me.area):
        raise console.refuse(me, "offres")
    area = me.area if me.role == "area" else (zone or None)
    rows = console.store.open_offers(area)
    field, kind = SORTS.get(tri, SORTS["risk"])
    rows.sort(key=lambda r: _sort_key(r.get(field, ""), kind), reverse=ordre != "asc")
    return page(
        request,
        "offres.html",
        rows=rows[:MAX_OFFERS_SHOWN],
        total=len(rows),
        tri=tri if tri in SORTS else "risk",
        ordre="asc" if ordre == "asc" else "desc",
        zone=area or "toutes",
    )


def _sort_key(value: str, kind: type) -> Any:
    if kind is str:
        return value
    try:
        return kind(value)
    except ValueError:
        return -1


@router.get("/offres/{offer_id}", response_class=HTMLResponse)
def offer(request: Request, offer_id: str) -> HTMLResponse:
    console, me = console_of(request), who(request)
    state = _guarded_state(console, me, "offer", offer_id, OFFER_ROLES, may_see_offer, "offre")
    report = loads(state.get("gap_report"), {})
    return page(request, "offre.html", s=state, gaps=report.get("gaps", []), offer_id=offer_id)
