"""Shared terms of the OTC derivatives contracts: units, the initial-margin schedule,
suitability levels, quote commitments and small integer helpers.

Units (everything on the ledger is an integer):

* amounts: minor units of the netting-set currency (``USD`` has 2 decimals: 100 = $1.00);
* rates, prices, FX rates: ``_e8`` (value x 1e8: 4.25% = 4_250_000; 1.0850 = 108_500_000);
* spreads, haircuts, recoveries, IM rates: basis points (1% = 100);
* times: block timestamps in ms since the Unix epoch; ``DAY_MS`` per day;
* day count for coupons and premium legs: ACT/360 on whole days.

Signs: every mark and close-out amount is from **party A's side** (the dealer who quoted):
positive means party B (the client) owes party A.

A **quote commitment** binds a dealer to the terms it sealed for the client:
``commitment = SHA-256(QUOTE_DOMAIN || canonical(terms) || salt)`` with ``terms`` the map
``{"rfq_id", "dealer", "price", "threshold", "mta", "call_window_ms", "valid_until_ms"}``,
and the dealer signs the commitment with its registered Ed25519 key under
``QUOTE_SIGNATURE_DOMAIN``. Off-ledger code (the dealer's client, the valuation agent, tests)
calls :func:`quote_commitment` and :func:`sign_quote`; the ``rfq`` contract calls the same
functions, so the two can never disagree.
"""

from __future__ import annotations

from typing import Any

from glassledger.ledger import codec
from glassledger.ledger.crypto import KeyPair, sha256

DAY_MS = 86_400_000
YEAR_DAYS = 360
E8 = 100_000_000
BPS = 10_000
QUOTE_DOMAIN = b"glassledger/rfq/quote/v1"
QUOTE_SIGNATURE_DOMAIN = b"glassledger/rfq/quote-signature/v1"
#: Fields of a quote's terms (the part committed and later revealed).
QUOTE_FIELDS = ("rfq_id", "dealer", "price", "threshold", "mta", "call_window_ms", "valid_until_ms")

#: Investor category -> highest product complexity it may ask for (suitability, seed 003
#: "investor suitability management"; China's OTC-option rules admit professional investors
#: only to the most complex products). Product complexity is on each template.
CATEGORY_LEVEL = {"retail": 1, "qualified": 2, "professional": 3}

#: BCBS-IOSCO "Margin requirements for non-centrally cleared derivatives" (2015, rev. 2020),
#: Appendix A standardised initial-margin schedule, in basis points of notional, by asset
#: class and residual maturity bucket (years: < 2, 2..5, > 5).
IM_SCHEDULE_BPS: dict[str, tuple[int, int, int]] = {
    "CREDIT": (200, 500, 1_000),
    "COMMODITY": (1_500, 1_500, 1_500),
    "EQUITY": (1_500, 1_500, 1_500),
    "FX": (600, 600, 600),
    "IR": (100, 200, 400),
}


def im_rate_bps(asset_class: str, residual_ms: int) -> int:
    """Schedule IM rate (bps of notional) for ``asset_class`` at residual maturity
    ``residual_ms``."""
    low, mid, high = IM_SCHEDULE_BPS[asset_class]
    years_x_day = residual_ms // DAY_MS
    if years_x_day < 2 * 365:
        return low
    if years_x_day <= 5 * 365:
        return mid
    return high


def mul_div(a: int, b: int, c: int) -> int:
    """``a * b / c`` rounded half away from zero (integers only; ``c > 0``)."""
    num = a * b
    q, r = divmod(abs(num), c)
    if 2 * r >= c:
        q += 1
    return q if num >= 0 else -q


def quote_terms(
    rfq_id: str,
    dealer: str,
    price: int,
    threshold: int,
    mta: int,
    call_window_ms: int,
    valid_until_ms: int,
) -> dict[str, Any]:
    """A quote's terms as the canonical map that is committed, sealed and revealed.

    ``price`` is in the template's price unit (swap fixed rate ``_e8``, forward rate
    ``_e8``, option premium in minor units, CDS spread in bps); ``threshold`` and ``mta``
    (minimum transfer amount) in minor units; ``call_window_ms`` the time a margin call
    stays open before a failure to pay; ``valid_until_ms`` the quote's firm-until time."""
    return {
        "rfq_id": rfq_id,
        "dealer": dealer,
        "price": price,
        "threshold": threshold,
        "mta": mta,
        "call_window_ms": call_window_ms,
        "valid_until_ms": valid_until_ms,
    }


def quote_commitment(terms: dict[str, Any], salt: bytes) -> bytes:
    """SHA-256 commitment to a quote's terms (see the module docstring)."""
    ordered = {field: terms[field] for field in QUOTE_FIELDS}
    return sha256(QUOTE_DOMAIN + codec.encode(ordered) + salt)


def sign_quote(keys: KeyPair, commitment: bytes) -> bytes:
    """The dealer's signature of a quote commitment (off-ledger helper)."""
    return keys.sign(QUOTE_SIGNATURE_DOMAIN, commitment)


def encode_quote(terms: dict[str, Any], salt: bytes) -> bytes:
    """The private payload a dealer seals to the client and the regulator."""
    return codec.encode({"terms": {f: terms[f] for f in QUOTE_FIELDS}, "salt": salt})


def decode_quote(payload: bytes) -> tuple[dict[str, Any], bytes]:
    """Inverse of :func:`encode_quote`: ``(terms, salt)``."""
    value = codec.decode(payload, dict[str, Any])
    return dict(value["terms"]), bytes(value["salt"])
