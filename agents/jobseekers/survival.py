"""Time to return to work: a lognormal duration model that learns online from censored spells.

``log T = mu(x) + sigma * e`` with ``e`` standard normal (an accelerated-failure-time model),
``T`` the days from registration to a return to work, ``mu`` a River linear regression on the
profile features. Fitting it by least squares on the returns to work alone would forget the
people still searching and those who left for other reasons, and learn that searches are short.
Instead each stochastic-gradient step follows the log-likelihood of what is known:

* **still searching** from day ``u`` to day ``v`` (between two profile events):
  ``log S(v) - log S(u)``, the chance of not having found by ``v`` given not found by ``u``;
* **returned to work** on day ``T``, last seen searching on day ``u``: ``log f(T) - log S(u)``;
* **left for another reason** (training, deregistered, moved...) on day ``C``: right-censored,
  ``log S(C) - log S(u)``: the return to work, if any, would have come later.

These pieces multiply to the likelihood of the whole spell, left-truncated at the day the seeker
was first seen (people registered before Vigie started are seen only because they were still
searching), and each piece is learnt once, when it happens: a seeker still searching counts from
their first event on, and nothing is counted twice. The gradient of a piece with respect to
``mu`` is turned into a working target for River's squared loss,
``y = mu + sigma^2 x d(log-likelihood)/d mu`` (for a return to work: ``log T - sigma
lambda(z_u)``; for a censored piece: ``mu + sigma (lambda(z_v) - lambda(z_u))``, ``lambda`` the
inverse Mills ratio), so the regression's SGD step is the likelihood's. ``sigma`` follows its
own likelihood gradient.

Served: the median of ``T`` given the seeker has been searching ``d`` days (and quartiles), and
``P(T >= 365 | T > d)``, which feeds the long-term risk (``risk.py``).

>>> model = DurationModel()
>>> for i in range(3000):
...     x = {"good_market": float(i % 2)}
...     days = 90.0 if i % 2 else 400.0
...     model.learn_exit(x, start=0.0, duration=days, returned=True)
>>> [round(model.median_days({"good_market": g}, 0.0), -1) for g in (1.0, 0.0)]
[90.0, 400.0]
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from statistics import NormalDist

from river import linear_model, metrics, optim, preprocessing

from agents.jobseekers.features import dense

STANDARD = NormalDist()
# Where mu starts: about six months, the order of magnitude of a search in France; the
# model moves away from it as exits come in.
START_MEDIAN_DAYS = 180.0
START_SIGMA = 1.0
LEARNING_RATE = 0.001
INTERCEPT_LEARNING_RATE = 0.005
SIGMA_LEARNING_RATE = 0.002
SIGMA_BOUNDS = (0.3, 2.5)
L2 = 1e-4
Z_CLIP = 4.0  # standardised features beyond 4 sd are clipped (a rare value, a fresh scaler)
STEP_CLIP = 4.0  # a working target never moves more than this from the prediction
MIN_DAYS = 1.0


def mills(z: float) -> float:
    """Inverse Mills ratio phi(z) / (1 - Phi(z)), the hazard of a standard normal at z."""
    if z > 30.0:
        return z + 1.0 / z
    tail = 0.5 * math.erfc(z / math.sqrt(2.0))
    return math.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi) / tail


def _log_days(days: float) -> float:
    return math.log(max(days, MIN_DAYS))


class DurationModel:
    """Censored, left-truncated lognormal regression of the days to a return to work."""

    def __init__(self) -> None:
        self.scaler = preprocessing.StandardScaler()
        self.regression = linear_model.LinearRegression(
            optimizer=optim.SGD(LEARNING_RATE),
            intercept_init=math.log(START_MEDIAN_DAYS),
            intercept_lr=INTERCEPT_LEARNING_RATE,
            l2=L2,
        )
        self.log_sigma = math.log(START_SIGMA)
        self.returns = 0  # returns to work learnt (uncensored)
        self.censored = 0  # other exits learnt as right-censored
        self.pieces = 0  # "still searching" pieces learnt
        # Prequential errors on log-days for returns to work, predicted before learning them.
        self.mae_log = metrics.MAE()
        self.mae_days = metrics.MAE()

    @property
    def sigma(self) -> float:
        """Spread of individual luck around the median, in log-days."""
        return math.exp(self.log_sigma)

    def _standardise(self, x: Mapping[str, float]) -> dict[str, float]:
        z = self.scaler.transform_one(dense(x))
        return {k: min(max(v, -Z_CLIP), Z_CLIP) for k, v in z.items()}

    def mu(self, x: Mapping[str, float]) -> float:
        """Median log-days of a whole search, for a seeker with features ``x``."""
        return float(self.regression.predict_one(self._standardise(x)))

    # Serving ----------------------------------------------------------------------------------

    def quantile_days(
        self, x: Mapping[str, float], elapsed: float, q: float, *, mu: float | None = None
    ) -> float:
        """The ``q`` quantile of the search's total length given ``elapsed`` days without a job
        (``mu``: :meth:`mu` of ``x``, when the caller has it already)."""
        mu, sigma = self.mu(x) if mu is None else mu, self.sigma
        reached = STANDARD.cdf((_log_days(elapsed) - mu) / sigma) if elapsed > 0 else 0.0
        level = min(reached + q * (1.0 - reached), 1.0 - 1e-9)
        return max(elapsed, math.exp(mu + sigma * STANDARD.inv_cdf(level)))

    def median_days(self, x: Mapping[str, float], elapsed: float) -> float:
        """Median total length of the search given ``elapsed`` days without a job."""
        return self.quantile_days(x, elapsed, 0.5)

    def p_beyond(
        self, x: Mapping[str, float], elapsed: float, horizon: float, *, mu: float | None = None
    ) -> float:
        """P(search lasts ``horizon`` days or more | still searching after ``elapsed``)
        (``mu``: :meth:`mu` of ``x``, when the caller has it already)."""
        if elapsed >= horizon:
            return 1.0
        mu, sigma = self.mu(x) if mu is None else mu, self.sigma
        survive_h = 1.0 - STANDARD.cdf((math.log(horizon) - mu) / sigma)
        survive_e = 1.0 - STANDARD.cdf((_log_days(elapsed) - mu) / sigma) if elapsed > 0 else 1.0
        return min(max(survive_h / max(survive_e, 1e-12), 1e-6), 1.0 - 1e-6)

    # Learning ---------------------------------------------------------------------------------

    def _z(self, mu: float, days: float) -> float:
        return (_log_days(days) - mu) / self.sigma

    def _entry(self, mu: float, start: float) -> tuple[float, float]:
        """(lambda, lambda x z) of the truncation at ``start``; zero from the first day."""
        if start <= 0.0:
            return 0.0, 0.0
        z = self._z(mu, start)
        lam = mills(z)
        return lam, lam * z

    def _step(self, x: Mapping[str, float], mu: float, target: float, sigma_score: float) -> None:
        target = min(max(target, mu - STEP_CLIP), mu + STEP_CLIP)
        self.scaler.learn_one(dense(x))
        self.regression.learn_one(self._standardise(x), target)
        log_sigma = self.log_sigma + SIGMA_LEARNING_RATE * sigma_score
        low, high = SIGMA_BOUNDS
        self.log_sigma = min(max(log_sigma, math.log(low)), math.log(high))

    def learn_survival(self, x: Mapping[str, float], start: float, end: float) -> None:
        """The seeker was still searching from day ``start`` to day ``end``."""
        if end <= start:
            return
        mu, sigma = self.mu(x), self.sigma
        lam_u, lz_u = self._entry(mu, start)
        z_v = self._z(mu, end)
        lam_v = mills(z_v)
        self._step(x, mu, mu + sigma * (lam_v - lam_u), lam_v * z_v - lz_u)
        self.pieces += 1

    def learn_exit(
        self, x: Mapping[str, float], *, start: float, duration: float, returned: bool
    ) -> None:
        """The spell ended on day ``duration``, last seen searching on day ``start``.

        ``returned``: a return to work (the event); otherwise right-censored at ``duration``.
        """
        mu, sigma = self.mu(x), self.sigma
        lam_u, lz_u = self._entry(mu, min(start, duration))
        z = self._z(mu, duration)
        if returned:
            self._step(x, mu, _log_days(duration) - sigma * lam_u, z * z - 1.0 - lz_u)
            self.returns += 1
        else:
            lam = mills(z)
            self._step(x, mu, mu + sigma * (lam - lam_u), lam * z - lz_u)
            self.censored += 1

    def score_return(self, predicted_days: float, duration: float) -> None:
        """Record the error of a prediction made before the return to work was learnt."""
        self.mae_log.update(_log_days(duration), _log_days(predicted_days))
        self.mae_days.update(duration, predicted_days)

    def summary(self) -> dict[str, float | int | None]:
        """Counts and prequential errors (JSON-friendly)."""
        scored = self.returns > 0
        return {
            "returns": self.returns,
            "censored": self.censored,
            "still_searching_pieces": self.pieces,
            "sigma": round(self.sigma, 4),
            "mae_log_days": round(self.mae_log.get(), 4) if scored else None,
            "mae_days": round(self.mae_days.get(), 1) if scored else None,
        }
