# ruff: noqa: E501  (the option-kind table of docs/inputs.md is Markdown, one row a line)
"""``docs/inputs.md`` generated from the declared tables (``python -m glassledger.schemas``);
a test keeps the file equal to this output."""

from __future__ import annotations

from glassledger.schemas import (
    basket,
    contagion,
    credit,
    governance,
    liquidity,
    repository,
    saccr,
)
from glassledger.schemas._core import Table, describe

INTRO = """\
# Inputs: every table glassledger reads

Generated from the schema objects in `glassledger.schemas` by
`python -m glassledger.schemas > docs/inputs.md`; a test keeps this page equal to them. Every
command and every Python function that takes one of these tables checks it with the same
schema (pandera), so the rules below hold everywhere.

## Rules for every table

* **Files**: `.csv` (UTF-8, header on line 1) or `.parquet`. Errors name the file, the line
  (header = line 1), the row's id where it has one, the field, the value, and what to do.
* **Identifiers are text**: `007`, `7` and `07` are three different ids; surrounding spaces
  are removed.
* **Blank is not NaN**: a blank cell takes the column's default (`required` columns have
  none). In a CSV file the text `NaN`, `inf` or `-inf` in a number column is an error, never
  a default. In a DataFrame or Parquet file NaN/None is pandas' blank marker and counts as a
  blank cell; `inf` is always an error.
* **Flags**: `true/false`, `yes/no`, `t/f`, `y/n`, `1/0` in any case (`"False"` is false);
  anything else is an error.
* **Codes** (currencies, asset classes, positions...) are read in upper case.
* **Dates**: ISO `YYYY-MM-DD`. Tables indexed by date or year must be in increasing order,
  each date once.
* **Unknown columns** are refused in strict tables (a misspelt optional column would
  otherwise be ignored); tables marked *open* keep other columns (such as the rest of an
  SA-CCR output).

## Exit codes (every command)

| code | meaning |
|---|---|
| 0 | done |
| 1 | refused: bad input file, option value or command line (one line on stderr) |
| 70 | internal error, a bug: please report it; `glassledger --debug ...` shows the traceback |

## Option values (every command)

Each path or free-text option declares what its text means, once, in
`glassledger.options`; the value is checked while the command line is parsed, before
anything runs (no server, node or simulation starts on a bad value), and a bad value is one
line naming the command and the option, exit code 1:

| kind | accepted | refused |
|---|---|---|
| node home (`--home`) | a directory holding `genesis.toml` | empty, missing, a file, a directory that is not a home |
| store home (`index --home`) | a directory holding `chain.sqlite` | empty, missing, a file, a directory without a store |
| key home (`tx --home`, `query --home`, `agent valuation --home`) | an existing directory (its `keys/` holds the key) | empty, missing, a file |
| new directory (`init --home`, `network init --dir`, `--out` run folders) | an existing writable directory, or one that can be created | empty, a file, a path under a file |
| output file (`--out`, `--html`, `--png`...) | an existing writable file (overwritten), or a new one in a writable directory | empty, a directory, a path under a file |
| input file (`--config`, `--genesis`, `--checkpoint`...) | an existing file | empty, missing, a directory |
| date (`--start`, `--end`, `--as-of`, `--date`) | `YYYY-MM-DD`, a real calendar day | anything else |
| address (`--node`, `--scheduler`, `--address`) | `host:port`, port 1-65535, optional scheme (`tcp://`, `http://`) | no port, port 0 or above 65535, a bad host name |
| host (`serve --host`) | a host name or IP address | empty, spaces, a label over 63 characters; a host this machine cannot listen on, or a port in use, is refused before the server starts |
| participant (`--sender`, `--as`, `--regulator`) | letters, digits, `.`, `_`, `-`; at most 64; starting with a letter or digit | anything else |
| currency (`--reporting-currency`) | three letters | anything else |

Input tables are checked by their schemas below. Other free text (contract and method
names, JSON arguments, scenario and basket names, `CCY=value` pairs) is checked by its
command.
"""


def _table_md(table: Table) -> str:
    frame = describe(table)
    lines = [
        f"### {table.name}",
        "",
        table.doc,
        "",
        "*open table: other columns are kept*" if not table.strict or table.pattern else "",
        "",
        "| column | type | default | rules | meaning |",
        "|---|---|---|---|---|",
    ]
    for row in frame.itertuples(index=False):
        cells = [str(v).replace("|", "\\|") for v in row]
        lines.append("| `" + cells[0] + "` | " + " | ".join(cells[1:]) + " |")
    if table.rules:
        lines += ["", "Row rules:", ""]
        lines += [f"* `{rule.field}`: refused when {rule.message}" for rule in table.rules]
    if table.index:
        lines += ["", f"Rows are keyed by `{table.index}` (each once, in increasing order)."]
    return "\n".join(line for line in lines if line is not None) + "\n"


SECTIONS = (
    ("SA-CCR (`glassledger risk saccr`)", saccr),
    ("Expected loss and ratings (`glassledger risk el`, `risk ratings`)", credit),
    ("Contagion (`glassledger risk contagion`)", contagion),
    ("Basket analytics (`glassledger basket ...`)", basket),
    ("Liquidity (`glassledger liquidity ...`)", liquidity),
    ("Governance (`glassledger governance odds`)", governance),
    ("Trade repository (`glassledger repository reconcile`)", repository),
)


def markdown() -> str:
    parts = [INTRO]
    for title, module in SECTIONS:
        parts.append(f"\n## {title}\n")
        for table in vars(module).values():
            if isinstance(table, Table):
                parts.append("\n" + _table_md(table))
    return "".join(parts).replace("\n\n\n", "\n\n")
