"""Hosting capacity (EPRI stochastic method) and adoption-forecast statistics.

A hosting-capacity study runs many Monte-Carlo draws (seeds) of EV placement and driving per EV
share; each draw either violates a counted criterion or not (``summarize(...)["violation"]``).
Per share the share of violating draws estimates the violation probability; the hosting
capacity is the largest share whose violation probability is shown to stay within the
accepted risk (its upper confidence bound at most ``risk``, :mod:`gridv2x.metrics.confidence`),
and every smaller share's too. Where no share is shown safe the capacity is "not demonstrated",
never a number the draws do not support.

References
----------
.. [1] EPRI, *Stochastic Analysis to Determine Feeder Hosting Capacity for Distributed Solar
   PV*, report 1026640, Palo Alto, 2012 (first violation, "all scenarios violate" and the
   range between them).
.. [2] E. B. Wilson, "Probable inference, the law of succession, and statistical inference",
   *J. Am. Stat. Assoc.* 22 (158), 209-212, 1927.
.. [3] A. Agresti and B. A. Coull, "Approximate is better than 'exact' for interval
   estimation of binomial proportions", *Am. Stat.* 52 (2), 119-126, 1998.
.. [4] C. J. Clopper and E. S. Pearson, *Biometrika* 26 (4), 404-413, 1934 (the bounds used
   for the claims; Wilson's interval is kept as a function for comparison).
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import pandas as pd

from gridv2x.errors import InputError
from gridv2x.metrics.confidence import SAFE, UNSAFE, SequentialDesign

__all__ = [
    "wilson_interval",
    "violation_probability",
    "hosting_capacity",
    "capacity_statement",
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
    risk: float = 0.05,
    design: SequentialDesign | None = None,
) -> pd.DataFrame:
    """Probability of a violation per feeder, strategy and EV share, with exact bounds.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per draw with columns ``feeder, strategy, ev_share, seed, violation`` (bool),
        and optionally ``violates_<criterion>`` booleans.
    confidence : float
        Confidence of the bounds [-] (``study.confidence``).
    by : tuple of str
        Grouping columns (``("feeder", "strategy", "year")`` for an adoption forecast).
    risk : float
        Accepted violation probability [-] (``study.risk``), for the ``decision`` column.
    design : SequentialDesign, optional
        The draw design (:func:`gridv2x.execution.sequential.design_of`); default: a fixed
        design of the largest number of draws of any group.

    Returns
    -------
    pandas.DataFrame
        One row per group, sorted: the ``by`` columns, ``n`` (draws), ``violations``,
        ``probability`` = violations / n, ``probability_low`` (one-sided Clopper-Pearson
        lower bound at ``confidence``), ``probability_high`` (one-sided upper bound at the
        design's ``safe_confidence``: the bound a safe claim is made on), ``confidence``,
        ``decision`` (:data:`gridv2x.metrics.confidence.DECISIONS`) and
        ``probability_<criterion>`` for every ``violates_<criterion>`` column.

    References
    ----------
    .. [1] EPRI 1026640 (2012); Clopper and Pearson (1934).
    """
    by = tuple(by)
    table = _require(table, (*by, "violation"), "violation_probability")
    criteria = [c for c in table.columns if c.startswith("violates_")]
    grouped = table.groupby(list(by), sort=True)
    out = grouped["violation"].agg(n="size", violations="sum").reset_index()
    out["violations"] = out["violations"].astype(int)
    if design is None:
        most = int(out["n"].max())
        design = SequentialDesign(risk=risk, confidence=confidence, first=most, max=most)
    out["probability"] = out["violations"] / out["n"]
    out["probability_low"] = design.probability_low(out["violations"], out["n"])
    out["probability_high"] = design.probability_high(out["violations"], out["n"])
    out["confidence"] = design.confidence
    out["decision"] = design.decide_all(out["violations"].to_numpy(), out["n"].to_numpy())
    for column in criteria:
        share = grouped[column].mean().to_numpy(dtype=float)
        out["probability_" + column.removeprefix("violates_")] = share
    return out


def hosting_capacity(
    table: pd.DataFrame,
    *,
    risk: float = 0.05,
    confidence: float = 0.95,
    design: SequentialDesign | None = None,
) -> pd.DataFrame:
    """Hosting capacity per feeder and strategy, as far as the draws demonstrate it.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per draw: ``feeder, strategy, ev_share, seed, violation`` (as for
        :func:`violation_probability`), optionally ``n_customers`` (for the number of EVs).
    risk : float
        Accepted violation probability [-] (``study.risk``, 5 %).
    confidence : float
        Confidence of the claim [-] (``study.confidence``, 95 %).
    design : SequentialDesign, optional
        The draw design; default: a fixed design of the most draws of any share.

    Returns
    -------
    pandas.DataFrame
        One row per (feeder, strategy):

        - ``hosting_capacity_share`` [EVs per customer]: the largest tested share such that it
          **and every smaller tested share** are shown safe (upper confidence bound of the
          violation probability <= ``risk``, :mod:`gridv2x.metrics.confidence`); 0 when the
          smallest share is not;
        - ``demonstrated``: whether any share was shown safe (False: "not demonstrated at this
          risk with N draws", and ``hosting_capacity_share`` 0 means nothing);
        - ``hosting_capacity_evs`` [EVs]: the capacity as a number of EVs (needs
          ``n_customers``);
        - ``hosting_capacity_probability_high``: the upper bound at the capacity share;
        - ``hosting_capacity_reached``: False when every tested share is shown safe (the
          capacity is then at least the largest one);
        - ``first_unsafe_share``: smallest share with a violation probability shown above
          ``risk`` (the capacity is below it); NaN if none;
        - ``first_violation_share`` / ``all_violate_share``: smallest share with at least one /
          with every draw violating (EPRI minimum / maximum hosting capacity); NaN if none;
        - ``highest_share_drawn``: the largest share with draws (with ``study.sweep: ordered``
          the shares above the first violating one are not drawn, so the two columns above
          say nothing beyond it);
        - ``n_shares``, ``draws_total``, ``draws_per_share`` (``share:draws`` per share),
          ``confidence``, ``risk`` and ``statement`` (the sentence the report prints);
        - ``hosting_capacity_share_<criterion>`` for every ``violates_<criterion>`` column:
          the same rule for that criterion alone (which limit binds).

    References
    ----------
    .. [1] EPRI 1026640 (2012): stochastic hosting capacity.
    """
    if not 0.0 <= risk <= 1.0:
        raise InputError(f"risk must be between 0 and 1, got {risk!r}")
    probs = violation_probability(table, confidence=confidence, risk=risk, design=design)
    if design is None:
        most = int(probs["n"].max())
        design = SequentialDesign(risk=risk, confidence=confidence, first=most, max=most)
    criteria = [
        c for c in probs.columns if c.startswith("probability_") and c not in _INTERVAL_COLUMNS
    ]
    customers = (
        table.groupby("feeder")["n_customers"].max() if "n_customers" in table else pd.Series()
    )
    rows = []
    for (feeder, strategy), group in probs.groupby(["feeder", "strategy"], sort=True):
        group = group.sort_values("ev_share")
        shares = group["ev_share"].to_numpy(dtype=float)
        safe = (group["decision"] == SAFE).to_numpy()
        capacity, reached, at = _capacity(shares, safe)
        n_customers = float(customers.get(feeder, np.nan))
        row = {
            "feeder": feeder,
            "strategy": strategy,
            "hosting_capacity_share": capacity,
            "demonstrated": at is not None,
            "hosting_capacity_evs": (
                float(round(capacity * n_customers)) if not np.isnan(n_customers) else np.nan
            ),
            "hosting_capacity_probability_high": (
                float(group["probability_high"].iloc[at]) if at is not None else np.nan
            ),
            "hosting_capacity_reached": reached,
            "first_unsafe_share": _first(shares, (group["decision"] == UNSAFE).to_numpy()),
            "first_violation_share": _first(shares, group["violations"].to_numpy() > 0),
            "all_violate_share": _first(
                shares, group["violations"].to_numpy() == group["n"].to_numpy()
            ),
            "highest_share_drawn": float(shares[-1]),
            "n_shares": len(shares),
            "draws_total": int(group["n"].sum()),
            "draws_per_share": " ".join(
                f"{s:g}:{n}" for s, n in zip(shares, group["n"], strict=True)
            ),
            "n_customers": n_customers,
            "confidence": design.confidence,
            "risk": risk,
        }
        row["statement"] = capacity_statement(row)
        for column in criteria:
            crit = column.removeprefix("probability_")
            k = np.rint(group[column].to_numpy() * group["n"].to_numpy())
            decisions = design.decide_all(k, group["n"].to_numpy())
            row[f"hosting_capacity_share_{crit}"] = _capacity(
                shares, np.array([d == SAFE for d in decisions])
            )[0]
        rows.append(row)
    return pd.DataFrame(rows)


def capacity_statement(row: dict) -> str:
    """The sentence a planner reads for one hosting-capacity row (report and CSV).

    "hosting capacity >= 50 EVs per 100 customers (54 EVs) with 95 % confidence" where a share
    is shown safe, else "not demonstrated at 5 % risk with 30 draws".
    """
    confidence = f"{100 * row['confidence']:g} %"
    if not row["demonstrated"]:
        return (
            f"not demonstrated at {100 * row['risk']:g} % risk with {row['draws_total']} draws "
            f"({row['draws_per_share']} draws per share)"
        )
    share = row["hosting_capacity_share"]
    evs = row.get("hosting_capacity_evs", np.nan)
    count = f" ({evs:.0f} EVs)" if evs == evs else ""
    return (
        f"hosting capacity >= {100 * share:g} EVs per 100 customers{count} with {confidence} "
        f"confidence at {100 * row['risk']:g} % risk"
        + ("" if row["hosting_capacity_reached"] else " (every tested share; the highest tested)")
    )


def _capacity(shares: np.ndarray, safe: np.ndarray) -> tuple[float, bool, int | None]:
    """Monotone rule: the largest share before the first share that is not shown safe.

    Returns the capacity share (0 when the smallest share is not safe), whether a share that
    is not safe was found, and the position of the capacity share (None: none shown safe).
    """
    fails = np.flatnonzero(~safe)
    if len(fails) == 0:
        return float(shares[-1]), False, len(shares) - 1
    if fails[0] == 0:
        return 0.0, True, None
    return float(shares[fails[0] - 1]), True, int(fails[0] - 1)


def _first(values: np.ndarray, mask: np.ndarray) -> float:
    hit = np.flatnonzero(mask)
    return float(values[hit[0]]) if len(hit) else float("nan")


def first_violation_year(
    table: pd.DataFrame,
    *,
    risk: float = 0.05,
    confidence: float = 0.95,
    design: SequentialDesign | None = None,
) -> pd.DataFrame:
    """First year on the adoption curve whose violation probability exceeds the risk.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per draw: ``feeder, strategy, year, seed, violation`` (bool).
    risk : float
        Accepted violation probability [-] (``study.risk``).
    confidence : float
        Confidence of the claims [-] (``study.confidence``).
    design : SequentialDesign, optional
        The draw design; default: a fixed design of the most draws of any year.

    Returns
    -------
    pandas.DataFrame
        One row per (feeder, strategy):

        - ``first_violation_year``: first tested year whose share of violating draws exceeds
          ``risk`` (the point estimate); NaN if none;
        - ``safe_through_year``: the last tested year such that it and every earlier year are
          shown safe (upper confidence bound <= ``risk``); NaN if the first year is not;
        - ``violation_demonstrated_year``: first year whose lower confidence bound exceeds
          ``risk`` (by then the feeder violates, with ``confidence``); NaN if none;
        - ``first_year``, ``last_year`` (the tested horizon), ``probability_last_year``,
          ``draws_total``, ``confidence``.

    References
    ----------
    .. [1] EPRI 1026640 (2012); gridv2x issue 7 (adoption forecast).
    """
    if not 0.0 <= risk <= 1.0:
        raise InputError(f"risk must be between 0 and 1, got {risk!r}")
    probs = violation_probability(
        table,
        by=("feeder", "strategy", "year"),
        risk=risk,
        confidence=confidence,
        design=design,
    )
    rows = []
    for (feeder, strategy), group in probs.groupby(["feeder", "strategy"], sort=True):
        group = group.sort_values("year")
        years = group["year"].to_numpy(dtype=float)
        safe = (group["decision"] == SAFE).to_numpy()
        _, _, at = _capacity(years, safe)
        rows.append(
            {
                "feeder": feeder,
                "strategy": strategy,
                "first_violation_year": _first(years, group["probability"].to_numpy() > risk),
                "safe_through_year": float(years[at]) if at is not None else float("nan"),
                "violation_demonstrated_year": _first(
                    years, (group["decision"] == UNSAFE).to_numpy()
                ),
                "first_year": float(years[0]),
                "last_year": float(years[-1]),
                "probability_last_year": float(group["probability"].iloc[-1]),
                "draws_total": int(group["n"].sum()),
                "confidence": float(group["confidence"].iloc[0]),
            }
        )
    return pd.DataFrame(rows)


def deferral_years(first_years: pd.DataFrame) -> pd.DataFrame:
    """Years of grid-investment deferral each strategy buys over uncontrolled charging.

    Parameters
    ----------
    first_years : pandas.DataFrame
        Output of :func:`first_violation_year` (``feeder, strategy, first_violation_year``,
        and ``last_year``; with ``safe_through_year``, ``violation_demonstrated_year`` and
        ``confidence`` also the demonstrated deferral), including the ``uncontrolled``
        strategy for each feeder.

    Returns
    -------
    pandas.DataFrame
        One row per feeder and non-uncontrolled strategy (``v1g``, ``v2g``):
        ``first_violation_year``, ``uncontrolled_first_violation_year``, ``deferral_years`` =
        strategy year - uncontrolled year (point estimates), and ``deferral_is_lower_bound``.
        When the strategy does not violate within the horizon the deferral is reported as
        ``last_year - uncontrolled year`` with ``deferral_is_lower_bound`` True (it is more
        than that); when uncontrolled charging never violates there is nothing to defer: NaN.
        ``deferral_years_demonstrated`` = the strategy's ``safe_through_year`` - uncontrolled's
        ``violation_demonstrated_year``: the deferral both claims together show with
        ``deferral_confidence`` = 1 - 2 (1 - confidence) (Bonferroni); NaN where it is not
        shown (not positive, or either year missing).

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
        base_shown = float(base.get("violation_demonstrated_year", pd.Series([np.nan])).iloc[0])
        for _, row in group[group["strategy"] != UNCONTROLLED].iterrows():
            year = float(row["first_violation_year"])
            lower = False
            if np.isnan(base_year):
                deferral = float("nan")
            elif np.isnan(year):
                deferral, lower = float(row["last_year"]) - base_year, True
            else:
                deferral = year - base_year
            shown = float(row.get("safe_through_year", np.nan)) - base_shown
            confidence = float(row.get("confidence", np.nan))
            rows.append(
                {
                    "feeder": feeder,
                    "strategy": row["strategy"],
                    "first_violation_year": year,
                    "uncontrolled_first_violation_year": base_year,
                    "deferral_years": deferral,
                    "deferral_is_lower_bound": lower,
                    "deferral_years_demonstrated": shown if shown > 0 else float("nan"),
                    "deferral_confidence": 1.0 - 2.0 * (1.0 - confidence),
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
            "deferral_years_demonstrated",
            "deferral_confidence",
        ],
    )
