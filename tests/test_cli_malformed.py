"""Every command of the Typer app, fed malformed input: never a traceback, never silent
acceptance of a value the declared schema refuses (issue 15, section 1).

Commands are discovered from the app, so a new command joins automatically:

* every path and free-text option and argument of every command declares its kind
  (:mod:`glassledger.options`: node home, new directory, output file, ISO date, host:port...)
  or is an input table or a text the command checks itself (:data:`FREE_TEXT`, with the
  reason); every option with a kind gets the values its kind must refuse (empty, missing or
  unwritable paths, a file where a directory is expected and the reverse, text for dates and
  addresses, out-of-range ports...) and must be refused with exit 1 and one line naming it;
  every free-text option gets empty, blank, huge and odd text and may be accepted or refused
  (in one line), never with a traceback;
* every numeric option of every command gets non-numbers, NaN, inf, negative, zero and huge
  values (commands that would start a server or a long run only get the values that must be
  refused before anything starts);
* every input file registered in :data:`FILES` (command, argument, its schema, a valid sample)
  is mutated: empty file, header only, a missing column, text / NaN / inf / negative / huge /
  blank values, bad and reversed dates, duplicated rows, ids with leading zeros. The oracle is
  the schema itself: if :func:`glassledger.schemas.read` refuses the file, the command must
  refuse it too (exit 1 and one error line naming the file); either way no traceback.
  :func:`test_every_file_argument_is_registered` fails when a command grows a file argument
  that is not in :data:`FILES`.
"""

from __future__ import annotations

import contextlib
import typing
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.main import get_command
from typer.testing import CliRunner

from glassledger.cli import EXIT_REFUSED, app
from glassledger.errors import InputError
from glassledger.options import KINDS
from glassledger.schemas import Table, read
from glassledger.schemas import basket as basket_tables
from glassledger.schemas import contagion as contagion_tables
from glassledger.schemas import credit as credit_tables
from glassledger.schemas import saccr as saccr_tables

RUN = CliRunner()
FIXTURES = Path(__file__).parent / "risk" / "fixtures"
BASKET_DATA = Path(__file__).parents[1] / "src" / "glassledger" / "basket" / "data"


def _commands(group, path=()):
    for name, command in sorted(group.commands.items()):
        if hasattr(command, "commands"):
            yield from _commands(command, (*path, name))
        else:
            yield (*path, name), command


COMMANDS = dict(_commands(get_command(app)))

#: Commands that start a server, a node, a network, a Dask cluster or a long run: they only
#: get option values that must be refused before anything starts.
LONG_RUNNING = {
    ("node",),
    ("serve",),
    ("follow",),
    ("index",),
    ("catch-up",),
    ("network", "up"),
    ("bench", "ledger"),
    ("demo",),
    ("liquidity", "sweep"),
    ("liquidity", "simulate"),
    ("liquidity", "ledger"),
    ("liquidity", "indicators"),
    ("agent", "valuation"),  # loops until a signal without --once
}
#: Values every numeric option must refuse, and values it may accept or refuse.
MUST_REFUSE = ["nan", "inf", "-inf", "abc", "1,5"]
MAY_REFUSE = ["-1", "0", "1e308", "-1e308", "1e-300"]


def _annotation(param) -> type | None:
    annotation = param.type_descriptor.annotation
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    return args[0] if args else annotation


def _numeric_options(command) -> list:
    return [
        p
        for p in command.params
        if p.param_type_name == "option" and _annotation(p) in (int, float) and p.opts
    ]


def _is_input_path(param) -> bool:
    """A Path parameter that names an input file (outputs, directories and homes excluded)."""
    if _annotation(param) is not Path:
        return False
    name = param.name
    return not (
        name in {"out", "html", "png", "home", "cache_dir", "store", "data_dir", "directory"}
        or name.endswith("_out")
        or name.endswith("_dir")
        or name in {"path", "db", "database", "key", "keys", "keyfile", "genesis", "config"}
    )


