"""Blocks, headers and commit certificates.

A block is final when its :class:`Certificate` carries commit seals (Ed25519 signatures over
the header hash and the certificate's round, domain ``glassledger/commit``) from a quorum of
``ceil(2N/3)`` of the ``N`` authorities that the header's ``authority_set_hash`` names. The
header commits to everything: the transactions (``tx_root``), the state after them
(``state_root``), their outcomes (``receipts_root``), who must sign (``authority_set_hash``)
and the parent's certificate (``last_commit_hash``).
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from glassledger.errors import BlockInvalid
from glassledger.ledger import codec
from glassledger.ledger.crypto import KeyPair, sha256, verify
from glassledger.ledger.merkle import list_root
from glassledger.ledger.tx import Receipt, SignedTransaction

COMMIT_DOMAIN = b"glassledger/commit"


def quorum(n: int) -> int:
    """Signatures needed among ``n`` authorities: ``ceil(2n/3)`` (with ``n = 3f+1``, this is
    ``2f+1``, so any two quorums share an honest authority)."""
    return -(-2 * n // 3)


def authority_set_hash(keys: Sequence[bytes]) -> bytes:
    """Commitment to an ordered authority set (their public keys)."""
    return sha256(codec.encode(list(keys)))


def seal_payload(header_hash: bytes, round_: int) -> bytes:
    """What a commit seal signs: the header hash and the round that decided it. Binding the
    round means a certificate's ``round`` cannot be altered (governance counts failed rounds
    from it) without invalidating every seal."""
    return header_hash + round_.to_bytes(8, "big")


class CommitSeal(msgspec.Struct, array_like=True, frozen=True):
    """One authority's signature over a header hash and the deciding round."""

    signer: bytes
    signature: bytes

    @classmethod
    def make(cls, keys: KeyPair, header_hash: bytes, round_: int = 0) -> CommitSeal:
        return cls(keys.public, keys.sign(COMMIT_DOMAIN, seal_payload(header_hash, round_)))

    def valid_for(self, header_hash: bytes, round_: int = 0) -> bool:
        return verify(self.signer, COMMIT_DOMAIN, seal_payload(header_hash, round_), self.signature)


class Certificate(msgspec.Struct, array_like=True, frozen=True):
    """Proof of finality: the round that decided the block and a quorum of commit seals."""

    round: int
    seals: tuple[CommitSeal, ...]


#: The genesis block is trusted by configuration, not signed: its certificate is empty.
GENESIS_CERTIFICATE = Certificate(0, ())


class BlockHeader(msgspec.Struct, array_like=True, frozen=True):
    """Header of block ``height``. ``timestamp_ms``: milliseconds since the Unix epoch,
    strictly greater than the parent's."""

    chain_id: str
    height: int
    prev_hash: bytes
    timestamp_ms: int
    proposer: bytes
    tx_root: bytes
    state_root: bytes
    receipts_root: bytes
    authority_set_hash: bytes
    last_commit_hash: bytes

    @property
    def hash(self) -> bytes:
        return sha256(codec.encode(self))


class Block(msgspec.Struct, array_like=True, frozen=True):
    """A header, its transactions, and the certificate that finalized the parent block
    (committed to by ``header.last_commit_hash``; it tells contracts which authorities
    signed and in which round the parent was decided, as Tendermint's *LastCommit* does)."""

    header: BlockHeader
    txs: tuple[SignedTransaction, ...]
    last_commit: Certificate

    @property
    def hash(self) -> bytes:
        return self.header.hash


def certificate_hash(certificate: Certificate) -> bytes:
    return sha256(codec.encode(certificate))


def tx_root(txs: Sequence[SignedTransaction], hashes: Sequence[bytes] | None = None) -> bytes:
    """Merkle root of the transactions (``hashes``: their hashes, if already computed)."""
    return list_root(hashes if hashes is not None else [tx.hash for tx in txs])


def receipts_root(receipts: Sequence[Receipt]) -> bytes:
    return list_root(sha256(codec.encode(r)) for r in receipts)


def verify_certificate(
    header: BlockHeader, certificate: Certificate, authorities: Sequence[bytes]
) -> None:
    """Raise :class:`BlockInvalid` unless ``certificate`` holds valid seals over ``header``
    from a quorum of distinct members of ``authorities`` (which must match the header's
    ``authority_set_hash``)."""
    if authority_set_hash(authorities) != header.authority_set_hash:
        raise BlockInvalid(
            f"block {header.height}: header names a different authority set than expected"
        )
    members = set(authorities)
    digest = header.hash
    signers: set[bytes] = set()
    for seal in certificate.seals:
        if seal.signer not in members:
            raise BlockInvalid(
                f"block {header.height}: seal by {seal.signer.hex()[:16]}, not an authority"
            )
        if seal.signer in signers:
            raise BlockInvalid(f"block {header.height}: duplicate seal by {seal.signer.hex()[:16]}")
        if not seal.valid_for(digest, certificate.round):
            raise BlockInvalid(
                f"block {header.height}: bad seal signature by {seal.signer.hex()[:16]}"
            )
        signers.add(seal.signer)
    need = quorum(len(authorities))
    if len(signers) < need:
        raise BlockInvalid(
            f"block {header.height}: {len(signers)} valid seals, a quorum needs {need}"
        )
