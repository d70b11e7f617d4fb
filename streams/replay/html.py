"""The replay report as one self-contained HTML page: tables, inline SVG charts, no script.

Rendered from the JSON report alone (``render(report)``), so the page shows exactly what the
JSON says and is as deterministic. No external asset: the page opens offline.
"""

from __future__ import annotations

from html import escape
from typing import Any

import orjson

MAX_DIFFERENCES_SHOWN = 200
COLOURS = {
    "matches": "#2e7d32",
    "different": "#ef6c00",
    "missing": "#c62828",
    "extra": "#1565c0",
    "events": "#b0bec5",
    "recorded": "#37474f",
    "rederived": "#8e24aa",
}
CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:24px;color:#212121;
max-width:1100px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd}
.meta{color:#616161;font-size:13px}.cards{display:flex;gap:10px;flex-wrap:wrap;margin:16px 0}
.card{border:1px solid #e0e0e0;border-radius:6px;padding:8px 14px;min-width:110px}
.card b{display:block;font-size:22px}.card span{font-size:12px;color:#616161}
.verdict{padding:10px 14px;border-radius:6px;font-weight:600;margin:12px 0}
.ok{background:#e8f5e9;color:#1b5e20}.ko{background:#fff3e0;color:#e65100}
table{border-collapse:collapse;font-size:13px;margin:6px 0}
td,th{border:1px solid #e0e0e0;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#fafafa}td.n{text-align:right;font-variant-numeric:tabular-nums}
.diff{border-left:4px solid #ef6c00;padding:6px 10px;margin:8px 0;background:#fffaf5}
.diff.missing{border-color:#c62828}.diff.extra{border-color:#1565c0}
.tag{display:inline-block;font-size:11px;padding:1px 6px;border-radius:3px;color:#fff}
.example{border:1px solid #e0e0e0;border-radius:6px;padding:8px 12px;margin:8px 0}
code{font-size:12px;background:#f5f5f5;padding:0 3px}.small{font-size:12px;color:#616161}
"""


def render(report: dict[str, Any]) -> str:
    """The page for ``report`` (a dict from ``streams.replay.report.build_report``)."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Vigie replay — {escape(report['range']['from'])} to "
        f"{escape(report['range']['to'])}</title>",
        f"<style>{CSS}</style></head><body>",
        _header(report),
        _summary(report),
        "<h2>Alerts per type: recorded vs re-derived</h2>",
        _type_chart(report["by_type"]),
        "<h2>Over the range</h2>",
        _timeline_chart(report["timeline"]),
        "<h2>Counts per alert type and model version</h2>",
        _by_type_table(report["by_type"]),
        "<h2>Model versions used</h2>",
        _choices(report.get("versions_chosen")),
        _versions_table(report["versions_used"]),
        "<h2>Differences</h2>",
        _differences(report),
        "<h2>Examples of re-derived alerts</h2>",
        _examples(report["examples"]),
        "<h2>Range</h2>",
        _range_table(report),
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def _header(r: dict[str, Any]) -> str:
    rng = r["range"]
    mode = (
        "recorded models: each event scored with the version that was live"
        if r["mode"] == "recorded"
        else "current models: what today's models would have decided (what-if)"
    )
    return (
        "<h1>Vigie audit replay</h1>"
        f'<div class="meta">from <b>{escape(rng["from"])}</b> to <b>{escape(rng["to"])}</b> '
        f"(events {escape(str(rng['first_event']))} … {escape(str(rng['last_event']))}); "
        f"topics {escape(', '.join(rng['topics']))}; {escape(mode)}; "
        f"report generated {escape(r['generated_at'])}</div>"
    )


def _summary(r: dict[str, Any]) -> str:
    s, ev = r["summary"], r["events"]
    cards = [
        ("events replayed", ev["read"]),
        ("dead letters", ev["dead_letters"]),
        ("alerts recorded", s["recorded"]),
        ("alerts re-derived", s["rederived"]),
        ("matches", s["matches"]),
        ("missing", s["missing"]),
        ("extra", s["extra"]),
        ("different", s["different"]),
    ]
    html = '<div class="cards">' + "".join(
        f"<div class=card><b>{v:,}</b><span>{escape(k)}</span></div>" for k, v in cards
    )
    html += "</div>"
    n = s["missing"] + s["extra"] + s["different"]
    if s["identical"]:
        verdict = (
            '<div class="verdict ok">Identical: every recorded alert was re-derived, '
            "field for field, and the replay raised no other.</div>"
        )
    else:
        word = "What-if" if r["mode"] == "current" else "Differences"
        verdict = (
            f'<div class="verdict ko">{word}: {n:,} — each is listed below with its '
            "explanation.</div>"
        )
    return verdict + html


def _svg(width: int, height: int, body: list[str], label: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}" '
        'font-family="system-ui,sans-serif" font-size="12">' + "".join(body) + "</svg>"
    )


def _legend(x: int, y: int, keys: list[str]) -> list[str]:
    out = []
    for i, key in enumerate(keys):
        cx = x + i * 110
        out.append(f'<rect x="{cx}" y="{y}" width="12" height="12" fill="{COLOURS[key]}"/>')
        out.append(f'<text x="{cx + 16}" y="{y + 10}">{escape(key)}</text>')
    return out


def _type_chart(rows: list[dict[str, Any]]) -> str:
    """Horizontal stacked bars per alert type: matches, different, missing, extra."""
    if not rows:
        return "<p class=small>No alert recorded or re-derived over the range.</p>"
    kinds = ["matches", "different", "missing", "extra"]
    totals: dict[str, dict[str, int]] = {}
    for row in rows:
        t = totals.setdefault(row["alert_type"], dict.fromkeys(kinds, 0))
        for k in kinds:
            t[k] += row[k]
    left, width, bar_h = 190, 820, 22
    scale = max(sum(t.values()) for t in totals.values()) or 1
    body = _legend(left, 4, kinds)
    for i, (name, t) in enumerate(sorted(totals.items())):
        y = 28 + i * (bar_h + 10)
        body.append(f'<text x="{left - 8}" y="{y + 15}" text-anchor="end">{escape(name)}</text>')
        x = float(left)
        for k in kinds:
            w = t[k] / scale * (width - left - 60)
            if w > 0:
                body.append(
                    f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" '
                    f'fill="{COLOURS[k]}"><title>{escape(name)}: {t[k]:,} {k}</title></rect>'
                )
                x += w
        body.append(f'<text x="{x + 6:.1f}" y="{y + 15}">{sum(t.values()):,}</text>')
    height = 28 + len(totals) * (bar_h + 10) + 4
    return _svg(width, height, body, "alerts per type")


def _timeline_chart(timeline: dict[str, Any]) -> str:
    """Events per slice (bars) with recorded and re-derived alerts (lines) and differences."""
    buckets = timeline["buckets"]
    if not buckets:
        return "<p class=small>No event in the range.</p>"
    width, height, left, top, bottom = 1000, 230, 50, 26, 40
    plot_w, plot_h = width - left - 20, height - top - bottom
    step = plot_w / len(buckets)
    ev_max = max(b["events"] for b in buckets) or 1
    al_max = max(max(b["recorded"], b["rederived"]) for b in buckets) or 1
    body = _legend(left, 4, ["events", "recorded", "rederived", "missing"])
    body[-1] = body[-1].replace("missing</text>", "differences</text>")
    for i, b in enumerate(buckets):
        h = b["events"] / ev_max * plot_h
        body.append(
            f'<rect x="{left + i * step + 1:.1f}" y="{top + plot_h - h:.1f}" '
            f'width="{step - 2:.1f}" height="{h:.1f}" fill="{COLOURS["events"]}">'
            f"<title>{escape(b['start'])}: {b['events']:,} events, {b['recorded']:,} recorded, "
            f"{b['rederived']:,} re-derived, {b['differences']:,} differences</title></rect>"
        )
        if b["differences"]:
            body.append(
                f'<circle cx="{left + (i + 0.5) * step:.1f}" cy="{top + plot_h + 8}" r="4" '
                f'fill="{COLOURS["missing"]}"/>'
            )
    for key, dash in (("recorded", ""), ("rederived", ' stroke-dasharray="5 3"')):
        points = " ".join(
            f"{left + (i + 0.5) * step:.1f},{top + plot_h - b[key] / al_max * plot_h:.1f}"
            for i, b in enumerate(buckets)
        )
        body.append(
            f'<polyline points="{points}" fill="none" stroke="{COLOURS[key]}" '
            f'stroke-width="2"{dash}/>'
        )
    body.append(
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" '
        'stroke="#9e9e9e"/>'
    )
    body.append(f'<text x="{left - 6}" y="{top + 10}" text-anchor="end">{ev_max:,}</text>')
    body.append(f'<text x="{left - 6}" y="{top + 24}" text-anchor="end" fill="#616161">ev</text>')
    body.append(
        f'<text x="{left + plot_w}" y="{top - 6}" text-anchor="end" fill="{COLOURS["recorded"]}">'
        f"alerts max {al_max:,}</text>"
    )
    for i, anchor in ((0, "start"), (len(buckets) // 2, "middle"), (len(buckets) - 1, "end")):
        body.append(
            f'<text x="{left + (i + 0.5) * step:.1f}" y="{height - 8}" fill="#616161" '
            f'text-anchor="{anchor}">{escape(buckets[i]["start"][:19].replace("T", " "))}</text>'
        )
    return _svg(width, height, body, "events and alerts over the range")


def _table(headers: list[str], rows: list[list[Any]], numeric: set[int]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="n">{v:,}</td>'
            if i in numeric and isinstance(v, int)
            else f"<td>{escape(str(v))}</td>"
            for i, v in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def _by_type_table(rows: list[dict[str, Any]]) -> str:
    keys = ["recorded", "rederived", "matches", "missing", "extra", "different"]
    return _table(
        ["alert type", "model", "version", *keys],
        [
            [r["alert_type"], r["model_name"], r["model_version"], *(r[k] for k in keys)]
            for r in rows
        ],
        set(range(3, 9)),
    )


def _choices(chosen: dict[str, Any] | None) -> str:
    """How many events got their versions from the worker's record, an alert, or inference."""
    if not chosen or not chosen["events"]:
        return ""
    counts = ", ".join(f"{how}: {n:,}" for how, n in chosen["events"].items())
    twice = chosen["scored_twice_with_other_versions"]
    again = f"; scored twice with different versions: {twice:,}" if twice else ""
    return (
        f"<p class=small>Events by how their versions were chosen (the least certain of their "
        f"models'): {escape(counts)}{escape(again)}.</p>"
    )


def _versions_table(rows: list[dict[str, Any]]) -> str:
    return _table(
        ["model", "version", "chosen as", "events"],
        [[r["model"], r["version"], r["chosen_as"], r["events"]] for r in rows],
        {3},
    )


def _value(v: Any) -> str:
    text = v if isinstance(v, str) else orjson.dumps(v, option=orjson.OPT_SORT_KEYS).decode()
    return text if len(text) <= 300 else text[:300] + "…"


def _differences(r: dict[str, Any]) -> str:
    diffs = r["differences"]
    if not diffs:
        return "<p>None.</p>"
    causes = _table(
        ["kind", "cause", "count"],
        [[c["kind"], c["code"], c["count"]] for c in r["by_cause"]],
        {2},
    )
    items = []
    for d in diffs[:MAX_DIFFERENCES_SHOWN]:
        src = d["source"]
        colour = COLOURS[d["kind"]]
        fields = ""
        if d.get("fields"):
            fields = _table(
                ["field", "recorded", "re-derived"],
                [[f["field"], _value(f["recorded"]), _value(f["rederived"])] for f in d["fields"]],
                set(),
            )
        copy = (
            f", alerts topic copy {escape(d['alerts_topic_copy'])}"
            if d["alerts_topic_copy"]
            else ""
        )
        items.append(
            f'<div class="diff {escape(d["kind"])}"><span class="tag" style="background:{colour}">'
            f"{escape(d['kind'])}</span> <code>{escape(d['code'])}</code> "
            f"<b>{escape(d['alert_type'])}</b> {escape(d['subject'])} — {escape(d['title'])}"
            f'<div class="small">alert {escape(d["alert_id"])}; event {escape(src["topic"])}'
            f"[{src['partition']}]@{src['offset']} at {escape(src['timestamp'])}{copy}</div>"
            f"<div>{escape(d['explanation'])}</div>{fields}</div>"
        )
    more = len(diffs) - MAX_DIFFERENCES_SHOWN
    tail = f"<p class=small>… and {more:,} more in the JSON report.</p>" if more > 0 else ""
    return causes + "".join(items) + tail


def _examples(examples: list[dict[str, Any]]) -> str:
    if not examples:
        return "<p class=small>No alert was re-derived identically.</p>"
    out = []
    for a in examples:
        reasons = "".join(f"<li>{escape(str(x.get('message', x)))}</li>" for x in a["reasons"])
        tips = "".join(f"<li>{escape(str(x))}</li>" for x in a["suggestions"])
        score = "" if a.get("score") is None else f", score {a['score']}"
        out.append(
            f'<div class="example"><b>{escape(a["title"])}</b>'
            f'<div class="small">{escape(a["alert_type"])} for {escape(a["audience_kind"])} '
            f"{escape(a['audience_id'])}; {escape(a['model_name'])} "
            f"{escape(a['model_version'])}{escape(score)}; reproduced identically</div>"
            f"<ul>{reasons}</ul>"
            + (f"<div class=small>Suggestions:</div><ul>{tips}</ul>" if tips else "")
            + "</div>"
        )
    return "".join(out)


def _range_table(r: dict[str, Any]) -> str:
    rows = [
        [p["topic"], p["partition"], p["start"], p["end"], p["events"], p["lost_to_retention"]]
        for p in r["range"]["partitions"]
    ]
    at = r["alerts_topic"]
    note = (
        f"<p class=small>Alerts topic: {at['read']:,} read, {at['undecodable']:,} undecodable, "
        f"{at['raised_by_events_in_range']:,} raised by events of the range. Events by topic: "
        + escape(", ".join(f"{k} {v:,}" for k, v in r["events"]["by_topic"].items()))
        + "</p>"
    )
    return (
        _table(
            ["topic", "partition", "from offset", "to offset", "events", "lost to retention"],
            rows,
            {1, 2, 3, 4, 5},
        )
        + note
    )
