"""Funding views at a height: participants, on-ledger SOFR, concentration, collateral."""

from __future__ import annotations

import math

import numpy as np
import pytest

from glassledger.contracts import repo_book as rb
from glassledger.funding import (
    collateral_by_issue,
    concentration,
    ledger_sofr,
    participants,
    repo_book,
    snapshot_at,
)
from glassledger.funding.views import weighted_median
from support.repo_market import NOTE, market

FACE = 12_000_000_00


def _repo(fc, repo_id, seller, buyer, cash, rate_bps, term_days=1):
    fc.ok(
        seller,
        "repo",
        "propose",
        repo_id=repo_id,
        side="seller",
        counterparty=buyer,
        cash=cash,
        rate_bps=rate_bps,
        term_days=term_days,
        collateral={NOTE: FACE},
    )
    fc.ok(buyer, "repo", "accept", repo_id=repo_id)


@pytest.fixture(scope="module")
def fc():
    fc = market()
    # one day's overnight repos: volume-weighted median is the 530 bp repo (10m of 25m)
    _repo(fc, "R1", "dealer-0", "fund-0", 10_000_000_00, 530)
    _repo(fc, "R2", "dealer-1", "fund-0", 5_000_000_00, 520)
    _repo(fc, "R3", "dealer-2", "fund-0", 10_000_000_00, 540)
    _repo(fc, "R4", "dealer-0", "client-0", 1_000_000_00, 600, term_days=7)  # term: not SOFR
    return fc


def test_on_ledger_sofr_is_the_volume_weighted_median_of_overnight_repos(fc):
    sofr = ledger_sofr(snapshot_at(fc.store))
    (row,) = sofr.to_dict("records")
    assert row["rate_bps"] == 530 and row["volume"] == 25_000_000_00 and row["count"] == 3
    assert row["p1"] == 520 and row["p99"] == 540


def test_weighted_median_follows_the_volume_not_the_count():
    rates = np.array([500.0, 510.0, 600.0])
    assert weighted_median(rates, np.array([1.0, 1.0, 10.0])) == 600.0
    assert weighted_median(rates, np.array([10.0, 1.0, 1.0])) == 500.0


def test_participants_show_what_the_contracts_hold(fc):
    snap = snapshot_at(fc.store)
    frame = participants(snap).set_index("participant")
    book = repo_book(snap).set_index("repo")
    fund = frame.loc["fund-0"]
    assert fund["lent"] == book.loc[["R1", "R2", "R3"], "due"].sum()
    assert fund["borrowed"] == 0 and fund["open_margin_calls"] == 0
    dealer = frame.loc["dealer-0"]
    assert dealer["borrowed"] == book.loc[["R1", "R4"], "due"].sum()
    # margin excess: the contract's own haircut arithmetic
    note_value = snap.value(NOTE, FACE)
    adjusted = rb.after_haircut(note_value, snap.haircuts[NOTE])
    assert dealer["margin_excess"] == 2 * adjusted - book.loc[["R1", "R4"], "due"].sum()
    assert dealer["posted"] == 2 * note_value
    assert math.isinf(dealer["health_factor"])  # no pool debt
    assert dealer["leverage"] > 1


def test_concentration_is_a_herfindahl_index_of_shares(fc):
    frame = concentration(snapshot_at(fc.store)).set_index("side")
    lent = participants(snapshot_at(fc.store)).set_index("participant")["lent"]
    shares = lent[lent > 0] / lent[lent > 0].sum()
    assert frame.loc["lenders", "hhi"] == pytest.approx(float((shares**2).sum() * 10_000))
    assert frame.loc["lenders", "top1"] == pytest.approx(float(shares.max()))
    assert frame.loc["collateral", "n"] == 1 and frame.loc["collateral", "hhi"] == 10_000


def test_collateral_by_issue_counts_free_and_posted_face(fc):
    frame = collateral_by_issue(snapshot_at(fc.store))
    notes = frame[frame["issue"] == NOTE].set_index("participant")
    assert notes.loc["dealer-0", "posted"] == 2 * FACE
    total = notes["free"].sum() + notes["posted"].sum()
    assert total == fc.supply(NOTE)  # every unit of face is somewhere


def test_views_at_an_old_height_show_the_market_as_it_was(fc):
    before = snapshot_at(fc.store, fc.height - 8)
    assert ledger_sofr(before).empty or ledger_sofr(before)["count"].sum() < 3
