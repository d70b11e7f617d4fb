"""Masking of personal data in email text, before anything derived from it is kept.

Replaced by a placeholder: IBANs (« FR76 3000 ... », any country), NIR social-security numbers
(13 digits and their 2-digit key, with or without spaces, Corsica's 2A/2B), e-mail addresses,
phone numbers (French formats, +33 / 0033 / (0), and other international numbers), street
addresses (« 12 bis rue des Lilas », « BP 42 ») and postal code + town (« 75011 Paris »).
The order matters: IBANs and NIRs are long digit runs a phone pattern would otherwise eat.

It errs on the side of masking (« 2 cours de soutien » looks like « 2 cours Mirabeau »): a
word lost to the models costs less than a datum kept. Masking is a safety net, not the only
protection: the masked text itself is never stored,
logged or sent anywhere; see the package README.

>>> mask("Appelez-moi au +33 6 12 34 56 78 ou ecrivez a a.b@exemple.fr")
'Appelez-moi au <TEL> ou ecrivez a <EMAIL>'
>>> mask("NIR 1 84 12 76 451 089 46, IBAN FR76 3000 6000 0112 3456 7890 189")
'NIR <NIR>, IBAN <IBAN>'
>>> mask("J'habite 12 bis rue des Lilas, 75011 Paris")
"J'habite <ADRESSE>, <ADRESSE>"
"""

from __future__ import annotations

import html
import re
from collections import Counter
from typing import Any

from agents.emails import language
from agents.emails.names import name_spans

PLACEHOLDERS = (
    "<IBAN>",
    "<NIR>",
    "<EMAIL>",
    "<TEL>",
    "<ADRESSE>",
    "<DATE_NAISSANCE>",
    "<CAF>",
    "<ID_FT>",
    "<NOM>",
)

