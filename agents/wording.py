"""French wording shared by the use cases' alerts and explanations (what advisers read)."""

from __future__ import annotations

SMALL_WORDS = {"de", "du", "des", "la", "le", "les", "et", "sur", "en", "d'", "l'", "aux", "au"}


def count(n: float) -> str:
    """French grouping of a whole number: ``10 896``."""
    return f"{round(n):,}".replace(",", " ")


def percent(share: float) -> str:
    """French formatting of a share: ``0.725`` -> ``73 %``."""
    return f"{round(share * 100)} %"


def place_name(raw: str | None) -> str | None:
    """A published upper-case place name in ordinary case: « BASSIN SAINT-LÔ » -> « Saint-Lô »."""
    if not raw:
        return None
    words = []
    for i, word in enumerate(raw.removeprefix("BASSIN ").lower().split(" ")):
        parts = [p if (p in SMALL_WORDS and i) else p[:1].upper() + p[1:] for p in word.split("-")]
        words.append("-".join(parts))
    return " ".join(words)
