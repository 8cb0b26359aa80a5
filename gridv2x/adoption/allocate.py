"""Which customers own EVs: a share, a year on the adoption curve, or an area layer."""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import sparse
from scipy.spatial import cKDTree

from gridv2x.adoption.areas import areas_of_customers, check_areas, read_areas
from gridv2x.adoption.curve import DEFAULT_CURVE, expit, fleet_share, logit
from gridv2x.adoption.options import DEFAULTS, SECTION
from gridv2x.adoption.weights import DEFAULT_DWELLING_WEIGHTS, DEFAULT_FUSE_WEIGHTS
from gridv2x.errors import InputError

__all__ = [
    "allocate_evs",
    "customer_weights",
    "ev_count",
    "adoption_order",
    "local_fleet_share",
    "DEFAULT_DWELLING_WEIGHTS",
    "DEFAULT_FUSE_WEIGHTS",
    "OWNER_COLUMNS",
]

OWNER_COLUMNS = ("ev_id", "customer_id")
"""Columns of the table returned by :func:`allocate_evs` (docs/architecture.md)."""


def _fuse_weight(fuse_a: np.ndarray, fuse_weights: Mapping) -> np.ndarray:
    try:
        table = sorted((float(k), float(v)) for k, v in fuse_weights.items())
    except (TypeError, ValueError) as exc:
        raise InputError(
            f"adoption.fuse_weights: given {dict(fuse_weights)!r}; allowed: a mapping of main "
            "fuse [A] (number) to weight (number >= 0)"
        ) from exc
    if not table or any(w < 0 for _, w in table):
        raise InputError(
            f"adoption.fuse_weights: given {dict(fuse_weights)!r}; allowed: a non-empty mapping "
            "of main fuse [A] to weight >= 0"
        )
    keys = np.array([k for k, _ in table])
    values = np.array([w for _, w in table])
    fuse = pd.to_numeric(pd.Series(np.asarray(fuse_a)), errors="coerce").to_numpy(dtype=float)
    if not np.isfinite(fuse).all():
        raise InputError(
            f"customers: column 'fuse_a' has {int((~np.isfinite(fuse)).sum())} missing or "
            "non-numeric value(s); allowed: the main fuse of every customer [A]"
        )
    pos = np.searchsorted(keys, fuse, side="right") - 1
    return values[np.clip(pos, 0, len(values) - 1)]


def _dwelling_weight(dwelling: np.ndarray, dwelling_weights: Mapping) -> np.ndarray:
    unknown = sorted(set(map(str, dwelling)) - set(dwelling_weights))
    if unknown:
        raise InputError(
            f"adoption.dwelling_weights: no weight for dwelling type(s) {unknown}; given keys "
            f"{sorted(dwelling_weights)}; allowed: a weight >= 0 for every dwelling type"
        )
    bad = {k: v for k, v in dwelling_weights.items() if not (float(v) >= 0)}
    if bad:
        raise InputError(f"adoption.dwelling_weights: given {bad!r}; allowed: weights >= 0")
    return np.array([float(dwelling_weights[str(d)]) for d in dwelling])


def customer_weights(
    customers: pd.DataFrame,
    *,
    dwelling_weights: Mapping[str, float] | None = None,
    fuse_weights: Mapping[float, float] | None = None,
) -> np.ndarray:
    """Relative chance of each customer to own an EV, from dwelling and main fuse [-].

    Parameters
    ----------
    customers : pandas.DataFrame
        With columns ``dwelling`` and ``fuse_a`` [A].
    dwelling_weights, fuse_weights : mapping, optional
        See :data:`DEFAULT_DWELLING_WEIGHTS` and :data:`DEFAULT_FUSE_WEIGHTS`.

    Returns
    -------
    numpy.ndarray
        ``dwelling weight × fuse weight`` per customer, in row order.
    """
    dw = _dwelling_weight(
        customers["dwelling"].to_numpy(),
        {**DEFAULT_DWELLING_WEIGHTS, **(dwelling_weights or {})},
    )
    fw = _fuse_weight(customers["fuse_a"].to_numpy(), fuse_weights or DEFAULT_FUSE_WEIGHTS)
    return dw * fw


