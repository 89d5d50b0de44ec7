"""The kinds of command-line option values, declared once.

A command declares what an option's text *means* (a node home, a new directory, an output
file, an ISO date, a ``host:port`` address, a host name, a participant id) by giving it one
of the parsers below (or one of the ready-made ``Annotated`` types). The value is checked
while the command line is parsed, before anything runs; a bad value is a usage error, which
the error boundary (:mod:`glassledger.cli`) prints as one line naming the option, with exit
code 1. ``tests/test_cli_malformed.py`` checks that every path and free-text option of every
command declares a kind here (or is an input table checked by its schema), and feeds every
option values its kind must refuse.

:func:`refuse` is the one way a command that catches an error itself reports it: one line
on stderr (never wrapped at the terminal's width), exit code 1, as the boundary does.

Only typer and the standard library are imported, so every
layer's CLI can use this module.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

#: The default node home of every command (``./.glassledger``).
DEFAULT_HOME = Path(".glassledger")
HOME_ENV = "GLASSLEDGER_HOME"

#: Every kind, by name; a callback is recognised as a kind through this table.
KINDS: dict[str, Callable[..., Any]] = {}


def _kind(function: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Register ``function`` as a kind. It is given to ``typer.Option(parser=...)`` (or
    ``typer.Argument``), so it sees the text as typed (an empty ``--out=`` is ``""``, not
    ``Path(".")``) and each item of a repeated option; defaults go through it too."""

    def check(value: Any) -> Any:
        return None if value is None else function(value)

    check.__name__ = function.__name__
    check.__doc__ = function.__doc__
    check.kind = function.__name__  # type: ignore[attr-defined]
    check.plain = function  # type: ignore[attr-defined]
    KINDS[function.__name__] = check
    return check


def _refuse(message: str) -> typer.BadParameter:
    return typer.BadParameter(message)


def _path(value: Any) -> Path:
    text = str(value)
    if not text.strip():
        raise _refuse("an empty path (give a file or directory name)")
    if "\x00" in text:
        raise _refuse("a path cannot contain a NUL character")
    return Path(text)


def _existing_ancestor(path: Path) -> Path:
    """The nearest part of ``path`` that exists (itself, or a parent; ``.`` at worst)."""
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return Path(".")


def _creatable(path: Path, what: str) -> None:
    """``path`` does not exist yet: it can be created only under a writable directory."""
    base = _existing_ancestor(path.absolute())
    if not base.is_dir():
        raise _refuse(f"{base} is a file, so the {what} {path} cannot be created under it")
    if not os.access(base, os.W_OK | os.X_OK):
        raise _refuse(f"no permission to create the {what} {path} in {base}")


def _directory(value: Any, advice: str) -> Path:
    """``value`` as the path of an existing directory; refused with what it is instead and
    ``advice`` (``{path}`` in it stands for the path)."""
    path = _path(value)
    if not path.is_dir():
        state = "is a file" if path.exists() else "does not exist"
        raise _refuse(f"{path} {state}: {advice.format(path=path)}")
    return path


@_kind
def node_home(value: Any) -> Path:
    """An existing node home: a directory holding ``genesis.toml``."""
    path = _directory(
        value,
        "not a node home (create one with `glassledger init --home {path}`, or "
        "`glassledger demo --home {path}`)",
    )
    if not (path / "genesis.toml").is_file():
        raise _refuse(
            f"{path} is not a node home (no genesis.toml): create one with "
            f"`glassledger init --home {path}`"
        )
    return path


@_kind
def store_home(value: Any) -> Path:
    """An existing directory holding a block store (``chain.sqlite``), as the indexer reads."""
    path = _path(value)
    if not (path / "chain.sqlite").is_file():
        state = "is a file" if path.is_file() else "does not exist" if not path.exists() else ""
        where = f"{path} {state}".strip() if state else f"{path} has no chain.sqlite"
        raise _refuse(f"{where}: give a node home holding the block store (chain.sqlite)")
    return path


@_kind
def key_home(value: Any) -> Path:
    """An existing directory holding key files (a node home, or a client's key folder)."""
    return _directory(value, "give the directory holding the keys/ folder")


@_kind
def currency(value: Any) -> str:
    """An ISO 4217 currency code: three letters (read in upper case)."""
    text = str(value).strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", text):
        raise _refuse(f"{str(value)[:60]!r} is not a currency code (three letters, such as USD)")
    return text


@_kind
def new_dir(value: Any) -> Path:
    """A directory to create or fill: an existing directory, or a path that can be made."""
    path = _path(value)
    if path.exists():
        if not path.is_dir():
            raise _refuse(f"{path} is a file, not a directory")
        if not os.access(path, os.W_OK | os.X_OK):
            raise _refuse(f"no permission to write in {path}")
        return path
    _creatable(path, "directory")
    return path


