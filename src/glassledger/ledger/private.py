"""Private payloads: data on a public ledger that only its recipients can read.

Every holder of a chain copy reads every transaction argument, event and state value. What
must stay confidential (a dealer's quote, an early warning) is therefore never written in
clear: it is **sealed** off the ledger to its recipients, and the ledger carries only the
:class:`Envelope` (ciphertext plus one wrapped key per recipient) and its hash.

Scheme (PyNaCl / libsodium):

* a fresh 32-byte content key encrypts the payload with XSalsa20-Poly1305
  (``nacl.secret.SecretBox``: authenticated, so a flipped bit is detected);
* the content key is wrapped for each recipient with an anonymous sealed box
  (``nacl.public.SealedBox``: X25519 + XSalsa20-Poly1305) to the recipient's X25519 key,
  converted from the Ed25519 key it registered in the identity contract
  (``crypto_sign_ed25519_pk_to_curve25519``), so no second key needs registering;
* the regulator is always a recipient (:func:`seal` insists).

Sealing uses the operating system's randomness and happens off the ledger (a client, a
node's CLI); contracts only store envelopes and compare hashes. A recipient opens an
envelope with its own Ed25519 key (:func:`open_envelope`): no node decrypts on behalf of
another participant.

What a non-recipient learns: that a payload exists, its length (to within the 40 bytes of
authentication overhead and nonce), its recipients' ids and its hash.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec
import nacl.bindings
import nacl.exceptions
import nacl.public
import nacl.secret
import nacl.utils

from glassledger.errors import CryptoError
from glassledger.ledger import codec
from glassledger.ledger.crypto import KeyPair, sha256

ENVELOPE_DOMAIN = b"glassledger/private/v1"
#: Largest payload sealed in one envelope (bytes).
MAX_PAYLOAD = 16 * 1024


class Envelope(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A sealed payload: ``ciphertext`` (nonce + box) and ``keys[participant]``, the content
    key wrapped to each recipient."""

    ciphertext: bytes
    keys: dict[str, bytes]

    def to_value(self) -> dict[str, Any]:
        """As a codec value (a transaction argument or a state value)."""
        return {"ciphertext": self.ciphertext, "keys": dict(sorted(self.keys.items()))}

    @classmethod
    def from_value(cls, value: Any) -> Envelope:
        """From :meth:`to_value`'s form; :class:`CryptoError` if it is not one."""
        try:
            return msgspec.convert(value, cls, strict=True)
        except msgspec.ValidationError as exc:
            raise CryptoError(f"not a sealed envelope: {exc}") from exc

    @property
    def hash(self) -> bytes:
        """SHA-256 of the canonical encoding: what the ledger commits to."""
        return envelope_hash(self.to_value())

    @property
    def recipients(self) -> list[str]:
        return sorted(self.keys)


def envelope_hash(value: Mapping[str, Any]) -> bytes:
    """Hash of an envelope in its codec form (usable by contracts on stored arguments)."""
    return sha256(ENVELOPE_DOMAIN + codec.encode(dict(value)))


def x25519_public(ed25519_public: bytes) -> nacl.public.PublicKey:
    try:
        return nacl.public.PublicKey(
            nacl.bindings.crypto_sign_ed25519_pk_to_curve25519(ed25519_public)
        )
    except (nacl.exceptions.RuntimeError, ValueError, TypeError) as exc:
        raise CryptoError(f"{ed25519_public.hex()} is not a usable Ed25519 public key") from exc


def x25519_private(keys: KeyPair) -> nacl.public.PrivateKey:
    secret = nacl.bindings.crypto_sign_ed25519_sk_to_curve25519(keys.seed + keys.public)
    return nacl.public.PrivateKey(secret)


def seal(payload: bytes, recipients: Mapping[str, bytes], regulator: str = "regulator") -> Envelope:
    """Seal ``payload`` to ``recipients`` (participant id -> registered Ed25519 public key).
    The ``regulator`` must be among them."""
    if regulator not in recipients:
        raise CryptoError(f"the regulator ({regulator!r}) must be a recipient of every payload")
    if len(payload) > MAX_PAYLOAD:
        raise CryptoError(f"a private payload holds at most {MAX_PAYLOAD} bytes")
    content_key = nacl.utils.random(nacl.secret.SecretBox.KEY_SIZE)
    ciphertext = bytes(nacl.secret.SecretBox(content_key).encrypt(payload))
    wrapped = {
        who: bytes(nacl.public.SealedBox(x25519_public(public)).encrypt(content_key))
        for who, public in sorted(recipients.items())
    }
    return Envelope(ciphertext, wrapped)


def open_envelope(envelope: Envelope, participant: str, keys: KeyPair) -> bytes:
    """The payload, opened by ``participant`` with its own key pair; :class:`CryptoError`
    if it is not a recipient or anything was tampered with."""
    wrapped = envelope.keys.get(participant)
    if wrapped is None:
        raise CryptoError(f"{participant!r} is not a recipient of this payload")
    try:
        content_key = nacl.public.SealedBox(x25519_private(keys)).decrypt(wrapped)
        return nacl.secret.SecretBox(content_key).decrypt(envelope.ciphertext)
    except nacl.exceptions.CryptoError as exc:
        raise CryptoError(f"cannot open the payload as {participant!r}: {exc}") from exc