_SEP = r"[ \t.\-]?"
_STREET_TYPES = (
    r"rue|avenue|av\.|bd|boulevard|chemin|impasse|all[ée]e|place|route|rte|quai|cours|square|"
    r"r[ée]sidence|lotissement|lieu[\s-]dit|passage|voie|cit[ée]|hameau|chauss[ée]e|faubourg|"
    r"rond[\s-]point|sentier|villa|esplanade|promenade|mont[ée]e|parvis|ruelle|venelle"
)
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "<IBAN>",
        re.compile(
            r"\b[A-Z]{2}\d{2}[ \t]?\d{4}(?:[ \t]?[A-Z0-9]{4}){1,6}(?:[ \t]?[A-Z0-9]{1,4})?\b", re.I
        ),
    ),
    (
        "<NIR>",
        re.compile(
            rf"(?<![\d])[12]{_SEP}\d{{2}}{_SEP}(?:0[1-9]|1[0-2]|[2-9]\d){_SEP}"
            # département and commune: « 75 111 », « 2A 004 », overseas « 971 20 »
            rf"(?:(?:\d{{2}}|2[AB]){_SEP}\d{{3}}|9[78]\d{_SEP}\d{{2}})"
            rf"{_SEP}\d{{3}}(?:{_SEP}\d{{2}})?(?![\d])",
            re.I,
        ),
    ),
    (
        "<EMAIL>",
        re.compile(r"[\w.+\-']{1,64}\s?(?:@|\[at\]|\(at\))\s?[\w\-]{1,63}(?:\.[\w\-]{1,63})+"),
    ),
    (
        "<TEL>",
        re.compile(
            r"(?<![\w+])(?:(?:\+|00)\s?33\s?(?:\(0\)\s?)?|0)[1-9](?:[ \t.\-\u00a0]?\d{2}){4}(?!\d)"
            r"|(?<![\w+])(?:\+|00)\s?[1-9]\d{0,2}(?:[ \t.\-]?\(?\d{1,4}\)?){2,6}(?!\d)"
        ),
    ),
    (
        "<ADRESSE>",
        re.compile(
            r"\b\d{1,4}(?:\s?(?:bis|ter|quater|[a-d]))?,?\s+(?:" + _STREET_TYPES + r")\b"
            r"(?:[ \t]+[\w'’.\-]+){1,5}"
            r"|\b(?:BP|CS|TSA)\s?\d{2,6}\b",
            re.I,
        ),
    ),
    (
        "<ADRESSE>",  # abroad, the street before its number: « Rua das Flores 45 », « Via Roma 3 »
        re.compile(
            r"\b(?:Rua|Avenida|Calle|Carrer|Via|Viale|Strada|Travessa|Largo|Pra[çc]a|Ulica|"
            r"Stra(?:ß|ss)e)\s+(?:(?!(?:en|in|de|du|depuis|since)\s+\d)[\w'’.\-]+\s+){0,4}?"
            r"\d{1,3}[a-z]?\b(?:,?\s*\d{4}-\d{3})?"
        ),
    ),
    (
        "<ADRESSE>",  # postal code and town, « 75011 Paris », « 07500 Guilherand-Granges Cedex »
        re.compile(
            r"\b\d{5}\s+[A-ZÀ-Ý][\w'’\-]+(?:[ \-](?:(?i:cedex)(?:\s?\d{1,2})?|sur|sous|en|lès|"
            r"les|le|la|de|du|des|aux?|[A-ZÀ-Ý][\w'’\-]+)){0,4}"
        ),
    ),
)
_CHEAP_CHECK = {"<EMAIL>": ("@", "[at]", "(at)")}
_MONTHS = (
    r"janv(?:ier)?|f[ée]vr?(?:ier)?|mars|avr(?:il)?|mai|juin|juil(?:let)?|ao[uû]t|"
    r"sept(?:embre)?|oct(?:obre)?|nov(?:embre)?|d[ée]c(?:embre)?|january|february|march|april|"
    r"may|june|july|august|september|october|november|december"
)
_DATE = (
    r"(?:\d{1,2}[/.\-]\d{1,2}[/.\-](?:19|20)?\d{2}|(?:19|20)\d{2}-[01]\d-[0-3]\d"
    r"|(?:1er|\d{1,2})\s+(?:" + _MONTHS + r")\.?\s+(?:19|20)\d{2}"
    r"|(?:" + _MONTHS + r")\s+\d{1,2},?\s+(?:19|20)\d{2})"
)
# Identifiers and dates the guide counts as personal data, found by what stands before them.
_CONTEXT_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "<DATE_NAISSANCE>",
        re.compile(
            r"(?:\bn[ée]e?s?(?:\(e\))?\s+(?:le\s+)?|\bdate\s+de\s+naissance\s*:?\s*(?:le\s+)?|"
            r"\bnaissance\b[^\n\d<>]{0,40}?\ble\s+|"
            r"\bDDN\s*:?\s*|\bborn\s+(?:on\s+)?|\bdate\s+of\s+birth\s*(?:is\s*)?:?\s*|"
            r"\bDOB\s*:?\s*)"
            r"(" + _DATE + r")",
            re.I,
        ),
    ),
    (
        "<CAF>",
        re.compile(r"(?:allocataire|\bCAF\b|\bMSA\b)[^\d\n]{0,40}?(?<![\d])(\d{7})(?![\d])", re.I),
    ),
)
# France Travail identifier: 7 digits and a letter (« 4821937K », « 4821937 K »).
_FT_ID = re.compile(r"(?<![\w])\d{7}\s?[A-Za-z](?![\w])")


def mask(text: str) -> str:
    """``text`` with every personal datum listed in the module docstring replaced.

    HTML character references are read first (« N&#39;Diaye » is « N'Diaye », « 06&nbsp;00 »
    a phone), as the triage's cleaning does before it masks: a name cut by an entity would
    otherwise pass as two words.
    """
    if "&" in text:
        text = html.unescape(text)
    return mask_counting(text)[0]


def mask_counting(text: str, doc: Any | None = None) -> tuple[str, Counter[str]]:
    """``text`` masked, and how many items of each kind were masked.

    ``doc`` is spaCy's parse of ``text`` when the caller has it already (a batch parsed with
    ``nlp.pipe``); without it, the text is parsed here.
    """
    spans = pii_spans(text, doc)
    return apply_spans(text, spans), Counter(s[2] for s in spans)


def mask_many(texts: list[str]) -> list[tuple[str, Counter[str]]]:
    """:func:`mask_counting` of each text, with one ``nlp.pipe`` pass for the whole list."""
    parsed = language.docs(texts) if any(_may_hold_name(t) for t in texts) else [None] * len(texts)
    return [
        mask_counting(t, d if d is not None else _NO_DOC)
        for t, d in zip(texts, parsed, strict=True)
    ]


_NO_DOC = object()  # a text with no name to look for: no parse


def _may_hold_name(text: str) -> bool:
    return any(c.isalpha() for c in text)


