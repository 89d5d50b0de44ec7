"""Conflicting certificates: two quorum-sealed headers at one height.

A block is final when a quorum of ``ceil(2N/3)`` authorities seals it. Two different headers
at one height, each with a valid quorum certificate, can only exist if at least ``f + 1``
authorities sealed both (any two quorums of ``N = 3f + 1`` share ``f + 1`` members): such a
pair is :class:`ConflictingCertificates`, evidence that anyone holding both (a node, a
bookkeeper, a light client) can submit to the governance contract, which convicts every key
that sealed both (``governance.report_conflicting_certificates``).

A :class:`Checkpoint` is a header and its certificate that someone trusts (e.g. the output
of ``glassledger block N`` kept by a light client or another institution). ``verify`` and
``proof`` accept checkpoints and refuse a chain that holds a different block at a
checkpoint's height (:func:`glassledger.ledger.verify.check_checkpoints`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from glassledger.errors import BlockInvalid, DecodeError
from glassledger.ledger.block import BlockHeader, Certificate, CommitSeal, verify_certificate


class Checkpoint(msgspec.Struct, array_like=True, frozen=True):
    """A certified header: the header and the certificate that finalized it."""

    header: BlockHeader
    certificate: Certificate


class ConflictingCertificates(msgspec.Struct, array_like=True, frozen=True):
    """Two certified headers at one height, each with the authority list its header's
    ``authority_set_hash`` names (so the quorum can be checked without the chain)."""

    first: Checkpoint
    first_authorities: tuple[bytes, ...]
    second: Checkpoint
    second_authorities: tuple[bytes, ...]


def double_signers(evidence: ConflictingCertificates) -> tuple[list[bytes], str | None]:
    """The keys whose valid seals are in both certificates (sorted), and ``None`` when the
    evidence proves a conflict; else ``([], why it does not)``."""
    a, b = evidence.first, evidence.second
    if a.header.chain_id != b.header.chain_id:
        return [], "the two headers are of different chains"
    if a.header.height != b.header.height:
        return [], "the two headers are at different heights"
    if a.header.hash == b.header.hash:
        return [], "the two headers are the same block"
    for checkpoint, authorities in (
        (a, evidence.first_authorities),
        (b, evidence.second_authorities),
    ):
        try:
            verify_certificate(checkpoint.header, checkpoint.certificate, list(authorities))
        except BlockInvalid as exc:
            return [], f"a certificate does not hold: {exc}"
    both = {s.signer for s in a.certificate.seals} & {s.signer for s in b.certificate.seals}
    if not both:
        return [], "no key sealed both headers"
    return sorted(both), None


def checkpoint_from_json(data: Mapping[str, Any], source: str = "checkpoint") -> Checkpoint:
    """A :class:`Checkpoint` from the JSON ``glassledger block N`` prints (``header`` and
    ``certificate``, bytes as hex). :class:`DecodeError` naming ``source`` otherwise."""
    try:
        header = _struct(BlockHeader, data["header"])
        raw = data["certificate"]
        seals = tuple(
            CommitSeal(bytes.fromhex(s["signer"]), bytes.fromhex(s["signature"]))
            for s in raw["seals"]
        )
        return Checkpoint(header, Certificate(int(raw["round"]), seals))
    except (KeyError, TypeError, ValueError, msgspec.ValidationError) as exc:
        raise DecodeError(f"{source} is not a block's header and certificate: {exc!r}") from exc


def _struct(kind: type, data: Mapping[str, Any]) -> Any:
    values = []
    for field in msgspec.structs.fields(kind):
        value = data[field.name]
        values.append(bytes.fromhex(value) if field.type is bytes else value)
    return msgspec.convert(values, kind)  # array-like structs convert from their field list


def conflict(
    first: Checkpoint,
    first_authorities: Sequence[bytes],
    second: Checkpoint,
    second_authorities: Sequence[bytes],
) -> ConflictingCertificates:
    return ConflictingCertificates(
        first, tuple(first_authorities), second, tuple(second_authorities)
    )
