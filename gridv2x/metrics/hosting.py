"""Hosting capacity (EPRI stochastic method) and adoption-forecast statistics.

A hosting-capacity study runs many Monte-Carlo draws (seeds) of EV placement and driving per EV
share; each draw either violates a counted criterion or not (``summarize(...)["violation"]``).
Per share the share of violating draws estimates the violation probability; the hosting
capacity is the largest share whose probability stays within the accepted risk.

References
----------
.. [1] EPRI, *Stochastic Analysis to Determine Feeder Hosting Capacity for Distributed Solar
   PV*, report 1026640, Palo Alto, 2012 (first violation, "all scenarios violate" and the
   range between them).
.. [2] E. B. Wilson, "Probable inference, the law of succession, and statistical inference",
   *J. Am. Stat. Assoc.* 22 (158), 209-212, 1927.
.. [3] A. Agresti and B. A. Coull, "Approximate is better than 'exact' for interval
   estimation of binomial proportions", *Am. Stat.* 52 (2), 119-126, 1998.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import pandas as pd

from gridv2x.errors import InputError

__all__ = [
    "wilson_interval",
    "violation_probability",
    "hosting_capacity",
    "first_violation_year",
    "deferral_years",
]

UNCONTROLLED = "uncontrolled"
_INTERVAL_COLUMNS = ("probability_low", "probability_high")


def wilson_interval(
    violations: np.ndarray | int, n: np.ndarray | int, *, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a binomial proportion.

    Parameters
    ----------
    violations : int or array of int
        Number of violating draws ``k``.
    n : int or array of int
        Number of draws (> 0).
    confidence : float
        Two-sided confidence level (0 < confidence < 1).

    Returns
    -------
    (low, high) : tuple of numpy.ndarray
        ``(p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)`` with ``p = k/n`` and ``z``
        the ``(1 + confidence)/2`` standard-normal quantile; always within [0, 1], and not
        degenerate at k = 0 or k = n (unlike the normal approximation).

    References
    ----------
    .. [1] Wilson (1927); Agresti and Coull (1998).
    """
    if not 0.0 < confidence < 1.0:
        raise InputError(f"confidence must be between 0 and 1 (exclusive), got {confidence!r}")
    k = np.asarray(violations, dtype=float)
    n = np.asarray(n, dtype=float)
    if (n <= 0).any() or (k < 0).any() or (k > n).any():
        raise InputError("need 0 <= violations <= n and n > 0 for a confidence interval")
    z = NormalDist().inv_cdf(0.5 + confidence / 2.0)
    p = k / n
    denom = 1.0 + z**2 / n
    centre = (p + z**2 / (2.0 * n)) / denom
    half = z * np.sqrt(p * (1.0 - p) / n + z**2 / (4.0 * n**2)) / denom
    # exact ends: at k = 0 the lower bound is 0, at k = n the upper bound is 1
    low = np.where(k == 0, 0.0, np.clip(centre - half, 0.0, 1.0))
    high = np.where(k == n, 1.0, np.clip(centre + half, 0.0, 1.0))
    return low, high


def _require(table: pd.DataFrame, columns: tuple[str, ...], what: str) -> pd.DataFrame:
    if not isinstance(table, pd.DataFrame):
        raise InputError(f"{what} needs a DataFrame, got {type(table)!r}")
    missing = [c for c in columns if c not in table]
    if missing:
        raise InputError(f"{what} needs the columns {list(columns)}; missing {missing}")
    if len(table) == 0:
        raise InputError(f"{what} got an empty table")
    values = table["violation"]
    if values.isna().any() or not values.isin([True, False, 0, 1]).all():
        raise InputError(f"{what}: column 'violation' must be true/false for every draw")
    table = table.copy()
    table["violation"] = values.astype(bool)
    return table


