"""What the models see of an email: hashed tokens of its cleaned, masked, normalised text.

``normalise`` folds case and accents (« Réclamation » and « reclamation » are one word),
``tokens`` splits words, drops French stop words and folds digits, ``hashed_features`` turns
the tokens, their 5-letter prefixes (robust to typos and inflections: « actualisation » and
« actualistion » share ``actua``) and negation pairs (« pas_urgent ») into integer buckets
below :data:`BUCKETS`.

Hashing is deliberate: model weights and the feedback cache hold bucket numbers, never words,
so a name that survived masking never appears in a snapshot as text, and the model's size is
bounded whatever the vocabulary (see the package README for the privacy note).

>>> normalise("Réclamation : ÇA NE VA PAS l’œuvre")
"reclamation : ca ne va pas l'oeuvre"
>>> tokens("Je n'ai toujours pas reçu mon allocation du 12/03")
['toujours', 'pas', 'recu', 'allocation', '0', '0']
>>> features = hashed_features(tokens("pas urgent"))
>>> len(features), all(0 <= f < BUCKETS for f in features)
(4, True)
"""

from __future__ import annotations

import math
import re
import unicodedata
import zlib
from array import array
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from agents.emails import language
from agents.emails.cleaning import CleanedEmail, clean_email
from agents.emails.evidence import all_evidence_features
from agents.emails.masking import PLACEHOLDERS, apply_spans, pii_spans
from agents.emails.semantics import semantic_features, sense_features

BUCKETS = 1 << 16  # hash space: 65,536 buckets (uint16), see the README for the trade-off
MAX_TOKENS = 150  # words kept per email: the subject and first paragraphs say what it is about
PREFIX_LEN = 5

