"""End-to-end: the ``glassledger basket`` commands on the shipped data."""

from typer.testing import CliRunner

from glassledger.cli import app

runner = CliRunner()


def run(*args):
    result = runner.invoke(app, ["basket", *args], env={"COLUMNS": "200"})
    return result.exit_code, result.output


def test_screen_top_four():
    code, output = run("screen", "--top", "4")
    assert code == 0
    for currency in ("USD", "EUR", "JPY", "GBP"):
        assert currency in output
    assert "CNY" not in output


def test_weights_formula_and_published():
    code, output = run("weights", "--trade", "gdp")
    assert code == 0 and "IMF 2015 formula" in output
    code, output = run("weights", "--basket", "sdr-2022")
    assert code == 0 and "0.4338" in output


def test_value_reproduces_the_imf_valuation_of_2022_11_29():
    # IMF SDR Valuation page, Nov 29, 2022: US$1.00 = SDR 0.760890, SDR1 = US$1.314250.
    quotes = ["CNY=7.1695", "EUR=1.03815", "JPY=137.96", "GBP=1.20235"]
    code, output = run("value", "--date", "2022-11-29", *[f"--quote={q}" for q in quotes])
    assert code == 0
    assert "0.76089" in output and "1.31425" in output


def test_interest_rate_week_of_2024_07_29():
    # IMF SDR Interest Rate Calculation page, week of Jul 29, 2024: 3.942%.
    rates = ["CNY=0.103987", "EUR=0.818719", "JPY=0.00489568", "GBP=0.970514", "USD=0.753885"]
    yields = ["CNY=1.3979", "EUR=3.473694", "JPY=0.05", "GBP=5.17123", "USD=5.3"]
    args = [f"--basket-per-unit={r}" for r in rates] + [f"--yield={y}" for y in yields]
    code, output = run("interest", *args)
    assert code == 0 and "3.942%" in output


def test_each_kind_of_rate_has_its_own_option_name():
    # Three meanings of "rate": US dollars per unit, basket units per unit, interest rates.
    # No basket command takes a bare --rate any more.
    for command in ("amounts", "interest", "drift", "value"):
        code, output = run(command, "--help")
        assert code == 0 and "--rate " not in output and "--rates " not in output
    assert "--usd-per-unit" in run("amounts", "--help")[1]
    assert "--usd-per-unit" in run("drift", "--help")[1]
    assert "--basket-per-unit" in run("interest", "--help")[1]
    assert run("amounts", "--rate", "EUR=1.1")[0] == 1  # usage errors exit 1 like all refusals
    # Fixing libra-2019's amounts at exchange rates in US dollars per unit.
    usd = ["EUR=1.10", "JPY=0.0093023", "GBP=1.24", "SGD=0.725"]
    code, output = run("amounts", "--basket", "libra-2019", *[f"--usd-per-unit={u}" for u in usd])
    assert code == 0 and "SGD" in output


def test_drift_and_errors(tmp_path):
    chart = tmp_path / "pool.html"
    code, output = run("drift", "--html", str(chart))
    assert code == 0 and "single-currency delivery" in output
    assert "share of pool value" in chart.read_text()
    code, output = run("weights", "--basket", "nope")
    assert code == 1 and "unknown basket" in output


def test_inflation_comparison_on_shipped_world_bank_data():
    code, output = run("inflation", "--start", "1971", "--end", "2017")
    assert code == 0
    assert "GBP 1975 25.8%" in output and "basket" in output


def test_reserve_metrics_from_csv_files(tmp_path):
    holdings = tmp_path / "holdings.csv"
    holdings.write_text(
        "currency,amount,start_day,maturity_day,reset_period,daily_liquid,weekly_liquid\n"
        "USD,100,0,10,0,True,True\n"
        "EUR,50,0,40,7,False,False\n"
    )
    rates = tmp_path / "rates.csv"
    rates.write_text("date,USD,EUR\n2024-01-01,1.0,2.0\n2024-01-05,1.0,2.0\n")
    out = tmp_path / "metrics.csv"
    code, output = run("reserve", str(holdings), str(rates), "--out", str(out))
    assert code == 0 and "wam_days" in output
    import pandas as pd

    metrics = pd.read_csv(out, index_col=0)
    assert len(metrics) == 5  # calendar days, holidays carried forward
    assert metrics["wam_days"].iloc[0] == 8.5
