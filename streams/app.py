"""The Faust application: one app, raw-bytes topics, agents found by autodiscovery.

Values stay raw bytes through Faust: decoding is Vigie's own (Avro single-object encoding,
``schemas.codec``), done in batches, so a bad record becomes a dead letter instead of a
crashed agent. The app never imports ``agents``: ``autodiscover`` finds them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import faust
from faust.types import TP

from streams import memory
from streams.consumer import BatchConsumer
from streams.runtime import Runtime
from streams.security import faust_credentials
from streams.settings import PROJECT_ROOT, load_settings
from streams.topics import INPUT_TOPICS, LEARNING_TOPIC

settings = load_settings()
memory.limit_arenas()  # before Faust, librdkafka and the model thread start their threads
AgentFun = Callable[[Any], Awaitable[None]]
BATCH = settings.consumer == "batch"  # the batch consumer reads the topics, not Faust agents


def _broker_url(bootstrap_servers: str) -> str:
    return ";".join(f"kafka://{server.strip()}" for server in bootstrap_servers.split(","))


app = faust.App(
    # With the batch consumer, the consumer group is the batch consumer's; Faust's own
    # consumer (which then reads no topic of Vigie's) must not join it with its own protocol.
    f"{settings.group_id}-app" if BATCH else settings.group_id,
    broker=_broker_url(settings.kafka_bootstrap_servers),
    broker_credentials=faust_credentials(settings),  # SASL over TLS, or None (PLAINTEXT)
    autodiscover=["agents"],
    origin="streams",
    key_serializer="raw",
    value_serializer="raw",
    topic_partitions=settings.partitions,
    topic_replication_factor=settings.replication,
    consumer_auto_offset_reset="earliest",
    broker_commit_interval=1.0,
    broker_session_timeout=settings.kafka_session_timeout_s,
    producer_acks=-1,
    web_enabled=settings.web_port > 0,
    web_port=settings.web_port or 6066,
    web_host="127.0.0.1",
    store="memory://",
    # Faust keeps a folder per app; out of the working directory, in git-ignored .run/.
    datadir=str(PROJECT_ROOT / ".run" / "faust" / settings.group_id),
)

runtime = Runtime(settings, learning=settings.learns)

input_topics = {
    name: app.topic(
        settings.topic(name),
        key_type=bytes,
        value_type=bytes,
        partitions=settings.partitions,
    )
    for name in INPUT_TOPICS
}


learning_topic = app.topic(
    settings.topic(LEARNING_TOPIC),
    key_type=bytes,
    value_type=bytes,
    partitions=settings.partitions,
)


# The topics this worker reads: the input topics of its use cases (when it scores) and the
# learning topic (when it learns).
consumed: list[str] = [settings.topic(LEARNING_TOPIC)] if settings.learns else []


def scoring_agent(name: str) -> Callable[[AgentFun], AgentFun]:
    """Input topic ``name`` is read by this use case, on workers that score (VIGIE_WORKER_ROLE)
    and read it (VIGIE_SCORE_TOPICS): by the batch consumer, or by ``fun`` as a Faust agent
    (VIGIE_CONSUMER=faust)."""

    def decorate(fun: AgentFun) -> AgentFun:
        if not settings.scores or name not in settings.scored_topics:
            return fun
        consumed.append(settings.topic(name))
        if not BATCH:
            app.agent(input_topics[name])(fun)
        return fun

    return decorate


async def learners(stream: Any) -> None:
    """Teach each model whose learning partition this worker owns (one learner per model)."""
    await runtime.consume(stream, learning=True)


if settings.learns and not BATCH:
    app.agent(learning_topic, name="streams.app.learners")(learners)


batch_consumer: BatchConsumer | None = None


@app.task
async def _start_batch_consumer() -> None:
    """Start the batch consumer once the worker runs (VIGIE_CONSUMER=batch)."""
    global batch_consumer
    if not BATCH:
        return
    await runtime.ensure_started()
    loop = asyncio.get_running_loop()

    def fatal(exc: BaseException) -> None:  # from the consumer's thread: stop the worker
        asyncio.run_coroutine_threadsafe(app.crash(exc), loop)

    batch_consumer = BatchConsumer(runtime, sorted(set(consumed)), on_fatal=fatal)
    batch_consumer.start()


@app.on_partitions_assigned.connect
async def _restore_models(app: faust.App, assigned: set[TP], **_: object) -> None:
    """Take over the learners of the learning partitions this worker now owns."""
    if BATCH:
        return  # the batch consumer restores in its own rebalance callbacks
    runtime.restored.clear()
    await runtime.ensure_started()
    partitions = [(tp.topic, tp.partition) for tp in assigned]
    await asyncio.get_running_loop().run_in_executor(None, runtime.restore, partitions)
    runtime.restored.set()


@app.on_partitions_revoked.connect
async def _release_models(app: faust.App, revoked: set[TP], **_: object) -> None:
    """Snapshot and stop the learners of the learning partitions this worker gives up."""
    if BATCH:
        return
    runtime.restored.clear()
    if runtime.started:
        partitions = [(tp.topic, tp.partition) for tp in revoked]
        await asyncio.get_running_loop().run_in_executor(None, runtime.release, partitions)


@app.on_before_shutdown.connect
async def _save_models(app: faust.App, **_: object) -> None:
    """Snapshot every model on a graceful stop, so the next worker resumes where this one was.

    The batch consumer stops first: its batch in flight is delivered and committed, then it
    leaves the group (its partitions released), then the learners are snapshot.
    """
    if batch_consumer is not None:
        await asyncio.get_running_loop().run_in_executor(None, batch_consumer.stop)
    await runtime.stop()