# -------------------------------------------------------------------------- file inputs
def _saccr_trades(tmp: Path) -> Path:
    frame = pd.read_csv(FIXTURES / "saccr_bcbs_annex4_trades.csv", dtype=str)
    frame.insert(1, "netting_set", "007")
    path = tmp / "trades.csv"
    frame.to_csv(path, index=False)
    return path


def _write(tmp: Path, name: str, text: str) -> Path:
    (tmp / name).write_text(text)
    return tmp / name


#: (command, parameter) -> (table, function building a valid sample in a directory).
FILES: dict[tuple[tuple[str, ...], str], tuple[Table, typing.Callable[[Path], Path]]] = {
    (("risk", "saccr"), "portfolio"): (saccr_tables.TRADES, _saccr_trades),
    (("risk", "saccr"), "netting_sets"): (
        saccr_tables.NETTING_SETS,
        lambda t: _write(t, "ns.csv", "netting_set,margined,variation_margin,mta\n007,true,50,5\n"),
    ),
    (("risk", "saccr"), "collateral"): (
        saccr_tables.COLLATERAL,
        lambda t: _write(
            t, "coll.csv", "netting_set,role,direction,amount,type\n007,VM,RECEIVED,10,CASH\n"
        ),
    ),
    (("risk", "el"), "exposures"): (
        credit_tables.EXPOSURES,
        lambda t: _write(
            t, "exp.csv", "counterparty,netting_set,ead,seniority\n007,N1,100,senior\n7,N2,5,\n"
        ),
    ),
    (("risk", "el"), "ratings"): (
        credit_tables.RATINGS,
        lambda t: _write(t, "rat.csv", "counterparty,rating\n007,BBB\n7,A\n"),
    ),
    (("risk", "ratings"), "trades"): (
        credit_tables.TRADE_HISTORY,
        lambda t: _write(
            t,
            "hist.csv",
            "counterparty,trade_id,closed_at,size,tenor_years,defaulted,recovery_rate\n"
            "007,01,2024-01-02,100,1,false,\n007,1,2024-03-01,50,2,true,0.4\n",
        ),
    ),
    (("risk", "ratings"), "external"): (
        credit_tables.EXTERNAL_RATINGS,
        lambda t: _write(t, "ext.csv", "counterparty,as_of,rating\n007,2023-12-31,BBB\n"),
    ),
    (("risk", "contagion"), "exposures"): (
        contagion_tables.EDGES,
        lambda t: Path(FIXTURES / "seed003_figure7_edges.csv"),
    ),
    (("risk", "contagion"), "capital"): (
        contagion_tables.CAPITAL,
        lambda t: Path(FIXTURES / "seed003_figure7_capital.csv"),
    ),
    (("risk", "contagion"), "clearing"): (
        contagion_tables.BALANCE_SHEET,
        lambda t: _write(
            t,
            "sheet.csv",
            "institution,external_assets,external_liabilities\n"
            + "".join(f"{n},10,5\n" for n in "ABCDEFG"),
        ),
    ),
    (("basket", "reserve"), "holdings"): (
        basket_tables.HOLDINGS,
        lambda t: _write(
            t,
            "hold.csv",
            "currency,amount,start_day,maturity_day,daily_liquid\nUSD,100,0,30,false\n"
            "EUR,50,0,10,true\n",
        ),
    ),
    (("basket", "reserve"), "usd_per_unit"): (
        basket_tables.RATES,
        lambda t: _write(t, "fx.csv", "date,USD,EUR\n2024-01-01,1,1.1\n2024-01-02,1,1.09\n"),
    ),
    (("basket", "screen"), "table"): (
        basket_tables.SCREENING,
        lambda t: BASKET_DATA / "screening_2018.csv",
    ),
    (("basket", "screen"), "reserves"): (
        basket_tables.RESERVE_SHARES,
        lambda t: BASKET_DATA / "reserve_shares_2018q4.csv",
    ),
    (("basket", "weights"), "indicators"): (
        basket_tables.INDICATORS,
        lambda t: BASKET_DATA / "indicators_2018.csv",
    ),
    (("basket", "inflation"), "table"): (
        basket_tables.INFLATION,
        lambda t: BASKET_DATA / "inflation_gdp_deflator.csv",
    ),
    (("basket", "value"), "quotes_file"): (
        basket_tables.RATES,
        lambda t: _write(
            t,
            "quotes.csv",
            "date,USD,EUR,JPY,GBP,CNY\n2024-01-02,1,1.09,141.5,1.27,7.1\n",
        ),
    ),
}
#: Extra arguments a command needs besides the file under test (names of other FILES
#: entries in braces are replaced by their valid samples).
EXTRA = {
    ("basket", "value"): ["--date", "2024-01-02"],
}
#: File arguments handled outside the table schemas, with the reason.
NOT_TABLES = {
    (("risk", "saccr"), "portfolio"): "also accepts CDM JSON (tested in tests/schemas)",
    (("risk", "saccr"), "margin_agreements"): "needs trades naming it; test_agreements.py",
    (("risk", "el"), "terms"): "changes EXPOSURES to SA-CCR output; see test_credit_cli.py",
    (("liquidity", "indicators"), "srf_file"): "FRED CSV read by liquidity.data",
    (("governance", "odds"), "scores_csv"): "candidate scores, checked by governance odds",
    (("agent", "valuation"), "market"): "JSON market file; tests/pricing/test_agent_cli.py",
    (("repository", "reconcile"), "report_file"): "needs a node home; tests/reporting/test_cli.py",
    (("repository", "attest"), "report_file"): "needs a node home; tests/reporting/test_cli.py",
}


