"""Ed25519 keys and signatures (PyNaCl / libsodium), SHA-256 hashes and key files.

Public keys and signatures are raw bytes (32 and 64 bytes). Every signature is made over a
domain-separated message, ``domain || 0x00 || payload``, so that a signature for one purpose
(a transaction, a consensus vote) can never be replayed as another.

Key files are JSON: the public key in hex, and the 32-byte seed either in hex (plain) or sealed
with a passphrase (Argon2id key derivation + XSalsa20-Poly1305, both from libsodium).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import nacl.bindings
import nacl.exceptions
import nacl.pwhash
import nacl.secret
import nacl.signing
import nacl.utils

from glassledger.errors import CryptoError

PUBLIC_KEY_SIZE = 32
SIGNATURE_SIZE = 64


def sha256(data: bytes) -> bytes:
    """SHA-256 digest of ``data`` (32 bytes)."""
    return hashlib.sha256(data).digest()


def signing_message(domain: bytes, payload: bytes) -> bytes:
    """The exact bytes that are signed for ``payload`` under ``domain``."""
    return domain + b"\x00" + payload


@dataclass(frozen=True, slots=True)
class KeyPair:
    """An Ed25519 key pair. ``public`` is the 32-byte verify key."""

    seed: bytes
    public: bytes

    @classmethod
    def generate(cls) -> KeyPair:
        """A fresh key pair from the operating system's randomness (off-ledger only)."""
        return cls.from_seed(nacl.utils.random(32))

    @classmethod
    def from_seed(cls, seed: bytes) -> KeyPair:
        """The key pair determined by a 32-byte seed (deterministic; used in tests and sims)."""
        if len(seed) != 32:
            raise CryptoError(f"an Ed25519 seed is 32 bytes, got {len(seed)}")
        signing = nacl.signing.SigningKey(seed)
        return cls(seed=seed, public=bytes(signing.verify_key))

    @classmethod
    def from_name(cls, name: str) -> KeyPair:
        """A deterministic key pair derived from a name (for demos, tests and simulations only:
        anyone who knows the name knows the key)."""
        return cls.from_seed(sha256(b"glassledger-demo-key:" + name.encode()))

    def sign(self, domain: bytes, payload: bytes) -> bytes:
        """Sign ``payload`` under ``domain``; returns the 64-byte signature."""
        return _signer(self.seed).sign(signing_message(domain, payload)).signature


@lru_cache(maxsize=4096)
def _signer(seed: bytes) -> nacl.signing.SigningKey:
    return nacl.signing.SigningKey(seed)


def verify(public: bytes, domain: bytes, payload: bytes, signature: bytes) -> bool:
    """True when ``signature`` is ``public``'s signature of ``payload`` under ``domain``.

    Never raises on malformed input: wrong sizes simply fail verification.
    """
    if len(public) != PUBLIC_KEY_SIZE or len(signature) != SIGNATURE_SIZE:
        return False
    try:
        nacl.bindings.crypto_sign_open(signature + signing_message(domain, payload), public)
    except (nacl.exceptions.BadSignatureError, nacl.exceptions.ValueError, ValueError):
        return False
    return True


def _verify_chunk(items: Sequence[tuple[bytes, bytes, bytes, bytes]]) -> list[bool]:
    return [verify(pk, domain, payload, sig) for pk, domain, payload, sig in items]


