"""The seed's default cascade D_k(A) (seed 003, system-risk monitoring model, figure 7).

Direction convention: ``network.ead[i, j]`` is creditor ``i``'s exposure to debtor ``j``
(lenders as rows). When ``j`` defaults, ``i`` books the loss ``ead[i, j] * lgd[i, j]``.

The model: ``D_0(A) = A`` (the initial defaults). In round ``k >= 1`` institution ``i`` has
remaining capital::

    C_i^k = C_i - sum over debtors j that defaulted in rounds < k of EAD_ij * LGD_ij

and joins ``D_k`` when ``C_i^k < floor * C_i`` (strictly). With the default ``floor = 0`` this
is the seed's reading: the institution defaults when its capital can no longer absorb the
losses, i.e. remaining capital *below* zero; exactly zero remaining capital survives (see
``docs/decisions.md``). Rounds repeat until no institution joins (``D_k = D_{k-1}``).

Numbering: round 0 holds the initial defaults. The losses of round ``k`` come from the
debtors that defaulted in round ``k - 1``; the last defaults also cause losses, booked in round
``rounds + 1`` which adds no default. All amounts are in the network's currency units.

The implementation touches each exposure at most once (the columns of newly defaulted debtors
are gathered from a CSC matrix per round), so a full cascade is ``O(exposures)``.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
import scipy.sparse as sp

from glassledger.errors import InputError
from glassledger.risk.contagion.network import ExposureNetwork

SURVIVED = -1


@dataclass(frozen=True, eq=False)
class CascadeResult:
    """Outcome of one cascade.

    Attributes:
        network: the network the cascade ran on.
        default_round: per institution the round it defaulted in (0 = initial set),
            ``-1`` if it survived.
        capital_floor: the fraction of initial capital below which an institution defaults.
    """

    network: ExposureNetwork
    default_round: np.ndarray
    capital_floor: float

    @property
    def rounds(self) -> int:
        """Number of contagion rounds that added defaults (0 if nothing spread)."""
        return int(self.default_round.max(initial=SURVIVED)) if self.defaulted_count else 0

    @property
    def defaulted_count(self) -> int:
        """How many institutions defaulted, initial ones included."""
        return int((self.default_round >= 0).sum())

    @property
    def defaulted(self) -> list[Hashable]:
        """Names of all defaulted institutions, by round then by position."""
        order = np.lexsort((np.arange(self.network.size), self.default_round))
        return [self.network.names[k] for k in order if self.default_round[k] >= 0]

    def defaults_by_round(self) -> dict[int, list[Hashable]]:
        """``{round: [names...]}``: ``D_k \\ D_{k-1}`` for each round (round 0 = initial)."""
        names = self.network.names
        return {
            k: [names[i] for i in np.flatnonzero(self.default_round == k)]
            for k in range(self.rounds + 1)
        }

    @cached_property
    def _attributed(self) -> sp.coo_array:
        """Loss matrix restricted to defaulted debtors (columns), creditors as rows."""
        loss = self.network.loss_by_debtor
        keep = sp.diags_array((self.default_round >= 0).astype(float))
        coo = (loss @ keep).tocoo()
        mask = coo.data != 0
        return sp.coo_array((coo.data[mask], (coo.row[mask], coo.col[mask])), shape=loss.shape)

    def attribution(self) -> pd.DataFrame:
        """Whose default caused which loss: one row per (creditor, defaulted debtor) with
        columns ``round`` (when the loss was booked), ``creditor``, ``debtor``, ``loss``."""
        coo = self._attributed
        names = np.asarray(self.network.names, dtype=object)
        table = pd.DataFrame(
            {
                "round": self.default_round[coo.col] + 1,
                "creditor": names[coo.row],
                "debtor": names[coo.col],
                "loss": coo.data,
            }
        )
        return table.sort_values(["round", "debtor", "creditor"], ignore_index=True)

    def losses_by_round(self) -> pd.DataFrame:
        """Losses per institution per round: columns ``round, institution, loss,
        cumulative_loss, remaining_capital, defaulted`` (``defaulted`` is true in the round the
        institution joins ``D_k``). Only rows with a loss or a default are listed."""
        coo = self._attributed
        n = self.network.size
        last = self.rounds + 1
        per_round = np.zeros((last + 1, n))
        np.add.at(per_round, (self.default_round[coo.col] + 1, coo.row), coo.data)
        cumulative = per_round.cumsum(axis=0)
        rounds, institutions = np.nonzero(
            (per_round != 0) | (self.default_round[None, :] == np.arange(last + 1)[:, None])
        )
        names = np.asarray(self.network.names, dtype=object)
        return pd.DataFrame(
            {
                "round": rounds,
                "institution": names[institutions],
                "loss": per_round[rounds, institutions],
                "cumulative_loss": cumulative[rounds, institutions],
                "remaining_capital": self.network.capital[institutions]
                - cumulative[rounds, institutions],
                "defaulted": self.default_round[institutions] == rounds,
            }
        )

    def final_losses(self) -> pd.Series:
        """Each institution's total credit loss from defaulted debtors (currency units)."""
        totals = np.bincount(self._attributed.row, self._attributed.data, self.network.size)
        return pd.Series(totals, index=pd.Index(self.network.names, name="institution"))

    @property
    def total_loss(self) -> float:
        """Sum of all credit losses ``EAD * LGD`` on exposures to defaulted institutions."""
        return float(self._attributed.data.sum())

    def summary(self) -> pd.DataFrame:
        """One row per round: ``round, new_defaults, defaulted_total, loss``."""
        counts = np.bincount(self.default_round[self.default_round >= 0], minlength=self.rounds + 2)
        losses = np.bincount(
            self.default_round[self._attributed.col] + 1,
            self._attributed.data,
            minlength=self.rounds + 2,
        )
        return pd.DataFrame(
            {
                "round": np.arange(self.rounds + 2),
                "new_defaults": counts,
                "defaulted_total": counts.cumsum(),
                "loss": losses,
            }
        )


