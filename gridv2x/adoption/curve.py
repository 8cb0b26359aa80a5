"""Fleet-share diffusion curves for battery-electric cars in Sweden.

Two standard diffusion models, both calibrated (least squares on the logit of the share) to the
Swedish BEV share of cars in traffic (docs/sources.md §5): end-2021 2.2 %, end-2022 4.0 %, end-2023
5.9 % [F] (Trafikanalys counts / 4.97 M cars), end-2024 ≈ 7.5 % [E], and the estimated anchors
2030 ≈ 30 %, 2035 ≈ 50 %, 2045 ≈ 90 % [E]. The calibrated curves give 5.3 % for end-2023,
23 % for 2030, 49 % for 2035 and 91 % for 2045.
"""

from __future__ import annotations

import numpy as np

from gridv2x.errors import InputError

__all__ = ["fleet_share", "CURVE_MODELS", "DEFAULT_CURVE"]

CURVE_MODELS = ("logistic", "bass")

DEFAULT_CURVE = {
    "model": "logistic",
    "midpoint": 2035.1,
    "scale": 4.18,
    "saturation": 1.0,
    "launch_year": 2010.0,
    "p": 0.00064,
    "q": 0.235,
}
"""Defaults of :func:`fleet_share` (calibration in the module docstring; docs/sources.md §5)."""


def fleet_share(
    year: float | np.ndarray,
    *,
    model: str = "logistic",
    midpoint: float = 2035.1,
    scale: float = 4.18,
    saturation: float = 1.0,
    launch_year: float = 2010.0,
    p: float = 0.00064,
    q: float = 0.235,
) -> float | np.ndarray:
    """Share of cars in traffic that are battery-electric at the end of ``year`` [-].

    Parameters
    ----------
    year : float or array_like
        Calendar year; the share refers to the end of that year (as Trafikanalys reports the
        fleet), so ``2023`` gives the end-2023 fleet share. Fractions are allowed.
    model : {"logistic", "bass"}
        ``logistic``: ``saturation / (1 + exp(-(year - midpoint) / scale))``.
        ``bass``: the Bass (1969) cumulative adoption ``F(t) = saturation (1 - e^{-(p+q)t}) /
        (1 + (q/p) e^{-(p+q)t})`` with ``t = year - launch_year`` [yr].
    midpoint : float
        Logistic: year at which half of the saturation is reached [yr]. Default 2035.1, fitted
        (docs/sources.md §5; the estimate there is "midpoint ~2036, scale ~4–5 yr" [E]).
    scale : float
        Logistic: time scale [yr]; the share grows from 27 % to 73 % of saturation within
        ``2 * scale`` years. Default 4.18, fitted.
    saturation : float
        Long-run share of cars that are BEV [-], default 1.0 (ICE new-sale phase-out 2035,
        docs/sources.md §5).
    launch_year : float
        Bass: year the diffusion starts [yr], default 2010.
    p, q : float
        Bass coefficients of innovation and imitation [1/yr]; defaults 0.00064 and 0.235 fitted
        to the same Swedish points.

    Returns
    -------
    float or numpy.ndarray
        BEV share of the car fleet [-], between 0 and ``saturation``.

    References
    ----------
    .. [1] F. M. Bass, "A new product growth for model consumer durables", Management Science
       15(5), 215-227, 1969.
    .. [2] docs/sources.md §5 (Trafikanalys fleet counts, Power Circle / Stockholm Chamber projections).
    """
    if model not in CURVE_MODELS:
        raise InputError(f"adoption.curve.model: given {model!r}; allowed: {list(CURVE_MODELS)}")
    if not 0.0 < saturation <= 1.0:
        raise InputError(f"adoption.curve.saturation: given {saturation!r}; allowed: 0 < x <= 1")
    t = np.asarray(year, dtype=float)
    if model == "logistic":
        if scale <= 0:
            raise InputError(f"adoption.curve.scale: given {scale!r}; allowed: > 0 [yr]")
        share = saturation / (1.0 + np.exp(-(t - midpoint) / scale))
    else:
        if p <= 0 or q < 0:
            raise InputError(
                f"adoption.curve.p/q: given p={p!r}, q={q!r}; allowed: p > 0 and q >= 0 [1/yr]"
            )
        tt = np.maximum(t - launch_year, 0.0)
        decay = np.exp(-(p + q) * tt)
        share = saturation * (1.0 - decay) / (1.0 + (q / p) * decay)
    return float(share) if np.ndim(share) == 0 else share


def logit(x: np.ndarray | float) -> np.ndarray | float:
    """Log-odds ``log(x / (1 - x))`` of a share in (0, 1)."""
    x = np.clip(x, 1e-9, 1 - 1e-9)
    return np.log(x / (1.0 - x))


def expit(z: np.ndarray | float) -> np.ndarray | float:
    """Inverse of :func:`logit`."""
    return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=float)))
