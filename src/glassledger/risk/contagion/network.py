"""The exposure network that every contagion model reads.

Direction convention (used throughout :mod:`glassledger.risk.contagion`):

* an **exposure** ``ead[i, j]`` is what institution ``i`` (the *creditor*, the lender or the
  in-the-money side of a derivative) stands to lose if institution ``j`` (the *debtor*, the
  borrower or counterparty) defaults, before recovery. Exposure tables and matrices have
  **creditors (lenders) as rows** and debtors as columns.
* ``lgd[i, j]`` is the loss-given-default on that exposure, a decimal in ``[0, 1]``; the loss
  ``i`` books when ``j`` defaults is ``ead[i, j] * lgd[i, j]``.
* a **liability** matrix (Eisenberg-Noe, Rogers-Veraart) is the transpose: ``L[j, i]`` is what
  debtor ``j`` owes creditor ``i``; **borrowers (debtors) as rows**.

Amounts (EAD, capital) are in one currency's units, e.g. minor units of USD; the models are
linear in them, so any consistent unit works. Capital is the loss-absorbing equity of each
institution; negative capital means already insolvent (a round-0 default of the cascade).

Sources of a network: an edge list (one row per creditor-debtor pair or netting set, columns
``creditor, debtor, ead, lgd``) as a DataFrame or a CSV/Parquet file; an exposure matrix (NumPy,
SciPy sparse, DataFrame or CSV/Parquet with creditor names in the first column); a networkx
``DiGraph`` whose edge ``u -> v`` carries ``ead`` (and ``lgd``) and means *u is exposed to v*.
The ledger feed will produce the same edge table from its netting-set view (SA-CCR EAD or marks
net of collateral, guarantees substituted), so :meth:`ExposureNetwork.from_edges` is the seam.
Several rows for the same pair (several netting sets) are aggregated: EADs add, and the pair's
LGD is the EAD-weighted mean, so the pair's loss is the sum of the rows' losses.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp

from glassledger.errors import InputError
from glassledger.schemas import read, read_raw, validate
from glassledger.schemas.contagion import CAPITAL, EDGES, matrix_table

EDGE_COLUMNS = ("creditor", "debtor", "ead", "lgd")


@dataclass(frozen=True, eq=False)
class ExposureNetwork:
    """Institutions, their capital and the exposures between them.

    Attributes:
        names: institution labels, position ``k`` is row/column ``k`` of the matrices.
        capital: capital of each institution (currency units, ``>= 0``), shape ``(n,)``.
        ead: exposure at default, CSR ``(n, n)``; ``ead[i, j]`` = creditor ``i``'s exposure to
            debtor ``j`` (lenders as rows). No diagonal entries.
        lgd: loss-given-default decimals in ``[0, 1]`` with the same sparsity as ``ead``.
    """

    names: tuple[Hashable, ...]
    capital: np.ndarray
    ead: sp.csr_array
    lgd: sp.csr_array
    _index: dict[Hashable, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index = {name: k for k, name in enumerate(self.names)}
        if len(index) != len(self.names):
            seen: set[Hashable] = set()
            twice = next(name for name in self.names if name in seen or seen.add(name))
            raise InputError("institution listed twice", source="exposure network", row=twice)
        object.__setattr__(self, "_index", index)

    # ------------------------------------------------------------------ derived views
    @property
    def size(self) -> int:
        """Number of institutions."""
        return len(self.names)

    @cached_property
    def loss_matrix(self) -> sp.csr_array:
        """``ead * lgd``: loss creditor ``i`` (row) books if debtor ``j`` (column) defaults."""
        return self.ead.multiply(self.lgd).tocsr()

    @cached_property
    def loss_by_debtor(self) -> sp.csc_array:
        """:attr:`loss_matrix` in CSC form, so the creditors of one debtor are one slice."""
        return self.loss_matrix.tocsc()

    @cached_property
    def leverage_by_debtor(self) -> sp.csc_array:
        """``ead * lgd / capital`` of the creditor (row), CSC: the interbank leverage matrix of
        DebtRank. A zero-capital creditor's entries are the largest float (any loss is total).
        """
        loss = self.loss_by_debtor
        capital = self.capital[loss.indices]
        unbounded = np.where(loss.data > 0, np.finfo(float).max, 0.0)
        ratio = np.divide(loss.data, capital, out=unbounded, where=capital > 0)
        return sp.csc_array((ratio, loss.indices, loss.indptr), shape=loss.shape)

    def total_exposure(self) -> np.ndarray:
        """Each institution's total exposure as creditor, ``sum_j ead[i, j]`` (row sums)."""
        return np.asarray(self.ead.sum(axis=1)).ravel()

    def index_of(self, names: Iterable[Hashable]) -> np.ndarray:
        """Positions of ``names``; raises :class:`InputError` naming an unknown institution."""
        try:
            return np.fromiter((self._index[name] for name in names), dtype=np.int64)
        except KeyError as missing:
            raise InputError(
                "unknown institution", source="exposure network", value=missing.args[0]
            ) from None

    def edges(self) -> pd.DataFrame:
        """The exposures as an edge table ``creditor, debtor, ead, lgd`` (lenders first)."""
        coo = self.ead.tocoo()
        lgd = self.lgd.tocoo()  # built with the same sparsity as ead, so aligned
        names = np.asarray(self.names, dtype=object)
        return pd.DataFrame(
            {
                "creditor": names[coo.row],
                "debtor": names[coo.col],
                "ead": coo.data,
                "lgd": lgd.data,
            }
        )

    def to_networkx(self) -> nx.DiGraph:
        """A ``DiGraph`` with edge ``creditor -> debtor`` (attributes ``ead``, ``lgd``) and node
        attribute ``capital``."""
        graph = nx.DiGraph()
        graph.add_nodes_from(
            (name, {"capital": float(c)}) for name, c in zip(self.names, self.capital, strict=True)
        )
        for row in self.edges().itertuples(index=False):
            graph.add_edge(row.creditor, row.debtor, ead=row.ead, lgd=row.lgd)
        return graph

    # ------------------------------------------------------------------ what-if copies
    def with_capital(self, capital: Mapping[Hashable, float] | np.ndarray) -> ExposureNetwork:
        """A copy with capital replaced for the given institutions (or the whole vector)."""
        new = np.array(self.capital, dtype=float)
        if isinstance(capital, Mapping):
            new[self.index_of(capital.keys())] = np.fromiter(capital.values(), dtype=float)
        else:
            new = np.asarray(capital, dtype=float).copy()
            if new.shape != self.capital.shape:
                raise InputError("one capital per institution", value=new.shape)
        _check_capital(new, self.names, "capital change")
        return ExposureNetwork(self.names, new, self.ead, self.lgd)

    def with_exposures(
        self,
        *,
        remove: Iterable[tuple[Hashable, Hashable]] = (),
        add: Iterable[tuple[Hashable, Hashable, float, float]] = (),
    ) -> ExposureNetwork:
        """A copy with the exposures ``(creditor, debtor)`` in ``remove`` deleted and the
        exposures ``(creditor, debtor, ead, lgd)`` in ``add`` added (aggregated with any
        existing exposure of the same pair, as for duplicate edge rows)."""
        table = self.edges()
        drop = set(remove)
        if drop:
            keys = list(zip(table["creditor"], table["debtor"], strict=True))
            table = table[[key not in drop for key in keys]]
        extra = pd.DataFrame(list(add), columns=list(EDGE_COLUMNS))
        if len(extra):
            table = pd.concat([table, extra], ignore_index=True)
        return ExposureNetwork.from_edges(
            table,
            dict(zip(self.names, self.capital, strict=True)),
            source="what-if exposures",
        )

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_edges(
        cls,
        edges: pd.DataFrame,
        capital: Mapping[Hashable, float] | pd.Series | pd.DataFrame,
        *,
        default_lgd: float | None = None,
        source: str = "edge list",
    ) -> ExposureNetwork:
        """Build from an edge table with columns ``creditor, debtor, ead`` and ``lgd``.

        ``creditor`` is exposed to ``debtor`` (lender first). ``lgd`` may be omitted when
        ``default_lgd`` is given. ``capital`` maps every institution to its capital (a mapping,
        a Series indexed by institution, or a DataFrame with columns ``institution, capital``);
        institutions with capital but no exposures are kept. Bad rows raise
        :class:`InputError` naming ``source``, the row label and the field.
        """
        table = edges.copy()
        if "lgd" not in table.columns and default_lgd is not None:
            table["lgd"] = default_lgd
        _require_columns(table, EDGE_COLUMNS, source)
        capital_series = _capital_series(capital)
        for column in ("creditor", "debtor"):
            for label, value in table[column].items():
                if pd.isna(value):
                    raise InputError("missing institution", source=source, row=label, field=column)
        _check_numeric(table, ("ead", "lgd"), source)
        _check_edge_values(
            table["creditor"].to_numpy(),
            table["debtor"].to_numpy(),
            table["ead"].to_numpy(dtype=float),
            table["lgd"].to_numpy(dtype=float),
            label_of=lambda k: table.index[k],
            source=source,
        )
        known = set(capital_series.index)
        for column in ("creditor", "debtor"):
            unknown = ~table[column].isin(known)
            if unknown.any():
                label = table.index[unknown.argmax()]
                raise InputError(
                    "institution has no capital entry",
                    source=source,
                    row=label,
                    field=column,
                    value=table.at[label, column],
                )
        names = tuple(capital_series.index)
        capital_values = capital_series.to_numpy(dtype=float)
        _check_capital(capital_values, names, "capital")
        index = {name: k for k, name in enumerate(names)}
        rows = table["creditor"].map(index).to_numpy(dtype=np.int64)
        cols = table["debtor"].map(index).to_numpy(dtype=np.int64)
        ead = table["ead"].to_numpy(dtype=float)
        loss = ead * table["lgd"].to_numpy(dtype=float)
        return cls._from_coo(names, capital_values, rows, cols, ead, loss)

    @classmethod
    def from_matrix(
        cls,
        exposures: np.ndarray | sp.sparray | sp.spmatrix | pd.DataFrame,
        capital: Sequence[float] | np.ndarray | Mapping[Hashable, float] | pd.Series,
        *,
        lgd: float | np.ndarray | sp.sparray | sp.spmatrix | pd.DataFrame = 1.0,
        names: Sequence[Hashable] | None = None,
        source: str = "exposure matrix",
    ) -> ExposureNetwork:
        """Build from an ``n x n`` exposure matrix, **creditors (lenders) as rows**.

        ``exposures[i, j]`` is ``i``'s EAD on ``j``; zeros mean no exposure. ``lgd`` is a
        scalar or a matrix of the same shape (read only where there is an exposure). For a
        DataFrame the row and column labels are the institution names and must agree.
        ``capital`` is a vector in the same order, or a mapping by name.
        """
        if isinstance(exposures, pd.DataFrame):
            if list(exposures.index) != list(exposures.columns):
                raise InputError(
                    "row and column labels of an exposure matrix must be the same institutions "
                    "in the same order",
                    source=source,
                )
            names = list(exposures.index) if names is None else names
            exposures = exposures.to_numpy(dtype=float)
        matrix = sp.csr_array(exposures, dtype=float)
        matrix.sum_duplicates()
        matrix = matrix.tocoo()  # canonical: sorted by creditor, then debtor
        n = matrix.shape[0]
        if matrix.shape != (n, n):
            raise InputError("exposure matrix must be square", source=source, value=matrix.shape)
        names = tuple(range(n)) if names is None else tuple(names)
        if len(names) != n:
            raise InputError("one name per row is needed", source=source, value=len(names))
        if isinstance(capital, Mapping | pd.Series):
            series = _capital_series(capital)
            missing = [name for name in names if name not in series.index]
            if missing:
                raise InputError("institution has no capital entry", source=source, row=missing[0])
            capital = series.loc[list(names)].to_numpy(dtype=float)
        capital_values = np.asarray(capital, dtype=float)
        if capital_values.shape != (n,):
            raise InputError("one capital per institution", source=source, value=capital_values)
        _check_capital(capital_values, names, "capital")
        mask = matrix.data != 0
        rows, cols, ead = matrix.row[mask], matrix.col[mask], matrix.data[mask]
        lgd_values = _values_at(lgd, rows, cols, n)
        _check_edge_values(
            rows,
            cols,
            ead,
            lgd_values,
            label_of=lambda k: f"{names[rows[k]]}->{names[cols[k]]}",
            source=source,
        )
        return cls._from_coo(names, capital_values, rows, cols, ead, ead * lgd_values)

    @classmethod
    def from_networkx(
        cls,
        graph: nx.DiGraph,
        *,
        capital: str = "capital",
        ead: str = "ead",
        lgd: str = "lgd",
        default_lgd: float = 1.0,
    ) -> ExposureNetwork:
        """Build from a ``DiGraph`` whose edge ``u -> v`` means **u is exposed to v** (u the
        creditor). Node attribute ``capital``; edge attributes ``ead`` and optional ``lgd``."""
        missing = [node for node, data in graph.nodes(data=True) if capital not in data]
        if missing:
            raise InputError(
                "node has no capital attribute", source="networkx graph", row=missing[0]
            )
        capital_map = {node: data[capital] for node, data in graph.nodes(data=True)}
        table = pd.DataFrame(
            [
                (u, v, data.get(ead, np.nan), data.get(lgd, default_lgd))
                for u, v, data in graph.edges(data=True)
            ],
            columns=list(EDGE_COLUMNS),
        )
        table.index = pd.Index(
            [f"{u}->{v}" for u, v in zip(table["creditor"], table["debtor"], strict=True)],
            name="edge",
        )
        return cls.from_edges(table, capital_map, source="networkx graph")

    @classmethod
    def read_edges(
        cls,
        path: str | Path,
        capital: str | Path | Mapping[Hashable, float] | pd.DataFrame,
        *,
        default_lgd: float | None = None,
    ) -> ExposureNetwork:
        """Read an edge list (``creditor, debtor, ead, lgd``) from CSV or Parquet; ``capital``
        is a table file (``institution, capital``) or an in-memory mapping. Row labels in
        errors are file line numbers (header = line 1)."""
        table = read(path, EDGES)
        if table["lgd"].isna().any():
            if default_lgd is None:
                fail_at = table.index[table["lgd"].isna().to_numpy()][0]
                raise InputError(
                    "missing loss-given-default",
                    source=Path(path).name,
                    line=int(fail_at),
                    field="lgd",
                    hint="fill the lgd column or give a default LGD (--lgd)",
                )
            table["lgd"] = table["lgd"].fillna(default_lgd)
        if isinstance(capital, str | Path):
            capital = _capital_series(read(capital, CAPITAL), source=Path(capital).name)
        return cls.from_edges(table, capital, default_lgd=default_lgd, source=Path(path).name)

    @classmethod
    def read_matrix(
        cls,
        path: str | Path,
        capital: str | Path | Mapping[Hashable, float] | pd.DataFrame,
        *,
        lgd: float = 1.0,
    ) -> ExposureNetwork:
        """Read a square exposure matrix (creditors as rows; first column = names, header =
        the same names) from CSV or Parquet."""
        raw = read_raw(path)
        if len(raw.columns) < 2:
            raise InputError(
                "an exposure matrix needs a name column and one column per institution",
                source=Path(path).name,
            )
        table = validate(raw, matrix_table([str(c) for c in raw.columns]), source=Path(path).name)
        table = table.set_index(table.columns[0])
        if isinstance(capital, str | Path):
            capital = _capital_series(read(capital, CAPITAL), source=Path(capital).name)
        return cls.from_matrix(table, capital, lgd=lgd, source=Path(path).name)

    @classmethod
    def _from_coo(
        cls,
        names: tuple[Hashable, ...],
        capital: np.ndarray,
        rows: np.ndarray,
        cols: np.ndarray,
        ead: np.ndarray,
        loss: np.ndarray,
    ) -> ExposureNetwork:
        n = len(names)
        ead_matrix = sp.csr_array((ead, (rows, cols)), shape=(n, n))
        loss_matrix = sp.csr_array((loss, (rows, cols)), shape=(n, n))
        ead_matrix.sum_duplicates()
        loss_matrix.sum_duplicates()
        lgd = ead_matrix.copy()
        with np.errstate(divide="ignore", invalid="ignore"):
            lgd.data = np.where(ead_matrix.data > 0, loss_matrix.data / ead_matrix.data, 0.0)
        return cls(names, capital, ead_matrix, lgd)