def headroom_of(
    network: ExposureNetwork, capital_floor: float = 0.0, default_threshold: float | None = None
) -> np.ndarray:
    """Loss each institution absorbs before it defaults (currency units).

    Relative rule (``capital_floor``, a fraction in ``[0, 1)``): default when remaining
    capital falls below ``capital_floor * C_i``, so ``headroom = (1 - floor) C_i``. Absolute
    rule (``default_threshold``, currency units, finite): default when remaining capital falls
    below the threshold, ``headroom = C_i - threshold``. Only one of the two may be set. A
    negative headroom (negative starting capital, or capital already below the threshold)
    means default in round 0.
    """
    if not 0.0 <= capital_floor < 1.0:
        raise InputError(
            "capital_floor must be in [0, 1)", field="capital_floor", value=capital_floor
        )
    if default_threshold is None:
        return (1.0 - capital_floor) * network.capital
    if not np.isfinite(default_threshold):
        raise InputError(
            "default threshold must be a finite amount",
            field="default_threshold",
            value=default_threshold,
        )
    if capital_floor != 0.0:
        raise InputError(
            "give a capital floor (fraction) or an absolute default threshold, not both",
            field="default_threshold",
            value=default_threshold,
        )
    return network.capital - float(default_threshold)


def cascade(
    network: ExposureNetwork,
    initial_defaults: Iterable[Hashable],
    *,
    capital_floor: float = 0.0,
    default_threshold: float | None = None,
) -> CascadeResult:
    """Run the seed's cascade from ``initial_defaults`` (names, the set ``D_0(A) = A``).

    ``capital_floor`` is the fraction of initial capital below which an institution defaults
    (``0`` = the seed's "capital below zero"); it must be in ``[0, 1)``. Or
    ``default_threshold``: an absolute amount of remaining capital (currency units) below
    which it defaults (see :func:`headroom_of`). Institutions whose starting capital is
    already below the rule's level (negative capital with the default rule) default in round
    0. Exposure direction: ``ead[i, j]`` is creditor ``i``'s exposure to debtor ``j``.
    """
    initial = network.index_of(initial_defaults)
    headroom = headroom_of(network, capital_floor, default_threshold)
    rounds = cascade_rounds(network.loss_by_debtor, headroom, initial)
    return CascadeResult(network, rounds, capital_floor)


def cascade_rounds(
    loss_by_debtor: sp.csc_array, headroom: np.ndarray, initial: np.ndarray
) -> np.ndarray:
    """The cascade on arrays: default round per institution (``-1`` = survived).

    ``loss_by_debtor`` is the CSC loss matrix (creditors as rows, ``EAD * LGD``); ``initial``
    holds positions. Institution ``i`` defaults once its cumulative loss exceeds
    ``headroom[i] = (1 - capital_floor) * capital[i]`` (minus any uniform shock); a negative
    headroom means default in round 0.
    """
    n = headroom.shape[0]
    default_round = np.full(n, SURVIVED, dtype=np.int64)
    new = np.union1d(initial, np.flatnonzero(headroom < 0)).astype(np.int64)
    default_round[new] = 0
    loss = np.zeros(n)
    k = 0
    while new.size:
        k += 1
        creditors, amounts = gather_columns(loss_by_debtor, new)
        touched = add_losses(loss, creditors, amounts)
        new = touched[(default_round[touched] == SURVIVED) & (loss[touched] > headroom[touched])]
        default_round[new] = k
    return default_round


def gather_columns(matrix: sp.csc_array, columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row indices and values of the given columns of a CSC matrix, concatenated."""
    starts = matrix.indptr[columns]
    lengths = matrix.indptr[columns + 1] - starts
    total = int(lengths.sum())
    if total == 0:
        return np.empty(0, dtype=np.int64), np.empty(0)
    offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
    positions = offsets + np.arange(total)
    return matrix.indices[positions], matrix.data[positions]


def add_losses(loss: np.ndarray, rows: np.ndarray, amounts: np.ndarray) -> np.ndarray:
    """Add ``amounts`` into ``loss[rows]`` (in place); return the distinct touched rows.

    Dense ``bincount`` when many rows are touched, a sort over the touched rows otherwise, so
    small rounds cost what they touch and not the size of the network.
    """
    if rows.size * 8 > loss.size:
        added = np.bincount(rows, amounts, minlength=loss.size)
        loss += added
        return np.flatnonzero(added)
    touched, inverse = np.unique(rows, return_inverse=True)
    loss[touched] += np.bincount(inverse, amounts, minlength=touched.size)
    return touched
