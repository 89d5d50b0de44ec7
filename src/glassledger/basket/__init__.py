"""Basket (SDR-style) analytics: screening, weights, amounts, valuation, adequacy, rates."""
