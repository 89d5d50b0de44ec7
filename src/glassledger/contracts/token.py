"""``token``: fungible tokens in integer minor units, with escrow locks for other contracts.

A token has a symbol, a number of decimals (a balance of 1 unit is ``10**decimals`` minor
units) and an issuer participant that alone mints and burns. Anyone registered transfers
their own free balance. Contracts lock a holder's balance as escrow (collateral, margin,
settlement), then release it to the holder or pay it to someone else.

Contracts as holders and issuers: a contract running on the chain holds a balance under the
holder id ``contract:<name>`` and spends it with :meth:`Token.pay`. Only a contract that
declares ``accepts_tokens = True`` may receive tokens; a transfer, mint or settlement leg to
any other contract (``contract:identity``, ``contract:governance``, ...) is refused, since
nothing could ever move them out. Symbols follow :mod:`glassledger.ledger.abi.names`.
A token whose issuer is ``contract:<name>`` (e.g. the basket coin, issuer
``contract:basket``) is minted and burned only by that contract, whatever the signer; a burn
by a contract issuer destroys the contract's own balance.

Invariant, per token: ``supply == sum(free balances) + sum(locked amounts)``; no balance is
ever negative.

State layout: ``t/<symbol>`` -> token record; ``b/<symbol>/<holder>`` -> free balance (int);
``l/<lock id>`` -> ``{"symbol", "holder", "amount", "owner"}`` where ``owner`` is the contract
that created the lock and alone may release or pay it.
"""

from __future__ import annotations

from typing import Any

from glassledger.ledger.abi import ANY, CONTRACT, Context, Contract, method
from glassledger.ledger.abi.names import MAX_SYMBOL_LENGTH, is_symbol

NAME = "token"
MAX_AMOUNT = (1 << 63) - 1
#: Most legs one settlement batch may carry.
MAX_LEGS = 1_000
LEG_FIELDS = frozenset({"symbol", "payer", "payee", "amount", "from_lock", "to_lock"})
#: Holder and issuer ids of contracts: ``contract:<name>``.
CONTRACT_PREFIX = "contract:"


def balance_key(symbol: str, holder: str) -> str:
    return f"b/{symbol}/{holder}"


def token_key(symbol: str) -> str:
    return f"t/{symbol}"