def _options(param) -> str:
    return max(param.opts, key=len)


def _valid_args(
    tmp: Path, command: tuple[str, ...], replace: dict[str, Path] | None = None
) -> list[str]:
    """A command line that runs: every registered file argument with its valid sample (or
    the file in ``replace``), in the command's parameter order."""
    replace = replace or {}
    args: list[str] = []
    for param in COMMANDS[command].params:
        entry = FILES.get((command, param.name))
        if entry is None:
            continue
        path = str(replace.get(param.name) or entry[1](tmp))
        args += [path] if param.param_type_name == "argument" else [_options(param), path]
    for item in EXTRA.get(command, []):
        if item.startswith("{"):
            name = item.strip("{}")
            args.append(str(replace.get(name) or FILES[(command, name)][1](tmp)))
        else:
            args.append(item)
    return args


def _no_traceback(result) -> None:
    assert result.exit_code in (0, EXIT_REFUSED), result.output
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )


# --------------------------------------------------------------------------------- tests
def test_commands_are_discovered():
    assert ("risk", "saccr") in COMMANDS and ("basket", "reserve") in COMMANDS
    assert len(COMMANDS) >= 40


def test_every_file_argument_is_registered():
    """A new command that reads a file must declare its table here (or say why not)."""
    unregistered = [
        (command, p.name)
        for command, cmd in COMMANDS.items()
        for p in cmd.params
        if _is_input_path(p)
        and (command, p.name) not in FILES
        and (command, p.name) not in NOT_TABLES
        and command[0] not in {"init", "node", "tx", "network", "keys", "bench", "export"}
        and command[0] not in {"receipt", "chain", "block", "state", "proof", "verify", "serve"}
        and command[0] not in {"follow", "index", "report-fork", "catch-up"}
    ]
    assert not unregistered, f"register these input files in FILES: {unregistered}"


NUMERIC = [
    (command, _options(p))
    for command, cmd in sorted(COMMANDS.items())
    for p in _numeric_options(cmd)
]


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    target=st.sampled_from(NUMERIC),
    value=st.sampled_from(MUST_REFUSE + MAY_REFUSE),
)
def test_numeric_options_never_crash(tmp_path_factory, target, value):
    command, option = target
    tmp = tmp_path_factory.mktemp("opt")
    if command in LONG_RUNNING and value in MAY_REFUSE:
        value = "nan" if value != "-1" else "abc"
    args = [*command, *_valid_args(tmp, command), f"{option}={value}"]
    with contextlib.chdir(tmp):  # default outputs (report.csv, runs/...) land in tmp
        result = RUN.invoke(app, args)
    _no_traceback(result)
    if value in MUST_REFUSE:
        assert result.exit_code == EXIT_REFUSED, (args, result.output)


