"""The state the offers use case learns, as models of the shared model store.

Two models, each one snapshot (a pickle on the model-snapshots topic, with the input offsets
it covers):

* ``offer-intelligence`` (:class:`OfferIntelligence`, learns from the offers topic): the local
  market baselines, the open offers with the features they had when posted, and the
  hard-to-fill classifier with its metrics. They are one object on purpose: the classifier
  learns an offer's outcome from the features the open-offer store kept, and the baselines
  learn its time to fill from the markets kept there. Three snapshots taken at three moments could
  restore a classifier that still has to learn a closure whose features a newer open-offer
  snapshot has already dropped; one snapshot is always consistent.
* ``offer-jobseeker-supply`` (:class:`JobSeekerSupply`, learns from the job-seekers topic):
  active job seekers per occupation and area, for the recruitment potential.

>>> state = make_offer_intelligence()
>>> len(state.baseline), len(state.open_offers), state.risk.n_outcomes
(0, 0, 0)
>>> supply = make_jobseeker_supply()
>>> supply.update("DE1", ["G1603|bassin:0712", "G1603|national:FR"])
['G1603|bassin:0712', 'G1603|national:FR']
>>> supply.active("G1603|national:FR")
1
"""

from __future__ import annotations

from array import array
from collections import OrderedDict, deque
from typing import NamedTuple

from agents.offers.baseline import DAY_S, MarketBaseline
from agents.offers.features import FEATURE_NAMES
from agents.offers.risk import HardToFillModel

MODEL_NAME = "offer-intelligence"
SUPPLY_MODEL_NAME = "offer-jobseeker-supply"
# Ages (days after posting, event time) at which an offer still open is re-assessed.
AGES_DAYS = (7, 14, 21)
QUICK_FILL_DAYS = 30.0
# Before closures are learnt, an offer filled within 30 days is taken to be filled at a uniform
# time over them (still open at 7 days: 77 %, 14: 53 %, 21: 30 %), with the weight of 20 offers.
FILL_PSEUDO_COUNT = 20.0
FILL_DECAY = 0.999  # forgets with a half-life of ~700 quick fills
RISK_METRICS_NAME = "offer-hard-to-fill"  # the Redis hash of the classifier's metrics


class OpenOffer(NamedTuple):
    """An offer still open: what its closure needs to be learnt. Never the employer."""

    posted_at: float  # epoch seconds
    keys: tuple[str, ...]  # its market keys, finest first
    features: array  # float32, in FEATURE_NAMES order, as they were at posting
    p_model: float
    p_prior: float
    risk: float
    positions: int
    labelled: bool = False  # its 30-day outcome was learnt while it stayed open
    alerted: bool = False  # an « offre à risque » alert was raised for it (posting or age)

    def feature_dict(self) -> dict[str, float]:
        """The features as the classifier takes them."""
        return dict(zip(FEATURE_NAMES, self.features, strict=True))


_NO_FEATURES = array("f")


def pack_features(x: dict[str, float]) -> array:
    """Features in a compact float32 array (half the size of a tuple of floats)."""
    return array("f", (x[name] for name in FEATURE_NAMES))