def violation_probability(
    table: pd.DataFrame,
    *,
    confidence: float = 0.95,
    by: tuple[str, ...] = ("feeder", "strategy", "ev_share"),
) -> pd.DataFrame:
    """Probability of a violation per feeder, strategy and EV share, with its interval.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per draw with columns ``feeder, strategy, ev_share, seed, violation`` (bool),
        and optionally ``violates_<criterion>`` booleans.
    confidence : float
        Confidence level of the Wilson interval [-].
    by : tuple of str
        Grouping columns (``("feeder", "strategy", "year")`` for an adoption forecast).

    Returns
    -------
    pandas.DataFrame
        One row per group, sorted: the ``by`` columns, ``n`` (draws), ``violations``,
        ``probability`` = violations / n, ``probability_low`` and ``probability_high`` (Wilson
        interval), and ``probability_<criterion>`` for every ``violates_<criterion>`` column.

    References
    ----------
    .. [1] EPRI 1026640 (2012); Wilson (1927).
    """
    by = tuple(by)
    table = _require(table, (*by, "violation"), "violation_probability")
    criteria = [c for c in table.columns if c.startswith("violates_")]
    grouped = table.groupby(list(by), sort=True)
    out = grouped["violation"].agg(n="size", violations="sum").reset_index()
    out["violations"] = out["violations"].astype(int)
    out["probability"] = out["violations"] / out["n"]
    low, high = wilson_interval(out["violations"], out["n"], confidence=confidence)
    out["probability_low"] = low
    out["probability_high"] = high
    for column in criteria:
        share = grouped[column].mean().to_numpy(dtype=float)
        out["probability_" + column.removeprefix("violates_")] = share
    return out


def hosting_capacity(
    table: pd.DataFrame, *, risk: float = 0.05, confidence: float = 0.95
) -> pd.DataFrame:
    """Hosting capacity per feeder and strategy from a Monte-Carlo EV-share sweep.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per draw: ``feeder, strategy, ev_share, seed, violation`` (as for
        :func:`violation_probability`).
    risk : float
        Accepted violation probability [-] (``study.risk``, 5 %).
    confidence : float
        Confidence level of the interval reported by :func:`violation_probability`.

    Returns
    -------
    pandas.DataFrame
        One row per (feeder, strategy):

        - ``hosting_capacity_share``: the largest tested share such that it **and every
          smaller tested share** have violation probability <= ``risk`` (a monotone rule: a
          noisy pass above a failing share does not count); 0 when the smallest share fails;
        - ``hosting_capacity_reached``: False when even the largest tested share passes (the
          capacity is then at least ``hosting_capacity_share``);
        - ``first_violation_share``: smallest share with at least one violating draw (EPRI
          "minimum hosting capacity"); NaN if none;
        - ``all_violate_share``: smallest share at which every draw violates (EPRI "maximum
          hosting capacity"); NaN if none;
        - ``n_shares`` and ``draws_per_share`` (the smallest number of draws of any share);
        - ``hosting_capacity_share_<criterion>`` for every ``violates_<criterion>`` column of
          ``table``: the same rule applied to that criterion alone (which limit binds).

    References
    ----------
    .. [1] EPRI 1026640 (2012): stochastic hosting capacity.
    """
    if not 0.0 <= risk <= 1.0:
        raise InputError(f"risk must be between 0 and 1, got {risk!r}")
    probs = violation_probability(table, confidence=confidence)
    criteria = [
        c for c in probs.columns if c.startswith("probability_") and c not in _INTERVAL_COLUMNS
    ]
    rows = []
    for (feeder, strategy), group in probs.groupby(["feeder", "strategy"], sort=True):
        group = group.sort_values("ev_share")
        shares = group["ev_share"].to_numpy(dtype=float)
        capacity, reached = _capacity(shares, group["probability"].to_numpy(), risk)
        any_violation = group["violations"].to_numpy() > 0
        every = group["violations"].to_numpy() == group["n"].to_numpy()
        row = {
            "feeder": feeder,
            "strategy": strategy,
            "hosting_capacity_share": capacity,
            "hosting_capacity_reached": reached,
            "first_violation_share": _first(shares, any_violation),
            "all_violate_share": _first(shares, every),
            "n_shares": len(shares),
            "draws_per_share": int(group["n"].min()),
        }
        for column in criteria:
            crit = column.removeprefix("probability_")
            row[f"hosting_capacity_share_{crit}"] = _capacity(
                shares, group[column].to_numpy(), risk
            )[0]
        rows.append(row)
    return pd.DataFrame(rows)