def local_fleet_share(
    bev_share: np.ndarray,
    *,
    year: float | None,
    areas_year: float,
    curve: Mapping | None = None,
) -> np.ndarray:
    """Project each area's BEV fleet share from ``areas_year`` to ``year`` [-].

    The rule: an area keeps its lead or lag on the national curve in log-odds,
    ``logit(s_a(year)) = logit(bev_share_a) + logit(F(year)) - logit(F(areas_year))`` where F is
    :func:`gridv2x.adoption.fleet_share`. This is the national logistic curve shifted in time
    per area ("rescale per municipality", docs/sources.md §5 [E]); it stays between 0 and 1. Without
    ``year`` the shares are returned as they are.
    """
    bev_share = np.asarray(bev_share, dtype=float)
    if year is None:
        return bev_share
    curve = {**DEFAULT_CURVE, **(curve or {})}
    shift = logit(fleet_share(year, **curve)) - logit(fleet_share(areas_year, **curve))
    return np.asarray(expit(logit(bev_share) + shift))


def ev_count(expected: float, draw: float) -> int:
    """Round an expected EV count stochastically: ``floor(x)`` plus one when ``draw < x - floor(x)``.

    With ``draw ~ U(0, 1)`` this is unbiased (the mean count over many draws equals
    ``expected``) and, for a fixed draw, never decreasing in ``expected``.
    """
    base = int(np.floor(expected))
    return base + int(draw < expected - base)


