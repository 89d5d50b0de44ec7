"""Regulatory report fields generated from ledger events: CFTC Part 45 and EMIR Refit trade,
valuation and margin reports, following the CPMI-IOSCO critical data elements.

Sources of the field names (the names below are the published data element names):

* CFTC: 17 CFR Part 45, Appendix 1 (swap data elements, as amended 2020) and the CFTC
  *Technical Specification, Parts 43 and 45 swap data reporting and public dissemination
  requirements*, version 2.0, 17 September 2020 (action and event types, allowable values);
* EMIR Refit: Commission Delegated Regulation (EU) 2022/1855 (RTS on reporting), Annex,
  Table 1 (counterparty data), Table 2 (common data) and Table 3 (margin data), and ESMA's
  *Guidelines for reporting under EMIR* (2023, the section on Table 3 margin data);
* CPMI-IOSCO *Harmonisation of critical OTC derivatives data elements (other than UTI and
  UPI)*, 2018 (the CDE both regimes follow).

One mapping table (:data:`TRADE`, :data:`VALUATION`, :data:`MARGIN`) drives both regimes and
the documentation (docs/trade-repository.md): each :class:`Column` names the ledger source,
the Part 45 element and the EMIR field (empty where the regime has no such field) and how
the value is computed. Formats: amounts in major units as decimal text (minor units /
10**decimals of the token); rates and prices (``_e8`` on the ledger) as decimal text
(0.041 = 4.1 %); spreads in basis points; dates ``YYYY-MM-DD``; timestamps
``YYYY-MM-DDThh:mm:ssZ`` (UTC, the block time).

What is reported (our reading, docs/decisions.md): a **trade** row for each execution
(``NEWT``/``TRAD``, or ``NEWT``/``NOVA`` for the trade a novation opens) and for each
lifecycle event that ends or changes a trade other than by its own schedule: termination by
agreement (``TERM``/``ETRM``), novation of the old trade (``TERM``/``NOVA``), exercise
(``TERM``/``EXER``), credit event (``MODI``/``CREV``), early termination in a close-out
(``TERM``/``ETRM``, every trade of the netting set). Scheduled events (reset, payment,
observation, maturity, expiry, settlement at the value date) follow the reported terms and
make no trade report; they stay in the repository records. A **valuation** row
(``VALU``) per trade mark; a **margin** row (``MARU``) per netting set each time its initial
or variation margin changes, and at close-out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pandas as pd

from glassledger.ledger.abc import BlockStore
from glassledger.reporting.ledger import RepositoryView, decimals, participants, repository_at

REGIMES = ("cftc", "emir")
REPORTS = ("trade", "valuation", "margin")
NO_LEI = "GLASSLEDGER000000000"


def amount(minor: int, places: int) -> str:
    """Minor units as decimal text in major units (``123456, 2`` -> ``"1234.56"``)."""
    return str(Decimal(minor).scaleb(-places)) if places else str(minor)


def e8(value: int) -> str:
    """An ``_e8`` integer as plain decimal text (``4_100_000`` -> ``"0.041"``)."""
    text = format(Decimal(value).scaleb(-8).normalize(), "f")
    return text


def date(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d")


def timestamp(ms: int) -> str:
    return datetime.fromtimestamp(ms // 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Row:
    """What a column reads: the report's event, the trade's execution fields (``trade``),
    the netting set's margin (``margin``), identities and token decimals."""

    action: str
    event_type: str
    time_ms: int
    trade: dict[str, Any]
    ids: dict[str, dict[str, Any]]
    places: int
    mark: int = 0
    margin: dict[str, int] | None = None
    prior_uti: str = ""

    def lei(self, party: str) -> str:
        return self.ids.get(party, {}).get("lei", "") or party

    def source(self, party: str) -> str:
        return "LEI" if self.ids.get(party, {}).get("lei") else "participant id"


@dataclass(frozen=True)
class Column:
    """One report column: ledger ``source``, CFTC Part 45 name, EMIR Refit name (empty:
    not in that regime) and its ``value``."""

    source: str
    cftc: str
    emir: str
    value: Callable[[Row], str]


def _p(row: Row, key: str) -> Any:
    return row.trade["params"].get(key, "")


def _price(template: str, fn: Callable[[Row], str]) -> Callable[[Row], str]:
    return lambda r: fn(r) if r.trade["template"] == template else ""


_CONTRACT_TYPE = {"irs": "SWAP", "cds": "SWAP", "fx_forward": "FORW", "european_option": "OPTN"}
_ASSET_CLASS = {
    "IR": "INTR",
    "FX": "CURR",
    "CREDIT": "CRDT",
    "EQUITY": "EQUI",
    "COMMODITY": "COMM",
}
_OPTION_TYPE = {"call": "CALL", "put": "PUTO"}

