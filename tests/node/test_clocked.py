"""The simulated-clock harness runs the real chain: day jumps, certificates, SQLite, replay."""

from __future__ import annotations

import pytest

from glassledger.errors import ConfigError
from glassledger.ledger.block import quorum, verify_certificate
from glassledger.ledger.sqlite_store import SQLiteStore
from glassledger.node.clocked import (
    DAY_MS,
    ClockedChain,
    day_of,
    last_height_of_each_day,
    ms_of,
)
from glassledger.node.devnet import devnet_genesis
from glassledger.node.genesis import ParticipantSpec


def _rate(ledger: ClockedChain, bps: int) -> tuple:
    args = {"kind": "rate", "key": "USD.SOFR", "value": bps, "scale": 4}
    return ("regulator", "oracle", "post", {**args, "observed_ms": ledger.time_ms + DAY_MS})


def _run(path=None, days: int = 30) -> ClockedChain:
    ledger = ClockedChain.start(devnet_genesis(), path=path)
    for i in range(days):
        block = ledger.advance(DAY_MS, [_rate(ledger, 400 + i)])
        assert not block.rejected
    return ledger


def test_each_block_jumps_a_day_and_carries_a_quorum_certificate_of_the_authorities():
    ledger = _run(days=10)
    assert ledger.height == 10
    assert ledger.day - day_of(ledger.genesis.time_ms) == 10
    for height in range(1, 11):
        header = ledger.store.get_block(height).header
        certificate = ledger.store.get_certificate(height)
        authorities = ledger.chain.authorities(height)
        verify_certificate(header, certificate, authorities)  # raises if not a quorum
        assert len(certificate.seals) == len(authorities) >= quorum(len(authorities))
    assert ledger.get("oracle", "v/rate/USD.SOFR")["value"] == 409


def test_clock_never_goes_back_and_dates_map_to_days():
    ledger = ClockedChain.start(devnet_genesis())
    with pytest.raises(ConfigError, match="cannot go back"):
        ledger.commit_at(ledger.time_ms)
    block = ledger.commit_on("2026-03-02")
    assert block.time_ms == ms_of("2026-03-02") == 1_772_452_800_000  # 12:00 UTC
    assert last_height_of_each_day(ledger.store)[day_of(block.time_ms)] == 1


def test_same_calls_same_state_root_in_memory_and_on_sqlite(tmp_path):
    memory = _run(days=20)
    disk = _run(tmp_path / "chain.db", days=20)
    assert memory.state_root == disk.state_root
    disk.close()
    reopened = SQLiteStore.open(tmp_path / "chain.db")
    assert reopened.head_height() == 20
    assert reopened.get_block(20).header.state_root == memory.state_root
    reopened.close()


def test_a_different_history_gives_a_different_root():
    assert _run(days=5).state_root != _run(days=6).state_root


def test_periodic_elections_run_on_the_simulated_clock_and_new_authorities_seal():
    # the regulator's seed duties are done by the harness (ledger/regulator.DrawSeeds)
    extra = [
        ParticipantSpec(f"dealer-{i}", ["dealer"], legal_name=f"Dealer {i}", credit_score=900)
        for i in (4, 5, 6, 7)
    ]
    params = {"election_period": 12, "election_window": 3, "reveal_timeout": 4}
    ledger = ClockedChain.start(devnet_genesis(params=params, extra=extra))
    first = set(ledger.chain.authorities())
    sets = []
    for _ in range(40):
        signers = ledger.chain.authorities()  # the set that must seal the next block
        block = ledger.advance(DAY_MS)
        assert not block.rejected
        header = ledger.store.get_block(block.height).header
        verify_certificate(header, ledger.store.get_certificate(block.height), signers)
        sets.append(set(signers))
    assert ledger.store.events(contract="governance", name="elected")
    assert ledger.store.events(contract="governance", name="authorities_effective")
    assert any(signers != first for signers in sets)  # a new set took office and sealed
