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

import re
from collections import Counter

PLACEHOLDERS = ("<IBAN>", "<NIR>", "<EMAIL>", "<TEL>", "<ADRESSE>")

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
            rf"(?<![\d])[12]{_SEP}\d{{2}}{_SEP}(?:0[1-9]|1[0-2]|[2-9]\d){_SEP}(?:\d{{2}}|2[AB])"
            rf"{_SEP}\d{{3}}{_SEP}\d{{3}}(?:{_SEP}\d{{2}})?(?![\d])",
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
            r"(?<![\w+])(?:(?:\+|00)\s?33\s?(?:\(0\)\s?)?|0)[1-9](?:[ \t.\-]?\d{2}){4}(?!\d)"
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
        "<ADRESSE>",  # postal code and town, « 75011 Paris », « 07500 Guilherand-Granges Cedex »
        re.compile(
            r"\b\d{5}\s+[A-ZÀ-Ý][\w'’\-]+(?:[ \-](?:(?i:cedex)(?:\s?\d{1,2})?|sur|sous|en|lès|"
            r"les|le|la|de|du|des|aux?|[A-ZÀ-Ý][\w'’\-]+)){0,4}"
        ),
    ),
)
_CHEAP_CHECK = {"<EMAIL>": ("@", "[at]", "(at)")}


def mask(text: str) -> str:
    """``text`` with every personal datum listed in the module docstring replaced."""
    return mask_counting(text)[0]


def mask_counting(text: str) -> tuple[str, Counter[str]]:
    """``text`` masked, and how many items of each kind were masked."""
    counts: Counter[str] = Counter()
    for placeholder, pattern in _PATTERNS:
        needles = _CHEAP_CHECK.get(placeholder)
        if needles is not None and not any(n in text for n in needles):
            continue  # skip a costly scan when the text cannot contain one
        if placeholder == "<EMAIL>":
            text, n = _mask_emails(text, pattern)
        else:
            text, n = pattern.subn(placeholder, text)
        if n:
            counts[placeholder] += n
    return text, counts


def _mask_emails(text: str, pattern: re.Pattern[str]) -> tuple[str, int]:
    # The pattern would be tried at every position of the text; an address needs an « @ » (or
    # « [at] »), so only the stretch around each one is searched.
    parts: list[str] = []
    done = count = 0
    for at in re.finditer(r"@|\[at\]|\(at\)", text):
        if at.start() < done:
            continue
        window_start = max(done, at.start() - 70)
        match = pattern.search(text, window_start, at.end() + 260)
        if match is None or match.start() > at.start():
            continue
        parts.append(text[done : match.start()])
        parts.append("<EMAIL>")
        done = match.end()
        count += 1
    parts.append(text[done:])
    return "".join(parts), count