def adoption_order(
    weight: np.ndarray,
    n_evs: int,
    second_ev_share: float,
    first_draw: np.ndarray,
    second_draw: np.ndarray,
    *,
    neighbours: np.ndarray | sparse.csr_matrix | None = None,
    neighbour_effect: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """The order in which households buy their EVs: customer rows and EV numbers (1 or 2).

    Households buy first EVs in the order of the keys ``first_draw / weight`` (weighted
    sampling without replacement, Efraimidis & Spirakis 2006; ``first_draw ~ Exp(1)``). EV
    number ``j`` (1-based) is a second EV whenever ``floor(j × second_ev_share)`` grows; it goes
    to the current one-EV household with the smallest key ``second_draw / weight``. Rows with
    weight 0 never get an EV.

    With a neighbour effect, first EVs follow a continuous-time adoption race instead: each
    household adopts when its accumulated hazard reaches ``first_draw``; its hazard rate is
    ``weight × (1 + neighbour_effect × EV-owning neighbours)``, so every purchase raises the
    rate of the households within the radius (peer effect, spatial clustering). Without it
    the race reduces to the key order above.

    The first ``n`` entries of the sequence are the allocation for ``n`` EVs, so with the same
    random draws a smaller share gives a subset of a larger share's EVs (nested allocations:
    hosting-capacity and forecast curves move smoothly with the share).

    Parameters
    ----------
    weight : numpy.ndarray
        Relative adoption rate per customer [-].
    n_evs : int
        Number of EVs to place.
    second_ev_share : float
        Share of the EVs that are second EVs [-].
    first_draw, second_draw : numpy.ndarray
        ``Exp(1)`` draws per customer.
    neighbours : numpy.ndarray or scipy.sparse.csr_matrix of bool, optional
        ``(n, n)`` matrix, True where two customers are neighbours (not on the diagonal).
    neighbour_effect : float
        Relative increase of the adoption rate per EV-owning neighbour [-].

    Returns
    -------
    rows : numpy.ndarray of int
        Customer row of each EV, in buying order (length ``n_evs``).
    number : numpy.ndarray of int
        1 for a household's first EV, 2 for its second.
    """
    positive = weight > 0
    with np.errstate(divide="ignore"):
        key1 = np.where(positive, first_draw / np.where(positive, weight, 1.0), np.inf)
        key2 = np.where(positive, second_draw / np.where(positive, weight, 1.0), np.inf)
    n_positive = int(positive.sum())
    if neighbours is not None and neighbour_effect > 0:
        adjacency = sparse.csr_matrix(neighbours, dtype=bool)
        base = np.where(positive, weight, 0.0).astype(float)
        rate = base.copy()
        hazard = np.zeros(len(weight))
        left = positive.copy()

        def next_first(k: int) -> int:  # k unused: the hazards pick the next buyer
            candidates = np.flatnonzero(left)
            wait = (first_draw[candidates] - hazard[candidates]) / rate[candidates]
            pick = int(np.argmin(wait))
            hazard[candidates] += rate[candidates] * wait[pick]
            row = int(candidates[pick])
            left[row] = False
            near = adjacency.indices[adjacency.indptr[row] : adjacency.indptr[row + 1]]
            rate[near] += neighbour_effect * base[near]
            return row

    else:
        queue1 = np.argsort(key1, kind="stable")[:n_positive]

        def next_first(k: int) -> int:
            return int(queue1[k])

    rows = np.empty(n_evs, dtype=int)
    number = np.empty(n_evs, dtype=int)
    owners: list[tuple[float, int]] = []  # heap of one-EV households by second key
    n_first = n_second = 0
    for j in range(n_evs):
        want_second = int((j + 1) * second_ev_share) > n_second
        if (want_second and owners) or n_first >= n_positive:
            _, row = heapq.heappop(owners)
            rows[j], number[j] = row, 2
            n_second += 1
        else:
            row = next_first(n_first)
            rows[j], number[j] = row, 1
            heapq.heappush(owners, (float(key2[row]), row))
            n_first += 1
    return rows, number


def _neighbours(customers: pd.DataFrame, radius_m: float) -> sparse.csr_matrix:
    """Sparse boolean matrix of customer pairs within ``radius_m`` (x/y in EPSG:3006) [m]."""
    for column in ("x", "y"):
        if column not in customers.columns:
            raise InputError(
                f"customers: column {column!r} missing; needed for adoption.neighbour_effect"
            )
    xy = customers[["x", "y"]].to_numpy(dtype=float)
    if not np.isfinite(xy).all():
        raise InputError(
            "customers: x/y missing for some customers; needed for adoption.neighbour_effect "
            "(or set it to 0)"
        )
    pairs = cKDTree(xy).query_pairs(radius_m, output_type="ndarray")
    n = len(xy)
    rows = np.r_[pairs[:, 0], pairs[:, 1]]
    cols = np.r_[pairs[:, 1], pairs[:, 0]]
    return sparse.csr_matrix((np.ones(len(rows), dtype=bool), (rows, cols)), shape=(n, n))


def allocate_evs(
    customers: pd.DataFrame,
    *,
    rng: np.random.Generator,
    share: float = DEFAULTS["share"],
    year: float | None = DEFAULTS["year"],
    curve: Mapping | None = None,
    areas: str | Path | gpd.GeoDataFrame | None = DEFAULTS["areas"],
    areas_year: float = DEFAULTS["areas_year"],
    dwelling_weights: Mapping[str, float] | None = None,
    fuse_weights: Mapping[float, float] | None = None,
    second_ev_share: float = DEFAULTS["second_ev_share"],
    cars_per_customer: float = DEFAULTS["cars_per_customer"],
    income_elasticity: float = DEFAULTS["income_elasticity"],
    neighbour_effect: float = DEFAULTS["neighbour_effect"],
    neighbour_radius_m: float = DEFAULTS["neighbour_radius_m"],
    national_villa_share: float = DEFAULTS["national_villa_share"],
) -> pd.DataFrame:
    """Decide which customers own EVs (0, 1 or 2 per household).

    **How many.** ``share`` is the number of EVs per customer of the feeder [EV/customer]: the
    EV count is ``share × n_customers`` rounded stochastically (:func:`ev_count`), so the mean
    over many draws is exact. With ``year`` the count instead is the sum over customers of
    ``cars_per_customer × s_a × d_i / d̄_a``: the fleet share ``s_a`` of the customer's area,
    times its dwelling weight ``d_i`` over the area's mean dwelling weight ``d̄_a = v d_villa +
    (1 - v) d_apartment`` with ``v`` the area's villa share, so that villas, which own more EVs
    than the average household, get more. Without ``areas`` the area is Sweden: ``s_a`` =
    ``fleet_share(year)`` (:func:`gridv2x.adoption.fleet_share`) and ``v`` =
    ``national_villa_share``. With ``areas``, ``s_a`` is the area's ``bev_share`` projected to
    ``year`` (:func:`local_fleet_share`) and ``v`` its ``villa_share`` (when absent, ``d̄_a``
    is the mean over the feeder's customers in that area). To use a layer's current shares as
    they are, give ``year = areas_year``.

    **Who.** Households are drawn without replacement with chance proportional to ``dwelling
    weight × fuse weight`` (:func:`customer_weights`) and, with ``areas``, × ``s_a ×
    income_index_a ** income_elasticity / d̄_a``. Of the EVs, a share ``second_ev_share``
    (rounded down) are second cars of a household that already has one (drawn with the same
    weights). With ``neighbour_effect`` > 0 every EV raises the chance of the households
    within ``neighbour_radius_m`` (peer effect: EVs cluster, as observed, docs/sources.md §5). The
    draws do not depend on the share: with the same seed, the EVs at a lower share are a subset
    of those at a higher share (:func:`adoption_order`).

    Parameters
    ----------
    customers : pandas.DataFrame
        ``Feeder.customers`` (conventions.CUSTOMER_COLUMNS; needs ``customer_id``,
        ``dwelling``, ``fuse_a``, and ``x``, ``y`` in EPSG:3006 with ``areas``).
    rng : numpy.random.Generator
        Source of randomness.
    share : float
        EVs per customer [-], 0..2; ignored when ``year`` is given. Default 0.3.
    year : float, optional
        Year on the fleet-share curve (end of year); overrides ``share``.
    curve : mapping, optional
        Keyword arguments of :func:`gridv2x.adoption.fleet_share` (model, midpoint, scale, ...).
    areas : str, Path or geopandas.GeoDataFrame, optional
        Area layer (GeoPackage/GeoJSON polygons, any CRS) with ``bev_share`` and optional
        ``income_index``, ``villa_share`` (:func:`gridv2x.adoption.read_areas`), or a layer
        already read with :func:`gridv2x.adoption.read_areas`.
    areas_year : float
        Year the layer's ``bev_share`` refers to (end of year) [yr]. Default 2023.
    dwelling_weights : mapping, optional
        Weight per dwelling type; types not given keep their default
        (:data:`DEFAULT_DWELLING_WEIGHTS`, [E]).
    fuse_weights : mapping, optional
        Weight by main fuse [A] (:data:`DEFAULT_FUSE_WEIGHTS`, [E]).
    second_ev_share : float
        Share of the EVs that are a household's second EV [-], 0..0.5. Default 0.1 [E].
    cars_per_customer : float
        Cars per household [-] turning a fleet share into EVs per customer; default 1.05
        (docs/sources.md §1.4, §5).
    income_elasticity : float
        Exponent on the area's ``income_index`` in the placement weight [-]; default 0.5 [E]
        (regional income is among the best predictors of adoption, docs/sources.md §5).
    neighbour_effect : float
        Relative increase of a household's adoption rate per EV-owning household within
        ``neighbour_radius_m`` [-]; default 0 (off). Westin et al. (2018) found a slight
        neighbourhood effect in Sweden and diffusion models couple neighbours (Linder & Wirges
        2011, docs/sources.md §5); 0.5-2 gives visible clustering [E].
    neighbour_radius_m : float
        Distance within which households count as neighbours [m]; default 100 [E].
    national_villa_share : float
        Share of Swedish households living in villas (one- or two-dwelling houses) [-], used
        with ``year`` and no ``areas``; default 0.5 (SCB household statistics, recalled [R]).

    Returns
    -------
    pandas.DataFrame
        One row per EV: ``ev_id`` (``"<customer_id>-ev1"`` / ``"-ev2"``), ``customer_id``, plus
        the owner's ``dwelling``, ``fuse_a``, ``phases``, ``phase`` when present in
        ``customers`` (used by :func:`gridv2x.mobility.draw_fleet`), and ``area_id`` with
        ``areas``. Rows follow the customer order. ``len(result)`` is ``n_evs`` and
        ``len(result) / len(customers)`` the realised ``ev_share``.

    Raises
    ------
    gridv2x.errors.InputError
        Share out of range, unknown dwelling types, missing fuses, bad area files.

    Notes
    -----
    A household owns at most two EVs and only households with a positive weight own any: when
    ``share`` (or a projection) asks for more, the count is capped at two per such household;
    the realised share is ``len(result) / len(customers)``.

    References
    ----------
    .. [1] P. S. Efraimidis and P. G. Spirakis, "Weighted random sampling with a reservoir",
       Information Processing Letters 97(5), 181-185, 2006.
    .. [2] R. Westin et al., "Spatial distribution of electric vehicles in Sweden", Travel
       Behaviour and Society 13, 118-127, 2018 (docs/sources.md §5).
    """
    for column in ("customer_id", "dwelling", "fuse_a"):
        if column not in customers.columns:
            raise InputError(f"customers: column {column!r} missing; needed to allocate EVs")
    # bounds of every option, once: adoption/options.py (None = the section's default; a layer
    # already read is checked by check_areas below)
    given = {
        "share": share,
        "year": year,
        "curve": curve,
        "areas": None if isinstance(areas, gpd.GeoDataFrame) else areas,
        "areas_year": areas_year,
        "dwelling_weights": dwelling_weights,
        "fuse_weights": fuse_weights,
        "second_ev_share": second_ev_share,
        "cars_per_customer": cars_per_customer,
        "income_elasticity": income_elasticity,
        "neighbour_effect": neighbour_effect,
        "neighbour_radius_m": neighbour_radius_m,
        "national_villa_share": national_villa_share,
    }
    SECTION.resolve("adoption", {k: v for k, v in given.items() if v is not None or k == "year"})
    n_customers = len(customers)
    dwelling_weights = {**DEFAULT_DWELLING_WEIGHTS, **(dwelling_weights or {})}
    dwelling = customers["dwelling"].astype(str).to_numpy()
    d_weight = _dwelling_weight(dwelling, dwelling_weights)
    weight = d_weight * _fuse_weight(
        customers["fuse_a"].to_numpy(), fuse_weights or DEFAULT_FUSE_WEIGHTS
    )
    area_id = None
    if areas is not None:
        if isinstance(areas, gpd.GeoDataFrame):
            layer, source = check_areas(areas, source="areas (GeoDataFrame)"), "areas"
        else:
            layer, source = read_areas(areas), str(areas)
        joined = areas_of_customers(customers, layer, source=source)
        area_id = joined["area_id"].to_numpy()
        level = local_fleet_share(
            joined["bev_share"].to_numpy(), year=year, areas_year=areas_year, curve=curve
        )
        villa = joined["villa_share"].to_numpy()
        mean_d = villa * float(dwelling_weights.get("villa", 1.0)) + (1 - villa) * float(
            dwelling_weights.get("apartment", 1.0)
        )
        feeder_mean = pd.Series(d_weight).groupby(area_id).transform("mean").to_numpy()
        mean_d = np.where(np.isfinite(mean_d), mean_d, feeder_mean)
        mean_d = np.where(mean_d > 0, mean_d, 1.0)
        relative = d_weight / mean_d
        weight = weight * level * joined["income_index"].to_numpy() ** income_elasticity / mean_d
        if year is not None:
            expected = cars_per_customer * float(np.sum(level * relative))
        else:
            expected = share * n_customers
    elif year is not None:
        # the nation as one area: villas own more EVs than the average household
        national = float(fleet_share(year, **{**DEFAULT_CURVE, **(curve or {})}))
        mean_d = national_villa_share * float(dwelling_weights.get("villa", 1.0)) + (
            1 - national_villa_share
        ) * float(dwelling_weights.get("apartment", 1.0))
        relative = d_weight / mean_d if mean_d > 0 else np.ones(n_customers)
        expected = cars_per_customer * national * float(np.sum(relative))
    else:
        expected = share * n_customers

    # the same draws whatever the share: allocations of one seed are nested across shares
    count_draw = rng.random()
    first_draw = rng.exponential(size=n_customers)
    second_draw = rng.exponential(size=n_customers)
    eligible = int(np.count_nonzero(weight > 0))
    n_evs = ev_count(expected, count_draw)
    # at most two EVs per household that may own one: a share beyond that is capped (the
    # realised share, len(result) / len(customers), is what the study reports)
    n_evs = min(n_evs, 2 * eligible)
    neighbours = None
    if neighbour_effect > 0:
        neighbours = _neighbours(customers, neighbour_radius_m)
    rows, number = adoption_order(
        weight,
        n_evs,
        second_ev_share,
        first_draw,
        second_draw,
        neighbours=neighbours,
        neighbour_effect=neighbour_effect,
    )
    ids = customers["customer_id"].astype(str).to_numpy()
    order = np.lexsort((number, rows))
    rows, number = rows[order], number[order]
    out = pd.DataFrame(
        {
            "ev_id": pd.Series(
                [f"{c}-ev{k}" for c, k in zip(ids[rows], number, strict=True)], dtype=object
            ),
            "customer_id": customers["customer_id"].to_numpy()[rows],
        }
    )
    for column in ("dwelling", "fuse_a", "phases", "phase"):
        if column in customers.columns:
            out[column] = customers[column].to_numpy()[rows]
    if area_id is not None:
        out["area_id"] = area_id[rows]
    return out
