"""The ``vigie`` command: one entry point, one subcommand per job.

Every option that mirrors a setting shows its environment variable and default in ``--help``.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from streams.errors import CredentialsError
from streams.settings import VARIABLES, Settings, load_settings
from streams.topics import INPUT_TOPICS, LEARNING_TOPIC

logger = logging.getLogger("vigie")

Command = Callable[[argparse.Namespace, Settings], int]


def _env_help(text: str, variable: str) -> str:
    var = VARIABLES[variable]
    return f"{text} (env {var.name}, default {var.default or 'see README'})"


def _open_input(path: str) -> Sequence[bytes] | object:
    return sys.stdin.buffer if path == "-" else Path(path).open("rb")  # noqa: SIM115


def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    """Run the Faust worker until stopped."""
    import os

    from faust import Worker

    from streams.security import check_connections

    # A refused password or certificate stops the worker now, with the reason; left to the
    # clients, it would be retried forever.
    check_connections(settings)
    if args.role:  # streams.app reads the settings when imported
        os.environ["VIGIE_WORKER_ROLE"] = args.role
    from streams.app import app
    from streams.metrics import serve

    serve(settings.metrics_port)  # Prometheus /metrics, beside Faust's own web server
    Path(app.conf.datadir).parent.mkdir(parents=True, exist_ok=True)
    worker = Worker(app, loglevel=settings.log_level.lower(), quiet=True)
    worker.execute_from_commandline()
    return 0


def cmd_topics(args: argparse.Namespace, settings: Settings) -> int:
    """Create (idempotently) or list Vigie's topics."""
    from streams.admin import create_topics, describe_topics

    if args.action == "create":
        for line in create_topics(settings):
            print(line)
    else:
        for line in describe_topics(settings):
            print(line)
    return 0


def cmd_publish(args: argparse.Namespace, settings: Settings) -> int:
    """Validate and publish a JSON Lines file of one event type."""
    from streams.publisher import Publisher
    from streams.security import check_connections

    check_connections(settings, redis_=False)
    source = _open_input(args.file)
    with Publisher(settings) as publisher:
        report = publisher.publish_lines(args.event_type, source)  # type: ignore[arg-type]
    for number, reason in report.rejected:
        print(f"{args.file}:{number}: rejected: {reason}", file=sys.stderr)
    print(f"published {report.sent} {args.event_type} record(s), rejected {len(report.rejected)}")
    return 0 if report.ok else 1


def cmd_forget(args: argparse.Namespace, settings: Settings) -> int:
    """Erase a job seeker (JobSeekerErased) and, with --wait, print the audit record."""
    import json

    from streams.forget import read_audit, request_erasure

    event = request_erasure(
        settings, args.jobseeker, erasure_id=args.erasure_id, requested_by=args.requested_by
    )
    print(f"erasure {event['erasure_id']} requested")
    if args.wait <= 0:
        return 0
    audit = read_audit(settings, event["erasure_id"], timeout_s=args.wait)
    if audit is None:
        print(f"no audit record within {args.wait:.0f}s: is a worker running?", file=sys.stderr)
        return 1
    print(json.dumps(audit, indent=2, ensure_ascii=False))
    return 0


def cmd_import_offers(args: argparse.Namespace, settings: Settings) -> int:
    """Map raw France Travail API offers to OfferPosted and publish them."""
    from streams.importer import import_offers

    report = import_offers(settings, Path(args.file), dry_run=args.dry_run)
    for number, reason in report.rejected:
        print(f"{args.file}:{number}: rejected: {reason}", file=sys.stderr)
    verb = "mapped" if args.dry_run else "published"
    print(f"{verb} {report.sent} offer(s), rejected {len(report.rejected)}")
    return 0 if report.ok else 1


def cmd_simulate(args: argparse.Namespace, settings: Settings) -> int:
    """Publish simulated agency traffic."""
    from streams.simulate import run_simulation

    stats = run_simulation(
        settings,
        seed=args.seed,
        events=args.events,
        rate=args.rate,
        invalid_share=args.invalid_share,
        proposals_per_offer=args.proposals_per_offer,
    )
    print(stats)
    return 0


