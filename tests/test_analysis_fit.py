"""Fitting logistic weights recovers known coefficients."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline.analysis.fit import fit_logistic, fit_model


def test_fit_logistic_recovers_the_generating_coefficients() -> None:
    """On 20,000 draws from a known logistic model the fit lands within 0.1 of the truth."""
    rng = np.random.default_rng(7)
    x = rng.normal(size=(20_000, 2))
    logit = -1.0 + 2.0 * x[:, 0] - 0.5 * x[:, 1]
    y = (rng.random(20_000) < 1 / (1 + np.exp(-logit))).astype(float)
    intercept, coefficients = fit_logistic(x, y, l2=0.01)
    assert intercept == pytest.approx(-1.0, abs=0.1)
    np.testing.assert_allclose(coefficients, [2.0, -0.5], atol=0.1)


def test_fit_model_expresses_weights_on_raw_inputs_centred_on_the_mean() -> None:
    """A factor on a scale 10x larger gets a weight 10x smaller, centred at its mean."""
    rng = np.random.default_rng(3)
    raw = rng.normal(50.0, 10.0, size=20_000)
    y = (rng.random(20_000) < 1 / (1 + np.exp(-(raw - 50.0) / 10.0))).astype(float)
    model = fit_model(pd.DataFrame({"f": raw}), y, "smurf", ["f"], l2=0.01)
    (factor,) = model.factors
    assert factor.center == pytest.approx(50.0, abs=0.3)
    assert factor.weight == pytest.approx(0.1, abs=0.01)
