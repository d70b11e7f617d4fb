"""The worker's malloc settings: effective on glibc, harmless elsewhere."""

from __future__ import annotations

import json
import platform

from streams import memory


def test_arenas_are_limited_and_pages_trimmed_on_glibc() -> None:
    glibc = platform.libc_ver()[0] == "glibc"
    assert memory.limit_arenas() is glibc
    blocks = [bytearray(256 * 1024) for _ in range(64)]  # 16 MiB, then freed
    del blocks
    assert isinstance(memory.trim(), bool)
    if not glibc:
        assert memory.trim() is False


def test_the_breakdown_sees_a_large_block_and_python_objects() -> None:
    before = memory.breakdown()
    assert before["rss"] > 0 and before["python_blocks"] > 0
    block = bytearray(64 * 2**20)  # above malloc's mmap threshold: a mapping of its own
    objects = [object() for _ in range(200_000)]
    during = memory.breakdown()
    assert during["python_blocks"] - before["python_blocks"] >= 0.19  # in millions
    if platform.libc_ver()[0] == "glibc":
        assert during["malloc_mmapped"] - before["malloc_mmapped"] >= 63
    del block, objects


def test_the_tracer_is_off_by_default_and_writes_censuses_when_asked(tmp_path) -> None:  # noqa: ANN001
    assert memory.Tracer({}).maybe_dump() is None
    tracer = memory.Tracer(
        {"VIGIE_MEMORY_DIAG_DIR": str(tmp_path), "VIGIE_MEMORY_DIAG_EVERY_S": "0"}
    )
    kept = [memory.Tracer for _ in range(1000)]  # noqa: F841 - one more live list
    path = tracer.maybe_dump()
    assert path is not None and path.parent == tmp_path
    census = json.loads(path.read_text())
    assert census["types"]["list"] >= 1 and census["memory"]["rss"] > 0
    assert not list(tmp_path.glob("trace-*.tm"))  # tracemalloc only when frames are asked
