"""Market products and how many EVs it takes to offer them.

A single car cannot bid: each balancing or local flexibility product has a minimum bid, an
activation time and an endurance (how long a full activation must be held). This module holds
the product catalogue (``PRODUCTS``, overridable in the scenario's ``v2x.products``) and turns a
fleet's flexibility into the number of EVs (and feeders like the studied one) an aggregator
needs to offer each product with the required availability.

The model
---------
For a product with direction ``up`` or ``down``, endurance ``E`` and availability ``a``, the
offer a fleet can make in a step is its flexibility for a window of ``D = ceil(E / step)``
steps (:mod:`gridv2x.v2x.flexibility`; a 30-second FFR activation is held for a whole step,
which is conservative). The power available per EV with probability ``a`` is the
``(1 - a)`` quantile over the steps of the fleet's offer divided by its number of EVs
(around the clock, or in the best hour of day). The EVs needed are
``ceil(min_bid / that power)``: an estimate that scales one feeder's fleet linearly; a larger,
more diverse pool is steadier, so the estimate is conservative.

References
----------
.. [1] Svenska kraftnät, FFR, FCR-D, aFRR and mFRR product pages; Fingrid, mFRR;
   ``docs/sources.md §12``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from gridv2x.v2x.flexibility import FleetFlexibility, _step_length

__all__ = ["PRODUCTS", "product_durations", "evs_needed"]

PRODUCTS: dict[str, dict[str, Any]] = {
    "FFR": {"direction": "up", "min_bid_mw": 0.1, "endurance_min": 0.5, "availability": 0.95},
    "FCR-D up": {
        "direction": "up",
        "min_bid_mw": 0.1,
        "endurance_min": 20.0,
        "availability": 0.95,
    },
    "FCR-D down": {
        "direction": "down",
        "min_bid_mw": 0.1,
        "endurance_min": 20.0,
        "availability": 0.95,
    },
    "aFRR up": {"direction": "up", "min_bid_mw": 1.0, "endurance_min": 60.0, "availability": 0.95},
    "aFRR down": {
        "direction": "down",
        "min_bid_mw": 1.0,
        "endurance_min": 60.0,
        "availability": 0.95,
    },
    "mFRR up": {"direction": "up", "min_bid_mw": 1.0, "endurance_min": 60.0, "availability": 0.95},
    "mFRR down": {
        "direction": "down",
        "min_bid_mw": 1.0,
        "endurance_min": 60.0,
        "availability": 0.95,
    },
    "local flexibility (1 h)": {
        "direction": "up",
        "min_bid_mw": 0.1,
        "endurance_min": 60.0,
        "availability": 0.9,
    },
}
"""Products: direction, minimum bid [MW], endurance of a full activation [min], required
availability [-]. Minimum bids and endurances from Svenska kraftnät / the Nordic markets
(docs/sources.md §12 [F]); availabilities and the local product are estimates [E]."""

MIN_OFFER_KW_PER_EV = 0.01
"""Below this offer per EV [kW] a product counts as not offerable [E]: 10 W is what remains of a
paused schedule's rounding, not a product an aggregator can sell (it would mean 10,000 EVs for
0.1 MW)."""

PRODUCT_KEYS: tuple[str, ...] = ("direction", "min_bid_mw", "endurance_min", "availability")


def product_durations(products: Mapping[str, Mapping[str, Any]], step_min: float) -> list[int]:
    """Offer durations [min] the products need: each endurance rounded up to whole steps."""
    return sorted(
        {
            int(max(1, math.ceil(p["endurance_min"] / step_min - 1e-9)) * step_min)
            for p in products.values()
        }
    )


def _duration_for(product: Mapping[str, Any], durations: tuple[int, ...], step_min: float) -> int:
    need = max(1, math.ceil(product["endurance_min"] / step_min - 1e-9)) * step_min
    longer = [d for d in durations if d >= need - 1e-9]
    if not longer:
        raise ValueError(
            f"no flexibility computed for {need:g} min (have {list(durations)}); add it to "
            "v2x.durations_min"
        )
    return min(longer)


def evs_needed(flex: FleetFlexibility, products: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    """EVs (and feeders) needed to offer each product (module docs).

    Parameters
    ----------
    flex : FleetFlexibility
        A task's fleet flexibility.
    products : mapping
        Product name -> ``direction`` ("up" | "down"), ``min_bid_mw`` [MW],
        ``endurance_min`` [min], ``availability`` [-].

    Returns
    -------
    pandas.DataFrame
        One row per product and ``grid_constrained`` (False, and True where computed):
        ``product, direction, min_bid_kw, duration_min, availability, grid_constrained,
        per_ev_kw`` (around the clock) ``, evs_needed, feeders_needed`` (feeders like this one,
        at this EV share), ``best_hour, per_ev_kw_best_hour, evs_needed_best_hour``.
        ``evs_needed`` is NaN ("not offerable") where the fleet offers less than
        ``MIN_OFFER_KW_PER_EV`` per EV at that availability.
    """
    step_min = _step_minutes(flex.index)
    rows = []
    n_evs = max(flex.n_evs, 0)
    hours = np.asarray(flex.index.hour)
    variants = [(False, flex.up_kw, flex.down_kw)]
    if flex.up_grid_kw is not None and flex.down_grid_kw is not None:
        variants.append((True, flex.up_grid_kw, flex.down_grid_kw))
    for name, product in products.items():
        duration = _duration_for(product, flex.durations_min, step_min)
        j = flex.durations_min.index(duration)
        q = 1.0 - float(product["availability"])
        min_bid_kw = float(product["min_bid_mw"]) * 1000.0
        for constrained, up, down in variants:
            series = (up if product["direction"] == "up" else down)[:, j]
            per_ev = float(np.quantile(series, q)) / n_evs if n_evs and len(series) else 0.0
            by_hour = {
                h: float(np.quantile(series[hours == h], q)) / n_evs
                for h in np.unique(hours)
                if n_evs
            }
            best_hour = max(by_hour, key=lambda h: by_hour[h]) if by_hour else -1
            best = by_hour.get(best_hour, 0.0)
            needed = (
                math.ceil(min_bid_kw / per_ev - 1e-9) if per_ev >= MIN_OFFER_KW_PER_EV else math.nan
            )
            rows.append(
                {
                    "product": name,
                    "direction": product["direction"],
                    "min_bid_kw": min_bid_kw,
                    "duration_min": duration,
                    "availability": float(product["availability"]),
                    "grid_constrained": constrained,
                    "per_ev_kw": per_ev,
                    "evs_needed": needed,
                    "feeders_needed": needed / n_evs if n_evs and needed == needed else math.nan,
                    "best_hour": int(best_hour),
                    "per_ev_kw_best_hour": best,
                    "evs_needed_best_hour": (
                        math.ceil(min_bid_kw / best - 1e-9)
                        if best >= MIN_OFFER_KW_PER_EV
                        else math.nan
                    ),
                }
            )
    return pd.DataFrame(rows)


def _step_minutes(index: pd.DatetimeIndex) -> float:
    """Step length of ``index`` [min]."""
    return _step_length(index) / 6e10
