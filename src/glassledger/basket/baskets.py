"""Named baskets shipped with glassledger (``data/baskets.json``): the IMF SDR baskets of 2016
and 2022 (published weights and currency amounts) and the Libra weights of 2019 (seed 004)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pandas as pd

from glassledger.basket.amounts import determine_amounts
from glassledger.errors import InputError


def sample_path(name: str) -> Path:
    """Path of a sample table shipped in ``glassledger/basket/data`` (see its README)."""
    return Path(str(resources.files("glassledger.basket") / "data" / name))


@dataclass(frozen=True)
class Basket:
    """A named basket: target ``weights`` (decimals) and, when published, ``amounts`` (units
    of each currency per basket unit)."""

    name: str
    description: str
    weights: pd.Series
    amounts: pd.Series | None


def known_baskets() -> dict[str, Basket]:
    """Every shipped basket by name."""
    raw = json.loads(sample_path("baskets.json").read_text())
    return {
        name: Basket(
            name,
            entry["description"],
            pd.Series(entry["weights"], dtype=float),
            None if entry["amounts"] is None else pd.Series(entry["amounts"], dtype=float),
        )
        for name, entry in raw.items()
    }


def get_basket(name: str) -> Basket:
    """The shipped basket called ``name``; ``InputError`` listing the names otherwise."""
    baskets = known_baskets()
    if name not in baskets:
        raise InputError(
            f"unknown basket; choose one of {sorted(baskets)}", field="basket", value=name
        )
    return baskets[name]


def amounts_at(basket: Basket, rates: pd.Series, value_usd: float = 1.0) -> pd.Series:
    """The basket's published amounts, or (when none were published) amounts fixed from its
    weights at ``rates`` (USD per unit) so that one unit is worth ``value_usd``."""
    if basket.amounts is not None:
        return basket.amounts
    return determine_amounts(basket.weights, rates, rates, value_usd)
