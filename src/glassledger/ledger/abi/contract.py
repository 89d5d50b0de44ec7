"""The contract framework: how on-ledger code is written, registered and called.

A contract is a subclass of :class:`Contract` with a unique ``name``. Its callable methods are
decorated with :func:`method`, which declares the roles allowed to call them; arguments are
keyword arguments whose type hints are enforced strictly (an ``int`` is never a ``bool`` or a
float). Methods receive a :class:`Context`, the only door to the world:

* ``ctx.get / put / delete`` read and write the contract's own namespace (values are any
  codec value: ints, strings, bytes, bools, lists, maps);
* ``ctx.read(contract, key)`` reads another contract's namespace; ``ctx.call(contract, method,
  **args)`` calls another contract with this contract as the caller (role ``contract``);
* ``ctx.emit(name, visible_to=(), **data)`` emits an immutable event;
* ``ctx.caller`` (participant id), ``ctx.origin`` (the signer), ``ctx.roles``, ``ctx.height``,
  ``ctx.time_ms`` (the block timestamp in milliseconds since the Unix epoch),
  ``ctx.block_hash(h)``, ``ctx.params``.

Contract code must be deterministic: integers only (minor units, basis points), no floats, no
wall clock, no randomness except ``ctx.block_hash`` and commit-reveal seeds, no I/O. A business
rule violation raises :class:`glassledger.errors.ContractError`; the framework then discards
every write the transaction made.

``begin_block`` and ``end_block`` hooks run for every contract at the start and the end of
each block with the ``system`` caller, so lifecycle events (maturities, deadlines) execute
without an outside keeper.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar, get_type_hints

import msgspec

from glassledger.errors import (
    ContractError,
    MalformedArguments,
    PermissionDenied,
    RejectReason,
    TxRejected,
)
from glassledger.ledger.codec import check_value, encode
from glassledger.ledger.tx import Event

#: Role strings. ``ANY`` means any registered participant; ``CONTRACT`` a contract calling.
ANY = "any"
CONTRACT = "contract"
SYSTEM = "system"

ROLES = frozenset(
    {
        "regulator",
        "dealer",
        "ccp",
        "guarantor",
        "client",
        "issuer",
        "authorized_dealer",
        "oracle",
        "settlement_bank",
    }
)

_decode = msgspec.msgpack.Decoder().decode
#: Values that need no walk before encoding (``bool`` is a subclass of ``int`` but exact
#: types are compared, and a float is never among them).
_SCALARS = frozenset({int, str, bytes, bool, type(None)})


@dataclass(frozen=True, slots=True)
class MethodSpec:
    """A callable contract method: its roles and the argument types it enforces."""

    name: str
    roles: frozenset[str]
    func: Callable[..., Any]
    arg_types: dict[str, Any]
    required: frozenset[str]

    def check_args(self, args: dict[str, Any]) -> dict[str, Any]:
        """Validate ``args`` strictly against the type hints; raise MalformedArguments."""
        unknown = set(args) - set(self.arg_types)
        if unknown:
            raise MalformedArguments(f"{self.name}: unknown argument(s) {sorted(unknown)}")
        missing = self.required - set(args)
        if missing:
            raise MalformedArguments(f"{self.name}: missing argument(s) {sorted(missing)}")
        checked = {}
        for key, value in args.items():
            try:
                checked[key] = msgspec.convert(value, self.arg_types[key], strict=True)
            except msgspec.ValidationError as exc:
                raise MalformedArguments(f"{self.name}: argument {key!r}: {exc}") from exc
        return checked


def method(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare a contract method callable by participants holding any of ``roles``.

    Use ``ANY`` for every registered participant and ``CONTRACT`` to allow calls from other
    contracts (``ctx.caller`` is then ``"contract:<name>"``).
    """
    unknown = set(roles) - ROLES - {ANY, CONTRACT}
    if not roles or unknown:
        raise ValueError(f"method roles must be among {sorted(ROLES | {ANY, CONTRACT})}")

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        func.__contract_roles__ = frozenset(roles)  # type: ignore[attr-defined]
        return func

    return decorate


class Contract:
    """Base of every contract. Subclasses set ``name`` and decorate methods with
    :func:`method`; they hold no instance state (everything lives in the ledger state)."""

    name: ClassVar[str]
    methods: ClassVar[dict[str, MethodSpec]]
    #: Whether the contract may hold tokens (``contract:<name>`` as a recipient). Tokens sent
    #: to a contract that cannot spend them are stuck for good, so the default is no.
    accepts_tokens: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.methods = {}
        for attr, func in inspect.getmembers(cls, inspect.isfunction):
            roles = getattr(func, "__contract_roles__", None)
            if roles is None:
                continue
            hints = get_type_hints(func)
            params = list(inspect.signature(func).parameters.values())[2:]  # self, ctx
            arg_types = {p.name: hints.get(p.name, Any) for p in params}
            required = frozenset(p.name for p in params if p.default is inspect.Parameter.empty)
            cls.methods[attr] = MethodSpec(attr, roles, func, arg_types, required)

    def begin_block(self, ctx: Context) -> None:
        """Runs at the start of every block (caller ``system``). Default: nothing."""

    def end_block(self, ctx: Context) -> None:
        """Runs at the end of every block (caller ``system``). Default: nothing."""


