"""How sure a violation probability is: exact bounds and the sequential decision per share.

Each Monte-Carlo draw at one EV share (or adoption year) either violates a counted limit or
not, so ``k`` violating draws of ``n`` are a binomial sample of the share's violation
probability ``p``. A planner signs "the feeder hosts at least this share", which is the
one-sided claim ``p <= risk``; it is made only where the **upper** confidence bound of ``p``
is at most ``risk``.

Bounds: Clopper-Pearson (exact, from the beta distribution, ``scipy.stats.beta``), not
Wilson. The claims are made at ``k = 0`` or ``1`` violations, where Wilson's bound is too low
(at ``k = 0`` the one-sided Wilson bound ``z²/(n+z²)`` accepts ``p <= 5 %`` after 52 draws,
the exact bound after 59; Wilson's coverage falls below the nominal level near ``p = 0``,
Brown, Cai and DasGupta 2001); Clopper-Pearson never covers less than the stated confidence.

Sequential design (:class:`SequentialDesign`): ``first`` draws per share, then ``first`` more
at each look while the share is undecided, up to ``max`` draws. At each look a share is

* ``safe``: the upper bound of ``p`` is at most ``risk`` (demonstrated);
* ``unsafe``: the lower bound of ``p`` exceeds ``risk`` (a violation risk is demonstrated);
* ``not_demonstrable``: it is not safe now and cannot become safe within ``max`` draws even if
  every further draw passes (curtailment: it can never change the capacity, so it stops);
* ``pending``: none of these and fewer than ``max`` draws (more draws are due);
* ``undecided``: none of these after ``max`` draws.

A safe claim may be made at more than one look, and each look is a chance of a wrong claim.
The error is split evenly over the looks at which a safe claim is possible at all (Bonferroni;
:meth:`SequentialDesign.safe_confidence`), so a safe claim holds with at least ``confidence``
whatever look made it. With ``max`` = the smallest number of draws that can show ``p <= risk``
(59 at 5 % and 95 %) there is one such look, and the design makes exactly the decisions of a
fixed design of ``max`` draws, stopping early where the answer is already known.

References
----------
.. [1] C. J. Clopper and E. S. Pearson, "The use of confidence or fiducial limits illustrated
   in the case of the binomial", *Biometrika* 26 (4), 404-413, 1934.
.. [2] L. D. Brown, T. T. Cai and A. DasGupta, "Interval estimation for a binomial
   proportion", *Statistical Science* 16 (2), 101-133, 2001.
.. [3] C. Jennison and B. W. Turnbull, *Group Sequential Methods with Applications to
   Clinical Trials*, Chapman & Hall/CRC, 2000 (curtailment; error spending over looks).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy.stats import beta

from gridv2x.errors import InputError

__all__ = [
    "upper_bound",
    "lower_bound",
    "SequentialDesign",
    "SAFE",
    "UNSAFE",
    "NOT_DEMONSTRABLE",
    "PENDING",
    "UNDECIDED",
    "DECISIONS",
]

SAFE = "safe"
UNSAFE = "unsafe"
NOT_DEMONSTRABLE = "not_demonstrable"
PENDING = "pending"
UNDECIDED = "undecided"
DECISIONS = (SAFE, UNSAFE, NOT_DEMONSTRABLE, PENDING, UNDECIDED)
"""The states of one share (see the module docstring)."""


def _check(k: np.ndarray, n: np.ndarray, confidence: float) -> None:
    if not 0.0 < confidence < 1.0:
        raise InputError(f"confidence must be between 0 and 1 (exclusive), got {confidence!r}")
    if (n <= 0).any() or (k < 0).any() or (k > n).any():
        raise InputError("need 0 <= violations <= n and n > 0 for a confidence bound")


def upper_bound(
    violations: np.ndarray | int, n: np.ndarray | int, *, confidence: float = 0.95
) -> np.ndarray:
    """One-sided Clopper-Pearson upper confidence bound of a binomial proportion.

    Parameters
    ----------
    violations : int or array of int
        Violating draws ``k``.
    n : int or array of int
        Draws (> 0).
    confidence : float
        One-sided confidence level [-]: ``P(p <= bound) >= confidence``.

    Returns
    -------
    numpy.ndarray
        ``Beta(confidence; k + 1, n - k)`` quantile, 1 at ``k = n``; at ``k = 0`` it is
        ``1 - (1 - confidence)^(1/n)``.
    """
    k = np.asarray(violations, dtype=float)
    n = np.asarray(n, dtype=float)
    _check(k, n, confidence)
    with np.errstate(invalid="ignore", divide="ignore"):
        bound = beta.ppf(confidence, k + 1.0, np.maximum(n - k, 1e-300))
    return np.where(k >= n, 1.0, bound)


def lower_bound(
    violations: np.ndarray | int, n: np.ndarray | int, *, confidence: float = 0.95
) -> np.ndarray:
    """One-sided Clopper-Pearson lower confidence bound (0 at ``k = 0``)."""
    k = np.asarray(violations, dtype=float)
    n = np.asarray(n, dtype=float)
    _check(k, n, confidence)
    with np.errstate(invalid="ignore", divide="ignore"):
        bound = beta.ppf(1.0 - confidence, np.maximum(k, 1e-300), n - k + 1.0)
    return np.where(k <= 0, 0.0, bound)


def draws_to_show_safe(risk: float, confidence: float) -> int:
    """Fewest draws that can show ``p <= risk`` (all of them without a violation) [-]."""
    if risk <= 0.0:
        return 10**9
    if risk >= 1.0:
        return 1
    return int(np.ceil(np.log(1.0 - confidence) / np.log(1.0 - risk) - 1e-12))


@dataclass(frozen=True)
class SequentialDesign:
    """Draws per share and the decision rule of a sequential hosting-capacity study.

    Parameters
    ----------
    risk : float
        Accepted violation probability [-] (``study.risk``).
    confidence : float
        Confidence of every claim [-] (``study.confidence``).
    first : int
        Draws per share before the first look, and draws added per look [-] (``study.seeds``).
    max : int
        Most draws of one share [-] (``study.max_seeds``; = ``first``: a fixed design).
    """

    risk: float
    confidence: float
    first: int
    max: int

    def __post_init__(self) -> None:
        if not 0.0 <= self.risk <= 1.0:
            raise InputError(f"risk must be between 0 and 1, got {self.risk!r}")
        if not 0.0 < self.confidence < 1.0:
            raise InputError(f"confidence must be between 0 and 1, got {self.confidence!r}")
        if self.first < 1 or self.max < self.first:
            raise InputError(
                f"need 1 <= study.seeds <= study.max_seeds, got {self.first} and {self.max}"
            )

    @property
    def looks(self) -> tuple[int, ...]:
        """Draw counts at which a share is judged: first, 2 first, ..., max [-]."""
        looks = list(range(self.first, self.max, self.first))
        return (*looks, self.max)

    @cached_property
    def safe_confidence(self) -> float:
        """Confidence of each look's safe test, so that any safe claim holds with
        ``confidence`` [-].

        The error ``1 - confidence`` is split over the ``J`` looks at which a share can be
        shown safe at level ``1 - (1 - confidence)/J`` (Bonferroni); ``J`` is the smallest
        count consistent with itself.
        """
        alpha = 1.0 - self.confidence
        looks = self.looks
        for j in range(1, len(looks) + 1):
            need = draws_to_show_safe(self.risk, 1.0 - alpha / j)
            if sum(n >= need for n in looks) <= j:
                return 1.0 - alpha / j
        return 1.0 - alpha / len(looks)

    @property
    def fixed_draws(self) -> int:
        """Draws per share of the fixed design that can show ``p <= risk`` at ``confidence``."""
        return draws_to_show_safe(self.risk, self.confidence)

    def probability_high(self, k: np.ndarray | int, n: np.ndarray | int) -> np.ndarray:
        """Upper bound of ``p`` at :attr:`safe_confidence` (the bound a safe claim uses)."""
        return upper_bound(k, n, confidence=self.safe_confidence)

    def probability_low(self, k: np.ndarray | int, n: np.ndarray | int) -> np.ndarray:
        """Lower bound of ``p`` at ``confidence`` (an unsafe claim)."""
        return lower_bound(k, n, confidence=self.confidence)

    def decide(self, k: int, n: int) -> str:
        """The state of a share with ``k`` violating draws of ``n`` (module docstring)."""
        k, n = int(k), int(n)
        if n <= 0:
            return PENDING
        if float(self.probability_high(k, n)) <= self.risk:
            return SAFE
        if float(self.probability_low(k, n)) > self.risk:
            return UNSAFE
        if float(self.probability_high(k, max(n, self.max))) > self.risk:
            return NOT_DEMONSTRABLE  # even max draws without another violation cannot show it
        return PENDING if n < self.max else UNDECIDED

    def decide_all(self, k: np.ndarray, n: np.ndarray) -> list[str]:
        return [self.decide(a, b) for a, b in zip(k, n, strict=True)]
