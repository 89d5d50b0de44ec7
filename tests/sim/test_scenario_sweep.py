"""Scenario sweeps on Dask: seeds x parameters into one table (in-process cluster here)."""

from __future__ import annotations

import pytest

from glassledger.errors import InputError
from glassledger.sim.scenario import load_scenario
from glassledger.sim.sweep import apply_overrides, grid, sweep


def test_a_sweep_gathers_one_row_per_seed_and_parameter():
    _, text = load_scenario("dealer_default")
    seen: list[tuple[int, int]] = []
    table = sweep(
        text,
        [3, 4],
        {"monitor.threshold_bps": [500, 100_000_000]},
        n_workers=1,
        processes=False,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert len(table) == 4 and seen[-1] == (4, 4)
    assert list(table["seed"]) == [3, 4, 3, 4]
    low = table[table["monitor.threshold_bps"] == 500]
    high = table[table["monitor.threshold_bps"] == 100_000_000]
    assert (low["n_defaulters_warned_before"] == 2).all()
    assert (high["n_defaulters_warned_before"] == 0).all()
    # the economics do not depend on the threshold: same losses either way
    assert set(table["total_loss"]) == {82_800_000}


def test_overrides_are_checked_against_the_schema():
    _, text = load_scenario("dealer_default")
    assert grid({"a": [1, 2], "b": [3]}) == [{"a": 1, "b": 3}, {"a": 2, "b": 3}]
    with pytest.raises(InputError, match="step_ms"):
        apply_overrides(text, {"step_ms": "soon"})
    with pytest.raises(InputError, match="not a mapping"):
        apply_overrides(text, {"seed.x": 1})