class Registry:
    """The contracts a chain runs, by name, in a fixed order (hooks run in this order)."""

    def __init__(self, contracts: list[Contract]) -> None:
        self.contracts: dict[str, Contract] = {}
        for contract in contracts:
            if contract.name in self.contracts:
                raise ValueError(f"contract {contract.name!r} registered twice")
            self.contracts[contract.name] = contract

    def get(self, name: str) -> Contract:
        contract = self.contracts.get(name)
        if contract is None:
            raise TxRejected(RejectReason.UNKNOWN_CONTRACT, f"no contract named {name!r}")
        return contract

    def spec(self, contract: str, method_name: str) -> tuple[Contract, MethodSpec]:
        target = self.get(contract)
        spec = target.methods.get(method_name)
        if spec is None:
            raise TxRejected(
                RejectReason.UNKNOWN_METHOD, f"contract {contract!r} has no method {method_name!r}"
            )
        return target, spec

    def __iter__(self) -> Iterator[Contract]:
        return iter(self.contracts.values())


class BlockInfo:
    """What every context of one block shares: height, time, parameters, registry, the
    proposer's key and the parent block's certificate (``last_commit``: its ``round`` and the
    ``seals`` of the authorities that signed it)."""

    __slots__ = ("height", "last_commit", "params", "proposer", "registry", "time_ms")

    def __init__(
        self,
        height: int,
        time_ms: int,
        params: dict[str, Any],
        registry: Registry,
        proposer: bytes = b"",
        last_commit: Any = None,
    ) -> None:
        self.height = height
        self.time_ms = time_ms
        self.params = params
        self.registry = registry
        self.proposer = proposer
        self.last_commit = last_commit


class Context:
    """The view of the ledger a contract method gets. See the module docstring."""

    __slots__ = (
        "_block",
        "_events",
        "_prefix",
        "_store",
        "caller",
        "contract",
        "origin",
        "roles",
    )

    def __init__(
        self,
        block: BlockInfo,
        store: Any,
        contract: str,
        caller: str,
        roles: frozenset[str],
        events: list[Event],
        origin: str | None = None,
    ) -> None:
        self._block = block
        self._store = store
        self._prefix = contract.encode() + b"/"
        self._events = events
        self.contract = contract
        self.caller = caller
        self.roles = roles
        #: The participant who signed the transaction (``caller`` for a direct call; the
        #: signer behind a chain of contract calls). Contracts registered at genesis may act
        #: for the origin, e.g. lock its tokens as collateral it asked to post.
        self.origin = origin if origin is not None else caller

    # -- block facts
    @property
    def height(self) -> int:
        return self._block.height

    @property
    def time_ms(self) -> int:
        """Block timestamp, milliseconds since the Unix epoch (the only clock on the ledger)."""
        return self._block.time_ms

    @property
    def params(self) -> dict[str, Any]:
        return self._block.params

    @property
    def proposer(self) -> bytes:
        """Public key of the authority that proposed this block."""
        return self._block.proposer

    @property
    def last_commit(self) -> Any:
        """The parent block's :class:`~glassledger.ledger.block.Certificate` (``round`` and
        ``seals``); ``None`` in the genesis block."""
        return self._block.last_commit

    def block_hash(self, height: int) -> bytes:
        """Hash of the committed block at ``height`` (< current height)."""
        raw = self._store.get(b"sys/blockhash/" + height.to_bytes(8, "big"))
        if raw is None:
            raise ContractError(f"no block hash recorded for height {height}")
        return raw

    # -- own state
    def get(self, key: str, default: Any = None) -> Any:
        raw = self._store.get(self._prefix + key.encode())
        return default if raw is None else _decode(raw)

    def put(self, key: str, value: Any) -> None:
        if type(value) not in _SCALARS:
            check_value(value)
        self._store.put(self._prefix + key.encode(), encode(value))

    def delete(self, key: str) -> None:
        self._store.delete(self._prefix + key.encode())

    def has(self, key: str) -> bool:
        return self._store.get(self._prefix + key.encode()) is not None

    def scan(self, prefix: str) -> Iterator[tuple[str, Any]]:
        """``(key, value)`` pairs of this contract whose key starts with ``prefix``, sorted.
        Linear in the state size: keep indexes for hot paths."""
        full = self._prefix + prefix.encode()
        cut = len(self._prefix)
        for key, raw in self._store.items_with_prefix(full):
            yield key[cut:].decode(), _decode(raw)

    # -- other contracts
    def is_contract(self, name: str) -> bool:
        """Whether a contract named ``name`` runs on this chain."""
        return name in self._block.registry.contracts

    def accepts_tokens(self, name: str) -> bool:
        """Whether a contract named ``name`` runs on this chain and declares
        :attr:`Contract.accepts_tokens`."""
        contract = self._block.registry.contracts.get(name)
        return contract is not None and contract.accepts_tokens

    def read(self, contract: str, key: str, default: Any = None) -> Any:
        raw = self._store.get(contract.encode() + b"/" + key.encode())
        return default if raw is None else _decode(raw)

    def call(self, contract: str, method_name: str, **args: Any) -> Any:
        """Call ``contract.method_name`` with this contract as the caller."""
        target, spec = self._block.registry.spec(contract, method_name)
        if CONTRACT not in spec.roles:
            raise PermissionDenied(f"{contract}.{method_name} cannot be called by a contract")
        sub = Context(
            self._block,
            self._store,
            contract,
            f"contract:{self.contract}",
            frozenset({CONTRACT}),
            self._events,
            self.origin,
        )
        return spec.func(target, sub, **spec.check_args(args))

    # -- events
    def emit(self, name: str, visible_to: tuple[str, ...] = (), **data: Any) -> None:
        """Emit an event; ``visible_to`` restricts who may read it (regulator always can)."""
        check_value(data)
        self._events.append(Event(self.contract, name, data, tuple(visible_to)))

    def require(self, condition: bool, message: str) -> None:
        """Raise :class:`ContractError` with ``message`` unless ``condition`` holds."""
        if not condition:
            raise ContractError(message)
