"""Shared table I/O: formats by extension, typed errors naming the file and the column."""

from __future__ import annotations

import pandas as pd
import pytest

from glassledger.errors import InputError
from glassledger.tables import read_table, write_table


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_round_trip_keeps_identifiers_as_text(tmp_path, suffix):
    frame = pd.DataFrame({"trade_id": ["007", "010"], "notional": [1.5, 2.0]})
    path = write_table(frame, tmp_path / f"t{suffix}")
    back = read_table(path, text_columns=("trade_id",), columns=["trade_id", "notional"])
    assert list(back["trade_id"]) == ["007", "010"]
    assert list(back["notional"]) == [1.5, 2.0]


def test_errors_name_the_problem(tmp_path):
    with pytest.raises(InputError, match=r"unsupported file type '\.xlsx'"):
        read_table(tmp_path / "x.xlsx")
    with pytest.raises(InputError, match="file not found"):
        read_table(tmp_path / "missing.csv")
    (tmp_path / "t.csv").write_text("a,b\n1,2\n")
    with pytest.raises(InputError, match=r"field 'c': missing column"):
        read_table(tmp_path / "t.csv", columns=["a", "c"])
    (tmp_path / "bad.parquet").write_text("not parquet")
    with pytest.raises(InputError, match="cannot read"):
        read_table(tmp_path / "bad.parquet")