_COMMON = (
    Column("event (see below)", "Action type", "Action type", lambda r: r.action),
    Column("block time", "Event timestamp", "Event date", lambda r: timestamp(r.time_ms)),
    Column("execution.uti", "Unique transaction identifier (UTI)", "UTI", lambda r: r.trade["uti"]),
    Column(
        "execution.lei_a (party A)",
        "Counterparty 1 (reporting counterparty)",
        "Counterparty 1 (Reporting counterparty)",
        lambda r: r.lei(r.trade["party_a"]),
    ),
    Column(
        "execution.lei_b (party B)",
        "Counterparty 2",
        "Counterparty 2",
        lambda r: r.lei(r.trade["party_b"]),
    ),
    Column(
        "identity lei of party B",
        "Counterparty 2 identifier source",
        "Counterparty 2 identifier type",
        lambda r: r.source(r.trade["party_b"]),
    ),
)

TRADE: tuple[Column, ...] = (
    *_COMMON[:1],
    Column("event name", "Event type", "Event type", lambda r: r.event_type),
    *_COMMON[1:],
    Column("novation: old trade's uti", "Prior UTI", "Prior UTI", lambda r: r.prior_uti),
    Column("execution.upi", "Unique product identifier", "UPI", lambda r: r.trade["upi"]),
    Column(
        "execution.asset_class",
        "",
        "Asset class",
        lambda r: _ASSET_CLASS.get(r.trade["asset_class"], "OTHR"),
    ),
    Column(
        "execution.template", "", "Contract type", lambda r: _CONTRACT_TYPE[r.trade["template"]]
    ),
    Column(
        "execution.a_long: the long party",
        "Buyer identifier",
        "",
        lambda r: r.lei(r.trade["party_a" if r.trade["a_long"] else "party_b"]),
    ),
    Column(
        "execution.a_long: the short party",
        "Seller identifier",
        "",
        lambda r: r.lei(r.trade["party_b" if r.trade["a_long"] else "party_a"]),
    ),
    Column("execution.a_long", "", "Direction", lambda r: "BYER" if r.trade["a_long"] else "SLLR"),
    Column(
        "execution.notional_value",
        "Notional amount-Leg 1",
        "Notional amount of leg 1",
        lambda r: amount(r.trade["notional_value"], r.places),
    ),
    Column(
        "execution.currency",
        "Notional currency-Leg 1",
        "Notional currency 1",
        lambda r: r.trade["currency"],
    ),
    Column(
        "irs: params.fixed_rate_e8",
        "Fixed rate-Leg 1",
        "Fixed rate of leg 1",
        _price("irs", lambda r: e8(_p(r, "fixed_rate_e8"))),
    ),
    Column(
        "cds: params.spread_bps",
        "Spread-Leg 1",
        "Spread of leg 1",
        _price("cds", lambda r: str(_p(r, "spread_bps"))),
    ),
    Column(
        "fx_forward: params.forward_rate_e8",
        "Exchange rate",
        "Exchange rate",
        _price("fx_forward", lambda r: e8(_p(r, "forward_rate_e8"))),
    ),
    Column(
        "fx_forward: params.pair",
        "Exchange rate basis",
        "Exchange rate basis",
        _price("fx_forward", lambda r: _p(r, "pair")),
    ),
    Column(
        "option: params.strike_e8",
        "Strike price",
        "Strike price",
        _price("european_option", lambda r: e8(_p(r, "strike_e8"))),
    ),
    Column(
        "option: params.option_type",
        "Option type",
        "Option type",
        _price("european_option", lambda r: _OPTION_TYPE[_p(r, "option_type")]),
    ),
    Column(
        "option: European",
        "Option style",
        "Option style",
        _price("european_option", lambda r: "EURO"),
    ),
    Column(
        "option: params.premium",
        "Option premium amount",
        "Option premium amount",
        _price("european_option", lambda r: amount(_p(r, "premium"), r.places)),
    ),
    Column(
        "option: execution.currency",
        "Option premium currency",
        "Option premium currency",
        _price("european_option", lambda r: r.trade["currency"]),
    ),
    Column(
        "execution.execution_ms",
        "Execution timestamp",
        "Execution timestamp",
        lambda r: timestamp(r.trade["execution_ms"]),
    ),
    Column(
        "execution.effective_ms",
        "Effective date",
        "Effective date",
        lambda r: date(r.trade["effective_ms"]),
    ),
    Column(
        "execution.maturity_ms",
        "Expiration date",
        "Expiration date",
        lambda r: date(r.trade["maturity_ms"]),
    ),
    Column(
        "execution.netting_set",
        "Initial margin collateral portfolio code",
        "Collateral portfolio code",
        lambda r: r.trade["netting_set"],
    ),
)

