"""People's full names in an email: spaCy's French NER, checked and completed by a first-name list.

What counts as a name follows the labelling guide (``tests/fixtures/emails_dev/README.md``):
a first name with a surname, in any order or case (« Karim Benali », « BENALI Karim »,
« benali karim », « Jean-Luc de la Fontaine »): the sender's, an adviser's in a quoted reply,
a third party's. A lone first name, initials and a courtesy form (« Madame Lefèvre ») are not
names to mask, and neither are agencies or towns.

Three sources are combined, because none is enough alone:

* the ``PER`` entities of ``fr_core_news_md`` (:mod:`agents.emails.language`), stripped of a
  leading courtesy title or greeting and kept when two words or more remain;
* a first-name list, the first names of Faker's person providers for the languages spoken
  in France (French, Portuguese, Spanish, Italian, Turkish, Polish, Romanian, Vietnamese...),
  with :data:`EXTRA_FIRST_NAMES` for common names in France that those lists lack: a first
  name next to a word that looks like a surname (capitalised or in capitals and not a common
  word) is a name even where the model saw none, as in an email written all in capitals;
* the model's other entities (``MISC``, ``ORG``, ``LOC``) when they hold a listed first name
  and a surname: upper-case names are often mistaken for organisations.
"""

from __future__ import annotations

import importlib
import re
import unicodedata
from functools import cache
from typing import Any

# Locales of Faker whose person provider holds Latin-script names of people living in France.
FAKER_LOCALES = (
    "fr_FR", "fr_CH", "fr_CA", "fr_BE", "pt_PT", "pt_BR", "es_ES", "it_IT", "tr_TR", "pl_PL",
    "ro_RO", "de_DE", "en_US", "en_GB", "nl_NL", "cs_CZ", "vi_VN", "hr_HR", "hu_HU", "uk_UA",
    "bg_BG", "sk_SK", "sl_SI", "lt_LT", "lv_LV", "et_EE", "az_AZ", "ka_GE", "hy_AM", "en_IN",
)  # fmt: skip
# Common first names in France that Faker's lists lack (Maghreb, West and Central Africa,
# Comoros, Vietnam, Cambodia, compound French forms' parts are covered by splitting).
EXTRA_FIRST_NAMES = frozenset(
    """Abdelkader Abdallah Abdel Abdou Abdoulaye Aboubacar Adama Adel Aïcha Aicha Aïssa
    Aissatou Aïssatou Amadou Amina Aminata Amine Anissa Assia Awa Aziz Bakary Binta Boubacar
    Bouchra Cheikh Chérif Djamel Djibril Fadila Fanta Farida Fatima Fatou Fatoumata Habib
    Hakim Hamid Hassan Hawa Ibrahima Idrissa Ilyes Ismaël Issa Kadiatou Kadidia Karima Kader
    Khadija Lamine Lassana Leila Leïla Linh Lounes Malika Mamadou Mariam Mariama Modibo
    Mohamed Mohammed Moussa Nabil Nadia Naïma Nawel Nordine Omar Oumar Ousmane Rachid
    Rachida Rokia Sabrina Salif Samba Samira Seydou Sofiane Souleymane Sékou Sekou Siaka
    Tidiane Yacine Yasmina Yassine Youssef Youssouf Zineb Zohra Mehdi Walid Farid Karim
    Kamel Mourad Nacer Rabah Said Saïd Sami Slimane Tarek Yanis Yannis Ryad Riyad Inès
    Hugo Lucas Enzo Noa Jade Maëlys Océane Maëlle Kylian Anh Thi Thu Minh Huong Trang Tuan
    Duc Hoa Sophal Chantha Bopha Dara Sokha Dalila Myriam Meriem Soraya Yamina Houria Zahra
    Ilham Imane Hajar Sana Salma Nour Rayan Ayoub Bilal Hamza Anas Ibrahim Ismail Adam
    Kenza Lina Maryam Safia Souad Wassila Zoé Chloé Mathéo Timéo Loïc Gaël Maël Anaïs""".split()
)
TITLES = frozenset(
    """m m. mr mr. mme mme. mlle mlle. mademoiselle madame monsieur messieurs mesdames dr dr.
    docteur me maître maitre pr professeur mrs ms miss sir""".split()
)
GREETINGS = frozenset(
    """bonjour bonsoir salut coucou cher chère chers hello hi dear cordialement merci
    bien à de la part signé signe""".split()
)
# Words that a model or a list may take for part of a name but are not: institutions,
# places, the product's own words.
NOT_NAME_WORDS = frozenset(
    """france travail pôle pole emploi caf cpam urssaf agence mairie préfecture prefecture
    rsa are ass aif cpf poec rdv cv ok pdf url www http https rue avenue boulevard chemin
    allée impasse place route lundi mardi mercredi jeudi vendredi samedi dimanche janvier
    février fevrier mars avril mai juin juillet août aout septembre octobre novembre
    décembre decembre saint sainte objet message urgent important re tr fwd fw cc date
    service services équipe equipe direction recrutement ressources humaines rh""".split()
)
PARTICLES = frozenset(
    "de du des d' la le van von der den da dos das del della di ben bin bou el al ould ibn".split()
)
_WORD = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*", re.UNICODE)
_GAP = re.compile(r"[ \t\u00a0]+|&nbsp;")  # what may stand between two words of a name


