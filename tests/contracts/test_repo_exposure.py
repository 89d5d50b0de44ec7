"""A repo's collateral reaches its netting set in the trades register, so the risk service
measures the uncollateralized exposure, not the cash lent."""

from __future__ import annotations

from glassledger.risk.service import risk_at
from support.repo_market import NOTE, market

CASH = 10_000_000_00
FACE = 10_500_000_00
NS = "repo/fund-0/dealer-0"


def _open(fc, repo_id="R1"):
    fc.ok(
        "dealer-0",
        "repo",
        "propose",
        repo_id=repo_id,
        side="seller",
        counterparty="fund-0",
        cash=CASH,
        rate_bps=530,
        term_days=7,
        collateral={NOTE: FACE},
    )
    fc.ok("fund-0", "repo", "accept", repo_id=repo_id)


def test_collateral_is_credited_to_the_netting_set_and_removed_at_repurchase():
    fc = market()
    _open(fc)
    record = fc.get("repo", "r/R1")
    assert record["credited"] > CASH  # note after its 2% haircut still covers the cash
    assert fc.get("trades", f"ns/{NS}")["im_received"] == record["credited"]
    exposure = risk_at(fc.store, fc.height).set_index("netting_set")
    ead = exposure.loc[f"{NS}|fund-0", "EAD"]
    assert ead < 0.05 * CASH / 100  # collateralized: a small fraction of the cash (USD)
    _open(fc, "R2")
    both = fc.get("repo", "r/R1")["credited"] + fc.get("repo", "r/R2")["credited"]
    assert fc.get("trades", f"ns/{NS}")["im_received"] == both
    fc.ok("dealer-0", "repo", "repurchase", repo_id="R1")
    assert fc.get("trades", f"ns/{NS}")["im_received"] == fc.get("repo", "r/R2")["credited"]
