"""The email development set: emails written by the labelling guide, and triage measured on them.

    python -m agents.emails.devset report            # the frozen test half (tests/fixtures)
    python -m agents.emails.devset report --split holdout   # the later frozen hold-out set
    python -m agents.emails.devset report --split train
    python -m agents.emails.devset split RAW_DIR [MORE...]  # freeze the halves (done; see below)

The set was written for the email-triage issue by writers who read only the labelling guide,
never the simulator, the seed corpus or the tests (``tests/fixtures/emails_dev/README.md``).
``split`` froze it before any tuning: parts ``a``-``d`` were cut in two halves by a stable
hash of each email's id, one half the frozen test set (``tests/fixtures/emails_dev_test.jsonl``),
the other half, with parts ``e``-``j`` (written for training only), the training half that the
model's warm start learns (``agents/emails/devset_train.jsonl``).

``report`` triages each email with the shipped model (:func:`make_email_triage_model`, warmed
on the training half) through :func:`agents.emails.logic.triage`, as the worker does, and
prints Markdown: urgent recall and precision, recall by urgency category, intent macro-F1 of
the top intent, personal-data items masked by kind (by :func:`agents.emails.masking.mask`
on the raw subject and body, as an evaluation written against it would), and the time per
email.
"""

from __future__ import annotations

import argparse
import html
import json
import statistics
import time
import zlib
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from agents.emails.intents import INTENTS