def _fold(word: str) -> str:
    return unicodedata.normalize("NFKD", word.lower()).encode("ascii", "ignore").decode()


@cache
def first_names() -> frozenset[str]:
    """Folded first names (lower case, no accents): Faker's lists and the extras."""
    names: set[str] = {_fold(n) for n in EXTRA_FIRST_NAMES}
    for locale in FAKER_LOCALES:
        try:
            provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        except ImportError:
            continue
        for attribute in ("first_names", "first_names_male", "first_names_female"):
            values = getattr(provider, attribute, ())
            names.update(_fold(n) for n in values if " " not in n)
    return frozenset(n for n in names if len(n) > 1 and n not in _common_words())


@cache
def surnames() -> frozenset[str]:
    """Folded surnames of Faker's lists (to accept a lower-case surname such as « dupont »)."""
    names: set[str] = set()
    for locale in FAKER_LOCALES:
        try:
            provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        except ImportError:
            continue
        values = getattr(provider, "last_names", ())
        names.update(_fold(n) for n in values if " " not in n)
    return frozenset(names - _common_words())


@cache
def _common_words() -> frozenset[str]:
    from spacy.lang.fr.stop_words import STOP_WORDS

    return (
        frozenset(_fold(w) for w in STOP_WORDS)
        | {_fold(w) for w in NOT_NAME_WORDS}
        | {_fold(w) for w in TITLES | GREETINGS}
    )


def is_first_name(word: str) -> bool:
    """True for a listed first name; a compound (« Jean-Luc ») needs every part listed."""
    parts = re.split(r"[\-]", _fold(word))
    return all(p in first_names() for p in parts if p) and bool(parts[0])


def _common(word: str, vocab: Any) -> bool:
    folded = _fold(word)
    if folded in _common_words():
        return True
    if folded in surnames() or folded in first_names():
        return False
    lexeme = vocab[word.lower()] if vocab is not None else None
    return bool(lexeme is not None and lexeme.has_vector)


def _looks_like_surname(word: str, vocab: Any, *, lower_ok: bool) -> bool:
    if word[:2].lower() in ("d'", "d’") and len(word) > 3:
        word = word[2:]  # « d'Aubigné »
    if len(word) < 2 or _fold(word) in _common_words():
        return False
    if word.isupper():
        return not (len(word) <= 3 and _fold(word) not in surnames()) or _fold(word) in surnames()
    if word[0].isupper():
        return not _common(word, vocab) or _fold(word) in surnames()
    return lower_ok and _fold(word) in surnames() and not _common(word, vocab)


def _words(text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group()) for m in _WORD.finditer(text)]


def _adjacent(text: str, end: int, start: int) -> bool:
    gap = text[end:start]
    return bool(gap) and _GAP.fullmatch(gap) is not None