def _mutations(frame: pd.DataFrame) -> st.SearchStrategy:
    columns = list(frame.columns)
    cell = st.tuples(
        st.just("cell"),
        st.integers(0, max(len(frame) - 1, 0)),
        st.sampled_from(columns),
        st.sampled_from(
            [
                "",
                "abc",
                "NaN",
                "nan",
                "inf",
                "-inf",
                "-1",
                "0",
                "1e308",
                "-5e9",
                "2024-13-45",
                "1999-01-01",
                "False",
                "maybe",
                "007",
                " ",
            ]
        ),
    )
    return st.one_of(
        st.just(("empty",)),
        st.just(("header",)),
        st.tuples(st.just("drop"), st.sampled_from(columns)),
        st.tuples(st.just("duplicate"), st.integers(0, max(len(frame) - 1, 0))),
        st.just(("reverse",)),
        st.tuples(st.just("extra"), st.sampled_from(["colour", "mtm ", "USD"])),
        cell,
    )


def _apply(frame: pd.DataFrame, mutation: tuple, path: Path) -> None:
    kind = mutation[0]
    if kind == "empty":
        path.write_text("")
        return
    if kind == "header":
        frame = frame.iloc[:0]
    elif kind == "drop":
        frame = frame.drop(columns=mutation[1])
    elif kind == "duplicate":
        frame = pd.concat([frame, frame.iloc[[mutation[1]]]])
    elif kind == "reverse":
        frame = frame.iloc[::-1]
    elif kind == "extra":
        frame = frame.assign(**{mutation[1]: "1"})
    else:
        _, row, column, value = mutation
        frame = frame.copy()
        frame.iloc[row, frame.columns.get_loc(column)] = value
    frame.to_csv(path, index=False)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data(), target=st.sampled_from(sorted(FILES)))
def test_malformed_files_are_refused_cleanly(tmp_path_factory, data, target):
    command, name = target
    table, build = FILES[target]
    tmp = tmp_path_factory.mktemp("file")
    sample = pd.read_csv(build(tmp), dtype=str, keep_default_na=False)
    mutation = data.draw(_mutations(sample), label="mutation")
    bad = tmp / f"bad-{name}.csv"
    _apply(sample, mutation, bad)
    try:
        read(bad, table)
        schema_refuses = False
    except InputError:
        schema_refuses = True
    args = [*command, *_valid_args(tmp, command, replace={name: bad})]
    result = RUN.invoke(app, args)
    _no_traceback(result)
    if schema_refuses:
        assert result.exit_code == EXIT_REFUSED, (mutation, result.output)
        assert bad.name in result.output, (mutation, result.output)


@pytest.mark.parametrize("target", sorted(FILES), ids=lambda t: f"{' '.join(t[0])}:{t[1]}")
def test_valid_samples_run(tmp_path, target):
    """The oracle's baseline: each registered command runs on its valid samples."""
    command, _name = target
    result = RUN.invoke(app, [*command, *_valid_args(tmp_path, command)])
    assert result.exit_code == 0, result.output


# ------------------------------------------------------------------- option kinds and text
def _kind(param) -> str | None:
    return getattr(param.type_descriptor.parameter_info.parser, "kind", None)


def _base(param):
    annotation = _annotation(param)
    args = typing.get_args(annotation)
    return args[0] if typing.get_origin(annotation) is list and args else annotation


