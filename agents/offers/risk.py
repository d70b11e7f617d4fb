"""The hard-to-fill risk model: P(an offer is not filled within 30 days), learnt online.

A River logistic regression on standardised features (``features.FEATURE_NAMES``), scored when
the offer is posted and taught its outcome 37 days later (``LABEL_AFTER_DAYS``, see
``logic.OffersHandler._learn_due``), from the features kept since its posting.

* **Imbalance.** Each outcome is learnt with the weight ``0.5 / recent share of its class``
  (capped at 4) so that both classes weigh the same in the loss, whatever the base rate.
* **Calibration.** Balanced weights shift the model's log-odds by ``-logit(base rate)``; the
  probability adds it back (prior-shift correction, Elkan 2001), so it stays calibrated
  (``evaluate.py`` prints a reliability table).
* **Blend with the prior.** Before ``min_outcomes`` outcomes the risk *is* the tension prior.
  Afterwards the log-odds are blended, ``lambda x logit(model) + (1 - lambda) x logit(prior)``,
  with the credibility weight ``lambda = n / (n + 500)`` for n outcomes learnt: 0.29 at 200
  outcomes, 0.67 at 1,000, 0.91 at 5,000. A young model is shrunk towards the prior instead of
  replacing it at once.
* **Monitoring.** Prequential ROC AUC (River's, 100 thresholds), AUC over the last 1,000
  outcomes and log loss of the model's probability *as scored at posting* (the delayed-label
  protocol of ``river.evaluate.progressive_val_score(delay=...)``); AUC over the last 1,000 and
  log loss of the prior alone and of the served risk, to compare; ADWIN on the model's absolute
  error to flag drift.

>>> model = HardToFillModel(learning_rate=0.05)
>>> for i in range(400):
...     hard = i % 3 == 0
...     x = {"salary_gap": 0.3 if hard else -0.05, "tension": 1.0 if hard else 0.0}
...     p = model.model_probability(x)
...     model.learn(x, hard, p_model=p, p_prior=0.4, p_served=p, t=float(i))
>>> model.model_probability({"salary_gap": 0.3, "tension": 1.0}) > 0.8
True
>>> model.n_outcomes, round(model.base_rate, 2)
(400, 0.34)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from river import drift, linear_model, metrics, optim, preprocessing

from agents.metrics import sigmoid
from agents.offers.features import logit

DAY_S = 86_400.0
HORIZON_DAYS = 30.0
# An offer still open this many days after the horizon is learnt as hard without waiting for
# its closure: a hire on day 29 may be reported a few days later, not weeks later.
LABEL_GRACE_DAYS = 7.0
LABEL_AFTER_DAYS = HORIZON_DAYS + LABEL_GRACE_DAYS
BLEND_K = 500.0
LEARNING_RATE = 0.002
L2 = 1e-4
AUC_THRESHOLDS = 100
RECENT_WINDOW = 1000
Z_CLIP = 4.0
PRIOR_BASE_RATE = 0.40  # prior.BASE_RATE: where the base rate starts
RATE_PSEUDO_COUNT = 50.0
RATE_DECAY = 0.999  # the base rate forgets with a half-life of ~700 outcomes
# Outcomes of the rarer class weigh at most 4 times more: when the first months bring mostly
# one class (quick hires close first, slow ones come 37 days later), uncapped balancing
# weights reach the hundreds and blow the weights up.
MAX_CLASS_WEIGHT = 4.0


def hard_to_fill_label(posted_at: float, record: dict[str, Any]) -> bool | None:
    """Whether a closed offer was still unfilled 30 days after posting; None when unknowable.

    Filled: hard when the hire (``filled_at``, else the closure) came after 30 days. Expired:
    hard (never filled). Cancelled: hard when withdrawn after 30 days unfilled; an offer
    withdrawn earlier says nothing about how long it would have taken (right-censored).
    """
    closed_at: datetime = record["closed_at"]
    outcome = record["outcome"]
    if outcome == "filled":
        filled_at: datetime = record.get("filled_at") or closed_at
        return (filled_at.timestamp() - posted_at) / DAY_S > HORIZON_DAYS
    if outcome == "expired":
        return True
    return True if (closed_at.timestamp() - posted_at) / DAY_S > HORIZON_DAYS else None


@dataclass(frozen=True, slots=True)
class RiskEstimate:
    """The risk served for one offer and what it is made of."""

    risk: float
    source: str  # "prior" (not enough outcomes yet) or "model" (blended with the prior)
    p_model: float
    p_prior: float
    model_weight: float  # lambda of the blend


class HardToFillModel:
    """Balanced, prior-corrected online logistic regression with its prequential metrics."""

    def __init__(self, *, learning_rate: float | None = None, l2: float | None = None) -> None:
        lr = LEARNING_RATE if learning_rate is None else learning_rate
        self.scaler = preprocessing.StandardScaler()
        self.classifier = linear_model.LogisticRegression(
            optimizer=optim.SGD(lr), l2=L2 if l2 is None else l2, intercept_lr=lr
        )
        self.positives = 0
        self.negatives = 0
        # Recent base rate: an exponentially decayed share of hard outcomes, started from
        # RATE_PSEUDO_COUNT outcomes at the prior base rate so the first ones do not swing it.
        self._recent_hard = RATE_PSEUDO_COUNT * PRIOR_BASE_RATE
        self._recent_all = RATE_PSEUDO_COUNT
        self.auc = metrics.ROCAUC(n_thresholds=AUC_THRESHOLDS)
        self.recent_auc = metrics.RollingROCAUC(window_size=RECENT_WINDOW)
        self.log_loss = metrics.LogLoss()
        # Cheaper windowed AUCs (exact over the last 1,000) for the two scorers it is compared to.
        self.prior_auc = metrics.RollingROCAUC(window_size=RECENT_WINDOW)
        self.prior_log_loss = metrics.LogLoss()
        self.served_auc = metrics.RollingROCAUC(window_size=RECENT_WINDOW)
        self.served_log_loss = metrics.LogLoss()
        self.adwin = drift.ADWIN()
        self.drift_detected = False
        self.drifts = 0
        self.last_drift_at: float | None = None

    @property
    def n_outcomes(self) -> int:
        """Outcomes learnt so far."""
        return self.positives + self.negatives

    @property
    def base_rate(self) -> float:
        """Share of hard offers among the recent outcomes (about the last 1,000)."""
        return self._recent_hard / self._recent_all

    def _standardise(self, x: dict[str, float]) -> dict[str, float]:
        # A feature seen nearly constant so far (a month not seen yet, a rare contract) has a
        # tiny variance: clipping keeps one surprising value from blowing the weights up.
        z = self.scaler.transform_one(x)
        for k, v in z.items():
            if v > Z_CLIP:
                z[k] = Z_CLIP
            elif v < -Z_CLIP:
                z[k] = -Z_CLIP
        return z

    def model_probability(self, x: dict[str, float]) -> float:
        """The model's own calibrated P(not filled within 30 days) for features ``x``."""
        z = self._standardise(x)
        balanced = self.classifier.predict_proba_one(z)[True]
        return sigmoid(logit(balanced) + logit(self.base_rate))

    def assess(self, x: dict[str, float], p_prior: float, *, min_outcomes: int) -> RiskEstimate:
        """The risk to serve: the prior until ``min_outcomes``, then the blend."""
        p_model = self.model_probability(x)
        n = self.n_outcomes
        if n < min_outcomes:
            return RiskEstimate(p_prior, "prior", p_model, p_prior, 0.0)
        weight = n / (n + BLEND_K)
        risk = sigmoid(weight * logit(p_model) + (1.0 - weight) * logit(p_prior))
        return RiskEstimate(risk, "model", p_model, p_prior, weight)

    def contributions(self, x: dict[str, float]) -> dict[str, float]:
        """Each feature's push on the model's log-odds: weight x standardised value."""
        z = self._standardise(x)
        weights = self.classifier.weights
        return {name: weights.get(name, 0.0) * value for name, value in z.items()}

    def learn(
        self,
        x: dict[str, float],
        hard: bool,
        *,
        p_model: float,
        p_prior: float,
        p_served: float,
        t: float,
    ) -> None:
        """Score the posting-time probabilities against the outcome, then learn it."""
        self.auc.update(hard, p_model)
        self.recent_auc.update(hard, p_model)
        self.log_loss.update(hard, p_model)
        self.prior_auc.update(hard, p_prior)
        self.prior_log_loss.update(hard, p_prior)
        self.served_auc.update(hard, p_served)
        self.served_log_loss.update(hard, p_served)
        self.adwin.update(abs(float(hard) - p_model))
        self.drift_detected = self.adwin.drift_detected
        if self.drift_detected:
            self.drifts += 1
            self.last_drift_at = t
        rate = self.base_rate
        weight = 0.5 / rate if hard else 0.5 / (1.0 - rate)
        weight = min(max(weight, 1.0 / MAX_CLASS_WEIGHT), MAX_CLASS_WEIGHT)
        self.scaler.learn_one(x)
        self.classifier.learn_one(self._standardise(x), hard, w=weight)
        if hard:
            self.positives += 1
        else:
            self.negatives += 1
        self._recent_hard = RATE_DECAY * self._recent_hard + float(hard)
        self._recent_all = RATE_DECAY * self._recent_all + 1.0

    def summary(self) -> dict[str, Any]:
        """Metrics for the snapshot metadata and the Redis model hash (JSON-friendly)."""
        n = self.n_outcomes

        def value(metric: Any) -> float | None:
            return round(float(metric.get()), 4) if n else None

        return {
            "outcomes": n,
            "positives": self.positives,
            "base_rate": round(self.base_rate, 4),
            "auc": value(self.auc),
            "recent_auc": value(self.recent_auc),
            "log_loss": value(self.log_loss),
            "prior_recent_auc": value(self.prior_auc),
            "prior_log_loss": value(self.prior_log_loss),
            "served_recent_auc": value(self.served_auc),
            "served_log_loss": value(self.served_log_loss),
            "drift": self.drift_detected,
            "drifts": self.drifts,
            "last_drift_at": (
                datetime.fromtimestamp(self.last_drift_at, UTC).isoformat()
                if self.last_drift_at is not None
                else None
            ),
        }
