"""The consortium ledger: crypto, codec, transactions, blocks, state, store, consensus, node."""