class Token(Contract):
    """Fungible tokens with mint/burn by their issuer, transfers and contract escrow locks."""

    name = NAME

    @method("regulator", CONTRACT)
    def create(self, ctx: Context, symbol: str, decimals: int, issuer: str) -> None:
        """Create token ``symbol`` whose issuer (a participant with role ``issuer``) mints.
        A contract may create only tokens it issues itself (``issuer == contract:<name>``),
        e.g. ``treasury`` one token per security."""
        ctx.require(
            is_symbol(symbol),
            f"bad symbol {symbol!r}: 1 to {MAX_SYMBOL_LENGTH} ASCII letters and digits",
        )
        ctx.require(0 <= decimals <= 18, f"decimals must be in [0, 18], got {decimals}")
        ctx.require(not ctx.has(token_key(symbol)), f"token {symbol!r} exists")
        if ctx.caller.startswith(CONTRACT_PREFIX):
            ctx.require(issuer == ctx.caller, f"{ctx.caller} may create only its own tokens")
        if issuer.startswith(CONTRACT_PREFIX):
            ctx.require(
                ctx.is_contract(issuer.removeprefix(CONTRACT_PREFIX)),
                f"{issuer!r} names no contract on this chain",
            )
        else:
            record = ctx.read("identity", f"p/{issuer}")
            ctx.require(
                record is not None and "issuer" in record["roles"],
                f"{issuer!r} is not a registered participant with the issuer role",
            )
        ctx.put(
            token_key(symbol),
            {"symbol": symbol, "decimals": decimals, "issuer": issuer, "supply": 0},
        )
        ctx.emit("created", symbol=symbol, decimals=decimals, issuer=issuer)

    @method("issuer", CONTRACT)
    def mint(self, ctx: Context, symbol: str, to: str, amount: int) -> None:
        """Create ``amount`` minor units for ``to``; only the token's issuer (or a contract
        acting for it) may."""
        token = self._token(ctx, symbol)
        _issuer_of(ctx, token)
        _check_amount(ctx, amount)
        ctx.require(token["supply"] + amount <= MAX_AMOUNT, f"{symbol} supply would overflow")
        self._recipient(ctx, to)
        token["supply"] += amount
        ctx.put(token_key(symbol), token)
        self._add(ctx, symbol, to, amount)
        ctx.emit("minted", symbol=symbol, to=to, amount=amount)

    @method("issuer", CONTRACT)
    def burn(self, ctx: Context, symbol: str, amount: int) -> None:
        """Destroy ``amount`` of the issuer's own free balance."""
        token = self._token(ctx, symbol)
        holder = _issuer_of(ctx, token)
        _check_amount(ctx, amount)
        self._add(ctx, symbol, holder, -amount)
        token["supply"] -= amount
        ctx.put(token_key(symbol), token)
        ctx.emit("burned", symbol=symbol, holder=holder, amount=amount)

    @method(CONTRACT)
    def retire(self, ctx: Context, symbol: str, holder: str, amount: int) -> None:
        """Destroy ``amount`` of ``holder``'s free balance: only a contract issuer of
        ``symbol`` may (a security redeemed at maturity is retired from its holders, who are
        paid in the same step)."""
        token = self._token(ctx, symbol)
        ctx.require(
            token["issuer"] == ctx.caller and ctx.caller.startswith(CONTRACT_PREFIX),
            f"only the issuing contract retires {symbol}",
        )
        _check_amount(ctx, amount)
        self._add(ctx, symbol, holder, -amount)
        token["supply"] -= amount
        ctx.put(token_key(symbol), token)
        ctx.emit("retired", symbol=symbol, holder=holder, amount=amount)

    @method(CONTRACT)
    def holders(self, ctx: Context, symbol: str) -> list[list[Any]]:
        """Every holding of ``symbol``: ``[holder, amount, lock id]`` rows, free balances
        (lock id ``""``) then locks, in key order (a read for contracts paying holders of
        record, e.g. coupons; linear in the number of balances and of locks)."""
        self._token(ctx, symbol)
        prefix = f"b/{symbol}/"
        rows: list[list[Any]] = [
            [key[len(prefix) :], amount, ""] for key, amount in ctx.scan(prefix)
        ]
        for key, record in ctx.scan("l/"):
            if record["symbol"] == symbol:
                rows.append([record["holder"], record["amount"], key[2:]])
        return rows

    @method(ANY, CONTRACT)
    def transfer(self, ctx: Context, symbol: str, to: str, amount: int) -> None:
        """Move ``amount`` of the signer's free balance to ``to``."""
        self._move(ctx, symbol, ctx.origin, to, amount)

    @method(CONTRACT)
    def pay(self, ctx: Context, symbol: str, to: str, amount: int) -> None:
        """Move ``amount`` of the calling contract's own free balance (holder
        ``contract:<name>``) to ``to``."""
        self._move(ctx, symbol, ctx.caller, to, amount)

    @method(CONTRACT)
    def lock(self, ctx: Context, lock_id: str, symbol: str, amount: int) -> None:
        """Escrow ``amount`` of the signer's free balance under a lock owned by the calling
        contract (``lock_id`` must be new)."""
        self._token(ctx, symbol)
        _check_amount(ctx, amount)
        ctx.require(not ctx.has(f"l/{lock_id}"), f"lock {lock_id!r} exists")
        self._add(ctx, symbol, ctx.origin, -amount)
        owner = ctx.caller.removeprefix("contract:")
        record = {"symbol": symbol, "holder": ctx.origin, "amount": amount, "owner": owner}
        ctx.put(f"l/{lock_id}", record)
        ctx.emit("locked", lock_id=lock_id, symbol=symbol, holder=ctx.origin, amount=amount)

    @method(CONTRACT)
    def release(self, ctx: Context, lock_id: str, to: str, amount: int) -> None:
        """Pay ``amount`` out of a lock to ``to`` (the holder itself to release it); the lock
        is deleted when empty. Only the contract that owns the lock may."""
        record = self._lock(ctx, lock_id)
        _check_amount(ctx, amount)
        ctx.require(amount <= record["amount"], f"lock {lock_id!r} holds {record['amount']}")
        self._recipient(ctx, to)
        record["amount"] -= amount
        if record["amount"]:
            ctx.put(f"l/{lock_id}", record)
        else:
            ctx.delete(f"l/{lock_id}")
        self._add(ctx, record["symbol"], to, amount)
        ctx.emit("released", lock_id=lock_id, to=to, amount=amount)

    @method(CONTRACT)
    def settle(self, ctx: Context, legs: list[dict[str, Any]], reference: str) -> None:
        """Settle a batch of legs atomically (the one settlement path of
        :mod:`glassledger.ledger.abi.settlement`, which states who may pay what). Every leg is
        checked and moved, or the transaction fails and none is."""
        ctx.require(bool(legs), "settle: no legs")
        ctx.require(len(legs) <= MAX_LEGS, f"settle: at most {MAX_LEGS} legs, got {len(legs)}")
        owner = ctx.caller.removeprefix(CONTRACT_PREFIX)
        parties = set()
        for index, leg in enumerate(legs):
            unknown = set(leg) - LEG_FIELDS
            ctx.require(not unknown, f"settle leg {index}: unknown field(s) {sorted(unknown)}")
            symbol, payer, payee = leg["symbol"], leg["payer"], leg["payee"]
            amount = leg["amount"]
            ctx.require(type(amount) is int, f"settle leg {index}: amount must be an integer")
            self._token(ctx, symbol)
            _check_amount(ctx, amount)
            from_lock, to_lock = leg.get("from_lock", ""), leg.get("to_lock", "")
            if from_lock:
                record = self._lock(ctx, from_lock)
                ctx.require(
                    record["symbol"] == symbol and record["holder"] == payer,
                    f"settle leg {index}: lock {from_lock!r} holds {record['symbol']} of "
                    f"{record['holder']!r}, not {symbol} of {payer!r}",
                )
                ctx.require(
                    amount <= record["amount"],
                    f"settle leg {index}: lock {from_lock!r} holds {record['amount']}, "
                    f"leg needs {amount}",
                )
                record["amount"] -= amount
                if record["amount"]:
                    ctx.put(f"l/{from_lock}", record)
                else:
                    ctx.delete(f"l/{from_lock}")
            else:
                ctx.require(
                    payer in (ctx.origin, ctx.caller),
                    f"settle leg {index}: {payer!r} did not sign this transaction; a contract "
                    "pays only the signer's free balance, its own, or what is escrowed with it",
                )
                self._add(ctx, symbol, payer, -amount)
            self._recipient(ctx, payee)
            if to_lock:
                record = ctx.get(f"l/{to_lock}") or {
                    "symbol": symbol,
                    "holder": payee,
                    "amount": 0,
                    "owner": owner,
                }
                ctx.require(
                    record["owner"] == owner
                    and record["symbol"] == symbol
                    and record["holder"] == payee,
                    f"settle leg {index}: lock {to_lock!r} is not {owner}'s {symbol} lock "
                    f"for {payee!r}",
                )
                record["amount"] += amount
                ctx.put(f"l/{to_lock}", record)
            else:
                self._add(ctx, symbol, payee, amount)
            parties.update((payer, payee))
        viewers = tuple(sorted(p for p in parties if not p.startswith(CONTRACT_PREFIX)))
        ctx.emit("settled", visible_to=viewers, reference=reference, legs=legs)

    # -- helpers
    def _move(self, ctx: Context, symbol: str, sender: str, to: str, amount: int) -> None:
        """Move ``amount`` of ``sender``'s free balance to ``to`` (both checked)."""
        self._token(ctx, symbol)
        _check_amount(ctx, amount)
        ctx.require(to != sender, "cannot transfer to oneself")
        self._recipient(ctx, to)
        self._add(ctx, symbol, sender, -amount)
        self._add(ctx, symbol, to, amount)
        ctx.emit("transferred", symbol=symbol, sender=sender, to=to, amount=amount)

    @staticmethod
    def _token(ctx: Context, symbol: str) -> dict[str, Any]:
        token = ctx.get(token_key(symbol))
        ctx.require(token is not None, f"no token {symbol!r}")
        return token

    @staticmethod
    def _lock(ctx: Context, lock_id: str) -> dict[str, Any]:
        record = ctx.get(f"l/{lock_id}")
        ctx.require(record is not None, f"no lock {lock_id!r}")
        owner = ctx.caller.removeprefix("contract:")
        ctx.require(record["owner"] == owner, f"lock {lock_id!r} belongs to {record['owner']!r}")
        return record

    @staticmethod
    def _recipient(ctx: Context, holder: str) -> None:
        if holder.startswith(CONTRACT_PREFIX):
            name = holder.removeprefix(CONTRACT_PREFIX)
            ctx.require(ctx.is_contract(name), f"recipient {holder!r} names no contract")
            ctx.require(
                ctx.accepts_tokens(name),
                f"contract {name!r} does not accept tokens: they could never leave it",
            )
            return
        record = ctx.read("identity", f"p/{holder}")
        ctx.require(record is not None, f"recipient {holder!r} is not a registered participant")
        ctx.require(record["active"], f"recipient {holder!r} is suspended")

    @staticmethod
    def _add(ctx: Context, symbol: str, holder: str, delta: int) -> None:
        key = balance_key(symbol, holder)
        balance = ctx.get(key, 0) + delta
        ctx.require(balance >= 0, f"{holder!r} has insufficient {symbol}: short by {-balance}")
        if balance:
            ctx.put(key, balance)
        else:
            ctx.delete(key)


def _issuer_of(ctx: Context, token: dict[str, Any]) -> str:
    """The holder whose balance a mint or burn acts for: a participant issuer signs (directly
    or through a contract); a contract issuer must be the calling contract itself."""
    issuer = token["issuer"]
    acting = ctx.caller if issuer.startswith(CONTRACT_PREFIX) else ctx.origin
    ctx.require(acting == issuer, f"only {issuer!r} mints or burns {token['symbol']}")
    return issuer


def _check_amount(ctx: Context, amount: int) -> None:
    ctx.require(0 < amount <= MAX_AMOUNT, f"amount must be in (0, 2**63), got {amount}")
