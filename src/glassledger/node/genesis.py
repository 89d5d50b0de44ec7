"""Genesis: the chain's parameters, first participants, authorities and tokens.

A genesis file (TOML or YAML) looks like::

    chain_id = "glassledger-demo"
    time_ms = 1767225600000            # genesis timestamp, ms since the Unix epoch

    [params]                           # optional; defaults in DEFAULT_PARAMS
    max_block_txs = 5000

    [[participants]]
    id = "regulator"
    roles = ["regulator", "oracle"]
    legal_name = "Market Regulator"
    public_key = "<64 hex chars>"      # or omit and let `glassledger init` create key files
    credit_score = 95                  # C_i, used for authority candidacy
    authority = true                   # member of the first authority set

    [[tokens]]
    symbol = "USD"
    decimals = 2
    issuer = "bank-a"

    [[balances]]
    symbol = "USD"
    holder = "dealer-a"
    amount = 100000000                 # minor units

Block 0 is the genesis block: no transactions, an empty certificate, and the state that these
declarations produce (written through the contracts' own methods, as the regulator and the
issuers, so genesis obeys the same rules as every later block).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
import yaml

from glassledger.contracts.identity import make_record
from glassledger.errors import ConfigError, TxRejected
from glassledger.ledger import codec
from glassledger.ledger.abi import BlockInfo, Context, Registry
from glassledger.ledger.authorities import AUTHORITIES_KEY
from glassledger.ledger.block import (
    GENESIS_CERTIFICATE,
    Block,
    BlockHeader,
    authority_set_hash,
    certificate_hash,
    tx_root,
)
from glassledger.ledger.execution import PARAMS_KEY, encode_params
from glassledger.ledger.merkle import list_root
from glassledger.ledger.params import DEFAULT_PARAMS
from glassledger.ledger.state import Overlay, State
from glassledger.ledger.tx import Event


class ParticipantSpec(msgspec.Struct, forbid_unknown_fields=True):
    id: str
    roles: list[str]
    public_key: str = ""
    legal_name: str = ""
    lei: str = ""
    external_rating: int = -1  # hundredths of a notch (2100 = AAA); -1 unrated
    credit_score: int = 0
    category: str = "professional"
    authority: bool = False


class TokenSpec(msgspec.Struct, forbid_unknown_fields=True):
    symbol: str
    decimals: int
    issuer: str


class BalanceSpec(msgspec.Struct, forbid_unknown_fields=True):
    symbol: str
    holder: str
    amount: int


class Genesis(msgspec.Struct, forbid_unknown_fields=True):
    chain_id: str
    time_ms: int
    participants: list[ParticipantSpec]
    params: dict[str, Any] = {}
    tokens: list[TokenSpec] = []
    balances: list[BalanceSpec] = []

    @property
    def all_params(self) -> dict[str, Any]:
        unknown = set(self.params) - set(DEFAULT_PARAMS)
        if unknown:
            raise ConfigError(f"genesis: unknown parameter(s) {sorted(unknown)}")
        return {**DEFAULT_PARAMS, **self.params, "chain_id": self.chain_id}


def load_genesis(path: Path) -> Genesis:
    """Read a genesis file (``.toml``, ``.yaml``/``.yml``); :class:`ConfigError` if invalid."""
    path = Path(path)
    try:
        text = path.read_text()
        if path.suffix == ".toml":
            import tomllib

            raw = tomllib.loads(text)
        elif path.suffix in {".yaml", ".yml"}:
            raw = yaml.safe_load(text)
        else:
            raise ConfigError(f"{path}: genesis must be .toml or .yaml, got {path.suffix!r}")
        return msgspec.convert(raw, Genesis)
    except (OSError, ValueError, msgspec.ValidationError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: invalid genesis: {exc}") from exc


def build_genesis(genesis: Genesis, registry: Registry) -> tuple[Block, State]:
    """The genesis block and the state it commits to."""
    params = genesis.all_params
    state = State(params["state_depth"])
    overlay = Overlay(state)
    overlay.put(PARAMS_KEY, encode_params(params))
    info = BlockInfo(0, genesis.time_ms, params, registry)
    events: list[Event] = []
    keys: dict[str, bytes] = {}
    for spec in genesis.participants:
        try:
            key = bytes.fromhex(spec.public_key)
            record = make_record(
                spec.id,
                spec.roles,
                [key],
                spec.legal_name,
                spec.lei,
                spec.external_rating,
                spec.category,
            )
        except ValueError as exc:
            raise ConfigError(f"genesis participant {spec.id!r}: {exc}") from exc
        if spec.id in keys:
            raise ConfigError(f"genesis participant {spec.id!r} appears twice")
        keys[spec.id] = key
        overlay.put(b"identity/p/" + spec.id.encode(), codec.encode(record))
        overlay.put(b"identity/k/" + key.hex().encode(), codec.encode(spec.id))
        if spec.credit_score:
            overlay.put(b"governance/score/" + spec.id.encode(), codec.encode(spec.credit_score))
    authorities = [{"id": p.id, "key": keys[p.id]} for p in genesis.participants if p.authority]
    if not authorities:
        raise ConfigError("genesis names no authority (set authority = true on at least one)")
    overlay.put(
        AUTHORITIES_KEY,
        codec.encode({"current": authorities, "pending": None, "effective_height": 0}),
    )
    regulators = [p.id for p in genesis.participants if "regulator" in p.roles]
    if len(regulators) != 1:
        raise ConfigError(f"genesis needs exactly one regulator, found {regulators}")
    _call(
        info,
        overlay,
        registry,
        regulators[0],
        {"regulator"},
        events,
        "token",
        "create",
        [{"symbol": t.symbol, "decimals": t.decimals, "issuer": t.issuer} for t in genesis.tokens],
    )
    for balance in genesis.balances:
        issuer = next((t.issuer for t in genesis.tokens if t.symbol == balance.symbol), None)
        if issuer is None:
            raise ConfigError(f"genesis balance in unknown token {balance.symbol!r}")
        _call(
            info,
            overlay,
            registry,
            issuer,
            {"issuer"},
            events,
            "token",
            "mint",
            [{"symbol": balance.symbol, "to": balance.holder, "amount": balance.amount}],
        )
    state.apply(overlay.changes)
    header = BlockHeader(
        chain_id=genesis.chain_id,
        height=0,
        prev_hash=b"\x00" * 32,
        timestamp_ms=genesis.time_ms,
        proposer=b"",
        tx_root=tx_root(()),
        state_root=state.root,
        receipts_root=list_root(()),
        authority_set_hash=authority_set_hash([a["key"] for a in authorities]),
        last_commit_hash=certificate_hash(GENESIS_CERTIFICATE),
    )
    return Block(header, (), GENESIS_CERTIFICATE), state


def _call(
    info: BlockInfo,
    overlay: Overlay,
    registry: Registry,
    caller: str,
    roles: set[str],
    events: list[Event],
    contract: str,
    method_name: str,
    calls: list[dict[str, Any]],
) -> None:
    if not calls:
        return
    target, spec = registry.spec(contract, method_name)
    for args in calls:
        ctx = Context(info, overlay, contract, caller, frozenset(roles), events)
        try:
            spec.func(target, ctx, **spec.check_args(args))
        except TxRejected as exc:
            raise ConfigError(f"genesis {contract}.{method_name}({args}): {exc.message}") from exc