def cmd_alerts(args: argparse.Namespace, settings: Settings) -> int:
    """Follow an alert stream in Redis through a consumer group, acknowledging what it prints."""
    import uuid

    from sinks.alert_client import AlertSubscriber, format_alert

    audience = (
        ("adviser", args.adviser)
        if args.adviser
        else ("agency", args.agency)
        if args.agency
        else ("area", args.area)
        if args.area
        else None
    )
    # --from-start without a named group reads everything with a throw-away group, so it does
    # not move the position of a group other tools share.
    ephemeral = args.group is None and args.from_start
    group = args.group or (f"tail-{uuid.uuid4().hex[:8]}" if ephemeral else "vigie-tail")
    sub = AlertSubscriber(settings, audience, group=group, from_start=args.from_start)
    try:
        for delivered in sub.follow(count=args.count, idle_timeout_s=args.idle_timeout):
            print(format_alert(delivered.alert), flush=True)
            sub.ack(delivered)
    except KeyboardInterrupt:
        pass
    finally:
        if ephemeral:
            sub.delete_group()
    return 0


def _metadata_lines(metadata: dict[str, Any]) -> list[str]:
    """Readable lines for a snapshot's metadata: online metrics, drift, what it covers."""
    lines = []
    positions = metadata.get("positions", {})
    # Input partitions say which events it learnt; the learning topic's, what its learner read.
    learning = {k: v for k, v in positions.items() if k.rsplit(":", 1)[0].endswith(LEARNING_TOPIC)}
    inputs = {k: v for k, v in positions.items() if k not in learning}
    if inputs:
        lines.append(
            f"covers input up to {sum(inputs.values()):,} events over {len(inputs)} partition(s)"
        )
    if learning:
        lines.append(
            "learner read the learning topic up to "
            + ", ".join(f"{k.rsplit(':', 1)[1]}@{v:,}" for k, v in sorted(learning.items()))
        )
    flat = {k: v for k, v in metadata.items() if k != "positions" and not isinstance(v, dict)}
    if flat:
        lines.append(" ".join(f"{k}={v}" for k, v in sorted(flat.items())))
    for key, value in sorted(metadata.items()):
        if isinstance(value, dict) and key != "positions":
            shown = " ".join(
                f"{k}={'-' if v is None else round(v, 4) if isinstance(v, float) else v}"
                for k, v in value.items()
            )
            lines.append(f"{key}: {shown}")
    return lines


def cmd_replay(args: argparse.Namespace, settings: Settings) -> int:
    """Re-read the input topics over a range, re-score every event as the worker did (in
    isolation: nothing written to Redis, Kafka or the model store) and compare the alerts with
    those recorded on the alerts topic. Writes replay-report.json and replay-report.html."""
    from streams.errors import ConfigurationError
    from streams.replay import ReplayOptions, run_replay
    from streams.replay.bounds import parse_bound

    try:
        options = ReplayOptions(
            start=parse_bound(args.start),
            end=parse_bound(args.end),
            topics=tuple(args.topics.split(",")),
            models=args.models,
            out_dir=Path(args.out),
            batch_size=args.batch,
            alerts_lag_s=args.alerts_lag,
            progress=not args.quiet,
        )
        result = run_replay(settings, options)
    except (ConfigurationError, ValueError) as exc:
        print(f"vigie replay: {exc}", file=sys.stderr)
        return 2
    s, run = result.report["summary"], result.run
    print(
        f"replayed {run['events']:,} events in {run['scoring_s']:.1f}s "
        f"({run['events_per_s'] or 0:,.0f} events/s), models {args.models}: "
        f"{s['recorded']:,} alerts recorded, {s['rederived']:,} re-derived, "
        f"{s['matches']:,} matches, {s['missing']:,} missing, {s['extra']:,} extra, "
        f"{s['different']:,} different"
    )
    for path in result.paths:
        print(f"report: {path}")
    return 0


