"""Off-ledger pricing with QuantLib (valuation agent); see docs/valuation.md."""
