"""The contagion monitor fed by the ledger: exposure network and early warning at any height.

Exposures come from the same netting-set view as the counterparty-risk engine
(:func:`glassledger.risk.service.risk_at`): for every directed netting set, ``party`` is
exposed to ``counterparty`` by its SA-CCR ``EAD`` with loss given default ``lgd_effective``.
Guarantees work by substitution (seed 003's third-party guarantors): the ``guaranteed_ead``
part is an exposure to the ``guarantor`` instead of the counterparty. Exposures of one
creditor to one debtor are summed across netting sets; their LGD is the EAD-weighted mean, so
``EAD x LGD`` is preserved. Capital is the ``monitor`` contract's ``capital/<id>`` at the same
height (major units); institutions without a capital entry are left out of the network with
their exposures, and listed in :attr:`LedgerNetwork.missing_capital`.

Direction: creditor (lender) first, as everywhere in :mod:`glassledger.risk.contagion`.
"""

from __future__ import annotations

from dataclasses import dataclass

import msgspec
import numpy as np
import pandas as pd

from glassledger.contracts.monitor import DEFAULT_THRESHOLD_BPS
from glassledger.ledger.abc import BlockStore
from glassledger.ledger.codec import encode
from glassledger.risk.contagion.network import ExposureNetwork
from glassledger.risk.contagion.warning import EarlyWarning, early_warning
from glassledger.risk.service import risk_at

_decode = msgspec.msgpack.decode


@dataclass(frozen=True)
class LedgerNetwork:
    """The exposure network at ``height`` and what could not enter it."""

    height: int
    network: ExposureNetwork
    edges: pd.DataFrame
    missing_capital: tuple[str, ...]
    threshold: float


def exposure_edges(exposures: pd.DataFrame) -> pd.DataFrame:
    """``creditor, debtor, ead, lgd`` from the risk service's per-netting-set table, with
    guarantees substituted and pairs aggregated (see the module docstring)."""
    guaranteed = exposures["guaranteed_ead"].fillna(0.0).to_numpy(dtype=float)
    ead = exposures["EAD"].to_numpy(dtype=float)
    lgd = exposures["lgd_effective"].to_numpy(dtype=float)
    direct = pd.DataFrame(
        {
            "creditor": exposures["party"],
            "debtor": exposures["counterparty"],
            "ead": ead - guaranteed,
            "loss": (ead - guaranteed) * lgd,
        }
    )
    covered = guaranteed > 0
    substituted = pd.DataFrame(
        {
            "creditor": exposures["party"][covered],
            "debtor": exposures["guarantor"][covered],
            "ead": guaranteed[covered],
            "loss": guaranteed[covered] * lgd[covered],
        }
    )
    edges = pd.concat([direct, substituted], ignore_index=True)
    edges = edges[edges["ead"] > 0].groupby(["creditor", "debtor"], as_index=False).sum()
    edges["lgd"] = np.clip(edges["loss"] / edges["ead"], 0.0, 1.0)
    return edges[["creditor", "debtor", "ead", "lgd"]]


def capital_at(state: dict[bytes, bytes]) -> tuple[dict[str, float], float]:
    """``({institution: capital in major units}, dr threshold as a ratio)`` from ``monitor``."""
    capital = {}
    for key, raw in state.items():
        if key.startswith(b"monitor/capital/"):
            record = _decode(raw)
            token = state.get(f"token/t/{record['currency']}".encode())
            decimals = 2 if token is None else _decode(token)["decimals"]
            capital[key[len(b"monitor/capital/") :].decode()] = record["amount"] / 10**decimals
    raw = state.get(b"monitor/threshold_bps")
    threshold_bps = DEFAULT_THRESHOLD_BPS if raw is None else _decode(raw)
    return capital, threshold_bps / 10_000


def network_at(store: BlockStore, height: int) -> LedgerNetwork:
    """The exposure network of block ``height`` (exposures and capital as of that block)."""
    capital, threshold = capital_at(store.state_at(height))
    edges = exposure_edges(risk_at(store, height))
    known = edges["creditor"].isin(capital) & edges["debtor"].isin(capital)
    missing = sorted(set(edges["creditor"][~known]) | set(edges["debtor"][~known]) - set(capital))
    network = ExposureNetwork.from_edges(
        edges[known].reset_index(drop=True), capital, source=f"ledger exposures at {height}"
    )
    return LedgerNetwork(height, network, edges[known], tuple(missing), threshold)


def warnings_at(store: BlockStore, height: int, threshold: float | None = None) -> EarlyWarning:
    """Seed 003's early warning on the ledger's exposures at ``height`` (threshold from the
    ``monitor`` contract unless given, as a ratio)."""
    ledger = network_at(store, height)
    return early_warning(ledger.network, ledger.threshold if threshold is None else threshold)


def warning_args(result: EarlyWarning, height: int) -> dict:
    """Arguments of ``monitor.warn`` for ``result`` (integers only: dr in basis points)."""
    items = [
        {
            "institution": str(row["institution"]),
            "round": int(row["round"]),
            "dr_bps": round(float(np.nan_to_num(row["dr"], nan=0.0, posinf=1e12)) * 10_000),
            "reason": str(row["reason"]),
        }
        for row in result.table().to_dict("records")
    ]
    encode(items)  # fail here, not on the ledger, if anything is not encodable
    return {"height": height, "warnings": items}
