"""``/v1/basket``: the basket coin's rates, coverage and adequacy, as the contract's books
give them; 404 on a chain without the coin."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.conftest import make_app
from glassledger.client import ApiRefused, Client
from glassledger.contracts.basket_book import snapshot
from glassledger.ledger.crypto import KeyPair
from glassledger.sim import basket_devnet as devnet
from support.basket import BasketChain


def _client(chain, who: str = "regulator") -> tuple[TestClient, Client]:
    http = TestClient(make_app(chain))
    return http, Client("http://testserver", KeyPair.from_name(who), who, http=http)


def test_the_basket_view_matches_the_books():
    chain = BasketChain.create()
    chain.ok(devnet.dealer("USD"), "basket", "mint", units=20)
    chain.ok(devnet.dealer("EUR"), "basket", "mint", units=10)
    _, api = _client(chain, devnet.dealer("USD"))
    found = api.get("/v1/basket")
    view = snapshot(chain.chain.state.get)
    assert found["rates"]["theoretical"] == pytest.approx(float(view.theoretical))
    assert found["rates"]["intrinsic"] == pytest.approx(float(view.intrinsic))
    assert found["per_currency_adequate"] is view.adequacy.per_currency
    assert found["coverage_bps"] == {k: view.adequacy.coverage_bps(k) for k in view.book.currencies}
    assert found["outstanding"] > 0


def test_a_chain_without_the_coin_answers_404(desk):
    _, api = _client(desk)
    with pytest.raises(ApiRefused) as refused:
        api.get("/v1/basket")
    assert refused.value.status == 404 and refused.value.reason == "no_basket"
