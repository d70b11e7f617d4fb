"""Vigie's event schemas (``schemas/avro/*.avsc``) and their Avro single-object codec.

Modules: :mod:`schemas.codec` (encode/decode events), :mod:`schemas.registry` (the versions on
disk), :mod:`schemas.fingerprint` (CRC-64-AVRO), :mod:`schemas.validator` (strict record checks),
:mod:`schemas.compat` (``vigie schemas check``), with :mod:`schemas.resolution` and
:mod:`schemas.samples` behind it. This package depends on nothing else in Vigie but
``streams.errors`` and ``streams.settings``.
"""

from __future__ import annotations

from schemas.codec import Codec, Decoded
from schemas.fingerprint import fingerprint
from schemas.registry import AVRO_DIR, NAMESPACE, SchemaRegistry, SchemaVersion

__all__ = [
    "AVRO_DIR",
    "NAMESPACE",
    "Codec",
    "Decoded",
    "SchemaRegistry",
    "SchemaVersion",
    "fingerprint",
]
