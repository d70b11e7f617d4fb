"""Alert pages: « Mon portefeuille » (live over Server-Sent Events), verdicts, « Demandeur »."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import orjson
from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, StreamingResponse

from console.access import default_audience, may_read_audience, may_see_jobseeker
from console.feedback import ALERT_VERDICTS, DRAFT_VERDICTS, TRIAGE_VERDICTS, feedback_record
from console.store import AlertEntry
from console.web import (
    TEMPLATES,
    Console,
    NotFound,
    audience_text,
    console_of,
    loads,
    page,
    parse_audience,
    who,
)
from sinks.alert_client import stream_key
from streams.errors import InputError, VigieError

logger = logging.getLogger(__name__)
router = APIRouter()

PAGE_ALERTS = 100
KEEPALIVE_MS = 15_000


def _audience(request: Request, console: Console, text: str | None) -> tuple[str, str] | None:
    me = who(request)
    audience = parse_audience(text) if text else default_audience(me)
    if not may_read_audience(me, audience):
        raise console.refuse(me, "alertes")
    return audience


def _keep(entry: AlertEntry, kind: str, severity: str) -> bool:
    a = entry.alert
    return (not kind or a.get("alert_type") == kind) and (
        not severity or a.get("severity") == severity
    )


def render_alert(request: Request, entry: AlertEntry, verdict: dict[str, str]) -> str:
    """One alert's card (also what the live stream sends)."""
    template = TEMPLATES.get_template("_alerte.html")
    return template.render(e=entry, a=entry.alert, audience=audience_text(entry.audience),
                           verdict=verdict, VERDICTS=ALERT_VERDICTS)  # fmt: skip


@router.get("/portefeuille", response_class=HTMLResponse)
def portfolio(
    request: Request, type: str = "", gravite: str = "", audience: str = ""
) -> HTMLResponse:
    console = console_of(request)
    target = _audience(request, console, audience)
    entries = console.store.alerts(target, PAGE_ALERTS * 3)
    kinds = sorted({e.alert.get("alert_type", "") for e in entries} | ({type} - {""}))
    shown = [e for e in entries if _keep(e, type, gravite)][:PAGE_ALERTS]
    verdicts = {e.alert["alert_id"]: console.store.feedback("alert", e.alert["alert_id"])
                for e in shown}  # fmt: skip
    newest = entries[0].entry_id if entries else console.store.last_entry_id(target)
    query = f"type={type}&gravite={gravite}&audience={audience_text(target)}"
    cards = [render_alert(request, e, verdicts[e.alert["alert_id"]]) for e in shown]
    return page(
        request,
        "portefeuille.html",
        cards=cards,
        kinds=kinds,
        kind=type,
        severity=gravite,
        audience=audience_text(target),
        flux=f"/flux?{query}&depuis={newest}",
    )


@router.get("/flux")
async def live(
    request: Request, type: str = "", gravite: str = "", audience: str = "", depuis: str = ""
) -> StreamingResponse:
    """Server-Sent Events: alerts after ``Last-Event-ID`` (a reconnect), else after ``depuis``."""
    console = console_of(request)
    target = _audience(request, console, audience)
    start = request.headers.get("last-event-id") or depuis or "$"
    return StreamingResponse(
        _events(request, console, target, start, type, gravite),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def _events(
    request: Request,
    console: Console,
    audience: tuple[str, str] | None,
    last: str,
    kind: str,
    severity: str,
) -> AsyncIterator[str]:
    key = stream_key(console.settings, audience)
    if last == "$":  # an explicit position, so nothing lands between two reads unseen
        newest = await console.live.xrevrange(key, count=1)
        last = newest[0][0] if newest else "0-0"
    deadline = time.monotonic() + console.live_max_s
    console.metrics.live_streams.inc()
    try:
        yield "retry: 2000\n\n"
        while time.monotonic() < deadline and not await request.is_disconnected():
            block = int(min(KEEPALIVE_MS, max(1.0, (deadline - time.monotonic()) * 1000)))
            reply = await console.live.xread({key: last}, count=50, block=block)
            if not reply:
                yield ": en attente\n\n"
                continue
            for entry_id, fields in reply[0][1]:
                last = entry_id
                if not fields.get("json"):
                    continue
                entry = AlertEntry(entry_id, audience, orjson.loads(fields["json"]))
                if not _keep(entry, kind, severity):
                    continue
                html = render_alert(request, entry, {})
                data = "".join(f"data: {line}\n" for line in html.splitlines())
                console.metrics.live_alerts.inc()
                yield f"id: {entry_id}\nevent: alerte\n{data}\n"
    except asyncio.CancelledError:
        raise
    finally:
        console.metrics.live_streams.dec()


@router.post("/alertes/avis")
async def alert_verdict(
    request: Request,
    audience: str = Form(...),
    entry_id: str = Form(...),
    verdict: str = Form(...),
) -> Any:
    """Utile / Pas utile / Erronée: an AdviserFeedback on the alert, by the signed-in user."""
    console, me = console_of(request), who(request)
    target = _audience(request, console, audience)
    if verdict not in ALERT_VERDICTS:
        return JSONResponse({"message": "Verdict inconnu."}, status_code=422)
    entry = await run_in_threadpool(console.store.alert, target, entry_id)
    if entry is None:
        raise NotFound("alerte")
    a = entry.alert
    record = feedback_record(
        me, target_kind="alert", target_id=a["alert_id"], verdict=verdict,
        model=(str(a.get("model_name", "")), str(a.get("model_version", ""))),
    )  # fmt: skip
    message, status = await publish_verdict(console, record)
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"message": message, "verdict": verdict}, status_code=status)
    return RedirectResponse(f"/portefeuille?audience={audience}", status_code=303)


