"""On-ledger smart contracts, one module per contract (deterministic, integer minor units)."""