ROOT = Path(__file__).resolve().parents[2]
TEST_PATH = ROOT / "tests" / "fixtures" / "emails_dev_test.jsonl"
# A second frozen set by four later writers, never tuned on (tests/fixtures/emails_holdout).
HOLDOUT_PATH = ROOT / "tests" / "fixtures" / "emails_holdout.jsonl"
HOLDOUT2_PATH = ROOT / "tests" / "fixtures" / "emails_holdout2.jsonl"  # four more writers
HOLDOUT3_PATH = ROOT / "tests" / "fixtures" / "emails_holdout3.jsonl"  # and four more
HOLDOUT4_PATH = ROOT / "tests" / "fixtures" / "emails_holdout4.jsonl"  # and four more
HOLDOUT5_PATH = ROOT / "tests" / "fixtures" / "emails_holdout5.jsonl"  # and four more
HOLDOUT6_PATH = ROOT / "tests" / "fixtures" / "emails_holdout6.jsonl"  # and four more
HOLDOUT7_PATH = ROOT / "tests" / "fixtures" / "emails_holdout7.jsonl"  # and four more
HOLDOUT8_PATH = ROOT / "tests" / "fixtures" / "emails_holdout8.jsonl"  # and four more
HOLDOUT9_PATH = ROOT / "tests" / "fixtures" / "emails_holdout9.jsonl"  # and four more
TRAIN_PATH = Path(__file__).with_name("devset_train.jsonl")
TEST_PARTS = ("a", "b", "c", "d")  # cut in halves; the other parts are for training only
# The set carries no send dates: « demain » is read against a Tuesday morning in Paris.
RECEIVED_AT = datetime(2026, 3, 10, 8, 30, tzinfo=UTC)
PII_PLACEHOLDER = {
    "name": "<NOM>", "phone": "<TEL>", "email": "<EMAIL>", "nir": "<NIR>", "iban": "<IBAN>",
    "address": "<ADRESSE>", "ft_id": "<ID_FT>", "caf": "<CAF>", "dob": "<DATE_NAISSANCE>",
}  # fmt: skip


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Records of a JSON Lines file (split on ``\\n`` only: texts may hold U+2028)."""
    text = path.read_text(encoding="utf-8")
    return [json.loads(line) for line in text.split("\n") if line.strip()]


def load(split: str = "test") -> list[dict[str, Any]]:
    """The frozen ``test`` half, the frozen ``holdout`` and ``holdout2`` sets, or ``train``."""
    paths = {
        "test": TEST_PATH, "holdout": HOLDOUT_PATH, "holdout2": HOLDOUT2_PATH,
        "holdout3": HOLDOUT3_PATH, "holdout4": HOLDOUT4_PATH,
        "holdout5": HOLDOUT5_PATH, "holdout6": HOLDOUT6_PATH,
        "holdout7": HOLDOUT7_PATH, "holdout8": HOLDOUT8_PATH,
        "holdout9": HOLDOUT9_PATH, "train": TRAIN_PATH,
    }  # fmt: skip
    return read_jsonl(paths[split])


def in_test_half(email_id: str) -> bool:
    """The frozen rule: which emails of the parts cut in halves are test emails."""
    return zlib.crc32(email_id.encode()) % 2 == 0


def split(raw_dir: Path, *more: Path) -> tuple[int, int]:
    """Freeze the halves from the writers' raw parts; returns (train, test) sizes.

    ``more`` are folders of parts that go to training whole (the first hold-out, parts m-p,
    joined the training half once it had been measured and read).
    """
    train: list[dict[str, Any]] = []
    test: list[dict[str, Any]] = []
    paths = sorted(raw_dir.glob("part-*.jsonl")) + [
        p for folder in more for p in sorted(folder.glob("part-*.jsonl"))
    ]
    for path in paths:
        part = path.stem.removeprefix("part-")
        for row in read_jsonl(path):
            (test if part in TEST_PARTS and in_test_half(row["id"]) else train).append(row)
    for path, rows in ((TEST_PATH, test), (TRAIN_PATH, train)):
        path.write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
        )
    return len(train), len(test)


def as_record(row: dict[str, Any], received_at: datetime = RECEIVED_AT) -> dict[str, Any]:
    """An ``EmailReceived`` record carrying a development-set email."""
    return {
        "event_id": f"dev-{row['id']}",
        "email_id": f"dev-{row['id']}",
        "jobseeker_id": "JS-DEV",
        "adviser_id": "ADV-DEV",
        "agency_id": "AG-DEV",
        "received_at": received_at,
        "subject": row.get("subject") or "",
        "body": row.get("body") or "",
        "body_format": row.get("body_format") or "text",
        "attachments": [],
        "in_reply_to": None,
    }


def f1_scores(pairs: Iterable[tuple[str, str]]) -> dict[str, float]:
    """F1 of each intent from (truth, predicted) pairs."""
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    for truth, predicted in pairs:
        if truth == predicted:
            tp[truth] += 1
        else:
            fp[predicted] += 1
            fn[truth] += 1
    out = {}
    for intent in INTENTS:
        if tp[intent] + fn[intent] == 0:
            continue
        denominator = 2 * tp[intent] + fp[intent] + fn[intent]
        out[intent] = 2 * tp[intent] / denominator if denominator else 0.0
    return out


def pii_masked(rows: list[dict[str, Any]]) -> dict[str, tuple[int, int]]:
    """By kind: (items masked, items) where an item is masked when its value is gone."""
    from agents.emails.masking import mask

    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        masked = mask(row.get("subject") or "") + "\n" + mask(row.get("body") or "")
        for item in row.get("pii", []):
            c = counts[item["type"]]
            c[1] += 1
            # as written, and as read once HTML entities are decoded: either form left is a leak
            value = item["value"]
            c[0] += value not in masked and html.unescape(value) not in masked
    return {k: (v[0], v[1]) for k, v in sorted(counts.items())}


def evaluate(rows: list[dict[str, Any]], model: Any = None) -> dict[str, Any]:
    """Triage every row; the figures of the module docstring, as a dict."""
    from agents.emails.model import make_email_triage_model

    model = model if model is not None else make_email_triage_model()
    return figures(triaged(rows, model))


def triaged(rows: list[dict[str, Any]], model: Any) -> list[tuple[dict[str, Any], Any, float]]:
    """(row, its Triage, seconds taken) for every row, one email at a time."""
    from agents.emails.logic import triage

    out = []
    for row in rows:
        start = time.perf_counter()
        t = triage(as_record(row), model)
        out.append((row, t, time.perf_counter() - start))
    return out


def figures(results: list[tuple[dict[str, Any], Any, float]]) -> dict[str, Any]:
    """The figures of :func:`evaluate` from triaged rows (one test set, or pooled folds)."""
    rows = [row for row, _, _ in results]
    pairs = [(row["intent"], t.intents[0][0]) for row, t, _ in results]
    times = sorted(seconds for _, _, seconds in results)
    urgent = [(row, t.urgent) for row, t, _ in results if row["urgent"]]
    alarms = [row["id"] for row, t, _ in results if t.urgent and not row["urgent"]]
    caught = sum(found for _, found in urgent)
    by_category: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row, found in urgent:
        by_category[row["urgency_category"]][0] += found
        by_category[row["urgency_category"]][1] += 1
    f1 = f1_scores(pairs)
    return {
        "emails": len(rows),
        "urgent": len(urgent),
        "urgent_recall": caught / len(urgent) if urgent else None,
        "urgent_precision": caught / (caught + len(alarms)) if caught + len(alarms) else None,
        "false_alarms": len(alarms),
        "missed": [row["id"] for row, found in urgent if not found],
        "false_alarm_ids": alarms,
        "recall_by_category": {k: tuple(v) for k, v in sorted(by_category.items())},
        "intent_macro_f1": statistics.fmean(f1.values()) if f1 else None,
        "intent_accuracy": sum(a == b for a, b in pairs) / len(pairs) if pairs else None,
        "intent_f1": f1,
        "confusions": Counter(f"{a}->{b}" for a, b in pairs if a != b).most_common(12),
        "pii": pii_masked(rows),
        "ms_median": 1000 * statistics.median(times) if times else None,
        "ms_p99": 1000 * times[min(len(times) - 1, int(0.99 * len(times)))] if times else None,
    }


def cross_validate(folds: int = 4) -> dict[str, Any]:
    """:func:`evaluate` over the training half, each fold triaged by a model warmed without it.

    What tuning reads: the test half is never used to choose anything.
    """
    from agents.emails.model import EmailTriageModel
    from agents.emails.seed import warm_up

    rows = load("train")
    pooled = []
    for fold in range(folds):
        held = [r for r in rows if zlib.crc32(("fold:" + r["id"]).encode()) % folds == fold]
        model = EmailTriageModel()
        warm_up(model, exclude=frozenset(r["id"] for r in held))
        pooled += triaged(held, model)
    return figures(pooled)


def markdown(result: dict[str, Any], title: str) -> str:
    """The figures as Markdown tables."""
    pii = result["pii"]
    masked = sum(v[0] for v in pii.values())
    items = sum(v[1] for v in pii.values())
    lines = [
        f"### {title}: {result['emails']} emails, {result['urgent']} urgent",
        "",
        "| measure | value |",
        "|---|---:|",
        f"| urgent recall | {result['urgent_recall']:.3f} |",
        f"| urgent precision | {result['urgent_precision']:.3f} |",
        f"| intent macro-F1 (top intent) | {result['intent_macro_f1']:.3f} |",
        f"| intent accuracy | {result['intent_accuracy']:.3f} |",
        f"| personal-data items masked | {masked / items:.1%} ({masked} of {items}) |",
        f"| triage time per email, median / p99 | {result['ms_median']:.1f} / "
        f"{result['ms_p99']:.1f} ms |",
        "",
        "| urgency category | caught |",
        "|---|---:|",
        *(f"| {k} | {a} of {b} |" for k, (a, b) in result["recall_by_category"].items()),
        "",
        "| personal data | masked |",
        "|---|---:|",
        *(f"| {k} | {a} of {b} |" for k, (a, b) in pii.items()),
        "",
        "| intent | F1 |",
        "|---|---:|",
        *(f"| {k} | {v:.2f} |" for k, v in result["intent_f1"].items()),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m agents.emails.devset", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    report = sub.add_parser("report", help="triage the development set and print the figures")
    splits = (
        *("test", "holdout", "holdout2", "holdout3", "holdout4", "holdout5", "holdout6"),
        *("holdout7", "holdout8", "holdout9", "train", "cv"),
    )
    report.add_argument("--split", choices=splits, default="test")
    report.add_argument("--misses", action="store_true", help="list the ids of missed urgent")
    freeze = sub.add_parser("split", help="freeze the halves from the raw parts (done once)")
    freeze.add_argument("raw_dir", type=Path)
    freeze.add_argument("more", type=Path, nargs="*", help="folders of parts for training only")
    args = parser.parse_args(argv)
    if args.command == "split":
        n_train, n_test = split(args.raw_dir, *args.more)
        print(f"train {n_train}, test {n_test}")
        return
    result = cross_validate() if args.split == "cv" else evaluate(load(args.split))
    print(markdown(result, f"Development set, {args.split} half"))
    if args.misses:
        print("\nmissed urgent:", ", ".join(result["missed"]))
        print("false alarms:", ", ".join(result.get("false_alarm_ids", [])))
        print("confusions:", result["confusions"])


if __name__ == "__main__":
    main()