VALUATION: tuple[Column, ...] = (
    *_COMMON,
    Column(
        "valuation.marks[trade] (party A's side)",
        "Valuation amount",
        "Valuation amount",
        lambda r: amount(r.mark, r.places),
    ),
    Column(
        "netting set currency",
        "Valuation currency",
        "Valuation currency",
        lambda r: r.trade["currency"],
    ),
    Column(
        "oracle marks (valuation agent's model)",
        "Valuation method",
        "Valuation method",
        lambda r: "MTMO",
    ),
    Column(
        "block time of the valuation",
        "Valuation timestamp",
        "Valuation timestamp",
        lambda r: timestamp(r.time_ms),
    ),
)


def _m(key: str) -> Callable[[Row], str]:
    return lambda r: amount((r.margin or {}).get(key, 0), r.places)


def _currency(r: Row) -> str:
    return r.trade["currency"]


MARGIN: tuple[Column, ...] = (
    Column("event (see below)", "Action type", "Action type", lambda r: r.action),
    Column("block time", "Event timestamp", "Collateral timestamp", lambda r: timestamp(r.time_ms)),
    Column(
        "netting set party A's lei",
        "Counterparty 1 (reporting counterparty)",
        "Counterparty 1 (Reporting counterparty)",
        lambda r: r.lei(r.trade["party_a"]),
    ),
    Column(
        "netting set party B's lei",
        "Counterparty 2",
        "Counterparty 2",
        lambda r: r.lei(r.trade["party_b"]),
    ),
    Column(
        "netting set id",
        "Initial margin collateral portfolio code",
        "Collateral portfolio code",
        lambda r: r.trade["netting_set"],
    ),
    Column(
        "netting set id",
        "Variation margin collateral portfolio code",
        "",
        lambda r: r.trade["netting_set"],
    ),
    Column(
        "initial_margin.required[party A]",
        "Initial margin posted by the reporting counterparty (post-haircut)",
        "Initial margin posted by the counterparty 1 (post-haircut)",
        _m("im_posted"),
    ),
    Column(
        "initial_margin.required[party A] (cash: no haircut)",
        "Initial margin posted by the reporting counterparty (pre-haircut)",
        "Initial margin posted by the counterparty 1 (pre-haircut)",
        _m("im_posted"),
    ),
    Column(
        "netting set currency",
        "Currency of initial margin posted",
        "Currency of the initial margin posted",
        _currency,
    ),
    Column(
        "initial_margin.required[party B]",
        "Initial margin collected by the reporting counterparty (post-haircut)",
        "Initial margin collected by the counterparty 1 (post-haircut)",
        _m("im_collected"),
    ),
    Column(
        "initial_margin.required[party B] (cash: no haircut)",
        "Initial margin collected by the reporting counterparty (pre-haircut)",
        "Initial margin collected by the counterparty 1 (pre-haircut)",
        _m("im_collected"),
    ),
    Column(
        "netting set currency",
        "Currency of initial margin collected",
        "Currency of initial margin collected",
        _currency,
    ),
    Column(
        "variation_margin.vm_held_by_a < 0",
        "Variation margin posted by the reporting counterparty",
        "Variation margin posted by the counterparty 1 (post-haircut)",
        _m("vm_posted"),
    ),
    Column(
        "variation_margin.vm_held_by_a < 0 (cash)",
        "",
        "Variation margin posted by the counterparty 1 (pre-haircut)",
        _m("vm_posted"),
    ),
    Column(
        "netting set currency",
        "Currency of variation margin posted",
        "Currency of the variation margins posted",
        _currency,
    ),
    Column(
        "variation_margin.vm_held_by_a > 0",
        "Variation margin collected by the reporting counterparty",
        "Variation margin collected by the counterparty 1 (post-haircut)",
        _m("vm_collected"),
    ),
    Column(
        "variation_margin.vm_held_by_a > 0 (cash)",
        "",
        "Variation margin collected by the counterparty 1 (pre-haircut)",
        _m("vm_collected"),
    ),
    Column(
        "netting set currency",
        "Currency of variation margin collected",
        "Currency of variation margins collected",
        _currency,
    ),
)

COLUMNS = {"trade": TRADE, "valuation": VALUATION, "margin": MARGIN}

#: Trade-report action and event types of the lifecycle events that make one.
LIFECYCLE_TYPES = {
    "termination": ("TERM", "ETRM"),
    "novation": ("TERM", "NOVA"),
    "exercise": ("TERM", "EXER"),
    "credit_event": ("MODI", "CREV"),
}


