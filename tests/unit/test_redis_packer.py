"""The Redis sink's command packer: the bytes redis-py's own packer makes, and its errors."""

from __future__ import annotations

from typing import Any

import pytest
from redis.connection import Encoder, HiredisRespSerializer
from redis.exceptions import DataError

from sinks.redis_sink import CommandPacker

STOCK = HiredisRespSerializer(encode=Encoder("utf-8", "strict", False).encode)

COMMANDS: list[tuple[Any, ...]] = [
    ("HSET", "vigie:offer:O-1", "title", "Aide à domicile (H/F)", "risk", "0.7312"),
    ("HSET", b"vigie:potential:M1805:bassin:8420", "ratio", 0.25, "open_offers", 3),
    ("EXPIRE", "vigie:offer:O-1", 2_592_000),
    ("XADD", "vigie:alerts:all", "MAXLEN", "~", 100_000, "*", "k", "v"),
    ("EVALSHA", "0" * 40, 2, "k1", "k2", 1e-7, 2**70, float("inf"), "é" * 3, b"\x00\xff"),
    ("SET", "k", memoryview(b"raw bytes")),
    ("CLIENT SETINFO", "LIB-NAME", "redis-py"),  # a two-word command name: split by redis-py
]


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: str(a[0]))
def test_the_packer_makes_the_bytes_redis_py_makes(args: tuple[Any, ...]) -> None:
    assert b"".join(CommandPacker().pack(*args)) == b"".join(STOCK.pack(*args))


@pytest.mark.parametrize("bad", [True, None, object()])
def test_what_redis_py_refuses_is_refused_with_its_error(bad: object) -> None:
    with pytest.raises(DataError):
        CommandPacker().pack("SET", "k", bad)
