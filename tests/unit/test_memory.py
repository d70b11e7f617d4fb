"""The worker's malloc settings: effective on glibc, harmless elsewhere."""

from __future__ import annotations

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