class OpenOffers:
    """Open offers by id, in arrival order, with open offers and positions per market key.

    Offers that never close (a closure lost upstream) would make it grow for ever: an offer
    older than ``max_open_days`` (event time) is forgotten, oldest arrivals first.
    """

    def __init__(self, max_open_days: float = 180.0) -> None:
        self.max_open_days = max_open_days
        self._offers: OrderedDict[str, OpenOffer] = OrderedDict()
        self._counts: dict[str, list[int]] = {}
        self._unlabelled: deque[tuple[float, str]] = deque()  # (posted_at, id), arrival order
        self._settled: dict[str, tuple[OpenOffer, bool]] = {}  # closed, outcome not learnt yet
        # Offers waiting for each re-assessment age, (posted_at, id) in arrival order.
        self._to_age: list[deque[tuple[float, str]]] = [deque() for _ in AGES_DAYS]
        self.forgotten = 0

    def __setstate__(self, state: dict[str, object]) -> None:
        """Snapshots taken before the re-assessment ages load with empty ageing queues."""
        self.__dict__.update(state)
        self.__dict__.setdefault("_to_age", [deque() for _ in AGES_DAYS])

    def __len__(self) -> int:
        return len(self._offers)

    def get(self, offer_id: str) -> OpenOffer | None:
        """The open offer ``offer_id``, or None."""
        return self._offers.get(offer_id)

    def add(self, offer_id: str, offer: OpenOffer) -> None:
        """Open ``offer_id`` (replacing its previous state when it was already open)."""
        previous = self.pop(offer_id)
        if previous is None:
            self._unlabelled.append((offer.posted_at, offer_id))
            self._to_age[0].append((offer.posted_at, offer_id))
        elif previous.labelled:  # an update of an offer whose outcome is already learnt
            offer = offer._replace(labelled=True, features=_NO_FEATURES, alerted=previous.alerted)
        else:
            offer = offer._replace(alerted=previous.alerted or offer.alerted)
        self._offers[offer_id] = offer
        for key in offer.keys:
            counts = self._counts.setdefault(key, [0, 0])
            counts[0] += 1
            counts[1] += offer.positions

    def pop(self, offer_id: str) -> OpenOffer | None:
        """Close ``offer_id``; returns its state, None when it was not open."""
        offer = self._offers.pop(offer_id, None)
        if offer is not None:
            for key in offer.keys:
                counts = self._counts[key]
                counts[0] -= 1
                counts[1] -= offer.positions
                if counts[0] <= 0:
                    del self._counts[key]
        return offer

    def settle(self, offer_id: str, offer: OpenOffer, hard: bool) -> None:
        """Keep a closed offer's outcome until it is due (see :meth:`due`)."""
        self._settled[offer_id] = (offer, hard)

    def due(self, now: float, after_days: float) -> list[tuple[OpenOffer, bool, bool]]:
        """Offers posted ``after_days`` or more before ``now`` whose outcome is now learnt.

        Every offer posted at a given time is learnt at the same age, whatever its outcome:
        an offer still open is learnt as hard (its features are then dropped; it stays open
        for the counts and for the time to fill its closure will tell), a closed one with the
        outcome :meth:`settle` kept. Returns ``(offer, hard, still open)`` triples.
        """
        horizon = now - after_days * DAY_S
        found: list[tuple[OpenOffer, bool, bool]] = []
        while self._unlabelled and self._unlabelled[0][0] <= horizon:
            _, offer_id = self._unlabelled.popleft()
            settled = self._settled.pop(offer_id, None)
            if settled is not None:
                found.append((settled[0], settled[1], False))
                continue
            offer = self._offers.get(offer_id)
            if offer is not None and not offer.labelled:
                self._offers[offer_id] = offer._replace(labelled=True, features=_NO_FEATURES)
                found.append((offer, True, True))
        return found

    def aged(self, now: float) -> list[tuple[str, OpenOffer, int]]:
        """Open offers that reached a re-assessment age by ``now``: ``(id, offer, age_days)``.

        Each offer is returned once per age, in the order of the times the ages fell due (then
        by id), and only while it is open: a closed offer leaves the queues as it is met.
        """
        found: list[tuple[float, str, OpenOffer, int]] = []
        for index, age in enumerate(AGES_DAYS):
            queue = self._to_age[index]
            while queue and queue[0][0] + age * DAY_S <= now:
                posted_at, offer_id = queue.popleft()
                offer = self._offers.get(offer_id)
                if offer is None or offer.posted_at != posted_at:
                    continue
                found.append((posted_at + age * DAY_S, offer_id, offer, age))
                if index + 1 < len(AGES_DAYS):
                    self._to_age[index + 1].append((posted_at, offer_id))
        found.sort(key=lambda f: (f[0], f[1]))
        return [(offer_id, offer, age) for _, offer_id, offer, age in found]

    def mark_alerted(self, offer_id: str) -> None:
        """Record that ``offer_id`` raised its « offre à risque » alert."""
        offer = self._offers.get(offer_id)
        if offer is not None:
            self._offers[offer_id] = offer._replace(alerted=True)

    @property
    def settled(self) -> int:
        """Closed offers whose outcome waits to be learnt."""
        return len(self._settled)

    def expire(self, now: float) -> list[tuple[str, OpenOffer]]:
        """Forget the offers posted more than ``max_open_days`` before ``now``."""
        horizon = now - self.max_open_days * DAY_S
        gone: list[tuple[str, OpenOffer]] = []
        while self._offers:
            offer_id, offer = next(iter(self._offers.items()))
            if offer.posted_at >= horizon:
                break
            self.pop(offer_id)
            gone.append((offer_id, offer))
        self.forgotten += len(gone)
        return gone

    def counts(self, key: str) -> tuple[int, int]:
        """(open offers, open positions) of a market key."""
        counts = self._counts.get(key)
        return (counts[0], counts[1]) if counts else (0, 0)