def cmd_models(args: argparse.Namespace, settings: Settings) -> int:
    """List each model's versions, online metrics and drift state, and who serves which."""
    import redis

    from sinks.redis_sink import RedisSink
    from streams.modelstore import KafkaModelStore

    store = KafkaModelStore(settings)
    redis_sink = RedisSink(settings)
    names = store.names()
    if not names:
        print("no model snapshot yet")
    for name in names:
        versions = store.versions(name)
        if not versions:
            continue
        latest = versions[-1]
        print(
            f"{name}: {len(versions)} version(s) kept, latest v{latest.version} saved "
            f"{latest.created_at:%Y-%m-%d %H:%M:%S}Z, {latest.size:,} bytes"
        )
        for line in _metadata_lines(latest.metadata):
            print(f"    {line}")
        try:
            serving = redis_sink.serving_versions(name)
        except redis.RedisError as exc:
            print(f"    serving: unknown ({type(exc).__name__})")
        else:
            workers = ", ".join(f"{w} v{v}" for w, v in sorted(serving.items())) or "no live worker"
            print(f"    serving: {workers}")
    return 0


def cmd_schemas(args: argparse.Namespace, settings: Settings) -> int:
    """Check schema evolution, or list the schema versions kept."""
    from schemas import compat

    if args.action == "check":
        return compat.main([])
    for row in compat.schema_table():
        print("  ".join(str(v) for v in row.values()))
    return 0


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    """Start a worker, feed it simulated traffic and print alerts as they land."""
    from streams.demo import run_demo

    return run_demo(
        settings, seed=args.seed, events=args.events, rate=args.rate, duration_s=args.duration
    )


def cmd_console(args: argparse.Namespace, settings: Settings) -> int:
    """Serve the advisers' web console (alerts live, job seekers, email triage, offers)."""
    from dataclasses import replace

    from console.server import run_console

    settings = replace(
        settings,
        console_host=args.host or settings.console_host,
        console_port=settings.console_port if args.port is None else args.port,
    )
    return run_console(settings, dev_login=args.dev_login)


