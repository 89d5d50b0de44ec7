"""Systemic importance, what-if analysis and reverse stress, on the seed's cascade.

Direction convention: ``network.ead[i, j]`` is creditor ``i``'s exposure to debtor ``j``
(lenders as rows); losses are ``ead * lgd`` in the network's currency units.

* :func:`systemic_importance` - for every institution, the total credit loss (and the number of
  further defaults) when it alone defaults (``D_0 = {i}``), all institutions in one batch.
  Institutions whose default cannot topple any direct creditor are settled in one vectorized
  pass; only the others run a full cascade.
* :func:`what_if` - the change in the loss of a given default scenario when exposures are
  removed or added or capital changes.
* :func:`reverse_stress` - the smallest *uniform* capital shock (the same amount taken from
  every institution's capital, currency units) for which the cascade's loss reaches a target.
  An institution whose capital the shock exhausts (remaining below the floor) defaults in
  round 0. The loss is monotone in the shock, so bisection finds the threshold to
  ``tolerance``; the shock returned attains the target.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from glassledger.errors import InputError
from glassledger.risk.contagion.cascade import CascadeResult, cascade, cascade_rounds
from glassledger.risk.contagion.network import ExposureNetwork


def systemic_importance(
    network: ExposureNetwork,
    *,
    capital_floor: float = 0.0,
    progress: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """Loss caused by each institution's sole default, sorted from most to least important.

    Columns: ``loss_caused`` (credit losses ``EAD * LGD`` of all creditors of every defaulted
    institution, currency units), ``further_defaults`` (defaults beyond the institution
    itself), ``rounds`` and ``rank`` (1 = most important). ``progress`` is called with the
    number of institutions finished so far (for progress bars).
    """
    loss = network.loss_by_debtor
    headroom = (1.0 - capital_floor) * network.capital
    column_loss = np.asarray(loss.sum(axis=0)).ravel()  # losses of one debtor's creditors
    caused = column_loss.copy()
    n = network.size
    further = np.zeros(n, dtype=np.int64)
    rounds = np.zeros(n, dtype=np.int64)
    spreading = np.flatnonzero(_topples_a_creditor(network, headroom))
    if progress is not None:
        progress(n - spreading.size)
    for done, source in enumerate(spreading, start=n - spreading.size + 1):
        default_round = cascade_rounds(loss, headroom, np.array([source]))
        defaulted = default_round >= 0
        caused[source] = column_loss[defaulted].sum()
        further[source] = defaulted.sum() - 1
        rounds[source] = default_round.max()
        if progress is not None:
            progress(done)
    table = pd.DataFrame(
        {"loss_caused": caused, "further_defaults": further, "rounds": rounds},
        index=pd.Index(network.names, name="institution"),
    )
    table = table.sort_values(["loss_caused", "further_defaults"], ascending=False, kind="stable")
    table["rank"] = np.arange(1, n + 1)
    return table


def _topples_a_creditor(network: ExposureNetwork, headroom: np.ndarray) -> np.ndarray:
    """Per debtor: does its default alone push some solvent creditor over its headroom?"""
    loss = network.loss_by_debtor
    debtor = np.repeat(np.arange(network.size), np.diff(loss.indptr))
    toppled = loss.data > headroom[loss.indices]
    return np.bincount(debtor[toppled], minlength=network.size) > 0


@dataclass(frozen=True, eq=False)
class WhatIf:
    """The same default scenario before and after a change to the network."""

    before: CascadeResult
    after: CascadeResult

    @property
    def loss_change(self) -> float:
        """Change in total credit loss (after minus before, currency units)."""
        return self.after.total_loss - self.before.total_loss

    @property
    def newly_defaulted(self) -> list[Hashable]:
        """Institutions that default only after the change."""
        return sorted(set(self.after.defaulted) - set(self.before.defaulted), key=str)

    @property
    def no_longer_defaulted(self) -> list[Hashable]:
        """Institutions that default only before the change."""
        return sorted(set(self.before.defaulted) - set(self.after.defaulted), key=str)


def what_if(
    network: ExposureNetwork,
    initial_defaults: Iterable[Hashable],
    *,
    remove: Iterable[tuple[Hashable, Hashable]] = (),
    add: Iterable[tuple[Hashable, Hashable, float, float]] = (),
    capital: Mapping[Hashable, float] | None = None,
    capital_floor: float = 0.0,
) -> WhatIf:
    """Run the cascade from ``initial_defaults`` on the network and on a changed copy.

    ``remove`` lists ``(creditor, debtor)`` exposures to delete, ``add`` lists
    ``(creditor, debtor, ead, lgd)`` exposures to add, ``capital`` maps institutions to new
    capital (currency units).
    """
    initial = list(initial_defaults)
    changed = network
    if remove or add:
        changed = changed.with_exposures(remove=remove, add=add)
    if capital:
        changed = changed.with_capital(capital)
    return WhatIf(
        cascade(network, initial, capital_floor=capital_floor),
        cascade(changed, initial, capital_floor=capital_floor),
    )


@dataclass(frozen=True, eq=False)
class ReverseStress:
    """The smallest uniform capital shock found and the cascade it causes."""

    shock: float
    target_loss: float
    result: CascadeResult

    @property
    def loss(self) -> float:
        """Credit loss of the cascade at ``shock`` (``>= target_loss``)."""
        return self.result.total_loss


def reverse_stress(
    network: ExposureNetwork,
    target_loss: float,
    *,
    initial_defaults: Iterable[Hashable] = (),
    capital_floor: float = 0.0,
    tolerance: float | None = None,
) -> ReverseStress:
    """Smallest uniform shock ``s`` (currency units taken from every institution's capital)
    whose cascade causes credit losses of at least ``target_loss``.

    ``initial_defaults`` may add institutions that default regardless of the shock.
    ``tolerance`` (currency units) defaults to ``1e-9`` times the largest capital.
    """
    initial = network.index_of(initial_defaults)
    base = (1.0 - capital_floor) * network.capital
    loss = network.loss_by_debtor
    column_loss = np.asarray(loss.sum(axis=0)).ravel()

    def loss_at(shock: float) -> float:
        return float(column_loss[cascade_rounds(loss, base - shock, initial) >= 0].sum())

    if target_loss > column_loss.sum():
        raise InputError(
            "target loss exceeds the loss when every institution defaults",
            field="target_loss",
            value=target_loss,
        )
    low, high = 0.0, float(base.max(initial=0.0)) + 1.0
    tolerance = 1e-9 * max(high, 1.0) if tolerance is None else tolerance
    if loss_at(low) >= target_loss:
        high = low
    while high - low > tolerance:
        middle = 0.5 * (low + high)
        low, high = (low, middle) if loss_at(middle) >= target_loss else (middle, high)
    shocked = network.with_capital(np.maximum(network.capital - high, 0.0))
    rounds = cascade_rounds(loss, base - high, initial)
    return ReverseStress(high, target_loss, CascadeResult(shocked, rounds, capital_floor))
