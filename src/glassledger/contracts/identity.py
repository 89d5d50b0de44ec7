"""``identity``: the consortium's participants, their roles and their keys.

Only the regulator registers or changes participants. A participant record::

    {"id": str, "roles": [str], "legal_name": str, "lei": str, "keys": [hex public key],
     "external_rating": int (hundredths of a notch on the 0..21 scale of
     glassledger.risk.rating_scale: 2100 = AAA, 1200 = BBB-; -1 when unrated), "category": str
     (investor category, e.g. "professional", "qualified", "retail"), "active": bool}

Participant ids follow :mod:`glassledger.ledger.abi.names` (ASCII letters, digits and single
``.``/``_``/``-`` separators, at most 64 characters).

**The regulator role is fixed at genesis.** Genesis names exactly one regulator; at run time
no participant can be granted the ``regulator`` role (``register`` and ``set_roles`` refuse
it) and the regulator cannot lose it (``set_roles`` on the regulator must keep it), so there is
always exactly one. Handing the role to another institution takes a new genesis (or a future
governance procedure), not one signature of the sitting regulator.

The ``lei`` (ISO 17442, checked with its MOD 97-10 check digits, :func:`lei_problem`) is
set at registration or by ``set_lei``; the derivative contract builds UTIs from the dealer's
and the trade repository reports counterparties by it.

State layout: ``p/<id>`` -> record; ``k/<public key hex>`` -> participant id.
"""

from __future__ import annotations

from typing import Any

from glassledger.errors import ContractError
from glassledger.ledger.abi import ROLES, Context, Contract, method
from glassledger.ledger.abi.names import MAX_ID_LENGTH, is_participant_id

NAME = "identity"
#: ``external_rating`` of a participant without one.
UNRATED = -1
#: Highest ``external_rating``: AAA, notch 21, in hundredths.
MAX_RATING = 2100
INVESTOR_CATEGORIES = frozenset({"professional", "qualified", "retail"})


def lei_problem(lei: str) -> str:
    """Why ``lei`` is not a Legal Entity Identifier (ISO 17442: 18 upper-case letters or
    digits then 2 check digits, ISO 7064 MOD 97-10: the 20 characters read as a number with
    A = 10 ... Z = 35 leave remainder 1 when divided by 97), or ``""`` if it is one."""
    if len(lei) != 20 or not all(c.isdigit() or "A" <= c <= "Z" for c in lei):
        return f"an LEI has 20 upper-case letters or digits, got {lei!r}"
    if not lei[18:].isdigit():
        return f"an LEI ends in 2 check digits, got {lei!r}"
    if int("".join(str(int(c, 36)) for c in lei)) % 97 != 1:
        return f"LEI {lei!r} fails its ISO 7064 MOD 97-10 check digits"
    return ""


def with_check_digits(prefix: str) -> str:
    """The LEI made of an 18-character ``prefix`` and its ISO 7064 MOD 97-10 check digits."""
    number = int("".join(str(int(c, 36)) for c in prefix) + "00")
    return f"{prefix}{98 - number % 97:02d}"


def participant_key(participant: str) -> str:
    return f"p/{participant}"


def public_key_key(public: bytes) -> str:
    return f"k/{public.hex()}"


def make_record(
    participant: str,
    roles: list[str],
    keys: list[bytes],
    legal_name: str = "",
    lei: str = "",
    external_rating: int = UNRATED,
    category: str = "professional",
) -> dict[str, Any]:
    """A participant record (validated); shared by genesis and :meth:`Identity.register`."""
    if not is_participant_id(participant):
        raise ValueError(
            f"participant id {participant!r} must be 1 to {MAX_ID_LENGTH} ASCII letters, digits "
            "and single '.', '_' or '-' separators between them"
        )
    unknown = set(roles) - ROLES
    if not roles or unknown:
        raise ValueError(f"participant {participant!r}: unknown role(s) {sorted(unknown)}")
    if category not in INVESTOR_CATEGORIES:
        raise ValueError(
            f"participant {participant!r}: category {category!r} is not one of "
            f"{sorted(INVESTOR_CATEGORIES)}"
        )
    if not keys or any(len(k) != 32 for k in keys):
        raise ValueError(f"participant {participant!r}: keys must be 32-byte Ed25519 keys")
    if not UNRATED <= external_rating <= MAX_RATING:
        raise ValueError(
            f"participant {participant!r}: external_rating must lie in [-1, {MAX_RATING}]"
        )
    if lei and lei_problem(lei):
        raise ValueError(f"participant {participant!r}: {lei_problem(lei)}")
    return {
        "id": participant,
        "roles": sorted(set(roles)),
        "legal_name": legal_name,
        "lei": lei,
        "keys": [k.hex() for k in keys],
        "external_rating": external_rating,
        "category": category,
        "active": True,
    }


