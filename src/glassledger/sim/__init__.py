"""Simulation: agents acting through contracts, scenarios, stress tests, sweeps."""
