"""ISDA Common Domain Model interchange: a small typed model (:mod:`.model`), a JSON reader
and writer (:mod:`.io`) and the mapping to and from the smart derivative templates
(:mod:`.mapping`). Off-ledger: imports on-ledger code never the reverse. See docs/cdm.md."""

from glassledger.cdm.io import decode, encode, load, read_trade_state, read_trade_states
from glassledger.cdm.mapping import (
    TemplateTrade,
    from_cdm,
    ledger_trade_to_cdm,
    to_cdm,
)
from glassledger.cdm.model import BusinessEvent, Trade, TradeState

__all__ = [
    "BusinessEvent",
    "TemplateTrade",
    "Trade",
    "TradeState",
    "decode",
    "encode",
    "from_cdm",
    "ledger_trade_to_cdm",
    "load",
    "read_trade_state",
    "read_trade_states",
    "to_cdm",
]
