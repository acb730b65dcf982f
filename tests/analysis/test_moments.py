"""Cell moments (analysis.moments, analysis.moment_rates) against the microdata path."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.moments import MOMENTS, CellMoments, cell_moments, item_states, rates_from_moments
from analysis.rates import compute_rates, compute_rates_with_total

ITEMS = [f"q{k}" for k in range(1, 7)]
FACTORS = {"Access": ["q1", "q2", "q3"], "Staff": ["q4", "q5"]}
NUMERIC = ["rate", "se", "ci_lower", "ci_upper", "deff", "n_eff"]


def synthetic(n: int = 2500, seed: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Agencies as strata, a tiny domain, blanks, weights N_h/n_h per (stratum, gender), a
    population fpc per stratum, margins for raking; returns (data, margins)."""
    rng = np.random.default_rng(seed)
    agency = rng.choice(["A1", "A2", "A3", "B1"], n, p=[0.4, 0.3, 0.25, 0.05])
    region = rng.choice(["north", "south", "east"], n)
    region[5] = "tiny"  # a domain with one respondent
    gender = rng.choice(["F", "M"], n)
    age = rng.choice(["young", "old"], n, p=[0.3, 0.7])
    data = pd.DataFrame({"agency": agency, "region": region, "gender": gender, "age": age})
    n_h = data.groupby(["agency", "gender"])["agency"].transform("size")
    data["w"] = np.where(gender == "F", 9000.0, 11000.0) * (1 + (agency == "A2")) / n_h
    pop = data.groupby("agency")["agency"].transform("size") * 20
    data["pop"] = pop.astype(float)
    for k, item in enumerate(ITEMS):
        p = 0.55 + 0.05 * k + 0.1 * (agency == "A1")
        x = np.where(rng.random(n) < p, rng.integers(4, 6, n), rng.integers(1, 4, n)).astype(float)
        x[rng.random(n) < 0.08 + 0.02 * k] = np.nan
        data[item] = x
    data["q6"] = np.nan  # an all-blank measure
    margins = pd.DataFrame({
        "variable": ["gender", "gender", "age", "age"],
        "category": ["F", "M", "young", "old"],
        "total": [52000.0, 48000.0, 35000.0, 65000.0],
    })
    return data, margins


def moments_of(data: pd.DataFrame, keys: list[str], factors=FACTORS) -> CellMoments:
    pooled = dict(factors)
    if factors:
        pooled["overall"] = sorted({c for m in factors.values() for c in m}, key=ITEMS.index)
    cross = sorted({c for m in factors.values() for c in m}, key=ITEMS.index) if factors else ()
    states = item_states(data, [c for c in data.columns if c in ITEMS or c.startswith("q")])
    return cell_moments(data[keys], states, pooled=pooled, cross=cross)


def same(expected: pd.DataFrame, got: pd.DataFrame) -> None:
    assert list(got.columns) == list(expected.columns)
    assert got["n"].tolist() == expected["n"].tolist()
    for col in expected.columns:
        if col in NUMERIC:
            e, g = expected[col].to_numpy(float), got[col].to_numpy(float)
            assert np.array_equal(np.isnan(e), np.isnan(g)), col
            assert np.nanmax(np.abs(e - g), initial=0.0) <= 1e-9, col
        elif col != "n":
            assert got[col].dtype == expected[col].dtype, col
            assert got[col].tolist() == expected[col].tolist(), col


DATA, MARGINS = synthetic()
CASES = {
    "plain": dict(),
    "weighted": dict(weight="w"),
    "strata_fpc": dict(weight="w", strata="agency", fpc="pop"),
    "raked": dict(weight="w", strata="agency", margins=MARGINS),
    "raked_fpc": dict(weight="w", strata="agency", fpc="pop", margins=MARGINS),
    "unweighted_raked": dict(margins=MARGINS),
}


