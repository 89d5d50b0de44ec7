"""Liquidity input tables: reported Standing Repo Facility take-up (``liquidity indicators
--srf-file``, the layout of the shipped ``SRF_takeup_reported_2025.csv``). A FRED download
of RPONTTLD is read by the FRED reader of :mod:`glassledger.liquidity.data` instead."""

from __future__ import annotations

from glassledger.schemas._core import Field, Table

SRF_TAKEUP = Table(
    name="SRF take-up",
    doc="Standing Repo Facility take-up on the days it was used (`liquidity indicators "
    "--srf-file`): a day without a row had none. Other columns (`source`...) are kept.",
    strict=False,
    index="date",
    sorted_index=True,
    fields=(
        Field("date", "date", "the operation date", unique=True),
        Field("srf_usd_bn", "float", "take-up", unit="USD bn", ge=0.0, le=1_000.0),
    ),
)

__all__ = ["SRF_TAKEUP"]