#: Free-text parameters (by name) that the command itself checks, with the reason; every
#: other path or text parameter must declare a kind of glassledger.options.
FREE_TEXT = {
    "contract": "a contract name, refused by the ledger when unknown",
    "method": "a method name, refused by the ledger when unknown",
    "args": "a JSON object, decoded by tx",
    "key": "a state key (any text)",
    "tx_hash": "a transaction hash in hex, decoded by receipt",
    "path": "an API path (any text; the server answers 404)",
    "passphrase": "any text",
    "param": "NAME=VALUE pairs, parsed by the command",
    "basket": "a shipped basket name, checked against the list",
    "basket_per_unit": "CCY=VALUE pairs, parsed by the command",
    "usd_per_unit": "CCY=VALUE pairs, parsed by the command",
    "yld": "CCY=VALUE pairs, parsed by the command",
    "quote": "CCY=VALUE pairs, parsed by the command",
    "fx_rate": "CCY=VALUE pairs, parsed by the command",
    "surge": "a currency of the basket, checked against it",
    "statistic": "a statistic name, checked against the list",
    "per_usd": "currency codes, checked against the quotes",
    "trade": "a trade indicator name, checked against the list",
    "scenario": "a scenario name, checked against the list",
    "source": "a scenario file or a shipped scenario name",
    "stress": "a dealer_default scenario file or shipped name, checked by the demo",
    "variant": "a lottery variant, checked against the list",
    "postgres": "a PostgreSQL DSN (the driver refuses a bad one)",
    "regime": "a regime name, checked against the list",
    "default": "institution names, checked against the network",
    "weights": "a DebtRank weighting, checked against the list",
    "bank": "the bank's party id in the CDM file (any text)",
    "node": "node names of a network (network up/down), checked against its configuration",
}

#: Values each kind must refuse ({file}: an existing file; {dir}: an existing directory
#: that is not a node home; {missing}: a path that does not exist; {under}: a path under a
#: file).
REFUSED = {
    "node_home": ["", "{missing}", "{file}", "{dir}"],
    "key_home": ["", "{missing}", "{file}"],
    "store_home": ["", "{missing}", "{file}", "{dir}"],
    "new_dir": ["", "{file}", "{under}"],
    "existing_dir": ["", "{missing}", "{file}"],
    "out_file": ["", "{dir}", "{under}"],
    "out_path": ["", "{under}"],
    "in_file": ["", "{missing}", "{dir}"],
    "iso_date": ["", "abc", "2024-13-45", "-1", "2024-02-30"],
    "host": ["", "a b", "x" * 300, "a:b", "-x"],
    "address": ["", "abc", "host:0", "host:99999", ":80", "a b:80"],
    "participant": ["", " x", "a/b", "x" * 100, "../x"],
    "currency": ["", "US", "1234", "U$D"],
}
ODD_TEXT = ["", " ", "abc", "-1", "x" * 300, "a:b:c", "=", "../.."]

#: Valid positional arguments of commands whose arguments are not registered FILES
#: ({home}: the node home of the test; {dir}/{file}/{new}: an existing directory, an
#: existing file, a path to create).
ARGUMENTS = {
    ("block",): ["0"],
    ("state",): ["x"],
    ("proof",): ["x"],
    ("receipt",): ["00" * 32],
    ("tx",): ["token", "transfer"],
    ("query",): ["/v1/status"],
    ("keys", "add"): ["p1"],
    ("keys", "new"): ["p9"],
    ("report",): ["{dir}"],
    ("report-fork",): ["{file}", "{file}"],
    ("catch-up",): ["{home}/chain.sqlite"],
    ("export",): ["{new}"],
    ("follow",): ["{new}"],
    ("scenario", "run"): ["repo_squeeze"],
    ("scenario", "sweep"): ["repo_squeeze"],
}


@pytest.fixture(scope="module")
def node_home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("home") / "h"
    result = RUN.invoke(app, ["init", "--home", str(home)])
    assert result.exit_code == 0, result.output
    return home


def _places(tmp: Path, home: Path) -> dict[str, str]:
    (tmp / "afile").write_text("x\n")
    (tmp / "adir").mkdir(exist_ok=True)
    return {
        "{home}": str(home),
        "{file}": str(tmp / "afile"),
        "{dir}": str(tmp / "adir"),
        "{missing}": str(tmp / "missing" / "nothing"),
        "{under}": str(tmp / "afile" / "sub"),
        "{new}": str(tmp / "new.sqlite"),
    }


