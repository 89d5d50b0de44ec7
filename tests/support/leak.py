"""Search every byte a non-recipient can read for a private plaintext (issue 9 section 5).

:func:`assert_nowhere` takes a node home (a directory), a chain harness
(:class:`~glassledger.node.clocked.ClockedChain`), a :class:`~glassledger.ledger.chain.Chain`
or a block store, and one or more plaintexts (``str`` or ``bytes``). It reads what any holder
of a chain copy reads:

* every block (canonical encoding: transactions and their arguments), certificate, receipt
  and event (data and the ``visible_to`` list) at every height, and the state at every height;
* when the store is SQLite: the database file and its ``-wal`` / ``-shm`` files, raw bytes;
* for a home: every file in it except the participants' own secrets (``keys/``,
  ``draw-seeds/``), and the output of ``glassledger block`` for every height and of
  ``export`` (the exported SQLite file and the command's output); ``glassledger state`` prints
  the state values searched above, decoded;

and asserts that no plaintext occurs in any of them, as raw bytes, as hex (how the CLI prints
bytes) or as a JSON string. Used for the monitor's warnings and for request-for-quote quotes.
:func:`find` returns where a plaintext occurs (for positive controls).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from glassledger.ledger import codec

SECRET_DIRS = ("keys", "draw-seeds")


def _forms(plaintext: str | bytes) -> list[bytes]:
    raw = plaintext.encode() if isinstance(plaintext, str) else plaintext
    forms = [raw, raw.hex().encode()]
    if isinstance(plaintext, str):
        forms.append(json.dumps(plaintext)[1:-1].encode())
    return [f for f in dict.fromkeys(forms) if f]


def _store_of(source: Any):
    if hasattr(source, "chain") and hasattr(source.chain, "store"):
        return source.chain.store
    if hasattr(source, "store") and hasattr(source, "state"):
        return source.store
    return source


def _store_bytes(store: Any) -> Iterator[tuple[str, bytes]]:
    for height in range(store.head_height() + 1):
        yield f"block {height}", codec.encode(store.get_block(height))
        yield f"certificate {height}", codec.encode(store.get_certificate(height))
        for index, receipt in enumerate(store.get_receipts(height)):
            yield f"receipt {height}/{index}", codec.encode(receipt)
        for key, value in store.state_at(height).items():
            yield f"state {height} {key!r}", key + b"=" + value
    for record in store.events():
        yield f"event {record.height}", codec.encode(record)
    path = getattr(store, "path", None)
    if path is not None:
        yield from _files([Path(path), Path(f"{path}-wal"), Path(f"{path}-shm")])


def _files(paths: list[Path]) -> Iterator[tuple[str, bytes]]:
    for path in paths:
        if path.is_file():
            yield str(path), path.read_bytes()


def _home_bytes(home: Path, workdir: Path) -> Iterator[tuple[str, bytes]]:
    from typer.testing import CliRunner

    from glassledger.cli import app
    from glassledger.ledger.sqlite_store import SQLiteStore

    files = [
        p
        for p in sorted(home.rglob("*"))
        if not any(part in SECRET_DIRS for part in p.relative_to(home).parts)
    ]
    yield from _files(files)
    runner = CliRunner()
    store = SQLiteStore.open(home / "chain.sqlite", readonly=True)
    try:
        yield from _store_bytes(store)
        head = store.head_height()
    finally:
        store.close()
    for height in range(head + 1):
        out = runner.invoke(app, ["block", str(height), "--home", str(home)])
        yield f"glassledger block {height}", out.output.encode()
    exported = workdir / "leak-search-export.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{exported}{suffix}").unlink(missing_ok=True)
    out = runner.invoke(app, ["export", str(exported), "--home", str(home)])
    assert out.exit_code == 0, out.output
    yield "glassledger export (output)", out.output.encode()
    yield from _files([exported, Path(f"{exported}-wal"), Path(f"{exported}-shm")])


def readable_bytes(source: Any, workdir: Path | None = None) -> Iterator[tuple[str, bytes]]:
    """``(where, bytes)`` of everything a non-recipient reads in ``source`` (module doc)."""
    if isinstance(source, str | Path):
        home = Path(source)
        yield from _home_bytes(home, workdir or home.parent)
    else:
        yield from _store_bytes(_store_of(source))


def find(source: Any, plaintext: str | bytes, workdir: Path | None = None) -> list[str]:
    """Where ``plaintext`` occurs (in any of its forms) in what ``source`` lets anyone read."""
    forms = _forms(plaintext)
    return [
        where for where, data in readable_bytes(source, workdir) if any(f in data for f in forms)
    ]


def assert_nowhere(source: Any, *plaintexts: str | bytes, workdir: Path | None = None) -> None:
    """Assert that no plaintext occurs anywhere a non-recipient can read (module doc)."""
    chunks = list(readable_bytes(source, workdir))
    assert chunks, "nothing to search"
    for plaintext in plaintexts:
        forms = _forms(plaintext)
        found = [where for where, data in chunks if any(f in data for f in forms)]
        assert not found, f"private plaintext {plaintext!r} readable in: {found[:10]}"