@pytest.mark.parametrize("rule", ["pooled", "mean"])
@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("by", [None, ["region"], ["region", "gender"]])
def test_equals_compute_rates(case, rule, by):
    kw = CASES[case]
    keys = ["agency", "region", "gender", "age", "w", "pop"]
    cm = moments_of(DATA, keys)
    expected = compute_rates(DATA, ITEMS, factors=FACTORS, rule=rule, by=by, **kw)
    got = rates_from_moments(cm, ITEMS, factors=FACTORS, rule=rule, by=by, **kw)
    same(expected, got)


@pytest.mark.parametrize("rule", ["pooled", "mean"])
def test_with_total(rule):
    kw = dict(weight="w", strata="agency", fpc="pop", margins=MARGINS, rule=rule, factors=FACTORS)
    cm = moments_of(DATA, ["agency", "region", "gender", "age", "w", "pop"])
    exp_by, exp_whole = compute_rates_with_total(DATA, ITEMS, by=["region"], **kw)
    got_by, got_whole = rates_from_moments(cm, ITEMS, by=["region"], with_total=True, **kw)
    same(exp_by, got_by)
    same(exp_whole, got_whole)


@pytest.mark.parametrize("mode", ["adjust", "average", "certainty"])
def test_lonely_psu_modes(mode):
    data = DATA.copy()
    data.loc[data.index[7], "agency"] = "solo"  # a stratum of one respondent
    data.loc[data.index[9], "agency"] = "solo2"
    kw = dict(weight="w", strata="agency", lonely_psu=mode, by=["gender"], factors=FACTORS)
    expected = compute_rates(data, ITEMS, rule="mean", **kw)
    got = rates_from_moments(moments_of(data, ["agency", "gender", "w"]), ITEMS, rule="mean", **kw)
    assert "note" in expected.columns
    same(expected, got)
    with pytest.raises(ValueError, match="single PSU"):
        rates_from_moments(moments_of(data, ["agency", "w"]), ITEMS, strata="agency",
                           lonely_psu="fail")


def test_reference_api_stratified_design(api):
    api = api["apistrat"].copy()  # tests/data/apistrat.csv = ../shared/reference/apistrat.csv
    items = ["sch.wide", "comp.imp", "both", "awards"]
    for c in items:  # Yes -> 5 (satisfied), No -> 1
        api[c] = api[c].map({"Yes": 5.0, "No": 1.0})
    factors = {"F": ["sch.wide", "comp.imp"]}
    kw = dict(weight="pw", strata="stype", fpc="fpc", factors=factors)
    states = item_states(api, items)
    cm = cell_moments(api[["stype", "pw", "fpc", "yr.rnd"]], states,
                      pooled={"F": factors["F"], "overall": factors["F"]}, cross=factors["F"])
    for rule in ("pooled", "mean"):
        for by in (None, ["yr.rnd"]):
            same(compute_rates(api, items, rule=rule, by=by, **kw),
                 rates_from_moments(cm, items, rule=rule, by=by, **kw))


def test_concat_of_partitions_equals_whole():
    keys = ["agency", "region", "gender", "w"]
    whole = moments_of(DATA, keys)
    part = np.random.default_rng(3).integers(0, 3, len(DATA))
    parts = [moments_of(DATA[part == i], keys) for i in range(3)]
    joined = CellMoments.concat(parts)
    order = lambda cm: cm.keys.sort_values(keys).index.to_numpy()  # noqa: E731
    a, b = order(whole), order(joined)
    assert whole.keys.iloc[a].reset_index(drop=True).equals(joined.keys.iloc[b].reset_index(drop=True))
    assert np.array_equal(whole.count[a], joined.count[b])
    assert np.array_equal(whole.m[a], joined.m[b])  # sums of integers: exact
    assert np.array_equal(whole.cross[a], joined.cross[b])


