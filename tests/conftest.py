"""Shared test configuration.

Tests that need an outside service (PostgreSQL, Chromium, a Dask cluster) call
:func:`require_service`. Locally a missing service skips the test with the reason; under CI
(``GLASSLEDGER_REQUIRE_SERVICES=1``, set by ``.ci/run``) it fails, so a skipped test is never
counted as a passing one.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from glassledger.node.clocked import ClockedChain
from glassledger.node.devnet import devnet_genesis

settings.register_profile(
    "ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=30, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


def require_service(name: str, available: bool, why: str = "") -> None:
    """Skip (locally) or fail (under CI) when service ``name`` is not available."""
    if available:
        return
    message = f"service {name!r} is not available{': ' + why if why else ''}"
    if os.environ.get("GLASSLEDGER_REQUIRE_SERVICES") == "1":
        pytest.fail(message + " (GLASSLEDGER_REQUIRE_SERVICES=1: .ci/run must start it)")
    pytest.skip(message)


def dev_chain(clients: int = 4, path: Path | None = None, registry=None) -> ClockedChain:
    """The devnet (4 dealer authorities, ``clients`` clients with USD) on the one chain
    harness, in memory or in a new SQLite store at ``path``; no regulator draw duties."""
    return ClockedChain.start(devnet_genesis(clients=clients), registry, path, draw_seed=None)


@pytest.fixture
def dev() -> ClockedChain:
    return dev_chain()


@pytest.fixture
def make_dev():
    """:func:`dev_chain`, for tests that build several chains or one on disk."""
    return dev_chain