class BatchVerifier:
    """Verifies many signatures on all cores (a process pool; libsodium holds the GIL-free
    work, processes sidestep the interpreter lock for the per-call overhead).

    ``workers=1`` verifies in the calling process. Use as a context manager or call
    :meth:`close`.
    """

    def __init__(self, workers: int | None = None, min_parallel: int = 256) -> None:
        self.workers = workers or os.cpu_count() or 1
        self.min_parallel = min_parallel
        self._pool: ProcessPoolExecutor | None = None

    def verify_many(self, items: Sequence[tuple[bytes, bytes, bytes, bytes]]) -> list[bool]:
        """Verify ``(public, domain, payload, signature)`` tuples; one bool per item, in order."""
        if self.workers <= 1 or len(items) < self.min_parallel:
            return _verify_chunk(items)
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self.workers)
        size = -(-len(items) // self.workers)
        chunks = [items[i : i + size] for i in range(0, len(items), size)]
        results: list[bool] = []
        for part in self._pool.map(_verify_chunk, chunks):
            results.extend(part)
        return results

    def submit(self, items: Sequence[tuple[bytes, bytes, bytes, bytes]]) -> Future[list[bool]]:
        """Start verifying ``items`` in the background; the future holds one bool per item.
        With ``workers=1`` the work is done now and the future is already complete."""
        if self.workers <= 1:
            done: Future[list[bool]] = Future()
            done.set_result(_verify_chunk(items))
            return done
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self.workers)
        return self._pool.submit(_verify_chunk, items)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def __enter__(self) -> BatchVerifier:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ---------------------------------------------------------------- key files

_KDF_OPSLIMIT = nacl.pwhash.argon2id.OPSLIMIT_INTERACTIVE
_KDF_MEMLIMIT = nacl.pwhash.argon2id.MEMLIMIT_INTERACTIVE


def save_key(path: Path, keys: KeyPair, name: str, passphrase: str | None = None) -> None:
    """Write ``keys`` to ``path`` as JSON, sealed with ``passphrase`` when one is given.

    The file is created with mode 0600; an existing file is not overwritten.
    """
    record: dict[str, str] = {"name": name, "public": keys.public.hex()}
    if passphrase is None:
        record["seed"] = keys.seed.hex()
    else:
        salt = nacl.utils.random(nacl.pwhash.argon2id.SALTBYTES)
        box_key = nacl.pwhash.argon2id.kdf(
            nacl.secret.SecretBox.KEY_SIZE,
            passphrase.encode(),
            salt,
            opslimit=_KDF_OPSLIMIT,
            memlimit=_KDF_MEMLIMIT,
        )
        sealed = nacl.secret.SecretBox(box_key).encrypt(keys.seed)
        record.update(kdf="argon2id", salt=salt.hex(), sealed_seed=bytes(sealed).hex())
    path = Path(path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise CryptoError(f"key file {path} already exists; refusing to overwrite it") from exc
    with os.fdopen(fd, "w") as handle:
        json.dump(record, handle, indent=2)


def load_key(path: Path, passphrase: str | None = None) -> tuple[str, KeyPair]:
    """Read a key file written by :func:`save_key`; returns ``(name, keys)``.

    Raises :class:`CryptoError` for an unreadable file, a missing or wrong passphrase, or a
    seed that does not match the recorded public key.
    """
    try:
        record = json.loads(Path(path).read_text())
        name, public = record["name"], bytes.fromhex(record["public"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CryptoError(f"cannot read key file {path}: {exc}") from exc
    if "sealed_seed" in record:
        if passphrase is None:
            raise CryptoError(f"key file {path} is encrypted: give its passphrase")
        box_key = nacl.pwhash.argon2id.kdf(
            nacl.secret.SecretBox.KEY_SIZE,
            passphrase.encode(),
            bytes.fromhex(record["salt"]),
            opslimit=_KDF_OPSLIMIT,
            memlimit=_KDF_MEMLIMIT,
        )
        try:
            seed = nacl.secret.SecretBox(box_key).decrypt(bytes.fromhex(record["sealed_seed"]))
        except nacl.exceptions.CryptoError as exc:
            raise CryptoError(f"wrong passphrase for key file {path}") from exc
    else:
        seed = bytes.fromhex(record["seed"])
    keys = KeyPair.from_seed(seed)
    if keys.public != public:
        raise CryptoError(f"key file {path}: seed does not match the recorded public key")
    return name, keys