@_kind
def existing_dir(value: Any) -> Path:
    """An existing directory to read (a run directory, a cache)."""
    return _directory(value, "give an existing directory")


@_kind
def out_file(value: Any) -> Path:
    """A file to write: an existing file (overwritten) or a new one in a writable directory."""
    path = _path(value)
    if path.is_dir():
        raise _refuse(f"{path} is a directory: give a file name")
    if path.exists():
        if not os.access(path, os.W_OK):
            raise _refuse(f"no permission to write {path}")
        return path
    _creatable(path, "file")
    return path


@_kind
def out_path(value: Any) -> Path:
    """A file or a directory to write (the command decides by the name's suffix)."""
    path = _path(value)
    if path.exists():
        if not os.access(path, os.W_OK):
            raise _refuse(f"no permission to write {path}")
        return path
    _creatable(path, "output")
    return path


@_kind
def in_file(value: Any) -> Path:
    """An existing file to read."""
    path = _path(value)
    if path.is_dir():
        raise _refuse(f"{path} is a directory: give a file")
    if not path.is_file():
        raise _refuse(f"{path} does not exist")
    return path


@_kind
def iso_date(value: Any) -> str:
    """A calendar date written ``YYYY-MM-DD``."""
    text = str(value).strip()
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise _refuse(f"{text!r} is not a date (write YYYY-MM-DD)")
    try:
        dt.date.fromisoformat(text)
    except ValueError as error:
        raise _refuse(f"{text!r} is not a date: {error}") from None
    return text


_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")


def _check_host(text: str) -> str:
    if not text:
        raise _refuse("an empty host name")
    if text.startswith("[") and text.endswith("]"):  # IPv6 literal
        inner = text[1:-1]
        if not re.fullmatch(r"[0-9A-Fa-f:.]+", inner):
            raise _refuse(f"{text!r} is not an IPv6 address")
        return text
    if len(text) > 253 or not all(_LABEL.fullmatch(label) for label in text.split(".")):
        raise _refuse(
            f"{text[:60]!r} is not a host name or IP address (letters, digits, '-' and '.'; "
            "labels of at most 63 characters)"
        )
    return text


@_kind
def host(value: Any) -> str:
    """A host name or IP address to listen on or connect to."""
    return _check_host(str(value).strip())


@_kind
def address(value: Any) -> str:
    """A network address ``host:port``, optionally with a scheme (``tcp://``, ``http://``...);
    Dask's in-process ``inproc://...`` addresses are kept as given."""
    text = str(value).strip()
    scheme, has_scheme, rest = text.partition("://")
    if not has_scheme:
        rest = text
    elif scheme == "inproc" and rest:
        return text
    name, sep, port = rest.rstrip("/").rpartition(":")
    if not sep or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise _refuse(f"{text[:60]!r} is not host:port (port 1-65535)")
    _check_host(name)
    return text


_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


@_kind
def participant(value: Any) -> str:
    """A participant id: letters, digits, '.', '_' and '-', at most 64, starting with a
    letter or digit (it names a key file)."""
    text = str(value)
    if not _NAME.fullmatch(text):
        raise _refuse(
            f"{text[:60]!r} is not a participant id (letters, digits, '.', '_', '-'; at most "
            "64; starting with a letter or digit)"
        )
    return text


#: ``--home`` of every command that works on an existing node home.
HomeOption = Annotated[
    Path,
    typer.Option("--home", help="Node home directory.", envvar=HOME_ENV, parser=node_home),
]

#: ``--home`` of a command that creates the node home (``init``).
NewHomeOption = Annotated[
    Path,
    typer.Option("--home", help="Node home directory.", envvar=HOME_ENV, parser=new_dir),
]
#: ``--home`` of a command that only reads key files (a client's folder works too).
KeyHomeOption = Annotated[
    Path,
    typer.Option("--home", help="Home holding the key file.", envvar=HOME_ENV, parser=key_home),
]


def home_or_default(home: Path | None) -> Path:
    """``home`` (already checked by its kind), or the default home, checked now: for the
    commands that need a home only when no other source is given."""
    if home is not None:
        return home
    try:
        return node_home.plain(DEFAULT_HOME)  # type: ignore[attr-defined]
    except typer.BadParameter as error:
        error.param_hint = "--home"
        raise


def refuse(problem: BaseException | str) -> NoReturn:
    """Report a refusal the command caught itself - one line on stderr, ``error: ...``, exit
    code 1 - the same line the boundary prints for an error it catches."""
    text = " ".join(str(problem).split()) or type(problem).__name__
    typer.echo(f"error: {text}", err=True)
    raise typer.Exit(1)
