"""Consensus with immediate finality in the style of IBFT 2.0 / QBFT."""