def _list_names(text: str, vocab: Any) -> list[tuple[int, int]]:
    """Names found by the first-name list, first-name-first or surname-first."""
    words = _words(text)
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(words) - 1:
        s0, e0, w0 = words[i]
        found = None
        if is_first_name(w0) and not (w0.islower() and len(w0) < 3):
            j = i + 1
            # optional second first name (« Marie Claire Dupont »), then particles
            while j < len(words) and _adjacent(text, words[j - 1][1], words[j][0]):
                wj = words[j][2]
                if _fold(wj) in PARTICLES and j + 1 < len(words):
                    j += 1
                    continue
                lower_ok = w0.islower() or w0.isupper()
                if _looks_like_surname(wj, vocab, lower_ok=lower_ok) and not (
                    wj.isupper() != w0.isupper() and w0.isupper()
                ):
                    found = (s0, words[j][1])
                    # a double surname in capitals (« DOS SANTOS », « LE GALL ») continues
                    k = j + 1
                    while (
                        k < len(words)
                        and words[k][2].isupper()
                        and words[j][2].isupper()
                        and _adjacent(text, words[k - 1][1], words[k][0])
                        and _looks_like_surname(words[k][2], vocab, lower_ok=False)
                        and not is_first_name(words[k][2])
                    ):
                        found = (s0, words[k][1])
                        k += 1
                    break
                break
        if found is None and w0.isupper() and len(w0) >= 2 and _fold(w0) not in _common_words():
            s1, e1, w1 = words[i + 1]
            if (
                _adjacent(text, e0, s1)
                and is_first_name(w1)
                and (w1[0].isupper())
                and (not _common(w0, vocab) or _fold(w0) in surnames())
            ):
                found = (s0, e1)
        if found is not None:
            spans.append(found)
            while i < len(words) and words[i][0] < found[1]:
                i += 1
            continue
        i += 1
    return spans


_LINE = re.compile(r"[^\n]+")
_TRAILER = re.compile(r"[\s,;:\-–—/]*(?:[\w.+\-]+@[\w.\-]+|[\d\s.+()]{6,}|\d{7}\s?[A-Za-z])?\s*$")


def _signature_names(text: str, vocab: Any) -> list[tuple[int, int]]:
    """A short line that is only a name (« idriss camara », « Kouassi Aya Ange ») is one.

    Signatures are where names stand alone, often in lower case or surname first; a line of
    two to four name-like words whose first is a listed first name, or whose last is a listed
    surname, and none of which is a common word, is taken for a name.
    """
    spans = []
    for line in _LINE.finditer(text):
        body = line.group()
        trailer = _TRAILER.search(body)
        core_end = trailer.start() if trailer else len(body)
        words = _words(body[:core_end])
        if not 2 <= len(words) <= 4:
            continue
        if body[: words[0][0]].strip(" \t>-–—*•") or any(
            not _adjacent(body, words[k - 1][1], words[k][0]) for k in range(1, len(words))
        ):
            continue  # something else stands before the name, or words are not side by side
        folded = [_fold(w) for _, _, w in words]
        pairs = zip(words, folded, strict=True)
        capitalised = all(w[:1].isupper() or f in PARTICLES for (_, _, w), f in pairs)
        if capitalised and is_first_name(words[0][2]) and not set(folded) & _not_in_slot():
            # a listed first name, then capitalised words alone on a line: the line is a
            # signature even where a surname is also a common word (« Khadija Ait Ouarab »)
            spans.append((line.start() + words[0][0], line.start() + words[-1][1]))
            continue
        if any(f in _common_words() and f not in PARTICLES for f in folded):
            continue
        if folded[0] in PARTICLES:
            continue
        first_listed = is_first_name(words[0][2]) or is_first_name(words[-1][2])
        surname_listed = folded[-1] in surnames() or folded[0] in surnames()
        if not (first_listed or surname_listed):
            continue
        if not first_listed and any(_common(w, vocab) for _, _, w in words):
            continue
        spans.append((line.start() + words[0][0], line.start() + words[-1][1]))
    return spans


def _known_surname_pairs(text: str, vocab: Any) -> list[tuple[int, int]]:
    """« Stanislas Kowalski »: a capitalised word before a listed surname, neither common."""
    words = _words(text)
    spans = []
    for (s0, _e0, w0), (s1, e1, w1) in zip(words, words[1:], strict=False):
        if not (w0[:1].isupper() and w1[:1].isupper() and _adjacent(text, _e0, s1)):
            continue
        if _fold(w1) in surnames() and not _common(w0, vocab) and not _common(w1, vocab):
            if _fold(w0) not in _common_words() and len(w0) > 2:
                spans.append((s0, e1))
    return spans


@cache
def _leading_words() -> frozenset[str]:
    """Titles and greetings, folded and without their dot, that may open a name entity."""
    return frozenset(_fold(x).rstrip(".") for x in TITLES | GREETINGS)


