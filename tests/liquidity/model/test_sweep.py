"""Monte Carlo sweep on a real (small, in-process) Dask LocalCluster."""

from __future__ import annotations

import pandas as pd
import pytest

from glassledger.errors import ConfigError
from glassledger.liquidity.model import build_scenario
from glassledger.liquidity.model.sweep import dask_client, probabilities, run_paths, sweep


@pytest.fixture(scope="module")
def scenario():
    short = build_scenario("sept-2019")
    paths = short.paths.loc["2019-09-02":"2019-09-30"]
    return type(short)(short.name, short.description, short.initial, paths, short.params)


def test_sweep_on_local_cluster_is_reproducible(scenario):
    seen = []
    with dask_client(n_workers=2, processes=False) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        paths = sweep(
            scenario,
            6,
            seed=10,
            client=client,
            batch_size=2,
            progress=lambda done, total: seen.append((done, total)),
        )
    assert list(paths["seed"]) == list(range(10, 16))
    direct = pd.DataFrame(run_paths(scenario, [10, 11]))
    pd.testing.assert_frame_equal(paths.iloc[:2].reset_index(drop=True), direct, check_like=True)
    assert seen[-1] == (6, 6)
    probs = probabilities(paths)
    assert 0.0 <= probs["p_srf_used"] <= 1.0
    assert probs["peak_spread_bp_q05"] <= probs["peak_spread_bp_q50"] <= probs["peak_spread_bp_q95"]
    # parameter draws differ between paths
    assert paths["slope_bp"].nunique() == 6


def test_zero_paths_is_config_error(scenario):
    with pytest.raises(ConfigError):
        sweep(scenario, 0)


def test_two_sweeps_on_one_client(scenario):
    # each sweep scatters the scenario under its own key, so back-to-back sweeps of the same
    # scenario never release each other's data
    with dask_client(n_workers=2, processes=False) as client:
        first = sweep(scenario, 4, client=client, batch_size=1)
        second = sweep(scenario, 4, client=client, batch_size=1)
    pd.testing.assert_frame_equal(first, second)
