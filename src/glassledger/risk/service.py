"""Counterparty risk that follows the ledger block by block (seed 003's CCR measurement).

:class:`RiskService` reads each new block's state changes and events and recomputes SA-CCR
EAD and expected loss **only for the netting sets that block touched** (the ``trades``
events name them) and for the netting sets of counterparties whose rating changed (a trade
closed, or the regulator changed an external rating). :func:`risk_at` answers "risk as of
height ``h``" for any past ``h`` by a full recompute from the state at ``h``; the two agree
exactly, which the tests check.

Measurement times (what makes replay reproducible):

* a netting set's EAD is measured at the block time of its last event (``updated_ms`` in the
  ``trades`` register): remaining maturities are counted from then;
* a counterparty's rating is its composite rating just after its last rating event (closed
  trade or external rating change), with no decay in between: the internal rating model
  (:mod:`glassledger.risk.rating`) decays stale evidence only when the next event arrives.

Ratings. External ratings live in the ``identity`` contract as integers in hundredths of a
notch on the 0..21 scale of :mod:`glassledger.risk.rating_scale` (``2100`` = AAA; ``-1`` =
unrated, read as the model's default anchor, BBB-). The internal rating learns from
``trade_closed`` events: the closing trade is evidence about ``counterparty`` (``party_b``,
who may have defaulted) and a completed, non-defaulted trade for ``party``.

Output (:meth:`RiskService.exposures`): one row per directed netting set with ``party``,
``counterparty``, SA-CCR ``RC``, ``PFE``, ``EAD`` (major units of the netting set currency),
the counterparty's ``rating`` and ``pd``, ``lgd_effective``, the ``guarantor`` and the
``guaranteed_ead`` it covers (PD substitution), and ``el``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import msgspec
import numpy as np
import pandas as pd

from glassledger.ledger.abc import BlockStore
from glassledger.risk.expected_loss import expected_loss, exposures_from_saccr
from glassledger.risk.ledger_view import portfolio_tables
from glassledger.risk.rating import DEFAULT_ALPHA, DEFAULT_ANCHOR, composite_score, replay_trades
from glassledger.risk.saccr import compute_saccr
from glassledger.risk.saccr.regimes import Bcbs2014, Cre52

_decode = msgspec.msgpack.decode
_MIRRORED = (b"trades/", b"token/t/", b"identity/p/")

COLUMNS = [
    "netting_set",
    "party",
    "counterparty",
    "measured_ms",
    "RC",
    "PFE",
    "EAD",
    "rating",
    "pd",
    "lgd_effective",
    "guarantor",
    "guaranteed_ead",
    "el",
]


class RiskService:
    """Event-driven SA-CCR and expected loss over a block store.

    ``regime``: the SA-CCR rule set (default CRE52, alpha 1.4). ``alpha``: weight of the
    external rating in the composite (seed 003's alpha; beta = 1 - alpha).
    """

    def __init__(
        self, store: BlockStore, regime: Bcbs2014 | None = None, alpha: float = DEFAULT_ALPHA
    ) -> None:
        self.store = store
        self.regime = regime or Cre52()
        self.alpha = alpha
        self.height = -1
        self.mirror: dict[bytes, bytes] = {}
        self.closed: list[dict] = []
        self.rating_events: dict[str, int] = {}
        self._saccr = pd.DataFrame(columns=["netting_set", "RC", "PFE", "EAD"])
        self._terms = pd.DataFrame(
            columns=[
                "netting_set",
                "party",
                "counterparty",
                "guarantor",
                "guarantee_amount",
                "base",
            ]
        )
        self._el = pd.DataFrame(columns=COLUMNS)
        self.recomputed: list[str] = []

    # ------------------------------------------------------------------ following

    def follow(self) -> list[int]:
        """Process every block up to the store's head; returns the heights processed."""
        done = []
        while self.height < self.store.head_height():
            self.process(self.height + 1)
            done.append(self.height)
        return done

    def process(self, height: int) -> None:
        """Apply block ``height`` (must be the next one) and recompute what it touched."""
        if height != self.height + 1:
            raise ValueError(f"next block is {self.height + 1}, not {height}")
        for key, value in self.store.get_changes(height).items():
            if key.startswith(_MIRRORED):
                if value is None:
                    self.mirror.pop(key, None)
                else:
                    self.mirror[key] = value
        time_ms = self.store.get_block(height).header.timestamp_ms
        touched, rerated = _block_events(self.store, height, time_ms, self.closed)
        for who in rerated:
            self.rating_events[who] = time_ms
        self.height = height
        if height == 0:
            touched = set(_netting_set_ids(self.mirror))
        self._recompute(touched, rerated)

    def exposures(self) -> pd.DataFrame:
        """Current risk per directed netting set (columns :data:`COLUMNS`)."""
        return self._el.sort_values("netting_set", ignore_index=True)

    # ------------------------------------------------------------------ recomputing

    def _recompute(self, touched: set[str], rerated: set[str]) -> None:
        self.recomputed = sorted(touched)
        if touched:
            trades, netting, terms = portfolio_tables(self.mirror, touched)
            fresh = _saccr_rows(trades, netting, terms, self.regime)
            keep = ~self._saccr["netting_set"].isin(terms["netting_set"])
            self._saccr = pd.concat([self._saccr[keep], fresh], ignore_index=True)
            keep_terms = ~self._terms["netting_set"].isin(terms["netting_set"])
            self._terms = pd.concat([self._terms[keep_terms], terms], ignore_index=True)
        stale = self._terms["counterparty"].isin(rerated) | self._terms["base"].isin(touched)
        rows = self._terms[stale]
        if rows.empty:
            return
        fresh_el = _expected_loss(self._saccr, rows, self.mirror, self.closed, self.alpha)
        keep = ~self._el["netting_set"].isin(fresh_el["netting_set"])
        self._el = pd.concat([self._el[keep], fresh_el], ignore_index=True)


def risk_at(
    store: BlockStore, height: int, regime: Bcbs2014 | None = None, alpha: float = DEFAULT_ALPHA
) -> pd.DataFrame:
    """Risk per directed netting set as of block ``height``, recomputed from scratch."""
    state = store.state_at(height)
    closed: list[dict] = []
    for h in range(height + 1):
        _block_events(store, h, store.get_block(h).header.timestamp_ms, closed)
    trades, netting, terms = portfolio_tables(state)
    saccr = _saccr_rows(trades, netting, terms, regime or Cre52())
    result = _expected_loss(saccr, terms, state, closed, alpha)
    return result.sort_values("netting_set", ignore_index=True)


# ---------------------------------------------------------------------- internals


def _netting_set_ids(state: Mapping[bytes, bytes]) -> Iterable[str]:
    for key in state:
        if key.startswith(b"trades/ns/"):
            yield key[len(b"trades/ns/") :].decode()


def _block_events(
    store: BlockStore, height: int, time_ms: int, closed: list[dict]
) -> tuple[set[str], set[str]]:
    """Netting sets touched and counterparties re-rated by block ``height``; appends the
    block's closed trades to ``closed``."""
    touched: set[str] = set()
    rerated: set[str] = set()
    for receipt in store.get_receipts(height):
        if not receipt.ok:
            continue
        for event in receipt.events:
            if event.contract == "trades":
                touched.add(event.data["netting_set"])
                if event.name == "trade_closed":
                    closed.extend(_closed_rows(event.data, time_ms))
                    rerated.update((event.data["party"], event.data["counterparty"]))
            elif event.contract == "identity" and event.name == "rating_changed":
                rerated.add(event.data["participant"])
    return touched, rerated


def _closed_rows(data: dict, time_ms: int) -> list[dict]:
    """Rating evidence from one closed trade: for the counterparty and for the party."""
    common = {
        "trade_id": data["trade_id"],
        "closed_at": pd.Timestamp(time_ms, unit="ms"),
        "size": float(data["notional"]),
        "tenor_years": data["tenor_ms"] / (365.25 * 86_400_000),
        "collateral_value": float(data["collateral"]),
        "guarantee_amount": float(data["guarantee"]),
        "margined": data["margined"],
    }
    return [
        {
            **common,
            "counterparty": data["counterparty"],
            "defaulted": data["defaulted"],
            "recovery_rate": data["recovery_bps"] / 1e4,
        },
        {**common, "counterparty": data["party"], "defaulted": False, "recovery_rate": 0.0},
    ]


def _saccr_rows(
    trades: pd.DataFrame, netting: pd.DataFrame, terms: pd.DataFrame, regime: Bcbs2014
) -> pd.DataFrame:
    if netting.empty:
        return pd.DataFrame(columns=["netting_set", "RC", "PFE", "EAD"])
    if trades.empty:
        rows = netting[["netting_set"]].copy()
        rows[["RC", "PFE", "EAD"]] = 0.0
        vm = netting["variation_margin"].to_numpy()
        rows["RC"] = np.maximum(-vm, 0.0)  # no trades: only collateral posted is at risk
        rows["EAD"] = regime.alpha * rows["RC"]
        return rows
    result = compute_saccr(trades, netting, regime).netting_sets
    return result[["netting_set", "RC", "PFE", "EAD"]]


def _ratings(
    state: Mapping[bytes, bytes], closed: list[dict], alpha: float, names: Iterable[str]
) -> pd.DataFrame:
    """Composite rating (score 0..21) of each name just after its last rating event."""
    names = sorted(set(names))
    external = {}
    for name in names:
        raw = state.get(f"identity/p/{name}".encode())
        points = -1 if raw is None else _decode(raw)["external_rating"]
        external[name] = DEFAULT_ANCHOR if points < 0 else points / 100.0
    ext = pd.Series(external, dtype=float)
    internal = pd.Series(np.nan, index=ext.index)
    count = pd.Series(0, index=ext.index)
    if closed:
        history = pd.DataFrame(closed)
        history = history[history["counterparty"].isin(names)]
        if not history.empty:
            ext_table = pd.DataFrame(
                {
                    "counterparty": ext.index,
                    "as_of": pd.Timestamp(0, unit="ms"),
                    "rating": ext.to_numpy(),
                }
            )
            path = replay_trades(history.reset_index(drop=True), external=ext_table, alpha=alpha)
            last = path.groupby("counterparty").tail(1).set_index("counterparty")
            internal.loc[last.index] = last["internal"]
            count.loc[last.index] = last["closed_trades"]
    composite = composite_score(
        ext.to_numpy(), internal.fillna(0.0).to_numpy(), count.to_numpy(), alpha=alpha
    )
    return pd.DataFrame({"counterparty": ext.index, "rating": composite})


def _expected_loss(
    saccr: pd.DataFrame,
    terms: pd.DataFrame,
    state: Mapping[bytes, bytes],
    closed: list[dict],
    alpha: float,
) -> pd.DataFrame:
    if terms.empty:
        return pd.DataFrame(columns=COLUMNS)
    rows = saccr[saccr["netting_set"].isin(terms["netting_set"])]
    credit = terms[["netting_set", "counterparty", "guarantor", "guarantee_amount"]]
    exposures = exposures_from_saccr(rows, credit)
    names = set(exposures["counterparty"]) | {
        g for g in exposures["guarantor"] if isinstance(g, str) and g
    }
    ratings = _ratings(state, closed, alpha, names)
    el = expected_loss(exposures.reset_index(drop=True), ratings)
    merged = el.merge(terms[["netting_set", "party", "base"]], on="netting_set").merge(
        rows, on="netting_set"
    )
    merged["measured_ms"] = [
        _decode(state[f"trades/ns/{base}".encode()])["updated_ms"] for base in merged["base"]
    ]
    merged["guarantor"] = merged["guarantor"].astype(object).fillna("")
    text = {"netting_set": str, "party": str, "counterparty": str, "guarantor": str}
    return merged[COLUMNS].astype(text).astype({k: object for k in text})