def _entity_names(doc: Any) -> list[tuple[int, int]]:
    """The model's entities that are full names, without a leading title or greeting."""
    spans = []
    for ent in doc.ents:
        tokens = [t for t in ent if not (t.is_punct or t.is_space)]
        while tokens and (_fold(tokens[0].text).rstrip(".") in _leading_words()):
            tokens = tokens[1:]
        words = [t for t in tokens if _fold(t.text) not in PARTICLES]
        if len(words) < 2 or any(
            not t.is_alpha and "-" not in t.text and "'" not in t.text for t in words
        ):
            continue
        if any(_fold(t.text) in _common_words() for t in words):
            continue
        if "\n" in doc.text[tokens[0].idx : tokens[-1].idx + len(tokens[-1])]:
            continue
        if ent.label_ != "PER" and not any(is_first_name(t.text) for t in words):
            continue
        if ent.label_ == "PER" and not any(
            is_first_name(t.text) or t.text[:1].isupper() for t in words
        ):
            continue
        spans.append((tokens[0].idx, tokens[-1].idx + len(tokens[-1])))
    return spans


# Where a name stands by position, whatever the name: on the line after a closing formula, or
# after a form's label. Names of every origin pass there, including those no list holds
# (« Phạm Thu Hà », « Hassan Ait Ouarab »): the place says it is a name, not the words.
_CLOSING = re.compile(
    r"(?im)(?:^|[.!?][ \t]+)[ \t>]*(?:(?:bien |tr[eè]s )?cordialement|"
    r"bien (?:[aà] vous|amicalement)|"
    r"(?:un grand |encore )?merci(?: (?:d'avance|beaucoup|encore|bien|pour tout|"
    r"de votre (?:aide|retour|r[ée]ponse|compr[ée]hension)))?|"
    r"(?:sinc[eè]res |mes )?salutations(?: distingu[ée]es)?|respectueusement|amicalement|"
    r"sportivement|bonne (?:journ[ée]e|soir[ée]e|continuation(?: [aà] vous)?)|"
    r"thank(?:s| you)(?: (?:very much|again|in advance))?|(?:best |kind )?regards|"
    r"best|sincerely|obrigad[oa])[ \t]*[,.!]*[ \t]*(?:\(si si\)[ \t]*)?(?=$|[^\W\d_])"
)
_FIELD = re.compile(
    r"(?i)\b(?:nom(?: et | & |, )pr[ée]noms?|pr[ée]noms?(?: et | & |, )nom|nom complet|"
    r"titulaire(?: du compte)?|full name|name|sign[ée])[ \t]*:[ \t]*"
)
# « Nom : TRAN » and « Prénom : Van Long » on lines of their own, within a few lines.
_SPLIT_FIELD = re.compile(
    r"(?im)^[ \t>*•\-|]*(nom(?: de famille| de naissance| d'usage)?|pr[ée]noms?)[ \t]*:[ \t]*"
    r"([^\W\d_][^\n|;,]{0,60}?)[ \t.]*$"
)


def _split_fields(view: str) -> list[tuple[int, int]]:
    """The values of a surname field and a first-name field written apart, each a part of a
    name: together they are the full name the guide counts (a lone one is not masked)."""
    fields = [
        (m, _fold(m.group(1)).startswith("pre"), view.count("\n", 0, m.start()))
        for m in _SPLIT_FIELD.finditer(view)
    ]
    spans = []
    for m, is_first, line in fields:
        if not any(other != is_first and abs(n - line) <= 3 for _, other, n in fields):
            continue
        words = _words(m.group(2))
        if not 1 <= len(words) <= 3 or not all(w[:1].isupper() for *_, w in words):
            continue
        if any(_fold(w) in _not_in_slot() for *_, w in words):
            continue
        spans.append((m.start(2) + words[0][0], m.start(2) + words[-1][1]))
    return spans


# The sender and recipients of a quoted or forwarded message (« De : Virginie Castel »).
_HEADER = re.compile(r"(?im)^[ \t>*]*(?:de|from|[àa]|to|cc|envoy[ée] par)[ \t]*:[ \t]*")
_HTML_BREAK = re.compile(r"<[^<>\n]{0,200}>")


def _line_view(text: str) -> str:
    """``text`` with each HTML tag turned into a line break of the same length (same offsets)."""
    return _HTML_BREAK.sub(lambda m: "\n" + " " * (len(m.group()) - 1), text)


