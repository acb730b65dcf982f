"""Fay–Herriot EBLUP (analysis/smallarea.py) against published and independent results.

The milk data (Arora & Lahiri 1997; R `sae` ``milk``, Molina & Marhuenda 2015; also shipped by
samplics as expenditure_on_milk.csv): 43 small areas in 4 major areas, direct estimates of the
expenditure on milk and their standard errors. Published REML fit (sae's eblupFH with
``yi ~ as.factor(MajorArea)``): β̂ = (0.9682, 0.1328, 0.2269, −0.2413), σ̂ᵥ² = 0.01855.

Independent values recorded here:
- R 4.2, metafor 3.8-1 (a random-effects meta-regression is the Fay–Herriot model), run as
    library(metafor); d <- read.csv("milk.csv")
    f <- rma(yi=direct_est, vi=std_error^2, mods=~factor(major_area), data=d, method=M,
             control=list(tol=1e-14, maxiter=10000, threshold=1e-14))
    f$tau2; coef(f); blup(f)$pred        # M = "REML", "ML"
- samplics 0.6.1 (EblupAreaModel, tol 1e-12) for the Prasad–Rao MSEs (REML) and the moment
  estimator (FH), whose MSE formulas metafor does not compute.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.cli import main
from analysis.smallarea import fay_herriot, stabilise, unstabilise

MILK = Path(__file__).parent / "data" / "milk.csv"

R_REML = dict(sigma2=0.018550334763, beta=[0.968188986975, 0.132780305457, 0.226946224521, -0.241301039945], eb=[
    1.02197054, 1.04760195, 1.06795143, 0.76081657, 0.84615704, 0.97437271, 1.05845267, 1.09777626, 1.22154549,
    1.19514601, 0.78521492, 1.21394621, 1.20965972, 0.98349644, 1.18642471, 1.15569811, 1.22634125, 1.28564899,
    1.23632484, 1.23496014, 1.09030163, 1.19230572, 1.12164677, 1.22302972, 1.19380544, 0.76271959, 0.76495515,
    0.73384439, 0.76992955, 0.61344162, 0.76955607, 0.79582531, 0.77231885, 0.61023007, 0.70017819, 0.75927881,
    0.52988634, 0.74344668, 0.75489963, 0.77019197, 0.74811642, 0.80407752, 0.68108689])
R_ML = dict(sigma2=0.015517508712, beta=[0.967798625551, 0.127875517564, 0.226690886799, -0.242580426339], eb=[
    1.01617324, 1.04369677, 1.06281671, 0.77534917, 0.85549044, 0.97358566, 1.04747840, 1.09534358, 1.20540897,
    1.18125634, 0.80337033, 1.19677537, 1.19615896, 0.99140546, 1.18688287, 1.15903630, 1.22323684, 1.27551864,
    1.23228498, 1.23044212, 1.09857695, 1.19215975, 1.12799213, 1.21962847, 1.19362557, 0.75906502, 0.76112315,
    0.73156467, 0.76627290, 0.61914544, 0.76293877, 0.78637453, 0.76797809, 0.61413487, 0.70131091, 0.75575635,
    0.54066451, 0.74113154, 0.75245056, 0.76624225, 0.74653597, 0.79714037, 0.68409769])
SAMPLICS_REML_MSE = [
    0.0134603, 0.0053729, 0.005702, 0.0085418, 0.0095796, 0.0116707, 0.0159262, 0.0105865, 0.0141841, 0.0149015,
    0.0076943, 0.0163365, 0.0125628, 0.0121174, 0.0120313, 0.0117092, 0.0108598, 0.0136909, 0.0110347, 0.0130797,
    0.0099487, 0.017244, 0.0112924, 0.0136253, 0.0080658, 0.0092052, 0.0092052, 0.016477, 0.0078006, 0.0060987,
    0.0154416, 0.0146579, 0.0090247, 0.0038708, 0.0078006, 0.0096462, 0.0064043, 0.0101557, 0.0072099, 0.0084703,
    0.0054849, 0.0092052, 0.0099036]
SAMPLICS_FH = dict(sigma2=0.016420263654128544, beta=[0.967901, 0.12945, 0.226791, -0.242152],
                   eb=[1.017976, 1.044964, 1.064481, 0.770692, 0.852512, 0.973826, 1.050857],
                   mse=[0.012757, 0.0053145, 0.0056322, 0.0083235, 0.0092835, 0.0111781, 0.0148677])


@pytest.fixture(scope="module")
def milk():
    d = pd.read_csv(MILK)
    X = np.column_stack([(d.major_area == k).astype(float) for k in (2, 3, 4)])
    return d, X


def test_milk_reml_reproduces_the_published_fit(milk):
    d, X = milk
    fit = fay_herriot(d.direct_est, d.std_error, X, method="reml")
    assert fit.converged
    assert np.allclose(fit.beta, [0.9682, 0.1328, 0.2269, -0.2413], atol=1e-4)  # published, 4 decimals
    assert fit.sigma2_v == pytest.approx(0.01855, abs=1e-5)
    assert fit.sigma2_v == pytest.approx(R_REML["sigma2"], rel=1e-8)
    assert np.allclose(fit.beta, R_REML["beta"], atol=1e-8)
    assert np.allclose(fit.eb, R_REML["eb"], atol=1e-7)
    assert np.allclose(fit.mse, SAMPLICS_REML_MSE, atol=1e-6)
    # the EBLUP lies between the direct estimate and the regression, by γ
    assert np.allclose(fit.eb, fit.gamma * fit.direct + (1 - fit.gamma) * fit.synthetic)
    assert np.all((fit.gamma > 0) & (fit.gamma < 1))


def test_milk_ml_and_moments(milk):
    d, X = milk
    ml = fay_herriot(d.direct_est, d.std_error, X, method="ml")
    assert ml.sigma2_v == pytest.approx(R_ML["sigma2"], rel=1e-7)
    assert np.allclose(ml.beta, R_ML["beta"], atol=1e-8)
    assert np.allclose(ml.eb, R_ML["eb"], atol=1e-7)
    fh = fay_herriot(d.direct_est, d.std_error, X, method="fh")
    assert fh.sigma2_v == pytest.approx(SAMPLICS_FH["sigma2"], rel=1e-8)
    assert np.allclose(fh.beta, SAMPLICS_FH["beta"], atol=1e-6)
    assert np.allclose(fh.eb[:7], SAMPLICS_FH["eb"], atol=1e-6)
    assert np.allclose(fh.mse[:7], SAMPLICS_FH["mse"], atol=1e-6)


def test_shrink_command_writes_the_contract_columns(milk, tmp_path):
    d, X = milk
    data = d.assign(ma2=X[:, 0], ma3=X[:, 1], ma4=X[:, 2])
    data.to_csv(tmp_path / "in.csv", index=False)
    out = tmp_path / "out.csv"
    assert main(["shrink", "--input", str(tmp_path / "in.csv"), "--area", "small_area", "--estimate", "direct_est",
                 "--se", "std_error", "--covariates", "ma2,ma3,ma4", "--output", str(out)]) == 0
    got = pd.read_csv(out)
    assert list(got.columns[:6]) == ["area", "direct", "se", "eb", "mse", "gamma"]
    assert got["area"].tolist() == d.small_area.tolist()
    assert np.allclose(got["eb"], R_REML["eb"], atol=1e-7)
    assert np.allclose(got["mse"], SAMPLICS_REML_MSE, atol=1e-6)


@pytest.mark.parametrize("edit, message", [
    (lambda f: f.assign(std_error=f.std_error.where(f.index != 4, 0)), "column 'std_error', line 6: expected a positive number"),
    (lambda f: f.assign(direct_est=f.direct_est.astype(str).where(f.index != 2, "abc")), "column 'direct_est', line 4"),
    (lambda f: f.assign(small_area=f.small_area.where(f.index != 9, 1)), "column 'small_area', line 11: area '1' appears twice"),
])
def test_shrink_refuses_bad_rows_naming_column_and_line(tmp_path, capsys, edit, message):
    edit(pd.read_csv(MILK)).to_csv(tmp_path / "in.csv", index=False)
    assert main(["shrink", "--input", str(tmp_path / "in.csv"), "--area", "small_area", "--estimate", "direct_est",
                 "--se", "std_error"]) == 2
    assert message in capsys.readouterr().err


def test_collinear_or_too_few_areas_are_clear_errors():
    with pytest.raises(ValueError, match="collinear"):
        fay_herriot([0.1, 0.2, 0.3, 0.4], [0.1] * 4, np.ones((4, 1)))
    with pytest.raises(ValueError, match="more areas"):
        fay_herriot([0.1, 0.2], [0.1, 0.1], [[1.0], [2.0]])


def test_simulation_eb_beats_direct_and_its_mse_is_honest():
    """Areas of 5–200 respondents with known shares: on the arcsine scale the EBLUP's mean squared
    error is below the direct estimates', and the Prasad–Rao MSE estimates track the empirical MSE."""
    rng = np.random.default_rng(20261203)
    m, reps = 60, 300
    sizes = np.round(np.geomspace(5, 200, m)).astype(int)
    x = rng.normal(size=m)
    truth_t = 1.1 + 0.25 * x + rng.normal(scale=0.15, size=m)  # true shares on the arcsine scale
    truth_p = np.sin(np.clip(truth_t, 0, np.pi / 2)) ** 2
    err_direct, err_eb, est_mse = np.zeros(m), np.zeros(m), np.zeros(m)
    err_direct_p, err_eb_p = np.zeros(m), np.zeros(m)
    for _ in range(reps):
        p_hat = rng.binomial(sizes, truth_p) / sizes
        y, se = stabilise(p_hat, sizes, transform="asin")
        fit = fay_herriot(y, se, x[:, None], method="reml")
        err_direct += (y - truth_t) ** 2
        err_eb += (fit.eb - truth_t) ** 2
        est_mse += fit.mse
        err_direct_p += (p_hat - truth_p) ** 2
        err_eb_p += (unstabilise(fit.eb, "asin") - truth_p) ** 2
    err_direct, err_eb, est_mse = err_direct / reps, err_eb / reps, est_mse / reps
    assert err_eb.mean() < 0.6 * err_direct.mean()
    assert err_eb_p.sum() < 0.6 * err_direct_p.sum()  # also on the share scale, after back-transforming
    small = sizes <= 20
    assert err_eb[small].mean() < 0.5 * err_direct[small].mean()  # where it matters most
    assert 0.8 < est_mse.mean() / err_eb.mean() < 1.25


def test_stabilised_variance_is_positive_for_all_satisfied():
    _y, se = stabilise(np.array([1.0, 0.5]), np.array([6, 40]), transform="logit")
    assert np.all(se > 0) and np.isfinite(_y).all()
    _y, se = stabilise(np.array([1.0, 0.0]), np.array([6, 6]), transform="asin")
    assert se == pytest.approx([np.sqrt(1 / 24)] * 2)
    assert unstabilise(np.arcsin(np.sqrt(0.81)), "asin") == pytest.approx(0.81)
