"""Systemic importance, what-if analysis and reverse stress, on the seed's cascade.

Direction convention: ``network.ead[i, j]`` is creditor ``i``'s exposure to debtor ``j``
(lenders as rows); losses are ``ead * lgd`` in the network's currency units.

* :func:`systemic_importance` - for every institution, the total credit loss (and the number of
  further defaults) when it alone defaults (``D_0 = {i}``), all institutions in one batch.
  Institutions whose default cannot topple any direct creditor are settled in one vectorized
  pass; only the others run a cascade, reusing final default sets already found.
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
import scipy.sparse as sp

from glassledger.errors import InputError
from glassledger.risk.contagion.cascade import (
    CascadeResult,
    add_losses,
    cascade,
    cascade_rounds,
    gather_columns,
    headroom_of,
)
from glassledger.risk.contagion.network import ExposureNetwork


def systemic_importance(
    network: ExposureNetwork,
    *,
    capital_floor: float = 0.0,
    default_threshold: float | None = None,
    with_rounds: bool = False,
    progress: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """Loss caused by each institution's sole default, sorted from most to least important.

    Columns: ``loss_caused`` (credit losses ``EAD * LGD`` of all creditors of every defaulted
    institution, currency units), ``further_defaults`` (defaults beyond the institution
    itself), ``rank`` (1 = most important) and, with ``with_rounds``, ``rounds``.
    Without rounds, final default sets already computed are reused (see
    :func:`_final_defaults`), which keeps fragile networks, where most single defaults bring
    the whole system down, fast; with rounds every cascade runs to its end. ``progress`` is
    called with the number of institutions finished so far (for progress bars).
    """
    loss = network.loss_by_debtor
    headroom = headroom_of(network, capital_floor, default_threshold)
    column_loss = np.asarray(loss.sum(axis=0)).ravel()  # losses of one debtor's creditors
    caused = column_loss.copy()
    n = network.size
    further = np.zeros(n, dtype=np.int64)
    rounds = np.zeros(n, dtype=np.int64)
    known = _KnownFinalSets(n)
    spreading = np.flatnonzero(_topples_a_creditor(network, headroom))
    if progress is not None:
        progress(n - spreading.size)
    for done, source in enumerate(spreading.tolist(), start=n - spreading.size + 1):
        if with_rounds:
            default_round = cascade_rounds(loss, headroom, np.array([source]))
            defaulted = default_round >= 0
            rounds[source] = default_round.max()
        else:
            defaulted = _final_defaults(loss, headroom, source, known)
            known.remember(source, defaulted)
        caused[source] = column_loss[defaulted].sum()
        further[source] = defaulted.sum() - 1
        if progress is not None:
            progress(done)
    columns = {"loss_caused": caused, "further_defaults": further}
    if with_rounds:
        columns["rounds"] = rounds
    table = pd.DataFrame(columns, index=pd.Index(network.names, name="institution"))
    table = table.sort_values(["loss_caused", "further_defaults"], ascending=False, kind="stable")
    table["rank"] = np.arange(1, n + 1)
    return table


class _KnownFinalSets:
    """Final default sets ``F({j})`` computed so far, as packed bits, shared between equal sets;
    stops remembering beyond ``budget`` bytes."""

    def __init__(self, n: int, budget: int = 256 * 2**20) -> None:
        self.n, self.budget = n, budget
        self.ids: dict[bytes, int] = {}
        self.sets: list[bytes] = []
        self.of: dict[int, int] = {}

    def remember(self, source: int, defaulted: np.ndarray) -> None:
        key = np.packbits(defaulted).tobytes()
        set_id = self.ids.get(key)
        if set_id is None:
            if len(key) * (len(self.sets) + 1) > self.budget:
                return
            set_id = self.ids[key] = len(self.sets)
            self.sets.append(key)
        self.of[source] = set_id

    def get(self, institution: int) -> np.ndarray | None:
        set_id = self.of.get(institution)
        if set_id is None:
            return None
        bits = np.frombuffer(self.sets[set_id], dtype=np.uint8)
        return np.unpackbits(bits, count=self.n).astype(bool)


def _final_defaults(
    loss: sp.csc_array, headroom: np.ndarray, source: int, known: _KnownFinalSets
) -> np.ndarray:
    """``F({source})``, the cascade's final default set, shortened by known final sets.

    ``F`` (least default set closed under the cascade rule, containing its argument) is
    monotone and idempotent, so when ``j`` joins and ``F({j})`` is known, all of ``F({j})``
    defaults too; if ``F({j})`` also contains the source, ``F({source}) = F({j})``. Rounds lose
    their meaning under this shortcut, so only the final set is returned.
    """
    defaulted = np.zeros(headroom.size, dtype=bool)
    defaulted[source] = True
    losses = np.zeros(headroom.size)
    new = np.array([source])
    while new.size:
        creditors, amounts = gather_columns(loss, new)
        touched = add_losses(losses, creditors, amounts)
        new = touched[~defaulted[touched] & (losses[touched] > headroom[touched])]
        defaulted[new] = True
        for joined in new.tolist():
            final = known.get(joined)
            if final is None:
                continue
            if final[source]:
                return final
            extra = np.flatnonzero(final & ~defaulted)
            defaulted[extra] = True
            new = np.concatenate([new, extra])
    return defaulted


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