def _alone_on_line(line: str, most: int) -> list[tuple[int, int, str]] | None:
    """Two to ``most`` words side by side, alone on ``line`` but for a bullet or quote mark
    before them and a phone, e-mail or identifier after (:data:`_TRAILER`); else None."""
    trailer = _TRAILER.search(line)
    core = line[: trailer.start() if trailer else len(line)]
    words = _words(core)
    if not 2 <= len(words) <= most or core[: words[0][0]].strip(" \t>-–—*•"):
        return None
    if core[words[-1][1] :].strip(" \t.,") or any(
        not _adjacent(core, words[k - 1][1], words[k][0]) for k in range(1, len(words))
    ):
        return None
    return words


def _slot_name(line: str, offset: int) -> tuple[int, int] | None:
    """The name filling a name's place: two to four capitalised words alone on ``line``."""
    words = _alone_on_line(line, 4)
    if words is None:
        return None
    if not all(w[:1].isupper() or _fold(w) in PARTICLES for _, _, w in words):
        return None
    folded = [_fold(w) for _, _, w in words]
    if folded[0] in PARTICLES and words[0][2].isupper() and words[1][2].isupper():
        folded = folded[1:]  # « LE CORRE Julien », « DA SILVA Ana »: the particle opens it
    # A name's place vouches for its words (« Mai », « Ait », « Hà » are common words too);
    # only a first word that is a common word, or an institution's or a greeting's word
    # anywhere, says the line is something else (« Bonne journée », « France Travail »).
    if folded[0] in _common_words() - _slot_words() or any(f in _not_in_slot() for f in folded):
        return None
    return offset + words[0][0], offset + words[-1][1]


@cache
def _slot_words() -> frozenset[str]:
    """Common words that open names too (« Mai », « Ait ») and may begin a name's place."""
    return frozenset({"mai", "ait", "said", "rose", "marine", "pierre", "olive", "ha", "thi"})


@cache
def _not_in_slot() -> frozenset[str]:
    """Words that no name holds: institutions, titles, greetings, wishes."""
    wishes = {"bonne", "belle", "journee", "soiree", "semaine", "continuation"}
    excluded = {_fold(w) for w in NOT_NAME_WORDS | TITLES | GREETINGS | wishes}
    return frozenset(excluded - PARTICLES - _slot_words())


def _placed_names(text: str, vocab: Any = None) -> list[tuple[int, int]]:
    """Names by position: the line after a closing formula, the value of a « Nom : » field."""
    view = _line_view(text)
    spans = []
    for closing in _CLOSING.finditer(view):
        rest = view[closing.end() :]
        if rest[:1] not in ("", "\n"):  # « Merci. Pradeep SIVAKUMAR »: the rest of the line
            end = rest.find("\n")
            found = _slot_name(rest[: end if end >= 0 else len(rest)], closing.end())
            if found is not None:
                spans.append(found)
            continue
        for line in _LINE.finditer(rest):
            if not line.group().strip():
                continue
            found = _slot_name(line.group(), closing.end() + line.start())
            if found is not None:
                spans.append(found)
            break
    for field in _FIELD.finditer(view):
        end = view.find("\n", field.end())
        line = view[field.end() : end if end >= 0 else len(view)]
        found = _slot_name(line, field.end())
        if found is not None:
            spans.append(found)
    spans += _split_fields(view)
    for header in _HEADER.finditer(view):
        end = view.find("\n", header.end())
        line = view[header.end() : end if end >= 0 else len(view)]
        line = re.split(r"[<\[(;]", line, maxsplit=1)[0]  # « Nom <adresse> », « [mailto:...] »
        found = _slot_name(line, header.end())
        if found is not None:
            spans.append(found)
    spans += _introduced_names(view) + _cased_signature_lines(view, vocab)
    spans += _closing_lines(view, vocab)
    return spans


# Where a message ends and history begins: a forwarded or quoted message, or the text's end.
_HISTORY = re.compile(
    r"(?im)^[ \t]*(?:-{3,}|_{3,}|>|le [^\n]{4,80} a [ée]crit|on [^\n]{4,80} wrote|de ?:|from ?:)"
)