def test_reduce_sums_cells_and_keeps_rates():
    cm = moments_of(DATA, ["agency", "region", "gender", "w"])
    small = cm.reduce(["agency", "gender", "w"])
    direct = moments_of(DATA, ["agency", "gender", "w"])
    assert small.n_cells == direct.n_cells and small.count.sum() == len(DATA)
    a = small.keys.sort_values(["agency", "gender"]).index.to_numpy()
    b = direct.keys.sort_values(["agency", "gender"]).index.to_numpy()
    assert np.array_equal(small.m[a], direct.m[b]) and np.array_equal(small.cross[a], direct.cross[b])
    kw = dict(weight="w", strata="agency", factors=FACTORS, rule="mean")
    same(compute_rates(DATA, ITEMS, **kw), rates_from_moments(small, ITEMS, **kw))


def test_moments_of_one_item_by_hand():
    keys = pd.DataFrame({"k": ["a", "a", "b", np.nan]})
    cm = cell_moments(keys, {"x": np.array([2, 1, 0, 2], np.int8)}, pooled={"g": ["x"]}, cross=["x"])
    assert cm.keys["k"].iloc[:2].tolist() == ["a", "b"] and pd.isna(cm.keys["k"].iloc[2])
    assert cm.count.tolist() == [2, 1, 1]
    assert dict(zip(MOMENTS, cm.m[0, 0])) == {"n": 2, "s": 1, "a": 2, "ss": 1, "sa": 1, "aa": 2}
    assert np.array_equal(cm.m[:, 0], cm.m[:, 1])
    assert cm.cross[0, :, 0, 0].tolist() == [1, 1, 2]
    back = CellMoments.unpack(cm.keys, [cm.pack(i) for i in range(3)], cm.measures, cm.cross_items)
    assert np.array_equal(back.m, cm.m) and np.array_equal(back.cross, cm.cross)
    assert cm.pick(["g"]).m.shape == (3, 1, 6) and cm.subset(cm.count > 1).n_cells == 1


def test_errors_name_the_column():
    data = DATA.copy()
    cm = moments_of(data, ["region", "w"])
    with pytest.raises(ValueError, match="unknown rule"):
        rates_from_moments(cm, ITEMS, rule="median")
    bad = data.assign(w=data["w"].where(data.index != 4, -1.0))
    with pytest.raises(ValueError, match="weight column 'w'.*not positive"):
        rates_from_moments(moments_of(bad, ["region", "w"]), ITEMS, weight="w")
    blank = data.assign(region=data["region"].where(data.index != 3, " "))
    with pytest.raises(ValueError, match="by column 'region' is blank"):
        rates_from_moments(moments_of(blank, ["region"]), ITEMS, by=["region"])
    with pytest.raises(ValueError, match="cross moments of item"):
        cm0 = cell_moments(data[["region"]], item_states(data, ITEMS),
                           pooled={**FACTORS, "overall": ITEMS[:5]})
        rates_from_moments(cm0, ITEMS, factors=FACTORS, rule="mean")
    with pytest.raises(ValueError, match="not a key column"):
        rates_from_moments(cm, ITEMS, strata="agency")


def test_design_errors_match_compute_rates():
    keys = ["agency", "w", "pop"]
    low = DATA.assign(pop=DATA["pop"].where(DATA["agency"] != "B1", 3.0))
    for frame, kw in ((low, dict(strata="agency", fpc="pop")),
                      (DATA.assign(pop=np.arange(len(DATA), dtype=float)), dict(strata="agency", fpc="pop")),
                      (DATA, dict(margins=MARGINS.assign(total=[1.0, 2.0, 3.0, 4.0])))):
        with pytest.raises(ValueError) as micro:
            compute_rates(frame, ITEMS, **kw)
        keep = keys + [v for v in ("gender", "age") if "margins" in kw]
        with pytest.raises(ValueError) as cells:
            rates_from_moments(moments_of(frame, keep), ITEMS, **kw)
        assert str(cells.value) == str(micro.value)
    with pytest.raises(ValueError, match="PSUs cannot come from cells"):
        rates_from_moments(moments_of(DATA, keys), ITEMS, psu="agency")


