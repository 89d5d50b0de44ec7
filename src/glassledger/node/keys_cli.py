"""``glassledger keys``: participant key files of a node home.

* ``keys new ID --out FILE`` -- generate an Ed25519 key pair for participant ``ID`` and write
  it as a key file (mode 0600, sealed with ``--passphrase`` when given); prints the public key,
  which the regulator registers with ``identity.register`` (or ``identity.add_key``);
* ``keys add ID --from FILE --home H`` -- import that key file into the home
  (``H/keys/ID.json``): the node then signs for ``ID``, runs a consensus engine for it whenever
  governance elects it, and does its share of the authority draws;
* ``keys list --home H`` -- the key files of a home, with whether each public key is
  registered on the home's chain and to whom.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Annotated

import msgspec
import typer
from rich.console import Console
from rich.table import Table

from glassledger.errors import GlassledgerError, InputError
from glassledger.ledger.abi.names import is_participant_id
from glassledger.ledger.crypto import KeyPair, load_key, save_key
from glassledger.node.home import PASSPHRASE_ENV, Home
from glassledger.options import DEFAULT_HOME, HomeOption, in_file, out_file, participant, refuse

app = typer.Typer(
    rich_markup_mode="markdown", help="Participant key files of a node home.", no_args_is_help=True
)
console = Console()


def _check_id(participant: str) -> None:
    if not is_participant_id(participant):
        raise InputError(f"{participant!r} is not a participant id (see docs/ledger.md)")


@app.command("new")
def new(
    participant: Annotated[
        str, typer.Argument(parser=participant, help="Participant id the key is for.")
    ],
    out: Annotated[
        Path, typer.Option("--out", parser=out_file, help="Key file to write (must not exist).")
    ],
    passphrase: Annotated[
        str | None, typer.Option(help="Seal the key file with this passphrase.")
    ] = None,
) -> None:
    """Generate a key pair for PARTICIPANT; print its public key for registration."""
    try:
        _check_id(participant)
        if out.exists():
            raise InputError(f"{out} exists; choose a new file")
        keys = KeyPair.generate()
        save_key(out, keys, participant, passphrase)
    except GlassledgerError as exc:
        refuse(exc)
    console.print(f"{out}: key of {participant!r}, public key {keys.public.hex()}")


@app.command("add")
def add(
    participant: Annotated[
        str, typer.Argument(parser=participant, help="Participant id the key belongs to.")
    ],
    source: Annotated[
        Path, typer.Option("--from", parser=in_file, help="Key file (from `keys new`).")
    ],
    home: HomeOption = DEFAULT_HOME,
) -> None:
    """Import PARTICIPANT's key file into the home; the node then signs and seals for it."""
    h = Home(home)
    try:
        _check_id(participant)
        h.load_genesis()  # a home
        name, keys = load_key(source, os.environ.get(PASSPHRASE_ENV))
        if name != participant:
            raise InputError(f"{source} holds the key of {name!r}, not {participant!r}")
        target = h.key_file(participant)
        if target.exists():
            raise InputError(f"{target} exists: the home already holds a key for {participant!r}")
        holder = _registered_to(h, keys.public)
    except GlassledgerError as exc:
        refuse(exc)
    h.keys.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    target.chmod(0o600)
    status = (
        f"registered to {holder!r}" if holder else "not registered on this chain yet (register it)"
    )
    console.print(
        f"imported {participant!r} into {target}: public key {keys.public.hex()}, {status}"
    )


@app.command("list")
def list_keys(home: HomeOption = DEFAULT_HOME) -> None:
    """Key files of the home and the participant each public key is registered to."""
    h = Home(home)
    table = Table(title=f"keys of {h.path}")
    for column in ("participant", "public key", "registered to"):
        table.add_column(column)
    try:
        for participant in h.held_participants():
            public = _public_of(h.key_file(participant))
            table.add_row(participant, public.hex(), _registered_to(h, public) or "-")
    except GlassledgerError as exc:
        refuse(exc)
    console.print(table)


def _public_of(path: Path) -> bytes:
    import json

    return bytes.fromhex(json.loads(path.read_text())["public"])


def _registered_to(home: Home, public: bytes) -> str | None:
    """Participant id that ``public`` is registered to on the home's chain (``None``: none)."""
    chain = home.open_chain()
    try:
        raw = chain.state.get(b"identity/k/" + public.hex().encode())
    finally:
        chain.store.close()
    return None if raw is None else msgspec.msgpack.decode(raw)
