"""The one error family of glassledger.

Every error says what was checked, the values seen, and (where it helps) what to do.
Errors never leave partial state behind: the code that raises them validates before it
mutates, or runs inside an atomic scope that is rolled back.

Layout of the family::

    GlassledgerError
    ├── InputError              bad input to an off-ledger analytic (file, row, field named)
    ├── ConfigError             bad genesis / parameter / CLI configuration
    ├── DecodeError             bytes that are not a valid canonical encoding
    ├── CryptoError             bad key file, wrong passphrase, malformed key
    ├── TxRejected              a transaction refused by the ledger (see RejectReason)
    │   └── ContractError       a contract's business rule
    │       └── InvalidTransition   a lifecycle event not allowed in the current state
    ├── BlockInvalid            a block or commit certificate that fails validation
    ├── ConsensusError          a consensus message that is invalid or out of place
    ├── StoreError              storage problems; IntegrityError when verify finds tampering
        └── IntegrityError
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class GlassledgerError(Exception):
    """Base of every error raised on purpose by glassledger."""


class InputError(GlassledgerError, ValueError):
    """Bad input to an analytic: names the source, the row and the field that were wrong.

    ``source`` is the file name the user gave (or a description such as ``"trades
    DataFrame"``); ``line`` the file line (header = line 1) when the input came from a file;
    ``row`` the row label or the row's identifier (trade id, institution...); ``field`` the
    column; ``hint`` what to do about it. Any of them may be ``None`` when not applicable.
    """

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        row: Any = None,
        field: str | None = None,
        value: Any = None,
        line: int | None = None,
        hint: str | None = None,
    ) -> None:
        self.source = source
        self.row = row
        self.field = field
        self.value = value
        self.line = line
        self.hint = hint
        self.message = message
        where = []
        if source is not None:
            where.append(f"{source}")
        if line is not None:
            where.append(f"line {line}")
        if row is not None:
            where.append(f"row {row!r}")
        if field is not None:
            where.append(f"field {field!r}")
        prefix = ", ".join(where)
        detail = f" (got {value!r})" if value is not None else ""
        text = f"{prefix}: {message}{detail}" if prefix else f"{message}{detail}"
        if hint:
            text = f"{text}. {hint}"
        super().__init__(text)


class ConfigError(GlassledgerError, ValueError):
    """Invalid configuration: genesis file, parameters, command-line options."""


class DecodeError(GlassledgerError, ValueError):
    """Bytes that do not decode to the expected canonical structure."""


class CryptoError(GlassledgerError):
    """Bad key material, unreadable key file or wrong passphrase."""


class RejectReason(StrEnum):
    """Why the ledger refused a transaction; recorded in its receipt."""

    MALFORMED = "malformed"
    OVERSIZED = "oversized"
    BAD_SIGNATURE = "bad_signature"
    UNKNOWN_SENDER = "unknown_sender"
    WRONG_CHAIN = "wrong_chain"
    BAD_NONCE = "bad_nonce"
    UNKNOWN_CONTRACT = "unknown_contract"
    UNKNOWN_METHOD = "unknown_method"
    PERMISSION_DENIED = "permission_denied"
    MALFORMED_ARGUMENTS = "malformed_arguments"
    CONTRACT_ERROR = "contract_error"
    #: Node-level refusal, not a property of the transaction: resubmit later.
    MEMPOOL_FULL = "mempool_full"


class TxRejected(GlassledgerError):
    """A transaction the ledger refused. ``reason`` is machine-readable, the message human."""

    def __init__(self, reason: RejectReason, message: str) -> None:
        self.reason = RejectReason(reason)
        self.message = message
        super().__init__(f"{self.reason.value}: {message}")


class ContractError(TxRejected):
    """Raised by contract code for a business-rule violation (insufficient balance, stale
    oracle value, reserve rule breached...). Rolls the transaction back."""

    def __init__(self, message: str) -> None:
        super().__init__(RejectReason.CONTRACT_ERROR, message)


class PermissionDenied(TxRejected):
    """The caller's roles do not allow the method."""

    def __init__(self, message: str) -> None:
        super().__init__(RejectReason.PERMISSION_DENIED, message)


class MalformedArguments(TxRejected):
    """Arguments missing, extra or of the wrong type for the method."""

    def __init__(self, message: str) -> None:
        super().__init__(RejectReason.MALFORMED_ARGUMENTS, message)


class BlockInvalid(GlassledgerError):
    """A block, header or commit certificate that fails validation."""


class ConsensusError(GlassledgerError):
    """A consensus message that is invalid (bad signature, wrong height, not an authority)."""


class StoreError(GlassledgerError):
    """The block store cannot do what was asked (missing height, closed database...)."""


class IntegrityError(StoreError):
    """Stored data does not match its commitments (tampered block, root mismatch)."""


class InvalidTransition(ContractError):
    """A lifecycle event that the current state's transition table does not allow. On the
    ledger it rejects the transaction like any business-rule violation (``contract_error``)."""

    def __init__(self, machine: str, state: str, event: str, allowed: tuple[str, ...] = ()) -> None:
        self.machine, self.state, self.event = machine, state, event
        hint = f"; allowed: {', '.join(allowed)}" if allowed else "; it is final"
        super().__init__(f"{machine}: event {event!r} is not allowed in state {state!r}{hint}")
