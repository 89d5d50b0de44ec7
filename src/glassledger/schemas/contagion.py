"""Contagion input tables: exposure edge lists, exposure matrices, capital, and the balance
sheet for Eisenberg-Noe / Rogers-Veraart clearing. Amounts in one currency's units."""

from __future__ import annotations

from glassledger.schemas._core import Field, RowRule, Table

NAN = float("nan")

EDGES = Table(
    name="Exposure edges",
    doc="One row per creditor-debtor pair or netting set (`risk contagion EXPOSURES`): "
    "`creditor` is exposed to `debtor` (lender first). Rows for the same pair add up.",
    strict=False,
    fields=(
        Field("creditor", "id", "institution exposed (the lender)"),
        Field("debtor", "id", "institution it is exposed to (the borrower)"),
        Field("ead", "float", "exposure at default", unit="currency units", ge=0.0),
        Field(
            "lgd",
            "float",
            "loss given default (blank: --lgd)",
            unit="decimal",
            default=NAN,
            ge=0.0,
            le=1.0,
        ),
    ),
    rules=(
        RowRule(
            "debtor", "self-exposure (creditor == debtor)", lambda f: f["creditor"] != f["debtor"]
        ),
    ),
)

CAPITAL = Table(
    name="Capital",
    doc="Loss-absorbing capital per institution (`risk contagion --capital`). Negative "
    "capital is allowed: the institution is insolvent from the start (a round-0 default).",
    key="institution",
    fields=(
        Field("institution", "id", "institution name, as in the exposures", unique=True),
        Field("capital", "float", "capital at the start", unit="currency units"),
    ),
)

BALANCE_SHEET = Table(
    name="Balance sheet",
    doc="External (non-interbank) assets and liabilities per institution for clearing "
    "(`risk contagion --clearing`).",
    key="institution",
    fields=(
        Field("institution", "id", "institution name, as in the exposures", unique=True),
        Field(
            "external_assets", "float", "assets outside the network", unit="currency units", ge=0.0
        ),
        Field(
            "external_liabilities",
            "float",
            "liabilities outside the network",
            unit="currency units",
            default=0.0,
            ge=0.0,
        ),
    ),
)


def matrix_table(header: list[str]) -> Table:
    """The table of an exposure matrix file whose header is ``header``: first column the
    creditor names, then one numeric column per debtor (EAD >= 0, blank = 0)."""
    first, *debtors = header
    return Table(
        name="Exposure matrix",
        doc="Square exposure matrix, creditors as rows (`risk contagion --matrix`).",
        key=first,
        fields=(
            Field(first, "id", "creditor name (the row's institution)", unique=True),
            *(Field(name, "float", f"exposure to {name}", default=0.0, ge=0.0) for name in debtors),
        ),
    )
