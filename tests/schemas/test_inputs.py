"""The input boundary: schemas, the reader, and the cases of issue 15 section 1, each through
the command a user would run (one clear line, exit code 1, never a traceback)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from glassledger.cli import EXIT_BUG, EXIT_REFUSED, app
from glassledger.errors import InputError
from glassledger.schemas import describe, read, read_raw, validate
from glassledger.schemas.contagion import CAPITAL
from glassledger.schemas.credit import EXTERNAL_RATINGS
from glassledger.schemas.saccr import NETTING_SETS, TRADES
from glassledger.tables import write_table

FIXTURES = Path(__file__).parents[1] / "risk" / "fixtures"
RUN = CliRunner()


def run(*args: str):
    return RUN.invoke(app, [str(a) for a in args])


def refused(result, *words: str) -> str:
    """The result is a refusal: exit 1, no traceback, and one error line naming ``words`` (or
    Typer's usage-error box for an option Typer itself checks)."""
    assert result.exit_code == EXIT_REFUSED, result.output
    assert "Traceback" not in result.output
    error = [line for line in result.output.splitlines() if line.startswith("error:")]
    if not error and "Invalid value" in result.output:
        error = [" ".join(result.output.split())]
    assert len(error) == 1, result.output
    for word in words:
        assert word in error[0], (word, error[0])
    return error[0]


# --------------------------------------------------------------------------- the reader
@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_round_trip_keeps_identifiers_as_text(tmp_path, suffix):
    frame = pd.DataFrame({"netting_set": ["007", "010"], "margined": [True, False]})
    path = write_table(frame, tmp_path / f"t{suffix}")
    back = read(path, NETTING_SETS)
    assert list(back["netting_set"]) == ["007", "010"]
    assert list(back["margined"]) == [True, False]
    assert back.index.name == "line"


def test_reader_errors_name_the_file(tmp_path):
    with pytest.raises(InputError, match=r"unsupported file type '\.xlsx'"):
        read_raw(tmp_path / "x.xlsx")
    with pytest.raises(InputError, match="file not found"):
        read_raw(tmp_path / "missing.csv")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(InputError, match=r"empty\.csv: the file is empty"):
        read_raw(tmp_path / "empty.csv")
    (tmp_path / "bad.parquet").write_text("not parquet")
    with pytest.raises(InputError, match=r"bad\.parquet: cannot read"):
        read_raw(tmp_path / "bad.parquet")
    (tmp_path / "header.csv").write_text("netting_set,margined\n")
    with pytest.raises(InputError, match="missing column"):
        read(tmp_path / "header.csv", TRADES)
    (tmp_path / "capital.csv").write_text("institution,capital\n")
    with pytest.raises(InputError, match="no data rows"):
        read(tmp_path / "capital.csv", CAPITAL)


def test_text_nan_and_inf_are_errors_blank_is_the_default(tmp_path):
    base = "trade_id,netting_set,asset_class,position,notional,maturity,mtm,currency,end\n"
    row = "1,A,IR,LONG,100,2,{mtm},USD,2\n"
    (tmp_path / "t.csv").write_text(base + row.format(mtm=""))
    assert read(tmp_path / "t.csv", TRADES)["mtm"].tolist() == [0.0]
    for text, word in (("NaN", "NaN"), ("inf", "finite"), ("ten", "not a number")):
        (tmp_path / "t.csv").write_text(base + row.format(mtm=text))
        with pytest.raises(InputError, match=word) as error:
            read(tmp_path / "t.csv", TRADES)
        assert (error.value.line, error.value.field) == (2, "mtm")


def test_flags_read_false_as_false_and_refuse_other_text():
    frame = pd.DataFrame({"netting_set": ["a", "b", "c"], "margined": ["False", "TRUE", "no"]})
    assert validate(frame, NETTING_SETS)["margined"].tolist() == [False, True, False]
    with pytest.raises(InputError, match="true/false"):
        validate(frame.assign(margined=["Flase", "true", "no"]), NETTING_SETS)


def test_row_rules_exercise_after_maturity_and_maturity_before_start():
    row = {
        "trade_id": "1",
        "netting_set": "A",
        "asset_class": "IR",
        "position": "LONG",
        "notional": 1.0,
        "maturity": 2.0,
        "currency": "USD",
        "end": 2.0,
    }
    with pytest.raises(InputError, match="exercise date T is after the maturity"):
        validate(pd.DataFrame([row | {"exercise": 3.0}]), TRADES)
    with pytest.raises(InputError, match="maturity M is before the start"):
        validate(pd.DataFrame([row | {"start": 2.5}]), TRADES)
    blank = validate(pd.DataFrame([row | {"instrument": " "}]), TRADES)
    assert blank["instrument"].tolist() == ["LINEAR"]


def test_every_table_is_documented():
    from glassledger.schemas import basket, contagion, credit, saccr

    for module in (basket, contagion, credit, saccr):
        for table in vars(module).values():
            if hasattr(table, "schema") and hasattr(table, "fields"):
                doc = describe(table)
                assert (doc["meaning"].str.len() > 0).all(), table.name


# ---------------------------------------------------------------------- issue 15 cases
@pytest.fixture
def annex(tmp_path) -> Path:
    trades = read_raw(FIXTURES / "saccr_bcbs_annex4_trades.csv")
    trades["netting_set"] = "007"
    trades = trades[trades["trade_id"].isin(["1", "2", "3", "7", "8", "9"])]
    path = tmp_path / "annex.csv"
    trades.to_csv(path, index=False)
    return path


def test_netting_set_007_keeps_its_margin_terms(annex, tmp_path):
    """Basel Example 5 with netting set 007: its terms apply (EAD 1,879, not unmargined)."""
    (tmp_path / "ns.csv").write_text(
        "netting_set,margined,variation_margin,im_received,mta,remargin_days\n"
        "007,true,50,150,5,5\n7,true,0,0,0,1\n"
    )
    out = tmp_path / "ead.csv"
    result = run("risk", "saccr", annex, "--netting-sets", tmp_path / "ns.csv", "--out", out)
    assert result.exit_code == 0, result.output
    ead = pd.read_csv(out, dtype={"netting_set": str}).set_index("netting_set")["EAD"]
    assert ead["007"] == pytest.approx(1879, abs=1)


def test_nan_variation_margin_is_refused_not_zero(annex, tmp_path):
    (tmp_path / "ns.csv").write_text("netting_set,margined,variation_margin\n007,true,NaN\n")
    refused(
        run("risk", "saccr", annex, "--netting-sets", tmp_path / "ns.csv"),
        "ns.csv",
        "line 2",
        "variation_margin",
        "NaN",
    )


def test_trade_ids_01_and_1_are_different(tmp_path):
    text = (FIXTURES / "saccr_bcbs_annex4_trades.csv").read_text().replace("\n2,", "\n01,", 1)
    (tmp_path / "p.csv").write_text(text.replace("trade_id,", "trade_id,netting_set,", 1))
    lines = (tmp_path / "p.csv").read_text().splitlines()
    rows = [lines[0]] + [f"{r.split(',', 1)[0]},N,{r.split(',', 1)[1]}" for r in lines[1:]]
    (tmp_path / "p.csv").write_text("\n".join(rows) + "\n")
    result = run("risk", "saccr", tmp_path / "p.csv")
    assert result.exit_code == 0, result.output


def test_counterparty_007_does_not_take_the_rating_of_7(tmp_path):
    (tmp_path / "e.csv").write_text("counterparty,netting_set,ead\n007,N1,100\n")
    (tmp_path / "r.csv").write_text("counterparty,rating\n7,AAA\n")
    refused(run("risk", "el", tmp_path / "e.csv", tmp_path / "r.csv"), "e.csv", "007")
    (tmp_path / "r.csv").write_text("counterparty,rating\n7,AAA\n007,B\n")
    out = tmp_path / "el.csv"
    assert run("risk", "el", tmp_path / "e.csv", tmp_path / "r.csv", "--out", out).exit_code == 0
    assert pd.read_csv(out)["grade"].tolist() == ["B"]


def test_negative_exchange_rate_is_refused_in_basket_reserve(tmp_path):
    (tmp_path / "h.csv").write_text(
        "currency,amount,start_day,maturity_day\nUSD,100,0,30\nEUR,50,0,10\n"
    )
    (tmp_path / "r.csv").write_text("date,USD,EUR\n2024-01-01,1,-1.1\n2024-01-02,1,1.1\n")
    refused(run("basket", "reserve", tmp_path / "h.csv", tmp_path / "r.csv"), "r.csv", "EUR")


def test_an_exchange_rate_of_1e308_is_refused_not_overflowed(tmp_path):
    """Found by the CLI fuzz: 1e308 overflowed the IMF valuation's Decimal arithmetic (exit
    70) and made the reserve worth inf."""
    (tmp_path / "q.csv").write_text("date,USD,EUR,JPY,CNY,GBP\n2024-01-02,1,1e308,140,7,1.27\n")
    args = ("basket", "value", "--quotes-file", tmp_path / "q.csv", "--date", "2024-01-02")
    refused(run(*args), "q.csv", "EUR")


def test_liquid_flag_false_text_is_false(tmp_path):
    (tmp_path / "h.csv").write_text(
        "currency,amount,start_day,maturity_day,daily_liquid\nUSD,100,0,300,False\n"
    )
    (tmp_path / "r.csv").write_text("date,USD\n2024-01-01,1\n2024-01-02,1\n")
    out = tmp_path / "m.csv"
    result = run("basket", "reserve", tmp_path / "h.csv", tmp_path / "r.csv", "--out", out)
    assert result.exit_code == 0, result.output
    assert pd.read_csv(out)["daily_liquid_share"].max() == 0.0


@pytest.mark.parametrize(
    "rates",
    [
        "",
        "date,USD\n",
        "date,USD\n2024-01-02,1\n2024-01-01,1\n",
        "date,USD\n2024-01-01,1\n2024-01-01,1\n",
        "date,USD\n2024-13-01,1\n",
        "date,USD\n2024-01-01,one\n",
        "date,GBP\n2024-01-01,1\n",
    ],
)
def test_bad_rates_files_are_refused_cleanly(tmp_path, rates):
    (tmp_path / "h.csv").write_text("currency,amount,start_day,maturity_day\nUSD,100,0,30\n")
    (tmp_path / "r.csv").write_text(rates)
    refused(run("basket", "reserve", tmp_path / "h.csv", tmp_path / "r.csv"))


def test_wide_table_errors_name_the_real_column_and_plain_dates(tmp_path):
    """A text cell in a one-column-per-currency table names that currency (not the pattern
    ``^[A-Z]{3}$``), and an order error shows the date as written, not a Timestamp repr."""
    (tmp_path / "q.csv").write_text("date,USD,EUR\n2024-01-01,1,abc\n")
    line = refused(
        run("basket", "value", "--quotes-file", tmp_path / "q.csv", "--date", "2024-01-01"),
        "field 'EUR'",
        "'abc'",
    )
    assert "^[A-Z]" not in line
    (tmp_path / "o.csv").write_text("date,USD,EUR\n2024-01-02,1,1\n2024-01-01,1,1\n")
    line = refused(
        run("basket", "value", "--quotes-file", tmp_path / "o.csv", "--date", "2024-01-01"),
        "'2024-01-01'",
    )
    assert "Timestamp" not in line


@pytest.mark.parametrize(
    "args",
    [
        (
            "basket",
            "interest",
            "--basket",
            "libra-2019",
            "--basket-per-unit",
            "USD=1",
            "--yield",
            "USD=1",
        ),
        ("basket", "drift", "--surge", "XXX"),
        ("basket", "inflation", "--start", "2050", "--end", "2060"),
        ("basket", "inflation", "--start", "2010", "--end", "2000"),
        ("basket", "amounts", "--usd-per-unit", "EUR=-1"),
        ("basket", "drift", "--move", "nan"),
        ("risk", "saccr", FIXTURES / "saccr_bcbs_annex4_trades.csv", "--fx-rate", "EUR=-2"),
    ],
)
def test_bad_options_are_refused_cleanly(args):
    refused(run(*args))


def test_readme_contagion_line_works_as_written(tmp_path):
    contagion = FIXTURES
    result = run(
        "risk",
        "contagion",
        contagion / "seed003_figure7_edges.csv",
        "--capital",
        contagion / "seed003_figure7_capital.csv",
    )
    assert result.exit_code == 0, result.output
    assert "Systemic importance" in result.output


def test_contagion_out_is_written_with_clearing(tmp_path):
    edges = FIXTURES / "seed003_figure7_edges.csv"
    names = sorted(
        set(pd.read_csv(edges, dtype=str)["creditor"])
        | set(pd.read_csv(edges, dtype=str)["debtor"])
    )
    sheet = pd.DataFrame(
        {"institution": names, "external_assets": 10.0, "external_liabilities": 5.0}
    )
    sheet.to_csv(tmp_path / "sheet.csv", index=False)
    out = tmp_path / "clearing.csv"
    capital = FIXTURES / "seed003_figure7_capital.csv"
    result = run(
        "risk",
        "contagion",
        edges,
        "-c",
        capital,
        "--clearing",
        tmp_path / "sheet.csv",
        "--out",
        out,
    )
    assert result.exit_code == 0, result.output
    assert len(pd.read_csv(out)) == len(names)
    sheet.iloc[:1].assign(external_assets="lots").to_csv(tmp_path / "bad.csv", index=False)
    refused(
        run("risk", "contagion", edges, "-c", capital, "--clearing", tmp_path / "bad.csv"),
        "bad.csv",
        "external_assets",
    )
    pd.concat([sheet, sheet.iloc[:1]]).to_csv(tmp_path / "twice.csv", index=False)
    refused(
        run("risk", "contagion", edges, "-c", capital, "--clearing", tmp_path / "twice.csv"),
        "twice.csv",
        "institution",
    )


def test_text_in_a_contagion_matrix_is_refused(tmp_path):
    (tmp_path / "m.csv").write_text("name,X,Y\nX,0,abc\nY,8,0\n")
    (tmp_path / "k.csv").write_text("institution,capital\nX,1\nY,5\n")
    refused(
        run("risk", "contagion", tmp_path / "m.csv", "-c", tmp_path / "k.csv", "--matrix"),
        "m.csv",
        "line 2",
        "'Y'",
    )


def test_cdm_bad_dates_and_text_numbers_are_refused(tmp_path):
    import json

    envelopes = json.loads((FIXTURES / "saccr_cdm_trades.json").read_text())
    text = json.dumps(envelopes).replace('"20', '"2O', 1)
    (tmp_path / "bad.json").write_text(text)
    refused(
        run("risk", "saccr", tmp_path / "bad.json", "--as-of", "2024-01-02", "--bank", "BANK"),
        "bad.json",
    )
    refused(
        run(
            "risk",
            "saccr",
            FIXTURES / "saccr_cdm_trades.json",
            "--as-of",
            "yesterday",
            "--bank",
            "BANK",
        ),
        "as-of",
    )


def test_an_internal_error_says_it_is_a_bug(monkeypatch):
    from glassledger.basket import cli as basket_cli

    def broken(*_args, **_kwargs):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(basket_cli, "_basket", broken)
    result = run("basket", "amounts")
    assert result.exit_code == EXIT_BUG
    assert "bug in glassledger" in result.output and "Traceback" not in result.output
    debug = RUN.invoke(app, ["--debug", "basket", "amounts"])
    assert debug.exit_code == EXIT_BUG and "Traceback" in debug.output


def test_docs_inputs_md_is_generated_from_the_schemas():
    """docs/inputs.md is `python -m glassledger.schemas` output: regenerate it after a change."""
    from glassledger.schemas._docs import markdown

    page = Path(__file__).parents[2] / "docs" / "inputs.md"
    assert page.read_text() == markdown()


def test_an_output_path_that_cannot_be_written_is_refused_not_a_bug(tmp_path):
    """An --out in a missing folder or naming a directory is the user's path: exit 1 with one
    line naming it, not the internal-error report (found by fuzzing path options)."""
    (tmp_path / "h.csv").write_text("currency,amount,start_day,maturity_day\nUSD,100,0,30\n")
    (tmp_path / "r.csv").write_text("date,USD\n2024-01-01,1\n")
    args = ("basket", "reserve", tmp_path / "h.csv", tmp_path / "r.csv", "--out")
    refused(run(*args, tmp_path / "missing" / "m.csv"), "missing", "no such folder")
    refused(run(*args, tmp_path), str(tmp_path), "a directory")


def test_a_date_the_strict_cast_refuses_names_its_row(tmp_path):
    """``-1`` parses leniently as the year -1, which datetime64[ns] cannot hold: pandera
    reported the failure with no row, and the boundary called it a bug (found by fuzzing)."""
    (tmp_path / "ext.csv").write_text("counterparty,as_of,rating\n007,2023-12-31,BBB\n8,-1,A\n")
    with pytest.raises(InputError, match="not a date") as error:
        read(tmp_path / "ext.csv", EXTERNAL_RATINGS)
    assert (error.value.line, error.value.field, error.value.value) == (3, "as_of", "-1")


def test_a_closed_output_pipe_stops_quietly(monkeypatch):
    """``glassledger ... | head``: when the reader goes away the command stops quietly (exit
    1, Click's convention), not with the internal-error report."""
    from glassledger.basket import cli as basket_cli

    def closed(*_args, **_kwargs):
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(basket_cli, "_basket", closed)
    result = run("basket", "amounts")
    assert result.exit_code == EXIT_REFUSED
    assert "internal error" not in result.output and "bug" not in result.output
