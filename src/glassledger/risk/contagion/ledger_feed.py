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

**Warnings are private payloads.** :func:`warning_args` seals one payload per monitored
institution (every institution with a capital entry when the warnings are sent), warned or
not, to that institution and the regulator (:func:`glassledger.ledger.private.seal`), each
padded to :data:`WARNING_PAYLOAD_BYTES` so that warned and unwarned envelopes look alike.
:func:`read_warnings` finds the envelopes sealed to a participant in the blocks and opens them
with its key: what ``glassledger risk monitor --read --as <id>`` prints.
"""

from __future__ import annotations

from dataclasses import dataclass

import msgspec
import numpy as np
import pandas as pd

from glassledger.contracts.monitor import DEFAULT_THRESHOLD_BPS
from glassledger.errors import InputError
from glassledger.ledger.abc import BlockStore
from glassledger.ledger.codec import decode, encode
from glassledger.ledger.crypto import KeyPair
from glassledger.ledger.private import Envelope, open_envelope, seal
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


#: Size of every sealed warning payload (bytes, before encryption): padding hides whether an
#: institution was warned and how long its reason is.
WARNING_PAYLOAD_BYTES = 1024
_PAYLOAD_FIELDS = ("height", "institution", "warned", "round", "dr_bps", "reason")


def warning_items(result: EarlyWarning) -> list[dict]:
    """The warnings of ``result``, one per warned institution: ``institution``, cascade
    ``round``, ``dr_bps`` (dr in basis points, integer) and ``reason``."""
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
    return items


def warning_payload(height: int, institution: str, item: dict | None) -> bytes:
    """The plaintext sealed to ``institution`` for the analysis at ``height``: its warning
    (``item``) or ``warned = False``, codec-encoded, length-prefixed and zero-padded to
    :data:`WARNING_PAYLOAD_BYTES`."""
    record = {
        "height": height,
        "institution": institution,
        "warned": item is not None,
        "round": -1 if item is None else item["round"],
        "dr_bps": 0 if item is None else item["dr_bps"],
        "reason": "" if item is None else item["reason"],
    }
    body = encode(record)
    if len(body) + 2 > WARNING_PAYLOAD_BYTES:  # cut a very long reason to fit
        record["reason"] = record["reason"][:400] + "..."
        body = encode(record)
    if len(body) + 2 > WARNING_PAYLOAD_BYTES:
        raise InputError(f"the warning for {institution!r} does not fit in a payload")
    return len(body).to_bytes(2, "big") + body + bytes(WARNING_PAYLOAD_BYTES - 2 - len(body))


def read_payload(data: bytes) -> dict:
    """Inverse of :func:`warning_payload`."""
    size = int.from_bytes(data[:2], "big")
    return decode(data[2 : 2 + size], dict)


def _public_key(state: dict[bytes, bytes], participant: str) -> bytes:
    raw = state.get(f"identity/p/{participant}".encode())
    if raw is None:
        raise InputError(f"{participant!r} is not a registered participant: cannot seal to it")
    return bytes.fromhex(_decode(raw)["keys"][0])


def warning_args(
    result: EarlyWarning, height: int, state: dict[bytes, bytes], regulator: str = "regulator"
) -> dict:
    """Arguments of ``monitor.warn`` for ``result`` (the analysis at ``height``): one
    envelope per institution monitored in ``state`` (the chain state the warnings are sent
    on: capital entries and registered keys), sealed to it and the ``regulator``."""
    return sealed_warning_args(warning_items(result), height, state, regulator)


def sealed_warning_args(
    warnings: list[dict], height: int, state: dict[bytes, bytes], regulator: str = "regulator"
) -> dict:
    """:func:`warning_args` for warning items given directly (``institution``, ``round``,
    ``dr_bps``, ``reason``)."""
    items = {item["institution"]: item for item in warnings}
    monitored = sorted(
        key[len(b"monitor/capital/") :].decode()
        for key in state
        if key.startswith(b"monitor/capital/")
    )
    unmonitored = sorted(set(items) - set(monitored))
    if unmonitored:
        raise InputError(f"warned institutions without a capital entry: {unmonitored}")
    regulator_key = _public_key(state, regulator)
    envelopes = []
    for institution in monitored:
        payload = warning_payload(height, institution, items.get(institution))
        recipients = {institution: _public_key(state, institution), regulator: regulator_key}
        envelopes.append(seal(payload, recipients, regulator).to_value())
    return {"height": height, "envelopes": envelopes}


def read_warnings(store: BlockStore, participant: str, keys: KeyPair) -> list[dict]:
    """Every warning payload sealed to ``participant`` on the chain in ``store``, opened with
    its ``keys`` (the regulator reads them all): dicts with ``height`` (of the analysis),
    ``institution``, ``warned``, ``round``, ``dr_bps``, ``reason`` and ``block`` (where the
    envelope was published). :class:`CryptoError` if an envelope does not open."""
    out = []
    for record in store.events(contract="monitor", name="warning"):
        data = record.event.data
        if record.tx_index is None:
            continue
        tx = store.get_block(record.height).txs[record.tx_index].tx
        for value in tx.args.get("envelopes", []):
            envelope = Envelope.from_value(value)
            if envelope.hash != data["hash"] or participant not in envelope.keys:
                continue
            opened = read_payload(open_envelope(envelope, participant, keys))
            out.append({**{f: opened[f] for f in _PAYLOAD_FIELDS}, "block": record.height})
    return out
