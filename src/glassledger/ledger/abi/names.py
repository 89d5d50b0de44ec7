"""Names on the ledger: participant ids and token symbols, ASCII only.

Every holder of a chain copy reads these names, and people compare them by eye, so they are
restricted to characters that cannot be confused or hidden: no look-alike letters from other
scripts (``UЅD`` with a Cyrillic ``Ѕ``), no full-width forms (``ＵＳＤ``), no spaces, control
characters, zero-width joiners or newlines.

* **participant id**: 1 to :data:`MAX_ID_LENGTH` (64) ASCII letters, digits and the separators
  ``.``, ``_``, ``-``; it starts and ends with a letter or digit and never has two separators
  in a row (so no ``..``): ``dealer-0``, ``ccp.a``, ``bank_7``;
* **token symbol**: 1 to :data:`MAX_SYMBOL_LENGTH` (16) ASCII letters and digits: ``USD``,
  ``UST2Y``, ``bUSD``.
"""

from __future__ import annotations

import re

MAX_ID_LENGTH = 64
MAX_SYMBOL_LENGTH = 16
PARTICIPANT_ID = re.compile(r"[A-Za-z0-9]+(?:[._-][A-Za-z0-9]+)*")
SYMBOL = re.compile(r"[A-Za-z0-9]+")


def is_participant_id(name: object) -> bool:
    """Whether ``name`` is a valid participant id (see the module docstring)."""
    return (
        isinstance(name, str)
        and 0 < len(name) <= MAX_ID_LENGTH
        and PARTICIPANT_ID.fullmatch(name) is not None
    )


def is_symbol(name: object) -> bool:
    """Whether ``name`` is a valid token symbol (see the module docstring)."""
    return (
        isinstance(name, str)
        and 0 < len(name) <= MAX_SYMBOL_LENGTH
        and SYMBOL.fullmatch(name) is not None
    )
