"""Consensus messages, their signatures, and equivocation evidence.

Every consensus message carries a signed :class:`Vote`: its kind, the chain, the height, the
round and the digest it is about (a block hash; for a round change, the hash of the prepared
block or 32 zero bytes, with the round it was prepared in as ``prepared_round``). Signatures
use the ``glassledger/consensus`` domain, distinct from transaction signatures and from commit
seals.

On the wire a message is a :data:`Packet`: a :class:`ConsensusMessage` (the vote plus what it
needs: the proposed or prepared block, the commit seal, justifications), or a
:class:`SyncRequest` / :class:`SyncResponse` that lets a lagging replica fetch decided blocks
with their certificates. Packets are canonical msgspec arrays (see ``ledger.codec``), tagged
0, 1, 2 in their first element.

**Equivocation.** An authority that signs two votes of the same kind for the same chain,
height *and round* with different digests has broken the protocol: no honest authority ever
does that. Two such signed votes are :class:`EquivocationEvidence`, which anyone can submit to
the governance contract. Votes for different blocks at one height in *different* rounds are not
evidence: under QBFT an honest authority may prepare a new proposal in a later round after a
justified round change, so "two blocks at one height" is read as "two blocks at one height and
round" (see docs/decisions.md).
"""

from __future__ import annotations

from enum import IntEnum

import msgspec

from glassledger.ledger import codec
from glassledger.ledger.block import Block, Certificate, CommitSeal
from glassledger.ledger.crypto import KeyPair, verify

CONSENSUS_DOMAIN = b"glassledger/consensus"
NO_DIGEST = b"\x00" * 32


class VoteKind(IntEnum):
    PROPOSAL = 0
    PREPARE = 1
    COMMIT = 2
    ROUND_CHANGE = 3
    SYNC_REQUEST = 4


class Vote(msgspec.Struct, array_like=True, frozen=True):
    """The signed part of every consensus message."""

    kind: int
    chain_id: str
    height: int
    round: int
    digest: bytes
    #: ROUND_CHANGE only: the round in which ``digest`` was prepared, -1 when none.
    prepared_round: int = -1


class SignedVote(msgspec.Struct, array_like=True, frozen=True):
    vote: Vote
    signer: bytes
    signature: bytes

    @classmethod
    def make(cls, keys: KeyPair, vote: Vote) -> SignedVote:
        return cls(vote, keys.public, keys.sign(CONSENSUS_DOMAIN, codec.encode(vote)))

    def valid(self) -> bool:
        return verify(self.signer, CONSENSUS_DOMAIN, codec.encode(self.vote), self.signature)


class EquivocationEvidence(msgspec.Struct, array_like=True, frozen=True):
    """Two conflicting votes by one authority (see the module docstring)."""

    first: SignedVote
    second: SignedVote


def check_equivocation(evidence: EquivocationEvidence) -> str | None:
    """``None`` when ``evidence`` proves equivocation, else the reason it does not."""
    a, b = evidence.first, evidence.second
    if a.signer != b.signer:
        return "the two votes have different signers"
    va, vb = a.vote, b.vote
    if (va.kind, va.chain_id, va.height, va.round) != (vb.kind, vb.chain_id, vb.height, vb.round):
        return "the two votes differ in kind, chain, height or round"
    if va.kind == VoteKind.ROUND_CHANGE:
        return "round-change votes are not evidence"
    if va.digest == vb.digest:
        return "the two votes are for the same block"
    if not (a.valid() and b.valid()):
        return "a vote's signature is invalid"
    return None


class ConsensusMessage(msgspec.Struct, array_like=True, frozen=True, tag=0):
    """A signed vote and the data it carries, by kind:

    * PROPOSAL: ``block`` (its hash is the vote's digest); for round > 0, ``round_changes``
      (a quorum of signed ROUND_CHANGE votes for that round) and, when one of them reports a
      prepared block, ``prepares`` (the quorum of PREPARE votes that prepared it).
    * PREPARE: ``proposal``, the leader's signed PROPOSAL vote being prepared (so that peers
      who saw a different proposal in the same round hold equivocation evidence).
    * COMMIT: ``seal``, the signer's commit seal over the block hash.
    * ROUND_CHANGE: when ``prepared_round >= 0``, the prepared ``block`` and its ``prepares``.
    """

    vote: SignedVote
    block: Block | None = None
    seal: CommitSeal | None = None
    proposal: SignedVote | None = None
    prepares: tuple[SignedVote, ...] = ()
    round_changes: tuple[SignedVote, ...] = ()


class SyncRequest(msgspec.Struct, array_like=True, frozen=True, tag=1):
    """Ask a peer for decided blocks from ``vote.height`` on (vote kind SYNC_REQUEST)."""

    vote: SignedVote


class SyncResponse(msgspec.Struct, array_like=True, frozen=True, tag=2):
    """Decided blocks and their certificates, in height order. Not signed: every block is
    authenticated by its certificate (``Chain.commit`` verifies it)."""

    blocks: tuple[Block, ...]
    certificates: tuple[Certificate, ...]


Packet = ConsensusMessage | SyncRequest | SyncResponse