class QuickFills:
    """How long offers filled within 30 days stayed open: the survival the ages read.

    ``still_open_share(age)`` is the share of those offers still open ``age`` days after
    posting, from decayed counts of the closures learnt plus a uniform pseudo-history. An offer
    still open at that age is then this much less likely to be a quick fill (Bayes):
    ``P(hard | open at age) = p / (p + (1 - p) x share)``.

    >>> fills = QuickFills()
    >>> [round(fills.still_open_share(a), 2) for a in AGES_DAYS]
    [0.77, 0.53, 0.3]
    >>> for _ in range(200):
    ...     fills.learn(3.0)
    >>> round(fills.still_open_share(7), 2)
    0.06
    """

    def __init__(self) -> None:
        self.weight = FILL_PSEUDO_COUNT
        self.open_at = [FILL_PSEUDO_COUNT * (1.0 - a / QUICK_FILL_DAYS) for a in AGES_DAYS]

    def learn(self, days_to_fill: float) -> None:
        """Learn a hire ``days_to_fill`` days after posting (slower hires are not quick)."""
        if days_to_fill > QUICK_FILL_DAYS:
            return
        self.weight = self.weight * FILL_DECAY + 1.0
        for i, age in enumerate(AGES_DAYS):
            self.open_at[i] = self.open_at[i] * FILL_DECAY + (1.0 if days_to_fill > age else 0.0)

    def still_open_share(self, age_days: int) -> float:
        """Share of quick fills still open at ``age_days`` (one of ``AGES_DAYS``)."""
        return self.open_at[AGES_DAYS.index(age_days)] / self.weight


def risk_at_age(risk: float, still_open_share: float) -> float:
    """P(not filled within 30 days | still open at the age), from the risk before it."""
    quick_and_open = (1.0 - risk) * still_open_share
    return risk / (risk + quick_and_open) if risk + quick_and_open > 0 else risk


class OfferIntelligence:
    """Baselines, open offers and the hard-to-fill model: one consistent learner."""

    def __init__(self, *, half_life_days: float = 180.0, max_open_days: float = 180.0) -> None:
        self.baseline = MarketBaseline(half_life_days)
        self.open_offers = OpenOffers(max_open_days)
        self.risk = HardToFillModel()
        self.closed_unknown = 0  # closures of offers never seen open (posted before Vigie)
        self.censored = 0  # closures whose 30-day outcome is unknowable (early withdrawal)
        self.labelled_open = 0  # outcomes learnt from offers still open after 30 days + grace
        self.clock = 0.0  # latest offer event time seen (epoch seconds)
        self.closure_clock = 0.0  # latest closure time seen: closures are known up to here
        self.quick_fills = QuickFills()

    def __setstate__(self, state: dict[str, object]) -> None:
        """Snapshots taken before the re-assessment ages load with the pseudo-history."""
        self.__dict__.update(state)
        self.__dict__.setdefault("quick_fills", QuickFills())


class JobSeekerSupply:
    """Active job seekers per market key, and each seeker's keys so exits find them."""

    def __init__(self) -> None:
        self._seekers: dict[str, tuple[str, ...]] = {}
        self._counts: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._seekers)

    def update(self, jobseeker_id: str, keys: list[str]) -> list[str]:
        """Record the seeker's current markets; returns the keys whose count changed."""
        new = tuple(keys)
        old = self._seekers.get(jobseeker_id)
        if old == new:
            return []
        if old is not None:
            self._move(old, -1)
        self._seekers[jobseeker_id] = new
        self._move(new, +1)
        return list(dict.fromkeys((*(old or ()), *new)))

    def exit(self, jobseeker_id: str) -> list[str]:
        """The seeker left the register; returns the keys whose count changed."""
        old = self._seekers.pop(jobseeker_id, None)
        if old is None:
            return []
        self._move(old, -1)
        return list(old)

    def active(self, key: str) -> int:
        """Active job seekers of a market key."""
        return self._counts.get(key, 0)

    def _move(self, keys: tuple[str, ...], delta: int) -> None:
        for key in keys:
            count = self._counts.get(key, 0) + delta
            if count > 0:
                self._counts[key] = count
            else:
                self._counts.pop(key, None)


def make_offer_intelligence(
    half_life_days: float = 180.0, max_open_days: float = 180.0
) -> OfferIntelligence:
    """A fresh offer-intelligence state."""
    return OfferIntelligence(half_life_days=half_life_days, max_open_days=max_open_days)


def make_jobseeker_supply() -> JobSeekerSupply:
    """A fresh, empty job-seeker supply."""
    return JobSeekerSupply()
