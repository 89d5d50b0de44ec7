"""Building exposure networks from every supported input, and rejecting bad rows."""

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from glassledger.errors import InputError
from glassledger.risk.contagion.network import ExposureNetwork

CAPITAL = {"A": 10.0, "B": 20.0, "C": 30.0}
EDGES = pd.DataFrame(
    {
        "creditor": ["A", "B", "C"],
        "debtor": ["B", "C", "A"],
        "ead": [5.0, 6.0, 7.0],
        "lgd": [0.5, 1.0, 0.25],
    }
)
MATRIX = np.array([[0, 5.0, 0], [0, 0, 6.0], [7.0, 0, 0]])  # creditors as rows


def _same(a: ExposureNetwork, b: ExposureNetwork) -> None:
    assert a.names == b.names
    np.testing.assert_array_equal(a.capital, b.capital)
    np.testing.assert_allclose(a.ead.toarray(), b.ead.toarray())
    np.testing.assert_allclose(a.loss_matrix.toarray(), b.loss_matrix.toarray())


def test_all_inputs_give_the_same_network(tmp_path):
    lgd = np.array([[0, 0.5, 0], [0, 0, 1.0], [0.25, 0, 0]])
    reference = ExposureNetwork.from_edges(EDGES, CAPITAL)
    assert reference.ead[0, 1] == 5.0  # A (row) is exposed to B (column)
    _same(reference, ExposureNetwork.from_matrix(MATRIX, [10, 20, 30], lgd=lgd, names="ABC"))
    _same(
        reference,
        ExposureNetwork.from_matrix(
            sp.csr_array(MATRIX), CAPITAL, lgd=sp.csr_array(lgd), names="ABC"
        ),
    )
    frame = pd.DataFrame(MATRIX, index=list("ABC"), columns=list("ABC"))
    _same(reference, ExposureNetwork.from_matrix(frame, pd.Series(CAPITAL), lgd=lgd))
    _same(reference, ExposureNetwork.from_networkx(reference.to_networkx()))
    EDGES.to_csv(tmp_path / "edges.csv", index=False)
    EDGES.to_parquet(tmp_path / "edges.parquet")
    capital = pd.DataFrame({"institution": list(CAPITAL), "capital": list(CAPITAL.values())})
    capital.to_csv(tmp_path / "capital.csv", index=False)
    _same(reference, ExposureNetwork.read_edges(tmp_path / "edges.csv", tmp_path / "capital.csv"))
    _same(reference, ExposureNetwork.read_edges(tmp_path / "edges.parquet", CAPITAL))
    frame.to_csv(tmp_path / "matrix.csv", index_label="creditor")
    _same(
        ExposureNetwork.from_matrix(MATRIX, [10, 20, 30], names="ABC"),
        ExposureNetwork.read_matrix(tmp_path / "matrix.csv", tmp_path / "capital.csv"),
    )


def test_duplicate_pairs_aggregate_into_one_exposure():
    # Two netting sets between A and B: EADs add, the loss is the sum of the rows' losses.
    edges = pd.DataFrame(
        {"creditor": ["A", "A"], "debtor": ["B", "B"], "ead": [10.0, 30.0], "lgd": [1.0, 0.5]}
    )
    network = ExposureNetwork.from_edges(edges, {"A": 1.0, "B": 1.0})
    assert network.ead[0, 1] == 40.0
    assert network.loss_matrix[0, 1] == 25.0
    assert network.lgd[0, 1] == pytest.approx(25.0 / 40.0)


def test_institutions_without_exposures_are_kept():
    network = ExposureNetwork.from_edges(EDGES, {**CAPITAL, "D": 1.0})
    assert network.size == 4 and network.ead[3].nnz == 0


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("lgd", 1.5, "loss-given-default must be in"),
        ("lgd", -0.1, "loss-given-default must be in"),
        ("ead", -1.0, "exposure at default must be >= 0"),
        ("ead", np.nan, "not a finite number"),
        ("lgd", "abc", "not a finite number"),
        ("debtor", "B", "self-exposure"),
        ("debtor", "Q", "no capital entry"),
    ],
)
def test_bad_edge_rows_are_named(column, value, message):
    edges = EDGES.copy()
    edges[column] = edges[column].astype(object)
    edges.loc[1, column] = value
    with pytest.raises(InputError, match=message) as error:
        ExposureNetwork.from_edges(edges, CAPITAL, source="book.csv")
    assert error.value.row == 1 and error.value.field == column
    assert "book.csv" in str(error.value)