# ---------------------------------------------------------------------- reading and checks
def _values_at(
    values: float | np.ndarray | sp.sparray | sp.spmatrix | pd.DataFrame,
    rows: np.ndarray,
    cols: np.ndarray,
    n: int,
) -> np.ndarray:
    """``values[rows, cols]`` for a scalar or an ``n x n`` matrix; ``rows, cols`` sorted
    row-major. A sparse matrix with exactly that pattern is read without fancy indexing."""
    if np.isscalar(values):
        return np.full(rows.shape, float(values))
    if isinstance(values, pd.DataFrame):
        values = values.to_numpy(dtype=float)
    matrix = sp.csr_array(values, dtype=float)
    if matrix.shape != (n, n):
        raise InputError("LGD matrix must have the exposure matrix's shape", value=matrix.shape)
    matrix.sum_duplicates()
    coo = matrix.tocoo()
    if np.array_equal(coo.row, rows) and np.array_equal(coo.col, cols):
        return coo.data
    return np.asarray(matrix[rows, cols]).ravel()


def _capital_series(
    capital: Mapping[Hashable, float] | pd.Series | pd.DataFrame, source: str = "capital"
) -> pd.Series:
    if isinstance(capital, pd.DataFrame):
        capital = capital.copy()
        _require_columns(capital, ("institution", "capital"), source)
        _check_numeric(capital, ("capital",), source)
        duplicated = capital["institution"].duplicated()
        if duplicated.any():
            label = capital.index[duplicated.argmax()]
            raise InputError(
                "institution listed twice",
                source=source,
                row=label,
                field="institution",
                value=capital.at[label, "institution"],
            )
        # Negative capital is allowed: an institution insolvent from the start is a round-0
        # default (docs/decisions.md, "Contagion").
        return pd.Series(capital["capital"].to_numpy(float), index=capital["institution"])
    return pd.Series(capital, dtype=float) if isinstance(capital, Mapping) else capital