def pii_spans(text: str, doc: Any | None = None) -> list[tuple[int, int, str]]:
    """Sorted, disjoint ``(start, end, placeholder)`` of every personal datum in ``text``."""
    found: list[tuple[int, int, str]] = []
    for placeholder, pattern in _PATTERNS:
        needles = _CHEAP_CHECK.get(placeholder)
        if needles is not None and not any(n in text for n in needles):
            continue  # skip a costly scan when the text cannot contain one
        if placeholder == "<EMAIL>":
            found.extend(_email_spans(text, pattern))
        else:
            found.extend((m.start(), m.end(), placeholder) for m in pattern.finditer(text))
    for placeholder, pattern in _CONTEXT_PATTERNS:
        found.extend((m.start(1), m.end(1), placeholder) for m in pattern.finditer(text))
    found.extend((m.start(), m.end(), "<ID_FT>") for m in _FT_ID.finditer(text))
    found.extend(table_cells(text))
    if doc is None:
        doc = language.doc(text) if _may_hold_name(text) else None
    elif doc is _NO_DOC:
        doc = None
    found.extend((s, e, "<NOM>") for s, e in name_spans(text, doc))
    # Earlier kinds win an overlap: the patterns are precise, names come last.
    kept: list[tuple[int, int, str]] = []
    for span in found:
        if all(span[1] <= k[0] or span[0] >= k[1] for k in kept):
            kept.append(span)
    return sorted(kept)


# A pasted table or CSV: a header line whose cells name the columns, rows below it.
_TABLE_SEPARATORS = ("|", ";", "\t")
_COLUMN_KINDS = (
    ("<DATE_NAISSANCE>", re.compile(r"(?i)naissance|\bddn\b|birth|\bdob\b")),
    ("<NIR>", re.compile(r"(?i)s[ée]curit[ée][ _]sociale|\bnir\b|\bsecu\b")),
    (
        "<NOM>",
        re.compile(
            r"(?i)^\W*(?:nom|pr[ée]noms?|nom[ _]de[ _]famille|surname|first[ _]?name|name)\W*$"
        ),
    ),
)


def table_cells(text: str) -> list[tuple[int, int, str]]:
    """Cells of the columns a table's header names (name, first name, birth date, NIR).

    « nom;prénom;date_naissance » then « LE GOFF;Maëlys;03/04/2005 »: the header says what each
    cell holds, which no pattern sees in a lone « Maëlys » or a date with no « né le ».
    """
    spans: list[tuple[int, int, str]] = []
    if not any(sep in text for sep in _TABLE_SEPARATORS):
        return spans
    lines = list(re.finditer(r"[^\n]+", text))
    for i, header in enumerate(lines):
        sep = next((c for c in _TABLE_SEPARATORS if header.group().count(c) >= 1), None)
        if sep is None:
            continue
        cells = header.group().split(sep)
        kinds = [next((k for k, rx in _COLUMN_KINDS if rx.search(c)), None) for c in cells]
        if not any(kinds):
            continue
        for row in lines[i + 1 :]:
            values = row.group().split(sep)
            if len(values) != len(cells) or row.start() - 1 > lines[i].end() + 400:
                break
            at = row.start()
            for value, kind in zip(values, kinds, strict=True):
                stripped = value.strip()
                if kind is not None and stripped and not set(stripped) <= set("-_=:+ "):
                    start = at + value.index(stripped)
                    spans.append((start, start + len(stripped), kind))
                at += len(value) + 1
    return spans


def apply_spans(text: str, spans: list[tuple[int, int, str]]) -> str:
    """``text`` with each span replaced by its placeholder."""
    parts, done = [], 0
    for start, end, placeholder in spans:
        parts.append(text[done:start])
        parts.append(placeholder)
        done = end
    parts.append(text[done:])
    return "".join(parts)


def _email_spans(text: str, pattern: re.Pattern[str]) -> list[tuple[int, int, str]]:
    # The pattern would be tried at every position of the text; an address needs an « @ » (or
    # « [at] »), so only the stretch around each one is searched.
    spans: list[tuple[int, int, str]] = []
    done = 0
    for at in re.finditer(r"@|\[at\]|\(at\)", text):
        if at.start() < done:
            continue
        window_start = max(done, at.start() - 70)
        match = pattern.search(text, window_start, at.end() + 260)
        if match is None or match.start() > at.start():
            continue
        spans.append((match.start(), match.end(), "<EMAIL>"))
        done = match.end()
    return spans
