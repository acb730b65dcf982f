"""Fixtures for the analysis tests: reference data and synthetic SIPAS frames."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

DATA = Path(__file__).resolve().parents[1] / "data"


def load_reference() -> dict:
    return json.loads((DATA / "r_survey_api.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def api() -> dict[str, pd.DataFrame]:
    return {
        name: pd.read_csv(DATA / f"{name}.csv")
        for name in ("apistrat", "apiclus1", "apiclus2", "kigyo")
    }


def make_sipas(n: int, n_agencies: int = 6, n_items: int = 6, seed: int = 0) -> pd.DataFrame:
    """Synthetic respondents: agencies, unequal weights, 5-point items, ~5% blanks."""
    rng = np.random.default_rng(seed)
    agency = rng.integers(0, n_agencies, n)
    frame = pd.DataFrame({
        "agency": [f"A{a:02d}" for a in agency],
        "weight": rng.uniform(1, 4, n) * (1 + agency % 3),
        "gender": rng.choice(["F", "M"], n),
        "age": rng.choice(["18-34", "35-59", "60+"], n),
        "channel": rng.choice(["kiosk", "link", "paper"], n),
        "cluster": rng.integers(0, 30, n),
    })
    for k in range(1, n_items + 1):
        p_sat = 0.6 + 0.05 * (agency % 4)
        x = np.where(rng.random(n) < p_sat, rng.integers(4, 6, n), rng.integers(1, 4, n)).astype(float)
        x[rng.random(n) < 0.05] = np.nan
        frame[f"q{k:02d}"] = x
    return frame


@pytest.fixture
def sipas() -> pd.DataFrame:
    return make_sipas(3000)
