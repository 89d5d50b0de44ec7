"""Cascade pictures: PNG and interactive HTML."""

from pathlib import Path

import numpy as np

from glassledger.risk.contagion.cascade import cascade
from glassledger.risk.contagion.network import ExposureNetwork
from glassledger.risk.contagion.plot import cascade_html, cascade_png
from glassledger.risk.contagion.warning import early_warning

FIXTURES = Path(__file__).parents[1] / "fixtures"


def _figure7() -> ExposureNetwork:
    return ExposureNetwork.read_edges(
        FIXTURES / "seed003_figure7_edges.csv", FIXTURES / "seed003_figure7_capital.csv"
    )


def test_png_is_written(tmp_path):
    warning = early_warning(_figure7(), alert_threshold=3.0)
    path = cascade_png(warning.cascade, tmp_path / "cascade.png", warned=warning.warned)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_html_colours_rounds_and_marks_warned(tmp_path):
    result = cascade(_figure7(), ["A"])
    html = cascade_html(result, tmp_path / "cascade.html", warned=["C"]).read_text()
    for round_ in range(4):
        assert f"defaulted in round {round_}" in html
    assert "survived" in html and "diamond" in html and "WARNED" in html


def test_large_network_is_cut_to_the_cascade(tmp_path):
    rng = np.random.default_rng(1)
    n = 600
    ead = np.zeros((n, n))
    ead[rng.integers(0, n, 3000), rng.integers(0, n, 3000)] = 1.0
    np.fill_diagonal(ead, 0.0)
    network = ExposureNetwork.from_matrix(ead, np.full(n, 100.0))
    html = cascade_html(cascade(network, [0]), tmp_path / "big.html", max_nodes=50).read_text()
    assert "defaulted in round 0" in html
