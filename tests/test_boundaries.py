"""The two worlds, checked statically: the deterministic core imports nothing off-ledger, and
contract code imports no clock, randomness or I/O (DESIGN.md, "Two worlds, one direction")."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import glassledger

PACKAGE = Path(glassledger.__file__).parent
#: The deterministic state machine: what every node replays byte for byte.
CORE = [
    *sorted((PACKAGE / "contracts").glob("*.py")),
    *(
        PACKAGE / "ledger" / f"{name}.py"
        for name in (
            "authorities",
            "block",
            "chain",
            "codec",
            "crypto",
            "execution",
            "merkle",
            "params",
            "state",
            "tx",
        )
    ),
    *sorted((PACKAGE / "ledger" / "abi").glob("*.py")),
    PACKAGE / "ledger" / "consensus" / "messages.py",
    PACKAGE / "node" / "genesis.py",
]
OFF_LEDGER = (
    "glassledger.risk",
    "glassledger.basket",
    "glassledger.liquidity",
    "glassledger.sim",
    "glassledger.tables",
    "glassledger.schemas",
    "glassledger.demo",
    "glassledger.cli",
)
#: Modules contract code must not use: wall clock, randomness, I/O, threads, processes.
NONDETERMINISTIC = {
    "time",
    "datetime",
    "random",
    "secrets",
    "os",
    "io",
    "socket",
    "sqlite3",
    "threading",
    "multiprocessing",
    "subprocess",
    "uuid",
    "pathlib",
    "urllib",
}


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


@pytest.mark.parametrize("path", CORE, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_core_imports_nothing_off_ledger(path):
    bad = {m for m in _imports(path) if m.startswith(OFF_LEDGER)}
    assert not bad, f"{path.name} imports off-ledger modules {sorted(bad)}"


@pytest.mark.parametrize("path", sorted((PACKAGE / "contracts").glob("*.py")), ids=lambda p: p.name)
def test_contracts_use_no_clock_randomness_or_io(path):
    bad = {m for m in _imports(path) if m.split(".")[0] in NONDETERMINISTIC}
    assert not bad, f"{path.name} imports {sorted(bad)}"


def test_core_list_names_real_files():
    assert all(path.is_file() for path in CORE)