def _closing_lines(view: str, vocab: Any) -> list[tuple[int, int]]:
    """The last line of a message, when it is two or three capitalised unknown words.

    « Yevhen Tkachenko » signs above a forwarded message with no closing formula: the last
    line of what the sender wrote is where a signature stands, and words that are neither
    common nor French (no word vector) are a name there.
    """
    history = _HISTORY.search(view)
    end = history.start() if history else len(view)
    lines = [m for m in _LINE.finditer(view, 0, end) if m.group().strip()]
    while lines and _identifier_line(lines[-1].group()):
        lines.pop()  # « ID 9154207N », « 07 00 00 00 41 » under the name
    if not lines:
        return []
    last = lines[-1]
    found = _slot_name(last.group(), last.start())
    if found is not None:
        words = [w for *_, w in _words(view[found[0] : found[1]])]
        if not 2 <= len(words) <= 3:
            return []
        if any(_common(w, vocab) and not is_first_name(w) for w in words):
            return []
        return [found]
    found = _bare_name(last.group(), last.start())
    # In one casing, a name is told from two French words by a word no vocabulary holds
    # (« ould-ahmed », « benhaddou »); « merci infiniment » has none.
    if found is None or all(_common(w, vocab) for *_, w in _words(view[found[0] : found[1]])):
        return []
    return [found]


_IDENTIFIER = re.compile(
    r"(?i)[ \t>*•\-]*(?:(?:id|identifiant|n°|num[ée]ro|t[ée]l|tel|mob)\b[ .:]*)?"
)


def _identifier_line(line: str) -> bool:
    """A line that only holds an identifier, a phone or an e-mail address, maybe labelled."""
    rest = line[_IDENTIFIER.match(line).end() :]  # type: ignore[union-attr]
    trailer = _TRAILER.search(rest)
    return bool(rest.strip()) and trailer is not None and trailer.start() == 0


def _bare_name(line: str, offset: int) -> tuple[int, int] | None:
    """Two or three words of one casing alone on a message's last line (« salima benhaddou »,
    « SIVAKUMAR THARSHAN »): where a signature stands, typed in lower case or in capitals."""
    words = _alone_on_line(line, 3)
    if words is None:
        return None
    texts = [w for *_, w in words]
    if not (all(w.islower() for w in texts) or all(w.isupper() for w in texts)):
        return None
    if any(len(w) < 2 or _fold(w) in _common_words() or _fold(w) in _not_in_slot() for w in texts):
        return None
    return offset + words[0][0], offset + words[-1][1]


# « Je m'appelle Kandiah RAVINDRAN », « Je suis LI Mei », « my name is ... »: what follows a
# self-introduction is a name when its words are capitalised and none is a common word.
_INTRO = re.compile(
    r"(?i)\b(?:je m'appelle|je me nomme|je suis|moi c'est|c'est|s[ée]|my name is|i am|i'm)[ \t]+"
)


def _introduced_names(view: str) -> list[tuple[int, int]]:
    spans = []
    for intro in _INTRO.finditer(view):
        words = _words(view[intro.end() : intro.end() + 80])[:4]
        run = []
        for k, (_s, _e, w) in enumerate(words):
            if k and not _adjacent(view, intro.end() + words[k - 1][1], intro.end() + _s):
                break
            if not w[:1].isupper() or (_fold(w) in _common_words() and not run):
                break
            run.append((_s, _e, w))
        if 2 <= len(run) <= 3 and not any(_fold(w) in _not_in_slot() for *_, w in run):
            if not any(_fold(w) in _common_words() - PARTICLES for *_, w in run):
                spans.append((intro.end() + run[0][0], intro.end() + run[-1][1]))
    return spans


def _cased_signature_lines(view: str, vocab: Any) -> list[tuple[int, int]]:
    """A line that is only « Firstname SURNAME » or « SURNAME Firstname » (« Patient KABONGO »).

    Capitals for one part and a capital initial for the other is how French forms and
    signatures write a name; the casing says it is one even when a part is a common word.
    """
    spans = []
    for line in _LINE.finditer(view):
        words = _alone_on_line(line.group(), 4)
        if words is None:
            continue
        caps = [w for *_, w in words if w.isupper() and len(w) >= 2]
        title = [w for *_, w in words if w[:1].isupper() and not w.isupper() and len(w) >= 2]
        if not caps or not title or len(caps) + len(title) != len(words):
            continue
        if any(_fold(w) in _not_in_slot() or _fold(w) in _common_words() for w in caps):
            continue
        if any(_fold(w) in _not_in_slot() or _common(w, vocab) for w in title):
            continue  # « Nouveau RIB », « Formation CACES »: a subject, not a name
        spans.append((line.start() + words[0][0], line.start() + words[-1][1]))
    return spans


