"""Dollar liquidity: data loaders, indicators, and the corridor / repo-market model."""
