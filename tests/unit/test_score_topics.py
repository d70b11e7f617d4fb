"""A worker that reads no email (VIGIE_SCORE_TOPICS) neither subscribes to them nor loads
the French pipeline; learning the triage model needs only features. Run in a child process:
the Faust app reads its settings once, at import."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from streams.settings import PROJECT_ROOT

PROBE = """
import json, sys
from streams.app import app, consumed, runtime
from streams.modelstore import MemoryModelStore
app.discover()
runtime.start(model_store=MemoryModelStore(), deliver=False)
print(json.dumps({"consumed": consumed, "spacy": "spacy" in sys.modules,
                  "learners": sorted(runtime.learners)}))
"""


def probe(**env: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        env={**os.environ, "VIGIE_TOPIC_PREFIX": "probe.", "VIGIE_METRICS_PORT": "0", **env},
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_bulk_worker_reads_no_email_and_never_loads_the_french_pipeline() -> None:
    bulk = probe(VIGIE_SCORE_TOPICS="offers,jobseekers,feedback", VIGIE_WORKER_ROLE="all")
    assert sorted(bulk["consumed"]) == [
        "probe.feedback",
        "probe.jobseekers",
        "probe.learning",
        "probe.offers",
    ]
    assert bulk["spacy"] is False
    assert "email-triage" in bulk["learners"]  # it still learns the triage model's examples


def test_an_email_worker_loads_it_at_start() -> None:
    mail = probe(VIGIE_SCORE_TOPICS="emails", VIGIE_WORKER_ROLE="scoring")
    assert mail["consumed"] == ["probe.emails"] and mail["spacy"] is True