@router.get("/alertes/etat")
def alert_state(request: Request, audience: str, entry_id: str) -> JSONResponse:
    """Whether the worker has recorded a verdict on the alert (the page polls after a click)."""
    console = console_of(request)
    entry = console.store.alert(_audience(request, console, audience), entry_id)
    if entry is None:
        raise NotFound("alerte")
    verdict = console.store.feedback("alert", entry.alert["alert_id"])
    label = ALERT_VERDICTS.get(verdict.get("verdict", ""), "")
    message = (
        f"Pris en compte par le worker : « {label} » ({verdict['adviser_id']}) ; "
        "cette cause n'alertera plus."
        if verdict.get("verdict") in ("not_useful", "wrong")
        else f"Pris en compte par le worker : « {label} » ({verdict['adviser_id']})."
        if verdict
        else ""
    )
    return JSONResponse({"recorded": bool(verdict), "message": message})


async def publish_verdict(console: Console, record: dict[str, Any]) -> tuple[str, int]:
    """Publish a verdict; the French message for the page and the HTTP status."""
    try:
        await run_in_threadpool(console.feedback.send, record)
    except InputError as exc:  # refused by the schema or the domain rules: say why
        console.metrics.feedback_errors.inc()
        return f"Avis refusé : {exc}", 422
    except VigieError as exc:
        console.metrics.feedback_errors.inc()
        logger.warning("console feedback not published error=%s", type(exc).__name__)
        return "Avis non envoyé : service indisponible, réessayez.", 503
    console.metrics.feedback.labels(record["target_kind"], record["verdict"]).inc()
    labels = {**TRIAGE_VERDICTS, **DRAFT_VERDICTS, **ALERT_VERDICTS}
    label = labels.get(record["verdict"], record["verdict"])
    return f"Avis « {label} » envoyé par {record['adviser_id']}.", 200


@router.get("/demandeurs/{jobseeker_id}", response_class=HTMLResponse)
def jobseeker(request: Request, jobseeker_id: str) -> HTMLResponse:
    console, me = console_of(request), who(request)
    state = console.store.state("jobseeker", jobseeker_id)
    if state is None:
        raise NotFound("demandeur")
    if not may_see_jobseeker(me, state):
        raise console.refuse(me, "demandeur")
    history = console.store.jobseeker_alerts(jobseeker_id, state.get("adviser_id", ""))
    cards = [
        render_alert(request, e, console.store.feedback("alert", e.alert["alert_id"]))
        for e in history[:50]
    ]
    return page(
        request,
        "demandeur.html",
        s=state,
        jid=jobseeker_id,
        reconversion=loads(state.get("reconversion"), []),
        mobility=loads(state.get("mobility"), []),
        market=loads(state.get("market"), None),
        flags=loads(state.get("flag_messages"), []),
        cards=cards,
    )