def _capacity(shares: np.ndarray, probability: np.ndarray, risk: float) -> tuple[float, bool]:
    """Monotone rule: the largest share before the first share with probability > risk."""
    fails = np.flatnonzero(probability > risk)
    if len(fails) == 0:
        return float(shares[-1]), False
    if fails[0] == 0:
        return 0.0, True
    return float(shares[fails[0] - 1]), True


def _first(values: np.ndarray, mask: np.ndarray) -> float:
    hit = np.flatnonzero(mask)
    return float(values[hit[0]]) if len(hit) else float("nan")


def first_violation_year(table: pd.DataFrame, *, risk: float = 0.05) -> pd.DataFrame:
    """First year on the adoption curve whose violation probability exceeds the risk.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per draw: ``feeder, strategy, year, seed, violation`` (bool).
    risk : float
        Accepted violation probability [-] (``study.risk``).

    Returns
    -------
    pandas.DataFrame
        One row per (feeder, strategy): ``first_violation_year`` (first tested year with
        probability > ``risk``; NaN if none), ``first_year`` and ``last_year`` (the tested
        horizon) and ``probability_last_year``.

    References
    ----------
    .. [1] EPRI 1026640 (2012); gridv2x issue 7 (adoption forecast).
    """
    if not 0.0 <= risk <= 1.0:
        raise InputError(f"risk must be between 0 and 1, got {risk!r}")
    probs = violation_probability(table, by=("feeder", "strategy", "year"))
    rows = []
    for (feeder, strategy), group in probs.groupby(["feeder", "strategy"], sort=True):
        group = group.sort_values("year")
        years = group["year"].to_numpy(dtype=float)
        rows.append(
            {
                "feeder": feeder,
                "strategy": strategy,
                "first_violation_year": _first(years, group["probability"].to_numpy() > risk),
                "first_year": float(years[0]),
                "last_year": float(years[-1]),
                "probability_last_year": float(group["probability"].iloc[-1]),
            }
        )
    return pd.DataFrame(rows)


def deferral_years(first_years: pd.DataFrame) -> pd.DataFrame:
    """Years of grid-investment deferral each strategy buys over uncontrolled charging.

    Parameters
    ----------
    first_years : pandas.DataFrame
        Output of :func:`first_violation_year` (``feeder, strategy, first_violation_year``,
        and ``last_year``), including the ``uncontrolled`` strategy for each feeder.

    Returns
    -------
    pandas.DataFrame
        One row per feeder and non-uncontrolled strategy (``v1g``, ``v2g``):
        ``first_violation_year``, ``uncontrolled_first_violation_year``, ``deferral_years`` =
        strategy year - uncontrolled year, and ``deferral_is_lower_bound``. When the strategy
        does not violate within the horizon the deferral is reported as ``last_year -
        uncontrolled year`` with ``deferral_is_lower_bound`` True (it is more than that); when
        uncontrolled charging never violates there is nothing to defer: NaN.

    References
    ----------
    .. [1] gridv2x issue 7 (adoption forecast: years of deferral of V1G and V2G).
    """
    needed = ("feeder", "strategy", "first_violation_year", "last_year")
    missing = [c for c in needed if c not in first_years]
    if missing:
        raise InputError(f"deferral_years needs the columns {list(needed)}; missing {missing}")
    rows = []
    for feeder, group in first_years.groupby("feeder", sort=True):
        base = group[group["strategy"] == UNCONTROLLED]
        if len(base) != 1:
            raise InputError(f"feeder {feeder!r}: need exactly one 'uncontrolled' row")
        base_year = float(base["first_violation_year"].iloc[0])
        for _, row in group[group["strategy"] != UNCONTROLLED].iterrows():
            year = float(row["first_violation_year"])
            lower = False
            if np.isnan(base_year):
                deferral = float("nan")
            elif np.isnan(year):
                deferral, lower = float(row["last_year"]) - base_year, True
            else:
                deferral = year - base_year
            rows.append(
                {
                    "feeder": feeder,
                    "strategy": row["strategy"],
                    "first_violation_year": year,
                    "uncontrolled_first_violation_year": base_year,
                    "deferral_years": deferral,
                    "deferral_is_lower_bound": lower,
                }
            )
    return pd.DataFrame(
        rows,
        columns=[
            "feeder",
            "strategy",
            "first_violation_year",
            "uncontrolled_first_violation_year",
            "deferral_years",
            "deferral_is_lower_bound",
        ],
    )