_FOLD = str.maketrans(
    {"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "’": "'", "‘": "'", "`": "'", "´": "'",
     "«": '"', "»": '"', "“": '"', "”": '"', "–": "-", "—": "-", "‑": "-", "€": " euros ",
     "ß": "ss"}
)  # fmt: skip
_TOKEN = re.compile(r"<[a-z]+>|[a-z]+|\d+")
_PLACEHOLDER_TOKENS = frozenset(p.lower() for p in PLACEHOLDERS)
NEGATIONS = frozenset({"pas", "plus", "jamais", "rien", "aucun", "aucune", "sans", "ni"})
STOP_WORDS = frozenset(
    """a au aux avec ce ces c ça ca cet cette d dans de des du elle en et eux il ils j je l la le
    les leur leurs lui m ma mais me mes moi mon n ne nos notre nous on ou par pour qu que qui s
    sa se ses son sur t ta te tes toi ton tu un une vos votre vous y est suis es sommes etes
    sont ai as avons avez ont etais etait été ete être etre avoir bonjour madame monsieur merci
    cordialement bien svp""".split()
)


_NEEDS_FOLD = re.compile("[" + "".join(chr(c) for c in _FOLD) + "]")


def normalise(text: str) -> str:
    """Lower case, no accents, plain apostrophes and dashes, single spaces; lines are kept."""
    if _NEEDS_FOLD.search(text):  # str.translate is slow; most texts need none of it
        text = text.translate(_FOLD)
    folded = unicodedata.normalize("NFKD", text.lower())
    ascii_text = folded.encode("ascii", "ignore").decode("ascii")
    return "\n".join(" ".join(line.split()) for line in ascii_text.splitlines() if line.strip())


def tokens(text: str, *, normalised: bool = False) -> list[str]:
    """Words of ``text`` without stop words; every number becomes ``0``; masks stay whole."""
    norm = text if normalised else normalise(text)
    out: list[str] = []
    for token in _TOKEN.findall(norm):
        if token[0].isdigit():
            out.append("0")
        elif token in STOP_WORDS or (len(token) < 2 and token not in _PLACEHOLDER_TOKENS):
            continue
        else:
            out.append(token)
        if len(out) >= MAX_TOKENS:
            break
    return out


_BUCKETS_SEEN: dict[str, int] = {}  # in memory only: the same few thousand words recur
_BUCKETS_SEEN_MAX = 100_000


def _bucket(feature: str) -> int:
    found = _BUCKETS_SEEN.get(feature)
    if found is None:
        # crc32, not hash(): Python's str hash changes with every process (PYTHONHASHSEED).
        found = zlib.crc32(feature.encode()) & (BUCKETS - 1)
        if len(_BUCKETS_SEEN) >= _BUCKETS_SEEN_MAX:
            _BUCKETS_SEEN.clear()
        _BUCKETS_SEEN[feature] = found
    return found


def hashed_features(words: list[str]) -> array[int]:
    """Sorted, distinct feature buckets of ``words`` (words, prefixes, negation pairs)."""
    buckets: set[int] = set()
    previous = ""
    for word in words:
        buckets.add(_bucket(word))
        if len(word) > PREFIX_LEN:
            buckets.add(_bucket("p:" + word[:PREFIX_LEN]))
        if previous in NEGATIONS:
            buckets.add(_bucket(f"{previous}_{word}"))
        previous = word
    return array("H", sorted(buckets))


def as_input(features: array[int] | list[int], *extra: int) -> dict[int, float]:
    """A River input from stored features and optional extra buckets, scaled to unit length.

    Unit length keeps one SGD step the same size for a two-line and a two-page email.
    """
    keys = set(features)
    keys.update(extra)
    if not keys:
        return {}
    value = 1.0 / math.sqrt(len(keys))
    return dict.fromkeys(keys, value)


@cache
def sense_buckets() -> frozenset[int]:
    """Buckets the urgency model alone reads: the sense features of
    :mod:`agents.emails.semantics` and what the rules saw (:mod:`agents.emails.evidence`)."""
    return frozenset(_bucket(f) for f in (*sense_features(), *all_evidence_features()))


def with_evidence(features: array[int], evidence: Sequence[str]) -> array[int]:
    """``features`` and the buckets of ``evidence`` (strings of
    :func:`agents.emails.evidence.evidence_features`)."""
    if not evidence:
        return features
    return array("H", sorted(set(features).union(_bucket(f) for f in evidence)))


def intent_input(features: array[int] | list[int], *extra: int) -> dict[int, float]:
    """:func:`as_input` for the intent and draft models: the urgency-sense buckets left out."""
    senses = sense_buckets()
    return as_input([f for f in features if f not in senses], *extra)


def tagged_bucket(tag: str) -> int:
    """The bucket of a non-word feature such as ``intent=paiement``."""
    return _bucket("#" + tag)


@dataclass(frozen=True, slots=True)
class PreparedEmail:
    """An email ready for the rules and the models: cleaned, masked, normalised, hashed."""

    norm: str  # normalised masked subject, a line break, normalised masked body
    features: array[int]
    cleaned: CleanedEmail  # NOT masked: use only to read the cleaning flags
    masked: Counter[str]  # personal data masked, by kind
    masked_text: str = ""  # the masked body, not normalised (the optional generative drafts)


def prepare_email(subject: str | None, body: str | None, body_format: str | None) -> PreparedEmail:
    """Clean, mask and normalise an email, and hash its words and meaning into features."""
    return prepare_emails([(subject, body, body_format)])[0]


def prepare_emails(
    emails: Sequence[tuple[str | None, str | None, str | None]],
) -> list[PreparedEmail]:
    """:func:`prepare_email` for a batch, with one pass of the French pipeline for all of it.

    Each cleaned subject and body is parsed once; the parse gives the names to mask and the
    lemmas and vectors of :mod:`agents.emails.semantics`, read only outside the masked spans.
    Subject words are features of their own (``s:``): the body says what an email is about.
    """
    cleaned = [clean_email(*email) for email in emails]
    texts = [part for c in cleaned for part in (c.subject, c.text)]
    parsed = language.docs(texts)
    out = []
    for k, c in enumerate(cleaned):
        subject_doc, text_doc = parsed[2 * k], parsed[2 * k + 1]
        subject_spans = pii_spans(c.subject, subject_doc)
        text_spans = pii_spans(c.text, text_doc)
        masked_subject = apply_spans(c.subject, subject_spans)
        masked_text = apply_spans(c.text, text_spans)
        counts = Counter(s[2] for s in subject_spans + text_spans)
        norm_subject, norm_text = normalise(masked_subject), normalise(masked_text)
        words = ["s:" + w for w in tokens(norm_subject, normalised=True)]
        words += tokens(norm_text, normalised=True)
        meaning = semantic_features(text_doc, [(s, e) for s, e, _ in text_spans])
        meaning += semantic_features(subject_doc, [(s, e) for s, e, _ in subject_spans], "s:")
        features = hashed_features(words)
        buckets = set(features)
        buckets.update(_bucket(m) for m in meaning)
        out.append(
            PreparedEmail(
                norm_subject + "\n" + norm_text,
                array("H", sorted(buckets)),
                c,
                counts,
                masked_text,
            )
        )
    return out
