"""Risk analytics: SA-CCR, expected loss, credit ratings, contagion (off-ledger, vectorized)."""
