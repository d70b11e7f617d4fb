"""``vigie simulate``: publish simulated agency traffic at a given rate.

The simulated clock is placed so that the traffic ends before now: the worker refuses events
dated in the future, and the simulation must look like yesterday's agency traffic, not
tomorrow's.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from streams.publisher import Publisher
from streams.settings import Settings
from streams.simulator import SimConfig, simulate


@dataclass
class SimulationStats:
    """What a simulation run published."""

    published: Counter[str] = field(default_factory=Counter)
    invalid: int = 0
    seconds: float = 0.0

    def __str__(self) -> str:
        total = sum(self.published.values())
        rate = total / self.seconds if self.seconds else 0.0
        kinds = ", ".join(f"{k}={v}" for k, v in sorted(self.published.items()))
        return (
            f"published {total} events in {self.seconds:.1f}s ({rate:.0f}/s), "
            f"{self.invalid} deliberately invalid: {kinds}"
        )


def simulation_start(events: int, config: SimConfig, now: datetime | None = None) -> datetime:
    """When the simulated clock starts so that ``events`` events end before ``now``.

    Scheduled closures and exits come on top of the spontaneous events, so a run of N events
    spans at most N / spontaneous_per_day days.
    """
    now = now or datetime.now(UTC)
    span_days = events / config.spontaneous_per_day + 1
    start = now - timedelta(days=span_days)
    return start.replace(hour=8, minute=0, second=0, microsecond=0)


def run_simulation(
    settings: Settings,
    *,
    seed: int,
    events: int,
    rate: float = 0.0,
    invalid_share: float = 0.0,
    publisher: Publisher | None = None,
    skip: int = 0,
    span_events: int | None = None,
    proposals_per_offer: float = 0.0,
    emails: bool = True,
) -> SimulationStats:
    """Publish ``events`` simulated events; ``rate`` > 0 throttles to that many per second.

    ``skip`` drops the first events of the run, and ``span_events`` places the simulated clock
    as for a run of that many events: two calls with the same seed and span, the second
    skipping what the first published, continue one traffic (offers posted in the first part
    close in the second) instead of starting a new one with the same ids.
    ``proposals_per_offer`` > 0 adds offer proposals (``SimConfig.proposals_per_offer``);
    ``emails=False`` simulates no email (the bulk traffic of ``make bench``).
    """
    config = SimConfig(
        invalid_share=invalid_share,
        proposals_per_offer=proposals_per_offer,
        **({} if emails else {"emails": 0.0}),
    )
    stats = SimulationStats()
    own = publisher is None
    pub = publisher or Publisher(settings)
    start = simulation_start(span_events or skip + events, config)
    stream = simulate(
        seed, skip + events, start=start, config=config, referential=pub.validator.referential
    )
    for _ in range(skip):
        next(stream)
    began = time.monotonic()
    for n, event in enumerate(stream):
        if "invalid" in event.truth:
            pub.publish_unchecked(event.record_name, event.record)
            stats.invalid += 1
        else:
            pub.publish(event.record_name, event.record)
        stats.published[event.record_name] += 1
        if rate > 0:
            ahead = (n + 1) / rate - (time.monotonic() - began)
            if ahead > 0:
                time.sleep(ahead)
    pub.flush()
    stats.seconds = time.monotonic() - began
    if own:
        pub.flush()
    return stats
