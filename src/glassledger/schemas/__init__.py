"""Every input table of glassledger, declared once (see ``docs/inputs.md``).

:mod:`glassledger.schemas._core` holds the machinery (:class:`Field`, :class:`Table`,
:func:`read`, :func:`validate`); one module per concept declares its tables:
:mod:`~glassledger.schemas.saccr`, :mod:`~glassledger.schemas.credit`,
:mod:`~glassledger.schemas.contagion`, :mod:`~glassledger.schemas.basket`,
:mod:`~glassledger.schemas.governance`. Every command and every Python API function that
takes a table goes through :func:`read` or :func:`validate`.
"""

from glassledger.schemas._core import (
    FORMATS,
    REQUIRED,
    Field,
    RowRule,
    Table,
    check_sorted_unique,
    describe,
    fail_at,
    options_error,
    read,
    read_raw,
    validate,
)

__all__ = [
    "FORMATS",
    "REQUIRED",
    "Field",
    "RowRule",
    "Table",
    "check_sorted_unique",
    "describe",
    "fail_at",
    "options_error",
    "read",
    "read_raw",
    "validate",
]
