"""How well proposals are checked, on simulated traffic with a known share of bad ones.

    python -m agents.proposals.evaluate [--seed 11] [--events 40000] [--per-offer 1.0]

The simulator (``SimConfig.proposals_per_offer``) proposes offers to seekers of their bassin a
few days after posting; ``bad_proposal_share`` of them should not happen, and its truth says
why (``seeker_exited``, ``offer_not_open``, ``already_proposed``). The traffic runs through the
offers and job-seekers use cases inline (the job-seekers one reads the offer model's open
offers with no lag: the live lag is the serving view's, see the README). Printed: the bad
proposals caught per kind, the false alarms on good ones with their findings, and the cost.

This is a simulator figure: it says the checks run and agree with the simulator's world, not
that they catch every bad proposal of a real agency.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from agents.jobseekers.logic import JobSeekersHandler
from agents.jobseekers.model import MODEL_NAME as JOBSEEKER_MODEL
from agents.jobseekers.model import make_jobseeker_diagnostic
from agents.offers.logic import OffersHandler
from agents.offers.model import MODEL_NAME as OFFER_MODEL
from agents.offers.model import SUPPLY_MODEL_NAME, make_jobseeker_supply, make_offer_intelligence
from agents.proposals.logic import RULE_PROPOSAL
from sinks.outputs import Outputs, SourceRef
from streams.modelstore import ManagedModel, MemoryModelStore
from streams.pipeline import InlineHandler
from streams.referential import Referential, load_referential
from streams.settings import load_settings
from streams.simulator import SimConfig, simulate


@dataclass
class ProposalReport:
    """Proposals by truth, and what the checks said of them."""

    proposals: int = 0
    bad: Counter[str] = field(default_factory=Counter)  # truth kind -> proposals
    caught: Counter[str] = field(default_factory=Counter)  # truth kind -> alerted
    good: int = 0
    false_alarms: int = 0
    false_alarm_findings: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def caught_share(self) -> float:
        """Share of the bad proposals that raised an alert."""
        total = sum(self.bad.values())
        return sum(self.caught.values()) / total if total else 0.0

    @property
    def false_alarm_share(self) -> float:
        """Share of the good proposals that raised an alert."""
        return self.false_alarms / self.good if self.good else 0.0


def evaluate_simulated(
    seed: int = 11,
    events: int = 40_000,
    *,
    per_offer: float = 1.0,
    bad_share: float = 0.1,
    referential: Referential | None = None,
) -> ProposalReport:
    """Run simulated traffic with proposals through the use cases; count what was caught."""
    ref = referential or load_referential(load_settings().data_dir)
    store = MemoryModelStore()
    offer_state = ManagedModel(OFFER_MODEL, store, make_offer_intelligence, interval_s=0)
    supply = ManagedModel(SUPPLY_MODEL_NAME, store, make_jobseeker_supply, interval_s=0)
    offers = InlineHandler(
        OffersHandler(offer_state, ref, supply=supply),
        {OFFER_MODEL: offer_state, SUPPLY_MODEL_NAME: supply},
    )
    seeker_state = ManagedModel(JOBSEEKER_MODEL, store, make_jobseeker_diagnostic, interval_s=0)
    seekers = InlineHandler(
        JobSeekersHandler(seeker_state, seeker_state, ref, offers=offer_state),
        {JOBSEEKER_MODEL: seeker_state},
    )
    config = SimConfig(proposals_per_offer=per_offer, bad_proposal_share=bad_share)
    report = ProposalReport()
    began = time.perf_counter()
    for n, event in enumerate(simulate(seed, events, referential=ref, config=config)):
        name = event.record_name
        source = SourceRef("sim", 0, n, int(event.timestamp.timestamp() * 1000))
        out = Outputs()
        if name in ("OfferPosted", "OfferClosed"):
            offers.handle(name, event.record, source, out)
        elif name in ("JobSeekerProfileUpdated", "JobSeekerExited"):
            seekers.handle(name, event.record, source, out)
            offers.handle(name, event.record, source, out)  # the supply side of the offers
        elif name == "OfferProposed":
            seekers.handle(name, event.record, source, out)
            alerts = [a for a in out.alerts if a["alert_type"] == RULE_PROPOSAL]
            report.proposals += 1
            kind = event.truth.get("bad")
            if kind:
                report.bad[kind] += 1
                report.caught[kind] += bool(alerts)
            else:
                report.good += 1
                if alerts:
                    report.false_alarms += 1
                    report.false_alarm_findings.update(r["code"] for r in alerts[0]["reasons"])
    report.seconds = time.perf_counter() - began
    return report


def print_report(report: ProposalReport) -> None:
    """The figures, as the README quotes them."""
    print(f"proposals {report.proposals}: {sum(report.bad.values())} bad, {report.good} good")
    for kind, n in sorted(report.bad.items()):
        print(f"  {kind}: caught {report.caught[kind]} of {n}")
    print(
        f"bad caught: {report.caught_share:.1%}; false alarms on good ones: "
        f"{report.false_alarms} of {report.good} ({report.false_alarm_share:.1%}), findings "
        f"{dict(report.false_alarm_findings.most_common())}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: see the module docstring."""
    parser = argparse.ArgumentParser(prog="python -m agents.proposals.evaluate")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--events", type=int, default=40_000)
    parser.add_argument("--per-offer", type=float, default=1.0)
    parser.add_argument("--bad-share", type=float, default=0.1)
    args = parser.parse_args(argv)
    print_report(
        evaluate_simulated(
            args.seed, args.events, per_offer=args.per_offer, bad_share=args.bad_share
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
