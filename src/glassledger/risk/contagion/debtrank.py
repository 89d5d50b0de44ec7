"""DebtRank: distress propagation in relative equity losses.

Direction convention: ``network.ead[i, j]`` is creditor ``i``'s exposure to debtor ``j``
(lenders as rows); the loss at stake is ``ead * lgd``. ``h_i`` in ``[0, 1]`` is ``i``'s
relative equity (capital) loss; ``h_i = 1`` is default.

Two published versions:

* ``"battiston"`` - S. Battiston, M. Puliga, R. Kaushik, P. Tasca, G. Caldarelli (2012),
  "DebtRank: Too Central to Fail? Financial Networks, the FED and Systemic Risk",
  Scientific Reports 2:541, Methods. Impact of debtor ``j`` on creditor ``i``:
  ``W_ij = min(1, ead_ij lgd_ij / C_i)`` (capped at 1). States undistressed / distressed /
  inactive; each distressed node propagates once, then becomes inactive::

      h_i(t) = min(1, h_i(t-1) + sum_{j distressed at t-1} W_ij h_j(t-1))

  (all nodes' ``h`` are updated, only distressed ones propagate). It stops when no node is
  distressed, after at most ``n`` steps.
* ``"differential"`` - M. Bardoscia, S. Battiston, F. Caccioli, G. Caldarelli (2015),
  "DebtRank: A Microscopic Foundation for Shock Propagation", PLoS ONE 10(6): e0130406.
  Interbank leverage ``Lambda_ij = ead_ij lgd_ij / C_i`` (not capped); only the *increments*
  of distress propagate, so a node can pass on distress repeatedly::

      h_i(t+1) = min(1, h_i(t) + sum_j Lambda_ij (h_j(t) - h_j(t-1))),   h(0) = 0, h(1) = shock

  It is iterated until the largest increment is at most ``tolerance`` (default ``1e-10``,
  absolute, ``h`` being a fraction) or ``max_iterations`` steps (``converged`` tells which).

The initial shock ``h(1)`` is given per institution. Aggregates use weights ``v_i``, by default
each institution's share of total capital, so the weighted ``h`` is the relative equity loss
of the system. Battiston's DebtRank excludes the initial shock:
``R = sum_i v_i h_i(T) - sum_i v_i h_i(1)``. Zero capital: any loss fully impacts the institution
(``W_ij = 1``; ``Lambda_ij`` effectively infinite, so ``h_i`` jumps to 1).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp

from glassledger.errors import InputError
from glassledger.risk.contagion.cascade import gather_columns
from glassledger.risk.contagion.network import ExposureNetwork

Method = Literal["battiston", "differential"]
HUGE = np.finfo(float).max


@dataclass(frozen=True, eq=False)
class DebtRankResult:
    """Relative equity losses before and after propagation.

    Attributes:
        names: institutions.
        initial: ``h(1)``, the shock.
        final: ``h(T)``, relative equity loss after propagation.
        weights: ``v``, summing to 1.
        method: ``"battiston"`` or ``"differential"``.
        iterations: propagation steps performed.
        converged: false only if the differential version hit ``max_iterations``.
    """

    names: tuple[Hashable, ...]
    initial: np.ndarray
    final: np.ndarray
    weights: np.ndarray
    method: str
    iterations: int
    converged: bool = True

    @property
    def debtrank(self) -> float:
        """``R = sum v h(T) - sum v h(1)``: the distress induced beyond the initial shock."""
        return float(self.weights @ (self.final - self.initial))

    @property
    def total_relative_loss(self) -> float:
        """``sum v h(T)``: weighted relative equity loss including the initial shock."""
        return float(self.weights @ self.final)

    @property
    def defaults(self) -> list[Hashable]:
        """Institutions with ``h = 1``."""
        return [self.names[k] for k in np.flatnonzero(self.final >= 1.0)]

    def table(self) -> pd.DataFrame:
        """Per institution: ``initial, final, induced`` relative equity losses and ``weight``."""
        return pd.DataFrame(
            {
                "initial": self.initial,
                "final": self.final,
                "induced": self.final - self.initial,
                "weight": self.weights,
            },
            index=pd.Index(self.names, name="institution"),
        )


def debtrank(
    network: ExposureNetwork,
    shock: Mapping[Hashable, float] | np.ndarray,
    *,
    method: Method = "battiston",
    weights: np.ndarray | None = None,
    tolerance: float = 1e-10,
    max_iterations: int = 10_000,
) -> DebtRankResult:
    """Propagate the relative equity shock ``h(1)`` (by name, or a vector in network order,
    each in ``[0, 1]``) with Battiston et al. (2012) or the differential version of Bardoscia
    et al. (2015). Distress flows from a debtor ``j`` to its creditors ``i`` (rows of
    ``ead``) in proportion to ``ead_ij lgd_ij / C_i``. ``weights`` default to capital shares."""
    h1 = _shock_vector(network, shock)
    # An institution with negative capital is insolvent from the start: fully distressed.
    h1 = np.where(network.capital < 0, 1.0, h1)
    v = _weights(network, weights)
    if method == "battiston":
        final, steps = _battiston(network.leverage_by_debtor, h1)
        return DebtRankResult(network.names, h1, final, v, method, steps)
    if method == "differential":
        final, steps, converged = _differential(
            network.leverage_by_debtor, h1, tolerance, max_iterations
        )
        return DebtRankResult(network.names, h1, final, v, method, steps, converged)
    raise InputError("unknown DebtRank method", field="method", value=method)


def _battiston(leverage: sp.csc_array, h1: np.ndarray) -> tuple[np.ndarray, int]:
    """Battiston's dynamics; ``W = min(1, Lambda)`` is taken on the gathered columns only."""
    h = h1.copy()
    undistressed = h == 0
    distressed = np.flatnonzero(~undistressed)
    steps = 0
    while distressed.size:
        steps += 1
        creditors, leverage_values = gather_columns(leverage, distressed)
        weight = np.minimum(leverage_values, 1.0)
        pushed = weight * np.repeat(h[distressed], np.diff(leverage.indptr)[distressed])
        h = np.minimum(1.0, h + np.bincount(creditors, pushed, minlength=h.size))
        newly = undistressed & (h > 0)
        undistressed &= ~newly
        distressed = np.flatnonzero(newly)
    return h, steps


