"""The garbage collector's pauses: timed by generation, and start-up objects frozen."""

from __future__ import annotations

import gc

from streams.gcpause import GcPauses, freeze_startup


def test_each_collection_is_observed_with_its_generation_and_take_resets() -> None:
    seen: list[tuple[int, float]] = []
    pauses = GcPauses(lambda generation, seconds: seen.append((generation, seconds)))
    pauses.install()
    try:
        gc.collect(2)
        gc.collect(1)
    finally:
        pauses.uninstall()
    assert (2, seen[0][1]) in seen and any(g == 1 for g, _ in seen)
    assert all(seconds >= 0 for _, seconds in seen)
    assert pauses.collections[2] >= 1 and pauses.collections[1] >= 1
    first = pauses.take()
    assert set(first) == {"gc_pause_max_ms_0", "gc_pause_max_ms_1", "gc_pause_max_ms_2"}
    assert first["gc_pause_max_ms_2"] == round(max(s for g, s in seen if g == 2) * 1000, 2)
    assert pauses.take() == dict.fromkeys(first, 0.0)  # reset by the first read
    gc.collect(2)  # uninstalled: no longer observed
    assert pauses.collections[2] == sum(1 for g, _ in seen if g == 2)


def test_freeze_startup_moves_live_objects_out_of_the_scans() -> None:
    kept = [[i] for i in range(1000)]  # lists: always tracked by the collector
    try:
        frozen = freeze_startup()
        assert frozen == gc.get_freeze_count() >= len(kept)
        assert not any(o is kept[0] for o in gc.get_objects())  # the collector no longer sees it
    finally:
        gc.unfreeze()
    assert any(o is kept[0] for o in gc.get_objects())