def _plain(value: object) -> object:
    """NumPy scalars as plain Python values, so error messages read ``7.0``."""
    return value.item() if isinstance(value, np.generic) else value


def _require_columns(table: pd.DataFrame, columns: Sequence[str], source: str) -> None:
    missing = [column for column in columns if column not in table.columns]
    if missing:
        raise InputError(
            f"missing column(s) {missing}; expected {list(columns)}",
            source=source,
            value=list(table.columns),
        )


def _check_numeric(table: pd.DataFrame, columns: Sequence[str], source: str) -> None:
    for column in columns:
        values = pd.to_numeric(table[column], errors="coerce")
        bad = values.isna() | ~np.isfinite(values.to_numpy(dtype=float, na_value=np.nan))
        if bad.any():
            label = table.index[bad.to_numpy().argmax()]
            raise InputError(
                "not a finite number",
                source=source,
                row=label,
                field=column,
                value=_plain(table.at[label, column]),
            )
        table[column] = values.astype(float)


def _check_edge_values(
    creditor: np.ndarray,
    debtor: np.ndarray,
    ead: np.ndarray,
    lgd: np.ndarray,
    *,
    label_of: Callable[[int], Hashable],
    source: str,
) -> None:
    """Vectorized checks of exposure rows; the first bad one is named via ``label_of``."""
    checks = (
        (~np.isfinite(ead), "ead", "not a finite number", ead),
        (~np.isfinite(lgd), "lgd", "not a finite number", lgd),
        (ead < 0, "ead", "exposure at default must be >= 0", ead),
        ((lgd < 0) | (lgd > 1), "lgd", "loss-given-default must be in [0, 1]", lgd),
        (creditor == debtor, "debtor", "self-exposure (creditor == debtor)", debtor),
    )
    for bad, column, message, values in checks:
        if bad.any():
            k = int(bad.argmax())
            raise InputError(
                message, source=source, row=label_of(k), field=column, value=_plain(values[k])
            )


def _check_capital(capital: np.ndarray, names: Sequence[Hashable], source: str) -> None:
    """Capital must be finite; negative capital (an institution already insolvent at the
    start) is allowed: the cascade counts it as defaulted in round 0."""
    bad = ~np.isfinite(capital)
    if bad.any():
        k = int(bad.argmax())
        raise InputError(
            "capital must be a finite number",
            source=source,
            row=names[k],
            field="capital",
            value=float(capital[k]),
        )