def build_parser() -> argparse.ArgumentParser:
    """The ``vigie`` argument parser."""
    fmt = argparse.ArgumentDefaultsHelpFormatter
    parser = argparse.ArgumentParser(prog="vigie", description=__doc__, formatter_class=fmt)
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name: str, func: Command, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=func.__doc__, formatter_class=fmt)
        p.set_defaults(func=func)
        return p

    p = add("worker", cmd_worker, "run the Faust worker")
    p.add_argument(
        "--role",
        choices=["all", "scoring", "learning"],
        default=None,
        help=_env_help("what this worker does", "VIGIE_WORKER_ROLE"),
    )

    p = add("topics", cmd_topics, "create or list Vigie's Kafka topics")
    p.add_argument("action", choices=["create", "list"])

    p = add("publish", cmd_publish, "validate and publish a JSON Lines file")
    p.add_argument(
        "event_type",
        help="OfferPosted, OfferClosed, JobSeekerProfileUpdated, JobSeekerExited, "
        "OfferProposed, JobSeekerErased, EmailReceived or AdviserFeedback",
    )
    p.add_argument("file", help="JSON Lines file, or - for standard input")

    p = add("forget", cmd_forget, "erase everything Vigie holds about a job seeker")
    p.add_argument("--jobseeker", required=True, help="the job seeker's id")
    p.add_argument("--erasure-id", default="", help="your reference for the request (default: new)")
    p.add_argument("--requested-by", default="vigie-cli", help="who asks (an account, a system)")
    p.add_argument(
        "--wait", type=float, default=60.0, help="seconds to wait for the audit record (0: none)"
    )

    p = add("import-offers", cmd_import_offers, "import raw France Travail API offers")
    p.add_argument("file", help="JSON Lines or JSON array of 'Offres d'emploi v2' records")
    p.add_argument("--dry-run", action="store_true", help="map and validate, publish nothing")

    p = add("simulate", cmd_simulate, "publish simulated agency traffic")
    p.add_argument("--seed", type=int, default=42, help="random seed: same seed, same traffic")
    p.add_argument("--events", type=int, default=10_000, help="number of events")
    p.add_argument("--rate", type=float, default=0.0, help="events per second (0: unthrottled)")
    p.add_argument(
        "--invalid-share",
        type=float,
        default=0.0,
        help="share of deliberately invalid events (to exercise the dead-letter path)",
    )
    p.add_argument(
        "--proposals-per-offer",
        type=float,
        default=1.0,
        help="offers proposed to job seekers per offer posted, 10 %% of them ones that should "
        "not happen (0: none)",
    )

    p = add("alerts", cmd_alerts, "follow alerts in Redis")
    p.add_argument("action", choices=["tail"])
    who = p.add_mutually_exclusive_group()
    who.add_argument("--adviser", help="an adviser's portfolio stream")
    who.add_argument("--agency", help="an agency's stream")
    who.add_argument("--area", help="an area's employer-relations stream (département code)")
    p.add_argument("--from-start", action="store_true", help="replay the stream from its start")
    p.add_argument(
        "--group",
        default=None,
        help="consumer group: tools sharing one split the alerts (default vigie-tail)",
    )
    p.add_argument("--count", type=int, default=0, help="stop after this many alerts (0: never)")
    p.add_argument(
        "--idle-timeout",
        type=float,
        default=0.0,
        help="stop after this many seconds without an alert (0: never)",
    )

    p = add("replay", cmd_replay, "replay input topics over a range and audit the alerts")
    p.add_argument(
        "--from",
        dest="start",
        required=True,
        help="start (inclusive): ISO time (2026-11-20T14:00:00Z, a date = 00:00 UTC), "
        "offsets TOPIC:PARTITION=OFFSET[,...] (unnamed partitions from their start), or earliest",
    )
    p.add_argument(
        "--to",
        dest="end",
        default="latest",
        help="end (exclusive): ISO time, offsets (unnamed partitions to their end), or latest",
    )
    p.add_argument(
        "--topics",
        default=",".join(INPUT_TOPICS),
        help="input topics to replay (short names, comma-separated)",
    )
    p.add_argument(
        "--models",
        choices=["recorded", "current"],
        default="recorded",
        help="recorded: the version live for each event (audit); current: today's (what-if)",
    )
    p.add_argument("--out", default="replay-report", help="folder for the JSON and HTML report")
    p.add_argument("--batch", type=int, default=5000, help="events read per consume() call")
    p.add_argument(
        "--alerts-lag",
        type=float,
        default=3600.0,
        help="seconds after --to (a time) in which the alerts of the range may have been written",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar on stderr")

    p = add("models", cmd_models, "list models, versions and metadata")
    p.add_argument("action", nargs="?", choices=["list"], default="list")

    p = add("schemas", cmd_schemas, "check schema evolution or list schema versions")
    p.add_argument("action", choices=["check", "list"])

    p = add("demo", cmd_demo, "worker + simulated traffic + live alerts (what `make run` runs)")
    p.add_argument("--seed", type=int, default=7, help="random seed of the traffic")
    p.add_argument("--events", type=int, default=20_000, help="events to simulate")
    p.add_argument("--rate", type=float, default=500.0, help="events per second")
    p.add_argument(
        "--duration",
        type=float,
        default=0.0,
        help="stop after this many seconds (0: when the traffic is done and drained)",
    )
    p = add("console", cmd_console, "serve the advisers' web console")
    p.add_argument("--host", default=None, help=_env_help("address", "VIGIE_CONSOLE_HOST"))
    p.add_argument("--port", type=int, default=None, help=_env_help("port", "VIGIE_CONSOLE_PORT"))
    p.add_argument(
        "--dev-login",
        action="store_true",
        help="sign short-lived tokens with a local key and print sign-in links (no provider)",
    )
    parser.epilog = "Settings: " + ", ".join(_env_help(v.help, v.name) for v in VARIABLES.values())
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``vigie`` command."""
    args = build_parser().parse_args(argv)
    settings = load_settings()
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    try:
        result: int = args.func(args, settings)
    except CredentialsError as exc:
        print(f"vigie {args.command}: {exc}", file=sys.stderr)
        return 2
    return result


if __name__ == "__main__":
    sys.exit(main())
