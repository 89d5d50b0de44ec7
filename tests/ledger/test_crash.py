"""Crash test: ``kill -9`` a node process at random moments while it commits blocks; after
every kill the store reopens, holds every block whose commit was reported, byte for byte,
and verifies from genesis (issue 2, item 6)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from glassledger.contracts.registry import standard_registry
from glassledger.ledger.chain import Chain
from glassledger.ledger.sqlite_store import SQLiteStore
from glassledger.ledger.verify import verify_chain
from glassledger.node.devnet import devnet_genesis
from glassledger.node.genesis import GENESIS_CERTIFICATE, build_genesis

WRITER = Path(__file__).with_name("crash_writer.py")
KILLS = 20
SEED = 20_261_121


def test_sigkill_at_random_moments_loses_no_committed_block(tmp_path):
    rng = random.Random(SEED)
    registry = standard_registry()
    path = tmp_path / "chain.sqlite"
    block0, state = build_genesis(devnet_genesis(), registry)
    SQLiteStore.create(path, block0, GENESIS_CERTIFICATE, state.data).close()
    reported: dict[int, str] = {}
    kills_mid_run = 0
    for round_ in range(KILLS):
        child = subprocess.Popen(
            [sys.executable, str(WRITER), str(path), str(rng.getrandbits(32))],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        first = ""
        if round_ % 5 == 4:  # now and then, kill during start-up and recovery
            time.sleep(rng.uniform(0.0, 0.4))
        else:
            first = child.stdout.readline()
            assert first, child.stderr.read()
            kills_mid_run += 1
            time.sleep(rng.uniform(0.0, 0.12))
        os.kill(child.pid, signal.SIGKILL)
        out, err = child.communicate()
        assert child.returncode == -signal.SIGKILL, err
        # A kill can land mid-write: only newline-terminated lines are reports.
        for line in (first + out).split("\n")[:-1]:
            height, block_hash = line.split()
            reported[int(height)] = block_hash
        with SQLiteStore.open(path) as store:
            assert store.head_height() >= max(reported, default=0)
            for height, block_hash in reported.items():
                assert store.get_header(height).hash.hex() == block_hash
            head = verify_chain(store, registry)
            assert Chain.open(registry, store).state.root == store.get_header(head).state_root
    assert kills_mid_run >= 16 and len(reported) >= KILLS
