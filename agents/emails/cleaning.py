"""Email bodies to plain text: HTML read without executing anything, history and signatures out.

Everything here is plain string work on bounded input, so hostile mail costs little:

* the raw body is cut to :data:`MAX_RAW_CHARS` before any parsing (a 10 MB body costs the
  slice), the cleaned text to :data:`MAX_TEXT_CHARS`;
* HTML goes through the standard library's tolerant ``html.parser``: no DOM, no network, no
  script run; the content of ``script``, ``style``, ``head``, ``template``, ``iframe``... is
  dropped, quoted history (``blockquote``, Gmail/Thunderbird/Outlook reply containers) too;
* control, zero-width and bidirectional-override characters are removed (they hide words
  from rules and spoof text in adviser tools);
* quoted history (« Le ... a écrit : », « -----Original Message----- », Outlook « De : /
  Envoyé : » headers, ``>`` lines) and the signature (« -- », « Cordialement », « Envoyé de
  mon iPhone »...) are cut, and so is an opening greeting (it often names the adviser).

>>> body = ("Bonjour Mme X,\\n\\nVoici mon attestation.\\n\\nCordialement,\\nA. B.\\n"
...         "06 12 34 56 78\\n\\nLe 3 mars, X a écrit :\\n> Merci")
>>> clean_email("RE: Attestation", body, "text").text
'Voici mon attestation.'
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from html.parser import HTMLParser

MAX_TEXT_CHARS = 12_000  # kept after cleaning: about 2,000 words, far more than real emails
# Pre-cut of the raw body, the only cost a 10 MB body has: markup takes room, text does not.
MAX_RAW_CHARS = {"html": 50_000, "text": 16_000}
MAX_TAGS = 4_000  # HTML tags read: a mail client's markup needs a few hundred
_FEED_CHUNK = 8_192

_SKIP_TAGS = frozenset(
    {"script", "style", "head", "title", "noscript", "template", "iframe", "object", "embed",
     "svg", "math", "xml", "select", "button", "textarea", "canvas", "audio", "video"}
)  # fmt: skip
_BLOCK_TAGS = frozenset(
    {"p", "div", "br", "li", "ul", "ol", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6",
     "hr", "section", "article", "header", "footer", "pre", "dd", "dt", "address", "center"}
)  # fmt: skip
_VOID_TAGS = frozenset({"br", "hr", "img", "meta", "link", "input", "wbr", "col", "area", "base"})
# Containers mail clients put quoted history in (Gmail, Thunderbird, Yahoo, Apple Mail).
_QUOTE_CLASSES = ("gmail_quote", "moz-cite-prefix", "yahoo_quoted", "protonmail_quote")
# Outlook starts the history with one of these and does not nest it: stop reading there.
_HISTORY_IDS = ("divrplyfwdmsg", "appendonsend", "mail-editor-reference-message-container")

# Invisible characters that hide words from the rules or reorder text on screen are removed;
# odd spaces and line separators become plain ones.
_INVISIBLE: dict[int, str | None] = {
    **dict.fromkeys(
        [
            *range(0x00, 0x09),
            0x0B,
            0x0C,
            *range(0x0E, 0x20),
            0x7F,
            *range(0x80, 0xA0),
            0x00AD,
            0x034F,
            0x061C,
            0x180E,
            *range(0x200B, 0x2010),
            *range(0x202A, 0x202F),
            *range(0x2060, 0x2070),
            0xFEFF,
            0xFFF9,
            0xFFFA,
            0xFFFB,
            0xFFFC,
            0xFFFD,
        ]
    ),  # fmt: skip
    **{0x00A0: " ", 0x2007: " ", 0x202F: " ", 0x2028: "\n", 0x2029: "\n", 0x0D: "\n"},
}

_HAS_INVISIBLE = re.compile("[" + "".join(re.escape(chr(c)) for c in _INVISIBLE) + "]")

_HISTORY = re.compile(
    r"^[ \t]*(?:"
    r"le\s[^\n]{0,200}?(?:\n[^\n]{0,120}?)?\sa\s+[ée]crit\s*:"  # Le lun. 12 janv., X a écrit :
    r"|on\s[^\n]{0,200}?(?:\n[^\n]{0,120}?)?\swrote\s*:"
    r"|-{2,}\s*(?:original message|message d'origine|message original|forwarded message"
    r"|message transf[ée]r[ée]|message initial)\s*-{2,}"
    r"|_{8,}\s*$"  # Outlook's rule before the quoted header
    r"|(?:de|from)\s*:[^\n]*\n[ \t]*(?:envoy[ée]|sent|date|[àa]|to)\s*:"
    r")",
    re.IGNORECASE | re.MULTILINE,
)
_SIGNATURE = re.compile(
    r"^[ \t]*(?:"
    r"--[ \t]*$"
    r"|(?:bien\s+|tr[èe]s\s+)?cordialement"
    r"|bien\s+[àa]\s+vous|salutations|sinc[èe]res\s+salutations|respectueusement"
    r"|veuillez\s+agr[ée]er|je\s+vous\s+prie\s+d'agr[ée]er"
    r"|bonne\s+(?:journ[ée]e|soir[ée]e|fin\s+de\s+journ[ée]e)"
    r"|merci\s+(?:d'avance|par\s+avance|beaucoup|pour\s+votre\s+(?:retour|r[ée]ponse|aide))"
    r"|dans\s+l'attente\s+de\s+votre\s+r[ée]ponse"
    r"|envoy[ée]\s+(?:de|depuis)\s+mon\s+\w+"
    r"|sent\s+from\s+my\s+\w+"
    r")[^\n]{0,80}$",
    re.IGNORECASE | re.MULTILINE,
)
# An opening line such as « Bonjour Mme Durand, » or « Madame, Monsieur, », followed by more text.
_GREETING = re.compile(
    r"\A\s*(?:bonjour|bonsoir|bjr|salut|hello|madame|monsieur|mme|cher|ch[èe]re)\b"
    r"(?:[^\n.?!]{0,60}[,!]|(?:[ \t]+[^\s.,?!]+){0,3})[ \t]*\n(?=\s*\S)",
    re.IGNORECASE,
)
_QUOTED_LINE = re.compile(r"^[ \t]*>[^\n]*(?:\n|$)", re.MULTILINE)
_REPLY_PREFIX = re.compile(r"^\s*(?:(?:re|tr|fwd?|aw|wg|r[ée]f)\s*(?:\[\d+\])?\s*:\s*)+", re.I)
_BLANKS = re.compile(r"[ \t\f\v]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")
_LEFTOVER_TAG = re.compile(r"<[a-zA-Z!/?][^<>]*(?:>|(?=<)|$)")
_HTML_SNIFF = re.compile(r"<\s*(?:html|body|div|p|br|span|table|blockquote|script)\b", re.I)


@dataclass(frozen=True, slots=True)
class CleanedEmail:
    """The readable part of an email, and what cleaning removed (for metrics, never content)."""

    subject: str
    text: str
    html: bool
    truncated: bool
    quoted_removed: bool
    signature_removed: bool


class _TextExtractor(HTMLParser):
    """Collects the visible text of an HTML body; never fetches or runs anything."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping: list[str] = []  # open tags whose content is dropped
        self.quoted = False
        self.stopped = False
        self.tags = 0
        self.chars = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags += 1
        if self.stopped:
            return
        if self.skipping:
            if tag == self.skipping[-1] and tag not in _VOID_TAGS:
                self.skipping.append(tag)
            return
        marks = " ".join((v or "") for k, v in attrs if k in ("class", "id")).lower()
        if any(mark in marks for mark in _HISTORY_IDS):
            self.stopped = self.quoted = True
            return
        if tag == "blockquote" or any(mark in marks for mark in _QUOTE_CLASSES):
            self.quoted = True
            self.skipping.append(tag)
        elif tag in _SKIP_TAGS:
            self.skipping.append(tag)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if not self.skipping and not self.stopped and tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if self.stopped:
            return
        if self.skipping:
            if tag == self.skipping[-1]:
                self.skipping.pop()
            return
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping and not self.stopped:
            self.parts.append(data)
            self.chars += len(data)

    @property
    def enough(self) -> bool:
        """True once reading more could not change the cleaned text (or costs too much)."""
        return self.stopped or self.chars > MAX_TEXT_CHARS or self.tags > MAX_TAGS


