"""A running node: home, keys, genesis, embedded network, bookkeeping nodes, CLI.

The node layer composes the deterministic kernel (:mod:`glassledger.ledger`) with the
concrete contracts (:mod:`glassledger.contracts`) into something that runs.
"""