_TITLED = re.compile(
    r"(?<![^\W\d_])(?:M\.|Mr\.?|Mme\.?|Mlle\.?|Monsieur|Madame|Mademoiselle|Ma[iî]tre|Me|Dr\.?)"
    r"[ \t\u00a0]+"
)


def _titled_names(view: str, vocab: Any) -> list[tuple[int, int]]:
    """« M. KAYA Emre », « Mme NGUYEN Thi Thu Hà »: a title, then a surname in capitals and
    first names capitalised (either order). A title before a surname alone stays (« Madame
    Lefèvre »), as the guide says."""
    spans = []
    for title in _TITLED.finditer(view):
        words = _words(view[title.end() : title.end() + 80])[:4]
        run: list[tuple[int, int, str]] = []
        for k, word in enumerate(words):
            if k and not _adjacent(view, title.end() + words[k - 1][1], title.end() + word[0]):
                break
            if not word[2][:1].isupper() or _fold(word[2]) in _not_in_slot():
                break
            run.append(word)
        while len(run) > 2 and _common(run[-1][2], vocab) and not is_first_name(run[-1][2]):
            run.pop()  # « M. KAYA Emre Demande »: the next word starts the sentence
        caps = [w for *_, w in run if w.isupper() and len(w) >= 2]
        title_case = [w for *_, w in run if not w.isupper()]
        if len(run) < 2 or not caps or not title_case:
            continue
        if any(_fold(w) in _common_words() and _fold(w) not in PARTICLES for w in caps):
            continue
        if any(_common(w, vocab) and not is_first_name(w) for w in title_case):
            continue
        spans.append((title.end() + run[0][0], title.end() + run[-1][1]))
    return spans


_KIN = re.compile(
    r"(?i)\b(?:(?:mon|ma|notre|son|sa|leur)[ \t]+(?:fils|fille|mari|femme|[ée]poux|[ée]pouse|"
    r"conjointe?|compagnon|compagne|fr[eè]re|s[oœ]eur|p[eè]re|m[eè]re|neveu|ni[eè]ce|"
    r"petite?-fils|petite?-fille|cousine?|oncle|tante|beau-fils|belle-fille|"
    r"enfant|protég[ée]e?|b[ée]n[ée]ficiaire)|"
    r"my[ \t]+(?:husband|wife|son|daughter|partner|brother|sister|father|mother))[ \t,]+"
)


def _kin_names(view: str, vocab: Any) -> list[tuple[int, int]]:
    """« ma fille Chaïma Ait Ouarab », « my husband Kwame Owusu-Boateng », « ma femme nour el
    houda benali »: after a relative, the words that are no French word are their name."""
    spans = []
    for kin in _KIN.finditer(view):
        words = _words(view[kin.end() : kin.end() + 80])[:5]
        run: list[tuple[int, int, str]] = []
        for k, (start, end, word) in enumerate(words):
            if k and not _adjacent(view, kin.end() + words[k - 1][1], kin.end() + start):
                break
            folded = _fold(word)
            if folded in PARTICLES and run:
                run.append((start, end, word))
                continue
            titled = word[:1].isupper() and not word.isupper()  # « Ait », « Rose »
            if folded in _not_in_slot() or (
                folded in _common_words() and not (titled and run and folded in _slot_words())
            ):
                break
            if _common(word, vocab) and not is_first_name(word) and not titled:
                break
            run.append((start, end, word))
        while run and _fold(run[-1][2]) in PARTICLES:
            run.pop()
        named = [w for *_, w in run if _fold(w) not in PARTICLES]
        if len(named) < 2 or not (
            any(is_first_name(w) for w in named) or all(w[:1].isupper() for w in named)
        ):
            continue  # a lone first name stays, as the guide says
        spans.append((kin.end() + run[0][0], kin.end() + run[-1][1]))
    return spans


def name_spans(text: str, doc: Any | None) -> list[tuple[int, int]]:
    """Character spans of the full names in ``text`` (``doc`` is spaCy's parse of it)."""
    vocab = doc.vocab if doc is not None else None
    spans = _list_names(text, vocab) + _signature_names(_line_view(text), vocab)
    spans += _known_surname_pairs(text, vocab) + _placed_names(text, vocab)
    spans += _titled_names(text, vocab) + _kin_names(text, vocab)
    if doc is not None:
        spans += _entity_names(doc)
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