class Identity(Contract):
    """Participants, roles and keys; changed only by the regulator."""

    name = NAME

    @method("regulator")
    def register(
        self,
        ctx: Context,
        participant: str,
        roles: list[str],
        keys: list[bytes],
        legal_name: str = "",
        lei: str = "",
        external_rating: int = UNRATED,
        category: str = "professional",
    ) -> None:
        """Register a new participant with its public keys (never with the ``regulator``
        role: it is fixed at genesis)."""
        ctx.require(not ctx.has(participant_key(participant)), f"{participant!r} exists")
        ctx.require(
            "regulator" not in roles, "the regulator role is fixed at genesis: it cannot be granted"
        )
        try:
            record = make_record(
                participant, roles, keys, legal_name, lei, external_rating, category
            )
        except ValueError as exc:
            raise ContractError(str(exc)) from exc
        for key in keys:
            ctx.require(not ctx.has(public_key_key(key)), f"key {key.hex()} is already in use")
            ctx.put(public_key_key(key), participant)
        ctx.put(participant_key(participant), record)
        ctx.emit("registered", participant=participant, roles=record["roles"])

    @method("regulator")
    def set_roles(self, ctx: Context, participant: str, roles: list[str]) -> None:
        """Replace a participant's roles (the ``regulator`` role can be neither granted nor
        taken away: it is fixed at genesis)."""
        record = self._record(ctx, participant)
        unknown = set(roles) - ROLES
        ctx.require(bool(roles) and not unknown, f"unknown role(s) {sorted(unknown)}")
        ctx.require(
            ("regulator" in roles) == ("regulator" in record["roles"]),
            "the regulator role is fixed at genesis: it cannot be granted or removed",
        )
        record["roles"] = sorted(set(roles))
        ctx.put(participant_key(participant), record)
        ctx.emit("roles_changed", participant=participant, roles=record["roles"])

    @method("regulator")
    def set_lei(self, ctx: Context, participant: str, lei: str) -> None:
        """Record (or correct) a participant's Legal Entity Identifier, checked against
        ISO 17442's check digits; ``""`` removes it. Trades executed later carry it in their
        UTI and in the trade repository's reports."""
        record = self._record(ctx, participant)
        ctx.require(not lei or not lei_problem(lei), lei_problem(lei))
        record["lei"] = lei
        ctx.put(participant_key(participant), record)
        ctx.emit("lei_set", participant=participant, lei=lei)

    @method("regulator")
    def set_external_rating(self, ctx: Context, participant: str, rating: int) -> None:
        """Record a participant's external rating (hundredths of a notch, 0..2100; -1 to
        clear it)."""
        record = self._record(ctx, participant)
        ctx.require(
            UNRATED <= rating <= MAX_RATING, f"a rating lies in [-1, {MAX_RATING}], got {rating}"
        )
        record["external_rating"] = rating
        ctx.put(participant_key(participant), record)
        ctx.emit("rating_changed", participant=participant, rating=rating)

    @method("regulator")
    def add_key(self, ctx: Context, participant: str, key: bytes) -> None:
        """Add a public key (key rotation: add the new key, then revoke the old)."""
        record = self._record(ctx, participant)
        ctx.require(len(key) == 32, "an Ed25519 public key has 32 bytes")
        ctx.require(not ctx.has(public_key_key(key)), f"key {key.hex()} is already in use")
        record["keys"].append(key.hex())
        ctx.put(public_key_key(key), participant)
        ctx.put(participant_key(participant), record)
        ctx.emit("key_added", participant=participant, key=key)

    @method("regulator")
    def revoke_key(self, ctx: Context, participant: str, key: bytes) -> None:
        """Revoke a public key; transactions signed with it are then from an unknown sender."""
        record = self._record(ctx, participant)
        ctx.require(key.hex() in record["keys"], f"{participant!r} does not hold that key")
        ctx.require(len(record["keys"]) > 1, "cannot revoke a participant's last key")
        record["keys"].remove(key.hex())
        ctx.delete(public_key_key(key))
        ctx.put(participant_key(participant), record)
        ctx.emit("key_revoked", participant=participant, key=key)

    @method("regulator")
    def set_active(self, ctx: Context, participant: str, active: bool) -> None:
        """Suspend (``False``) or reinstate a participant; a suspended one cannot transact."""
        record = self._record(ctx, participant)
        record["active"] = active
        ctx.put(participant_key(participant), record)
        ctx.emit("active_changed", participant=participant, active=active)

    @staticmethod
    def _record(ctx: Context, participant: str) -> dict[str, Any]:
        record = ctx.get(participant_key(participant))
        ctx.require(record is not None, f"no participant {participant!r}")
        return record