def report_rows(view: RepositoryView) -> dict[str, list[Row]]:
    """The rows of each report (trade, valuation, margin) from the repository's events, in
    ledger order."""
    ids = participants(view.state)
    by_trade: dict[str, dict[str, Any]] = {}
    nets: dict[str, dict[str, Any]] = {}
    margin: dict[str, dict[str, int]] = {}
    rows: dict[str, list[Row]] = {name: [] for name in REPORTS}

    def places(cur: str) -> int:
        return decimals(view.state, cur)

    for e in view.events:
        f = e.fields
        if e.event == "execution":
            by_trade[f["trade_id"]] = f
            nets.setdefault(f["netting_set"], f)
            old = by_trade.get(f.get("novated_from", ""), {})
            rows["trade"].append(
                Row(
                    "NEWT",
                    "NOVA" if old else "TRAD",
                    e.time_ms,
                    f,
                    ids,
                    places(f["currency"]),
                    prior_uti=old.get("uti", ""),
                )
            )
        elif e.event in LIFECYCLE_TYPES and f.get("trade_id") in by_trade:
            action, kind = LIFECYCLE_TYPES[e.event]
            trade = by_trade[f["trade_id"]]
            rows["trade"].append(
                Row(action, kind, e.time_ms, trade, ids, places(trade["currency"]))
            )
        elif e.event == "early_termination":
            for trade_id, _ in f["trades"]:
                trade = by_trade[trade_id]
                rows["trade"].append(
                    Row("TERM", "ETRM", e.time_ms, trade, ids, places(trade["currency"]))
                )
        elif e.event == "valuation":
            for trade_id, mark in f["marks"]:
                trade = by_trade[trade_id]
                rows["valuation"].append(
                    Row("VALU", "", e.time_ms, trade, ids, places(trade["currency"]), mark=mark)
                )
        if e.event in ("initial_margin", "variation_margin", "early_termination"):
            ns = f["netting_set"]
            state = margin.setdefault(
                ns, {"im_posted": 0, "im_collected": 0, "vm_posted": 0, "vm_collected": 0}
            )
            a, _, b = ns.partition("~")
            if e.event == "initial_margin":
                state["im_posted"] = f["required"].get(a, 0)
                state["im_collected"] = f["required"].get(b, 0)
            elif e.event == "variation_margin":
                vm = f["vm_held_by_a"]
                state["vm_collected"], state["vm_posted"] = max(vm, 0), max(-vm, 0)
            else:
                state.update(im_posted=0, im_collected=0, vm_posted=0, vm_collected=0)
            trade = nets.get(ns)
            if trade is not None:
                rows["margin"].append(
                    Row(
                        "MARU",
                        "",
                        e.time_ms,
                        trade,
                        ids,
                        places(trade["currency"]),
                        margin=dict(state),
                    )
                )
    return rows


def report_frames(view: RepositoryView, regime: str) -> dict[str, pd.DataFrame]:
    """The trade, valuation and margin reports of ``regime`` (``"cftc"`` or ``"emir"``) as
    DataFrames whose columns are the regime's official field names (text values)."""
    if regime not in REGIMES:
        raise ValueError(f"regime must be one of {REGIMES}, got {regime!r}")
    frames = {}
    for name, rows in report_rows(view).items():
        columns = [c for c in COLUMNS[name] if getattr(c, regime)]
        frames[name] = pd.DataFrame(
            [[c.value(row) for c in columns] for row in rows],
            columns=[getattr(c, regime) for c in columns],
            dtype=object,
        )
    return frames


def reports_at(store: BlockStore, height: int | None, regime: str) -> dict[str, pd.DataFrame]:
    """:func:`report_frames` of the ledger at ``height`` (default: the head)."""
    return report_frames(repository_at(store, height), regime)


def mapping_table() -> pd.DataFrame:
    """The field mapping, one row per column: report, ledger source, Part 45, EMIR."""
    return pd.DataFrame(
        [
            (name, c.source, c.cftc or "-", c.emir or "-")
            for name, cols in COLUMNS.items()
            for c in cols
        ],
        columns=["report", "ledger source", "CFTC Part 45", "EMIR Refit"],
    )


def mapping_markdown() -> str:
    """:func:`mapping_table` as the Markdown table of docs/trade-repository.md (a test keeps
    the page equal to it)."""
    lines = ["| report | ledger source | CFTC Part 45 | EMIR Refit |", "|---|---|---|---|"]
    for row in mapping_table().itertuples(index=False):
        lines.append("| " + " | ".join(str(v).replace("|", "\\|") for v in row) + " |")
    return "\n".join(lines) + "\n"
