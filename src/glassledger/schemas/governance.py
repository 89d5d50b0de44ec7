"""Governance input tables: the candidate scores of ``governance odds``."""

from __future__ import annotations

from pathlib import Path

from glassledger.schemas._core import Field, Table, read

SCORES = Table(
    name="Candidate scores",
    doc="One row per candidate for the authority lottery (`governance odds SCORES_CSV`): its "
    "score C_i, a whole number of points.",
    key="id",
    fields=(
        Field("id", "id", "candidate (participant) id", unique=True),
        Field("score", "int", "the candidate's score C_i", unit="points", ge=0),
    ),
)


def read_scores(path: str | Path) -> dict[str, int]:
    """``{id: score}`` from a CSV or Parquet file checked against :data:`SCORES`."""
    frame = read(path, SCORES)
    return dict(zip(frame["id"], frame["score"].astype(int).tolist(), strict=True))


__all__ = ["SCORES", "read_scores"]
