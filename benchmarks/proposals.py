"""``make bench``: how soon a proposal to someone back at work is refused, against Kafka's own lag.

    .venv/bin/python benchmarks/proposals.py [--seekers 40]

On a fresh namespace, a real worker; ``--seekers`` job seekers registered, then each one's exit
for a return to work published, one every 200 ms. Measured per exit, from the moment it is
published:

* **pre-send refusal**: until ``sinks.proposals.check`` refuses an open offer to that seeker
  because they left (the seeker's hash says « exited »): the staleness bound of the check;
* **verdict**: an ``OfferProposed`` to the seeker is published right after the exit; until its
  verdict, with the finding ``seeker_exited``, is readable under ``<p>:proposal:<seeker>:<offer>``;
* **baseline**: until a raw confluent-kafka consumer, subscribed to the same topic in the same
  process, receives the exit: the broker's produce-to-consume latency in the same run.

Figures: median and p95 of each, and their ratio to the baseline's. The table goes to stdout and
``benchmarks/results/proposals.md``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from confluent_kafka import Consumer  # noqa: E402

from benchmarks.namespace import bench_settings, check_services, cleanup, create  # noqa: E402
from benchmarks.stats import percentile  # noqa: E402
from benchmarks.worker import WorkerProcess  # noqa: E402
from sinks.proposals import check  # noqa: E402
from streams.publisher import Publisher  # noqa: E402
from streams.referential import load_referential  # noqa: E402
from streams.security import kafka_config, open_redis  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"


def main() -> int:
    parser = argparse.ArgumentParser(prog="benchmarks/proposals.py")
    parser.add_argument("--seekers", type=int, default=40)
    args = parser.parse_args()
    s = bench_settings()
    check_services(s)
    create(s)
    client = open_redis(s, decode_responses=True)
    ref = load_referential(s.data_dir)
    workdir = Path(tempfile.mkdtemp(prefix="vigie-bench-"))
    worker = WorkerProcess(s, RESULTS / "proposals-worker.log", workdir)
    received: dict[str, float] = {}
    stop = threading.Event()

    def raw_consumer() -> None:
        consumer = Consumer(
            {
                **kafka_config(s),
                "group.id": f"bench-raw-{uuid.uuid4().hex}",
                "auto.offset.reset": "latest",
                "enable.auto.commit": False,
            }
        )
        consumer.subscribe([s.topic("jobseekers")])
        while not stop.is_set():
            for m in consumer.consume(100, 0.05):
                if m.error() is None and m.key() and m.key().decode().startswith("BENCH-"):
                    received.setdefault(f"{m.key().decode()}|{m.offset()}", time.monotonic())
        consumer.close()

    try:
        worker.start()
        pub = Publisher(s)
        seekers = [f"BENCH-{i:03d}" for i in range(args.seekers)]
        from tests.integration.test_offers import seeker  # a metalworker of Toulouse
        from tests.integration.test_worker import offer  # a valid OfferPosted

        pub.publish(
            "OfferPosted",
            offer("BENCH-OFFER", 2400.0, rome="H2911", dep="31", bassin="7617",
                  commune_code="31555", postal_code="31100"),
        )  # fmt: skip
        for jid in seekers:
            pub.publish("JobSeekerProfileUpdated", seeker(jid))
        pub.flush()
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if all(client.hget(s.key("jobseeker", j), "status") == "active" for j in seekers):
                break
            time.sleep(0.2)
        else:
            raise SystemExit("the worker did not register the seekers in 180 s")
        # The scoring view must know the offer is open, or every proposal is refused for it.
        while time.monotonic() < deadline:
            served = client.hgetall(s.key("model", "offer-hard-to-fill"))
            if client.hget(s.key("offer", "BENCH-OFFER"), "status") == "open" and served:
                break
            time.sleep(0.2)
        time.sleep(2 * s.model_refresh_s + 1)
        thread = threading.Thread(target=raw_consumer, daemon=True)
        thread.start()
        time.sleep(3.0)  # the raw consumer joins its group
        refusal, verdict, baseline = [], [], []
        for jid in seekers:
            sent = time.monotonic()
            pub.publish(
                "JobSeekerExited",
                {
                    "event_id": f"evt-x-{jid}",
                    "jobseeker_id": jid,
                    "exited_at": datetime.now(UTC),
                    "reason": "back_to_work",
                    "job_rome_code": "H2911",
                    "contract_type": "CDI",
                    "registered_at": None,
                },
            )
            pub.publish(
                "OfferProposed",
                {
                    "event_id": f"evt-o-{jid}",
                    "proposal_id": f"P-{jid}",
                    "offer_id": "BENCH-OFFER",
                    "jobseeker_id": jid,
                    "proposed_by": "ADV-7617-01",
                    "proposer_kind": "adviser",
                    "channel": "email",
                    "proposed_at": datetime.now(UTC),
                },
            )
            pub.flush()
            refused = judged = None
            while time.monotonic() - sent < 60 and (refused is None or judged is None):
                now = time.monotonic()
                answer = check(jid, "BENCH-OFFER", client=client, settings=s, referential=ref)
                if refused is None and "seeker_exited" in answer.codes:
                    refused = now - sent
                key = s.key("proposal", f"{jid}:BENCH-OFFER")
                if judged is None and "seeker_exited" in (client.hget(key, "findings") or ""):
                    judged = now - sent
                time.sleep(0.005)
            if refused is not None:
                refusal.append(refused * 1000)
            if judged is not None:
                verdict.append(judged * 1000)
            first = min((t for k, t in received.items() if k.startswith(f"{jid}|")), default=None)
            if first is not None:
                baseline.append((first - sent) * 1000)
            time.sleep(0.2)
        stop.set()
        rows = [
            ("raw consumer receives the exit (baseline)", baseline),
            ("pre-send check refuses", refusal),
            ("proposal verdict readable in Redis", verdict),
        ]
        base = percentile(baseline, 50) if baseline else None
        lines = [
            f"Proposal checks, {len(seekers)} exits one every 200 ms (ms from publishing):",
            "",
            "| measure | n | median | p95 | median / baseline |",
            "|---|---:|---:|---:|---:|",
        ]
        for name, values in rows:
            if not values:
                lines.append(f"| {name} | 0 | - | - | - |")
                continue
            med, p95 = percentile(values, 50), percentile(values, 95)
            ratio = f"{med / base:.1f}" if base else "-"
            lines.append(f"| {name} | {len(values)} | {med:.0f} | {p95:.0f} | {ratio} |")
        text = "\n".join(lines)
        print(text)
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "proposals.md").write_text(text + "\n")
    finally:
        stop.set()
        worker.stop()
        cleanup(s)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
