"""Scenario sweeps: many seeds and parameter sets on Dask, results in one table.

Reuses the liquidity sweep's machinery (:func:`glassledger.liquidity.model.sweep.dask_client`:
a LocalCluster by default, a scheduler address to scale out; results gathered with
``as_completed`` and a progress callback). Each task runs one scenario (the YAML text with
``overrides`` applied: dotted field paths such as ``monitor.threshold_bps``) for one seed on
the real chain and returns one row of scalar key figures.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd
import yaml
from dask.distributed import Client, as_completed

from glassledger.errors import InputError
from glassledger.liquidity.model.sweep import dask_client
from glassledger.sim.engine import run_scenario
from glassledger.sim.scenario import parse_scenario


def apply_overrides(text: str, overrides: dict[str, Any]) -> str:
    """The scenario YAML ``text`` with each dotted path in ``overrides`` set."""
    data = yaml.safe_load(text)
    for path, value in overrides.items():
        node = data
        *parents, leaf = path.split(".")
        for part in parents:
            if not isinstance(node.get(part), dict):
                raise InputError(f"override {path!r}: {part!r} is not a mapping in the scenario")
            node = node[part]
        node[leaf] = value
    out = yaml.safe_dump(data, sort_keys=False)
    parse_scenario(out, f"scenario with overrides {overrides}")  # fail early, one line
    return out


def scalar_figures(figures: dict[str, Any]) -> dict[str, Any]:
    """The scalar key figures of a run, plus counts of list figures."""
    row: dict[str, Any] = {}
    for key, value in figures.items():
        if isinstance(value, int | float | str | bool):
            row[key] = value
        elif isinstance(value, list):
            row[f"n_{key}"] = len(value)
    return row


def run_one(text: str, overrides: dict[str, Any], seed: int) -> dict[str, Any]:
    """One sweep task: the scalar figures of ``text`` + ``overrides`` run with ``seed``."""
    source = apply_overrides(text, overrides)
    scenario = parse_scenario(source)
    result = run_scenario(scenario, source, seed=seed)
    return {"seed": seed, **overrides, **scalar_figures(result.figures)}


def grid(parameters: dict[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Every combination of the parameter values (``{}`` alone for no parameters)."""
    keys = sorted(parameters)
    return [
        dict(zip(keys, combo, strict=True))
        for combo in itertools.product(*(parameters[k] for k in keys))
    ]


def sweep(
    text: str,
    seeds: Sequence[int],
    parameters: dict[str, Sequence[Any]] | None = None,
    *,
    client: Client | None = None,
    address: str | None = None,
    n_workers: int = 2,
    processes: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """Run the scenario ``text`` for every seed and parameter combination on Dask; one row
    per run (seed, parameters, scalar figures), sorted by parameters then seed."""
    if not seeds:
        raise InputError("a sweep needs at least one seed")
    combos = grid(parameters or {})
    for combo in combos:
        apply_overrides(text, combo)
    if client is None:
        with dask_client(address, n_workers, processes) as own:
            return sweep(text, seeds, parameters, client=own, progress=progress)
    futures = [
        client.submit(run_one, text, combo, seed, pure=False) for combo in combos for seed in seeds
    ]
    rows = []
    for future in as_completed(futures):
        rows.append(future.result())
        if progress is not None:
            progress(len(rows), len(futures))
    keys = [*sorted(parameters or {}), "seed"]
    return pd.DataFrame(rows).sort_values(keys).reset_index(drop=True)