def _differential(
    leverage: sp.csc_array, h1: np.ndarray, tolerance: float, max_iterations: int
) -> tuple[np.ndarray, int, bool]:
    h, step = h1.copy(), h1.copy()
    for iteration in range(1, max_iterations + 1):
        with np.errstate(invalid="ignore", over="ignore"):
            pushed = leverage @ step
        new = np.minimum(1.0, h + np.nan_to_num(pushed, nan=0.0, posinf=HUGE))
        step = new - h
        h = new
        if step.max(initial=0.0) <= tolerance:
            return h, iteration, True
    return h, max_iterations, False


def _shock_vector(network: ExposureNetwork, shock: Mapping[Hashable, float] | np.ndarray):
    if isinstance(shock, Mapping):
        h1 = np.zeros(network.size)
        h1[network.index_of(shock.keys())] = np.fromiter(shock.values(), dtype=float)
    else:
        h1 = np.asarray(shock, dtype=float).copy()
        if h1.shape != (network.size,):
            raise InputError("one shock per institution", field="shock", value=h1.shape)
    bad = ~np.isfinite(h1) | (h1 < 0) | (h1 > 1)
    if bad.any():
        k = int(bad.argmax())
        raise InputError(
            "shock (relative equity loss) must be in [0, 1]",
            source="DebtRank shock",
            row=network.names[k],
            value=float(h1[k]),
        )
    return h1


def _weights(network: ExposureNetwork, weights: np.ndarray | None) -> np.ndarray:
    v = np.maximum(network.capital, 0.0) if weights is None else np.asarray(weights, dtype=float)
    if v.shape != (network.size,) or (v < 0).any() or not np.isfinite(v).all():
        raise InputError("weights must be one finite number >= 0 per institution", field="weights")
    total = v.sum()
    return v / total if total > 0 else np.full(network.size, 1.0 / max(network.size, 1))
