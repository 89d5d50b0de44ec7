"""The event-driven risk service: incremental per block, equal to a full recompute at any height."""

from __future__ import annotations

import pandas as pd
import pytest

from glassledger.risk.service import RiskService, risk_at
from support.desk import DeskChain


def _book(ns, cp, tid, notional, days, mtm=0, dealer="dealer-0"):
    return (
        dealer,
        "book",
        {
            "netting_set": ns,
            "counterparty": cp,
            "trade_id": tid,
            "notional": notional,
            "days": days,
            "mtm": mtm,
        },
    )


@pytest.fixture
def desk():
    desk = DeskChain.create()
    desk.run(_book("ns1", "client-0", "t1", 5_000_000_00, 700, mtm=40_000_00))
    desk.run(_book("ns2", "client-1", "t2", 2_000_000_00, 200, mtm=-10_000_00))
    desk.run(("dealer-0", "mark", {"trade_id": "t1", "mtm": 55_000_00}))
    desk.run(_book("ns1", "client-0", "t3", 1_000_000_00, 90))
    desk.run(
        ("dealer-0", "close", {"trade_id": "t3", "outcome": "defaulted", "recovery_bps": 3500})
    )
    desk.run(_book("ns3", "client-2", "t4", 3_000_000_00, 400, mtm=1_000_00, dealer="dealer-1"))
    return desk


def test_only_touched_netting_sets_are_recomputed(desk):
    service = RiskService(desk.store)
    touched = []
    while service.height < desk.store.head_height():
        service.process(service.height + 1)
        touched.append(service.recomputed)
    assert touched[1:] == [["ns1"], ["ns2"], ["ns1"], ["ns1"], ["ns1"], ["ns3"]]


def test_incremental_equals_full_recompute_at_every_height(desk):
    service = RiskService(desk.store)
    while service.height < desk.store.head_height():
        service.process(service.height + 1)
        full = risk_at(desk.store, service.height)
        pd.testing.assert_frame_equal(
            service.exposures().reset_index(drop=True), full, check_dtype=False
        )


def test_follow_processes_every_new_block(desk):
    service = RiskService(desk.store)
    assert service.follow() == list(range(desk.store.head_height() + 1))
    assert service.follow() == []


def test_default_lowers_the_defaulter_rating_and_raises_its_el(desk):
    before = risk_at(desk.store, 4).set_index("netting_set")
    after = risk_at(desk.store, 5).set_index("netting_set")
    key = "ns1|dealer-0"  # dealer-0's exposure to client-0, who defaulted on t3
    assert after.loc[key, "rating"] < before.loc[key, "rating"]
    assert after.loc[key, "pd"] > before.loc[key, "pd"]
    assert after.loc[key, "el"] > 0
    # The exposure itself: RC = positive market value of the surviving trade t1.
    assert after.loc[key, "RC"] == pytest.approx(55_000.0)
