"""OTC derivatives on the ledger (seed 003, B-OTC): payoff templates, shared terms, and the
``derivative`` contract that runs them. The ``rfq`` and ``guarantee`` contracts live beside
it in :mod:`glassledger.contracts`; the guide is docs/derivatives.md."""
