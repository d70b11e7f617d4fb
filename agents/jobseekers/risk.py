"""Risk of long-term unemployment: P(still registered 12 months after registering).

The label is the register's own definition of long-term job seekers (inscrits depuis un an ou
plus): a seeker still registered on day 365 is long-term, whatever happens afterwards; one who
left the register before, for a job or any other reason, is not. Every example is learnt on its
registration's 365th day, never earlier: learning the exits as they come and the long-term
seekers a year later would show the model, at any moment, mostly the seekers who left early.

The examples are landmarks: the profile as it was when first seen and then at most every
``LANDMARK_EVERY_DAYS`` (see ``model.py``), each with the days already registered, so the model
answers for any seeker at any point of their search: P(long-term | profile, still registered
after d days).

* **Features**: the log-odds the duration model gives for the same event,
  ``P(T >= 365 | T > d)`` (``survival.DurationModel.p_beyond``, which reads the profile features
  and learns from every exit and every seeker still searching, at once), and the days
  registered (log and share of the year). The duration model's probability is computed when the
  example is learnt, by the duration model of that moment, as it is when a risk is served: the
  classifier learns how to read today's duration model, not last year's. The profile features
  themselves are not repeated here: given to the classifier too, they lowered its held-out AUC
  (0.724 against 0.733, seed 7) by the noise of weights learnt a year late.
* **Classifier**: River ``StandardScaler`` then ``LogisticRegression``, unweighted (the classes
  are not rare: about half are long-term), so its probability is calibrated by its loss: it
  corrects the duration model's lognormal shape where the spells' real shape differs.
* **Calibration**: an online Platt layer, ``sigmoid(a logit(p) + b)``, learnt on each outcome
  before the classifier learns it, corrects what SGD's slow convergence leaves; ``evaluate.py``
  prints the reliability table.
* **Monitoring**: prequential ROC AUC and log loss of the served probability, of the duration
  model's probability and of the recent base rate (the prior), over the outcomes learnt.

>>> model = LongTermModel()
>>> for i in range(3000):
...     long = i % 3 == 0
...     p = 0.9 if long else 0.2  # what the duration model said
...     x = model.features(30.0, p)
...     model.learn(x, long, p_served=model.probability(x), p_survival=p)
>>> high, low = (model.probability(model.features(30.0, p)) for p in (0.9, 0.2))
>>> high > 0.8, low < 0.2
(True, True)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from river import linear_model, metrics, optim, preprocessing

from agents.metrics import sigmoid

HORIZON_DAYS = 365.0
LEARNING_RATE = 0.01
L2 = 1e-4
Z_CLIP = 4.0
PLATT_LEARNING_RATE = 0.005
PRIOR_BASE_RATE = 0.5  # where the base rate starts: no opinion
RATE_PSEUDO_COUNT = 20.0
RATE_DECAY = 0.999  # the base rate forgets with a half-life of ~700 outcomes
P_CLIP = 1e-6


def logit(p: float) -> float:
    """log(p / (1 - p)), with p clipped away from 0 and 1."""
    p = min(max(p, P_CLIP), 1.0 - P_CLIP)
    return math.log(p / (1.0 - p))


class LongTermModel:
    """Calibrated online logistic regression of P(registered 12 months or more)."""

    def __init__(self) -> None:
        self.scaler = preprocessing.StandardScaler()
        self.classifier = linear_model.LogisticRegression(
            optimizer=optim.SGD(LEARNING_RATE), l2=L2, intercept_lr=LEARNING_RATE
        )
        self.platt_a = 1.0
        self.platt_b = 0.0
        self.positives = 0
        self.negatives = 0
        self._recent_long = RATE_PSEUDO_COUNT * PRIOR_BASE_RATE
        self._recent_all = RATE_PSEUDO_COUNT
        self.auc = metrics.ROCAUC(n_thresholds=100)
        self.log_loss = metrics.LogLoss()
        self.survival_auc = metrics.ROCAUC(n_thresholds=100)
        self.survival_log_loss = metrics.LogLoss()
        self.prior_log_loss = metrics.LogLoss()

    @property
    def n_outcomes(self) -> int:
        """Outcomes learnt so far."""
        return self.positives + self.negatives

    @property
    def base_rate(self) -> float:
        """Share of long-term seekers among the recent outcomes (the prior)."""
        return self._recent_long / self._recent_all

    @staticmethod
    def features(elapsed: float, p_survival: float) -> dict[str, float]:
        """The classifier's input: the duration model's view and the time registered."""
        return {
            "elapsed_log": math.log1p(elapsed),
            "elapsed_year_share": min(elapsed, HORIZON_DAYS) / HORIZON_DAYS,
            "survival_logit": logit(p_survival),
        }

    def _standardise(self, x: Mapping[str, float]) -> dict[str, float]:
        z = self.scaler.transform_one(dict(x))
        return {k: min(max(v, -Z_CLIP), Z_CLIP) for k, v in z.items()}

    def _raw_logit(self, x: Mapping[str, float]) -> float:
        return logit(self.classifier.predict_proba_one(self._standardise(x))[True])

    def probability(self, x: Mapping[str, float]) -> float:
        """Calibrated P(long-term) for classifier input ``x`` (see :meth:`features`)."""
        return sigmoid(self.platt_a * self._raw_logit(x) + self.platt_b)

    def learn(
        self, x: Mapping[str, float], long_term: bool, *, p_served: float, p_survival: float
    ) -> None:
        """Score the probabilities given at the landmark against the outcome, then learn it."""
        self.auc.update(long_term, p_served)
        self.log_loss.update(long_term, p_served)
        self.survival_auc.update(long_term, p_survival)
        self.survival_log_loss.update(long_term, p_survival)
        self.prior_log_loss.update(long_term, self.base_rate)
        y = float(long_term)
        raw = self._raw_logit(x)
        error = y - sigmoid(self.platt_a * raw + self.platt_b)
        self.platt_a += PLATT_LEARNING_RATE * error * raw
        self.platt_b += PLATT_LEARNING_RATE * error
        self.scaler.learn_one(dict(x))
        self.classifier.learn_one(self._standardise(x), long_term)
        if long_term:
            self.positives += 1
        else:
            self.negatives += 1
        self._recent_long = RATE_DECAY * self._recent_long + y
        self._recent_all = RATE_DECAY * self._recent_all + 1.0

    def summary(self) -> dict[str, Any]:
        """Counts and prequential metrics (JSON-friendly)."""
        n = self.n_outcomes

        def value(metric: Any) -> float | None:
            return round(float(metric.get()), 4) if n else None

        return {
            "outcomes": n,
            "positives": self.positives,
            "base_rate": round(self.base_rate, 4),
            "auc": value(self.auc),
            "log_loss": value(self.log_loss),
            "survival_auc": value(self.survival_auc),
            "survival_log_loss": value(self.survival_log_loss),
            "prior_log_loss": value(self.prior_log_loss),
            "platt": [round(self.platt_a, 4), round(self.platt_b, 4)],
        }