def _fill(text: str, places: dict[str, str]) -> str:
    for key, value in places.items():
        text = text.replace(key, value)
    return text


def _command_line(tmp: Path, home: Path, command: tuple[str, ...], option) -> list[str]:
    """A valid command line for ``command`` without ``option`` (a valid home for --home)."""
    places = _places(tmp, home)
    args = [*command, *(_fill(a, places) for a in ARGUMENTS.get(command, []))]
    args += _valid_args(tmp, command)
    names = {p.name for p in COMMANDS[command].params}
    if "home" in names and option.name != "home":
        args += ["--home", str(home)]
    return args


def test_every_path_and_text_parameter_declares_a_kind():
    """A new path or text option joins the fuzz below by declaring its kind (or FREE_TEXT)."""
    missing = [
        (command, p.name)
        for command, cmd in COMMANDS.items()
        for p in cmd.params
        if _base(p) in (Path, str)
        and _kind(p) is None
        and p.name not in FREE_TEXT
        and (command, p.name) not in FILES
        and (command, p.name) not in NOT_TABLES
    ]
    assert not missing, (
        f"give these a kind of glassledger.options, or a FREE_TEXT reason: {missing}"
    )
    assert set(REFUSED) == set(KINDS), "every kind needs its refused values here"


def test_every_required_argument_has_a_value():
    missing = [
        command
        for command, cmd in COMMANDS.items()
        for p in cmd.params
        if p.param_type_name == "argument"
        and p.required
        and command not in ARGUMENTS
        and (command, p.name) not in FILES
    ]
    assert not missing, f"give these commands valid arguments in ARGUMENTS: {missing}"


KINDED = [
    (command, p.name, _kind(p))
    for command, cmd in sorted(COMMANDS.items())
    for p in cmd.params
    if _kind(p) is not None and p.param_type_name == "option"
]
TEXT = [
    (command, p.name)
    for command, cmd in sorted(COMMANDS.items())
    for p in cmd.params
    if p.name in FREE_TEXT and p.param_type_name == "option" and command not in LONG_RUNNING
]


def _param(command, name):
    return next(p for p in COMMANDS[command].params if p.name == name)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data(), target=st.sampled_from(KINDED))
def test_option_values_of_every_kind_are_refused_in_one_line(
    tmp_path_factory, node_home, data, target
):
    """Refused while the command line is parsed, so nothing starts (servers, nodes, runs)."""
    command, name, kind = target
    tmp = tmp_path_factory.mktemp("kind")
    param = _param(command, name)
    value = _fill(data.draw(st.sampled_from(REFUSED[kind]), label="value"), _places(tmp, node_home))
    args = [*_command_line(tmp, node_home, command, param), f"{_options(param)}={value}"]
    with contextlib.chdir(tmp):  # default outputs (report.csv, runs/...) land in tmp
        result = RUN.invoke(app, args)
    _no_traceback(result)
    lines = result.output.strip().splitlines()
    assert result.exit_code == EXIT_REFUSED, (args, result.output)
    assert len(lines) == 1 and _options(param) in lines[0], (args, result.output)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(target=st.sampled_from(TEXT), value=st.sampled_from(ODD_TEXT))
def test_free_text_options_never_crash(tmp_path_factory, node_home, target, value):
    command, name = target
    tmp = tmp_path_factory.mktemp("text")
    param = _param(command, name)
    args = [*_command_line(tmp, node_home, command, param), f"{_options(param)}={value}"]
    with contextlib.chdir(tmp):  # default outputs (report.csv, runs/...) land in tmp
        result = RUN.invoke(app, args)
    _no_traceback(result)
    if result.exit_code == EXIT_REFUSED:  # a refusal is one line, whoever prints it
        assert len(result.output.strip().splitlines()) == 1, (args, result.output)