def test_bad_rows_in_files_are_named_by_line(tmp_path):
    (tmp_path / "edges.csv").write_text("creditor,debtor,ead,lgd\nA,B,1,0.5\nB,C,2,7\n")
    (tmp_path / "capital.csv").write_text("institution,capital\nA,1\nB,two\nC,3\n")
    (tmp_path / "good.csv").write_text("creditor,debtor,ead,lgd\nA,B,1,0.5\n")
    with pytest.raises(InputError, match=r"capital.csv, line 3, row 'B', field 'capital'"):
        ExposureNetwork.read_edges(tmp_path / "good.csv", tmp_path / "capital.csv")
    with pytest.raises(InputError, match=r"edges.csv, line 3, field 'lgd'.*got '7'"):
        ExposureNetwork.read_edges(tmp_path / "edges.csv", {"A": 1, "B": 1, "C": 1})


@pytest.mark.parametrize("capital", [np.nan, np.inf])
def test_bad_capital_is_rejected_with_the_institution(capital):
    with pytest.raises(InputError, match="capital must be") as error:
        ExposureNetwork.from_matrix(MATRIX, [10.0, capital, 30.0], names="ABC")
    assert error.value.row == "B"


def test_bad_matrices_are_rejected():
    with pytest.raises(InputError, match="self-exposure") as error:
        ExposureNetwork.from_matrix(np.eye(2), [1, 1], names="XY")
    assert error.value.row == "X->X"
    with pytest.raises(InputError, match="square"):
        ExposureNetwork.from_matrix(np.ones((2, 3)), [1, 1])
    with pytest.raises(InputError, match="not a finite number"):
        ExposureNetwork.from_matrix(np.array([[0, np.nan], [0, 0]]), [1, 1])
    graph = nx.DiGraph()
    graph.add_edge("X", "Y", ead=1.0)
    with pytest.raises(InputError, match="no capital attribute"):
        ExposureNetwork.from_networkx(graph)


def test_what_if_copies_leave_the_original_alone():
    network = ExposureNetwork.from_edges(EDGES, CAPITAL)
    changed = network.with_exposures(remove=[("A", "B")], add=[("B", "A", 4.0, 1.0)])
    assert network.ead[0, 1] == 5.0 and changed.ead[0, 1] == 0.0 and changed.ead[1, 0] == 4.0
    assert network.with_capital({"B": 1.0}).capital.tolist() == [10.0, 1.0, 30.0]
    with pytest.raises(InputError, match="capital must be"):
        network.with_capital({"B": float("nan")})


def test_duplicate_names_are_rejected():
    with pytest.raises(InputError, match="listed twice") as error:
        ExposureNetwork.from_matrix(MATRIX, [1, 2, 3], names=["A", "B", "A"])
    assert error.value.row == "A"
    capital = pd.DataFrame({"institution": ["A", "B", "C", "B"], "capital": [1, 2, 3, 4]})
    with pytest.raises(InputError, match="listed twice"):
        ExposureNetwork.from_edges(EDGES, capital)


def test_negative_starting_capital_is_a_round_0_default():
    """An institution already insolvent (capital < 0) defaults in round 0 and its creditors
    take the loss in round 1; an absolute threshold moves the default level."""
    from glassledger.risk.contagion import cascade

    network = ExposureNetwork.from_matrix(MATRIX, [10.0, -1.0, 30.0], names="ABC")
    result = cascade(network, [])
    assert result.default_round[1] == 0
    # B at 5 is below the threshold 6 from the start; A (10) loses 5 on B: 5 left < 6.
    absolute = cascade(network.with_capital({"B": 5.0}), [], default_threshold=6.0)
    assert absolute.default_round.tolist()[:2] == [1, 0]
    relative = cascade(network.with_capital({"B": 5.0}), ["B"])
    assert relative.default_round.tolist()[:2] == [-1, 0]
