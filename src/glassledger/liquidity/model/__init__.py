"""Agent-based model of the Fed's corridor and the overnight repo market.

``build_scenario(name)`` gives a named scenario, ``simulate(scenario, seed)`` runs it and
returns daily SOFR, SRF take-up, reserves, ON RRP and TGA; ``sweep`` runs Monte Carlo paths
on Dask. See docs/liquidity.md.
"""

from glassledger.liquidity.model.params import InitialState, ModelParams
from glassledger.liquidity.model.scenario import SCENARIOS, Scenario, build_scenario
from glassledger.liquidity.model.simulate import SimulationResult, simulate

__all__ = [
    "SCENARIOS",
    "InitialState",
    "ModelParams",
    "Scenario",
    "SimulationResult",
    "build_scenario",
    "simulate",
]
