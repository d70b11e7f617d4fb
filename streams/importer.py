"""``vigie import-offers``: raw France Travail API offers in, OfferPosted events out."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from schemas.codec import Codec, SchemaRegistry
from streams.errors import InputError
from streams.offers_import import iter_raw_offers, map_offer
from streams.publisher import Publisher, PublishReport, RecordValidator
from streams.referential import load_referential
from streams.settings import Settings


def import_offers(settings: Settings, path: Path, *, dry_run: bool = False) -> PublishReport:
    """Map every record of ``path`` and publish it; unmappable records are reported by line.

    With ``dry_run`` every record is mapped and validated exactly as for publishing, and
    nothing is sent.
    """
    referential = load_referential(settings.data_dir)
    publisher = None if dry_run else Publisher(settings, referential=referential)
    validator = RecordValidator(Codec(SchemaRegistry.default()), referential)
    report = PublishReport()
    for number, raw in iter_raw_offers(path):
        if isinstance(raw, Exception):
            report.rejected.append((number, f"unreadable record: {raw}"))
            continue
        try:
            record = map_offer(raw, referential)
            if publisher is None:
                validator.encode("OfferPosted", record, datetime.now(UTC))
            else:
                publisher.publish("OfferPosted", record)
        except InputError as exc:
            report.rejected.append((number, f"offer {raw.get('id', '?')}: {exc}"))
            continue
        report.sent += 1
    if publisher is not None:
        publisher.flush()
    return report
