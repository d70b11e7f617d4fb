"""What the NER-based email triage costs: time per email and memory, against a same-run baseline.

    .venv/bin/python benchmarks/email_triage.py [--repeat 3] [--batch 64]

Over the development set's frozen test half (244 emails written by the labelling guide, the
mail the product is judged on) and in one process:

* baseline: the triage path without the French pipeline (cleaning, the masking patterns and
  first-name list, the hashed words), per email;
* triage, one email at a time (:func:`agents.emails.logic.triage`), as a caller of the
  public function sees it;
* triage in batches (:func:`agents.emails.logic.triage_many`, one ``nlp.pipe`` per batch),
  as the worker runs it;
* memory: the process's resident set before and after the model is loaded (VmRSS), and its
  peak (VmHWM).

Prints a Markdown table (median and p99 per email, emails per second, each with its ratio to
the baseline) and writes it to ``benchmarks/results/email-triage.md``. Nothing here is a test:
timings are never asserted.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from agents.emails import devset  # noqa: E402
from agents.emails.cleaning import clean_email  # noqa: E402
from agents.emails.features import hashed_features, normalise, tokens  # noqa: E402
from agents.emails.masking import _NO_DOC, apply_spans, pii_spans  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "email-triage.md"


def _rss_mib(field: str = "VmRSS") -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _baseline(record: dict) -> None:
    cleaned = clean_email(record["subject"], record["body"], record["body_format"])
    for text in (cleaned.subject, cleaned.text):
        masked = apply_spans(text, pii_spans(text, _NO_DOC))
        hashed_features(tokens(normalise(masked), normalised=True))


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="passes over the 244 emails")
    parser.add_argument("--batch", type=int, default=64, help="emails per triage_many batch")
    args = parser.parse_args(argv)
    records = [devset.as_record(r) for r in devset.load("test")] * args.repeat
    rss_before = _rss_mib()

    _baseline(records[0])  # the first call builds the name lists: not part of the measure
    baseline = []
    for record in records:
        start = time.perf_counter()
        _baseline(record)
        baseline.append(time.perf_counter() - start)

    started = time.perf_counter()
    from agents.emails.logic import triage, triage_many
    from agents.emails.model import make_email_triage_model

    model = make_email_triage_model()
    load_s = time.perf_counter() - started
    rss_loaded = _rss_mib()

    single = []
    for record in records:
        start = time.perf_counter()
        triage(record, model)
        single.append(time.perf_counter() - start)

    batched_start = time.perf_counter()
    per_batch = []
    for i in range(0, len(records), args.batch):
        chunk = records[i : i + args.batch]
        start = time.perf_counter()
        triage_many(chunk, model)
        per_batch.append((time.perf_counter() - start) / len(chunk))
    batched_s = time.perf_counter() - batched_start

    base_median = statistics.median(baseline)
    base_rate = len(records) / sum(baseline)
    rows = [
        ("per email, median (ms)", 1000 * statistics.median(single), 1000 * base_median),
        (
            "per email, p99 (ms)",
            1000 * _percentile(single, 0.99),
            1000 * _percentile(baseline, 0.99),
        ),
        ("emails/s, one at a time", len(records) / sum(single), base_rate),
        (f"emails/s, batches of {args.batch} (nlp.pipe)", len(records) / batched_s, base_rate),
        ("per email in a batch, mean (ms)", 1000 * statistics.fmean(per_batch), 1000 * base_median),
    ]
    lines = [
        f"Email triage with `fr_core_news_md`, {len(records)} emails (the frozen test half x "
        f"{args.repeat}); baseline: the same path without the French pipeline, same run.",
        "",
        "| measure | triage | baseline | ratio |",
        "|---|---:|---:|---:|",
        *(
            f"| {name} | {value:,.1f} | {base:,.2f} | {value / base:,.1f} |"
            for name, value, base in rows
        ),
        "",
        f"Model and warm start loaded in {load_s:.1f} s; resident memory {rss_before:.0f} MiB "
        f"before, {rss_loaded:.0f} MiB after (+{rss_loaded - rss_before:.0f} MiB), peak "
        f"{_rss_mib('VmHWM'):.0f} MiB.",
    ]
    text = "\n".join(lines)
    print(text)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
