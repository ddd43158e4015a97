#!/usr/bin/env python3
"""Wilcoxon signed-rank p-values from scipy for Tests/ResultsTests/WilcoxonTests.swift.

    python3 -m venv /tmp/v && /tmp/v/bin/pip install scipy
    /tmp/v/bin/python reference/wilcoxon-reference.py

Each case is a list of paired differences; the test is two-sided, zero differences dropped
(zero_method="wilcox"). `exact` cases have at most 50 non-zero, untied differences and no
zeros; the others use the normal approximation with tie and continuity correction. Prints one
Swift line per case: (differences, statistic, p-value, method).
"""
import numpy as np
import scipy
from scipy.stats import wilcoxon

rng = np.random.default_rng(14)

cases = [
    # Darwin's Zea mays differences (Fisher 1935; scipy's documentation example).
    ("exact", [6, 8, 14, 16, 23, 24, 28, 29, 41, -48, 49, 56, 60, -67, 75]),
    ("exact", [1.5, -0.25, 3.0, 2.25, -1.75]),
    ("exact", list(np.round(rng.normal(0.3, 1.0, 12), 6))),
    ("exact", list(np.round(rng.normal(0.0, 1.0, 30), 6))),
    ("exact", list(np.round(rng.normal(0.5, 1.0, 50), 6))),
    # Ties and zeros: the normal approximation.
    ("approx", [1, 1, -1, 2, 2, 0, 3, -3, 4, 4, 4, 0, 5]),
    ("approx", list(np.round(rng.normal(0.2, 1.0, 60), 6))),
    ("approx", list(np.round(rng.normal(0.0, 1.0, 40), 1))),
    ("approx", [0.0, 0.0, 0.1, -0.2, 0.3, 0.3, 0.5, 0.8]),
]

print(f"// scipy {scipy.__version__}, numpy {np.__version__}")
for method, d in cases:
    r = wilcoxon(d, zero_method="wilcox", correction=(method == "approx"), alternative="two-sided", method=method)
    values = ", ".join(repr(float(x)) for x in d)
    print(f"(d: [{values}], w: {float(r.statistic)!r}, p: {float(r.pvalue)!r}, method: .{'exact' if method == 'exact' else 'normal'}),")
