"""Issue 9, section 2: the crash campaign. The embedded node is stopped 50 times at random
moments by SIGKILL (its whole process group), twice by SIGTERM and twice by SIGINT, and once
its block store's write-ahead log is cut after a kill; every queued transaction ends in a
block or in a refusal receipt, and the chain verifies. The long variant is
``benchmarks/crash_campaign.py`` (figures in docs/benchmarks.md)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).parents[2] / "benchmarks" / "crash_campaign.py"


def _campaign():
    spec = importlib.util.spec_from_file_location("crash_campaign", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_no_queued_transaction_is_lost_under_kills_signals_and_a_damaged_wal(tmp_path):
    result = _campaign().run_campaign(
        tmp_path, kills=50, terms=2, ints=2, initial=300, per_round=6, max_wait_s=0.6
    )
    assert result.kills == 50 and result.terms == 2 and result.ints == 2
    assert result.lost == []
    assert result.queued == 300 + 54 * 6
    # this driver signs valid transfers with consecutive nonces: every one must end ok
    assert result.in_blocks_ok == result.queued