def html_to_text(markup: str) -> tuple[str, bool]:
    """Visible text of ``markup`` and whether quoted history was dropped."""
    parser = _TextExtractor()
    try:
        for start in range(0, len(markup), _FEED_CHUNK):
            parser.feed(markup[start : start + _FEED_CHUNK])
            if parser.enough:
                break
        else:
            parser.close()
    except Exception:  # noqa: BLE001 - html.parser is lenient; anything left is kept as text
        return _LEFTOVER_TAG.sub(" ", markup), False
    # A tag cut by the pre-cut or never closed comes out as text: drop what looks like one.
    return _LEFTOVER_TAG.sub(" ", "".join(parser.parts)), parser.quoted


def strip_invisible(text: str) -> str:
    """Text in NFC with invisible and control characters removed, odd spaces made plain."""
    text = unicodedata.normalize("NFC", text)
    # str.translate is slow on long text: only when there is something to translate.
    return text.translate(_INVISIBLE) if _HAS_INVISIBLE.search(text) else text


def strip_history(text: str) -> tuple[str, bool]:
    """Text without the quoted earlier messages; True when something was removed."""
    match = _HISTORY.search(text)
    cut = text[: match.start()] if match else text
    kept = _QUOTED_LINE.sub("", cut)
    return kept, match is not None or len(kept) != len(cut)


def strip_signature(text: str) -> tuple[str, bool]:
    """Text up to its closing formula or signature separator; True when something was cut."""
    match = _SIGNATURE.search(text)
    if match is None:
        return text, False
    return text[: match.start()], True


def clean_subject(subject: str) -> str:
    """Subject without « RE: / TR: / Fwd: » prefixes or invisible characters."""
    return _BLANKS.sub(" ", _REPLY_PREFIX.sub("", strip_invisible(subject[:1000]))).strip()


def clean_email(subject: str | None, body: str | None, body_format: str | None) -> CleanedEmail:
    """The readable content of an email (``body_format`` 'text' or 'html'; sniffed if wrong)."""
    raw = body or ""
    is_html = body_format == "html" or _HTML_SNIFF.search(raw[:2000]) is not None
    limit = MAX_RAW_CHARS["html" if is_html else "text"]
    truncated = len(raw) > limit
    raw = raw[:limit]
    quoted_html = False
    if is_html:
        raw, quoted_html = html_to_text(raw)
    text = strip_invisible(raw)
    text, quoted = strip_history(text)
    text = _GREETING.sub("", text, count=1)
    text, signed = strip_signature(text)
    text = _BLANK_LINES.sub("\n", _BLANKS.sub(" ", text)).strip()
    if len(text) > MAX_TEXT_CHARS:
        text, truncated = text[:MAX_TEXT_CHARS], True
    return CleanedEmail(
        subject=clean_subject(subject or ""),
        text=text,
        html=is_html,
        truncated=truncated,
        quoted_removed=quoted or quoted_html,
        signature_removed=signed,
    )
