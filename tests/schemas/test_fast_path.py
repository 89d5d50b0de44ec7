"""The vectorized fast path accepts a frame only when pandera accepts it too, and returns the
same typed frame: the declarations are enforced once, whichever path checks them."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from glassledger.schemas import _core as core
from glassledger.schemas import saccr

TABLE = (
    saccr.TRADES
    if hasattr(saccr, "TRADES")
    else next(
        v for v in vars(saccr).values() if isinstance(v, core.Table) and v.name == "SA-CCR trades"
    )
)

NUMBER = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, width=64),
    st.integers(-(10**6), 10**6).map(float),
    st.sampled_from([0.0, -1.0, 1e-9, math.nan, math.inf]),
)
CODE = st.sampled_from(["IR", "FX", "CREDIT", "EQUITY", "COMMODITY", "ir", "", "XX", None])
POSITION = st.sampled_from(["LONG", "SHORT", "long", "", None, "FLAT"])
ROW = st.fixed_dictionaries(
    {
        "trade_id": st.sampled_from(["t1", "t2", "007", "", None]),
        "netting_set": st.sampled_from(["n", "m", "", None]),
        "asset_class": CODE,
        "position": POSITION,
        "notional": NUMBER,
        "mtm": NUMBER,
        "maturity": NUMBER,
        "end": NUMBER,
    }
)


@given(st.lists(ROW, min_size=1, max_size=4))
def test_the_fast_path_never_accepts_what_pandera_refuses(rows):
    frame = pd.DataFrame(rows)
    try:
        parsed = core._parse(frame, TABLE, "t")
    except Exception:
        return
    fast = core._fast_check(parsed.copy(), TABLE)
    if fast is None:
        return
    checked = core._schema_of(TABLE).validate(parsed.copy(), lazy=True)  # raises if not valid
    pd.testing.assert_frame_equal(fast, checked)


def test_a_valid_api_frame_takes_the_fast_path():
    frame = pd.DataFrame(
        [
            {
                "trade_id": "t1",
                "netting_set": "n",
                "asset_class": "IR",
                "position": "LONG",
                "notional": 1e6,
                "mtm": 0.0,
                "maturity": 1.0,
                "end": 1.0,
                "currency": "USD",
            }
        ]
    )
    parsed = core._parse(frame, TABLE, "t")
    fast = core._fast_check(parsed, TABLE)
    assert fast is not None and fast["notional"].dtype == np.float64