def test_raking_that_does_not_converge_is_the_same_error():
    data = DATA.assign(age=np.where(DATA["gender"] == "F", "young", "old"))  # age = gender
    with pytest.raises(ValueError, match="raking did not converge") as micro:
        compute_rates(data, ITEMS, weight="w", margins=MARGINS)
    with pytest.raises(ValueError) as cells:
        rates_from_moments(moments_of(data, ["gender", "age", "w"]), ITEMS, weight="w",
                           margins=MARGINS)
    assert str(cells.value) == str(micro.value)


@pytest.mark.parametrize("block,small", [(7, 512), (7, 10), (1 << 16, 10)])
def test_cross_moments_across_row_blocks(monkeypatch, block, small):
    import analysis.moments as mo

    rng = np.random.default_rng(5)
    keys = pd.DataFrame({"k": rng.integers(0, 4, 300)})
    states = {f"x{i}": rng.integers(0, 3, 300).astype(np.int8) for i in range(3)}
    monkeypatch.setattr(mo, "_BLOCK", block)  # cells span many blocks
    monkeypatch.setattr(mo, "_SMALL", small)  # cells of ~75 rows: stacked, or one by one
    cm = cell_moments(keys, states, cross=list(states))
    y = np.stack([s == 2 for s in states.values()], axis=1).astype(float)
    a = np.stack([s > 0 for s in states.values()], axis=1).astype(float)
    for c, k in enumerate(cm.keys["k"]):
        rows = keys["k"].to_numpy() == k
        yc, ac = y[rows], a[rows]
        assert np.array_equal(cm.cross[c], np.stack([yc.T @ yc, yc.T @ ac, ac.T @ ac]))


def test_one_respondent_domain_has_zero_se_on_both_paths():
    """Its linearized values are 0 in exact arithmetic; rounding noise (se ~5e-9 after raking)
    used to collapse the interval to a point instead of the zero-SE rule (Clopper-Pearson)."""
    kw = dict(weight="w", strata="agency", margins=MARGINS, by=["region"], factors=FACTORS)
    cm = moments_of(DATA, ["agency", "region", "gender", "age", "w"])
    for table in (compute_rates(DATA, ITEMS, **kw), rates_from_moments(cm, ITEMS, **kw)):
        tiny = table[table["region"] == "tiny"].dropna(subset=["rate"])
        assert (tiny["se"] == 0).all() and (tiny["ci_upper"] - tiny["ci_lower"] > 0.5).all()


def test_raking_cells_with_frequency_weights_equals_raking_rows():
    from analysis.moment_rates import _cells
    from analysis.weights import rake

    keys = ["agency", "gender", "age", "w"]
    cm = moments_of(DATA, keys)
    rows = rake(DATA, "w", MARGINS).weights
    cells = _cells(cm, cm.keys, [], "w", "agency", None, MARGINS, "adjust")[0]
    code = DATA[keys].merge(cm.keys.reset_index(), on=keys, how="left")["index"].to_numpy()
    assert np.max(np.abs(cells.cell_w[code] - rows) / rows) < 1e-12


def test_labels_keep_their_dtype_and_missing_labels_are_refused():
    data = DATA.assign(size=np.where(DATA["agency"] == "A1", 10, 20))  # an int by column
    kw = dict(weight="w", by=["size", "region"])
    expected = compute_rates(data, ITEMS, **kw)
    got = rates_from_moments(moments_of(data, ["size", "region", "w"]), ITEMS, **kw)
    same(expected, got)
    assert got["size"].dtype == np.int64
    missing = DATA.assign(region=DATA["region"].where(DATA.index != 11))
    with pytest.raises(ValueError) as micro:
        compute_rates(missing.reset_index(drop=True), ITEMS, by=["region"])
    with pytest.raises(ValueError, match="by column 'region' is blank") as cells:
        rates_from_moments(moments_of(missing, ["region"]), ITEMS, by=["region"])
    assert str(micro.value).split(" on ")[0] == str(cells.value).split(" on ")[0]
