import numpy as np
import pytest
from scipy.stats import rankdata

from vaelab.errors import VaelabError
from vaelab.metrics.downstream import downstream_accuracy, rank_correlation


def data(n, noise, seed):
    rng = np.random.default_rng(seed)
    factors = np.stack([rng.integers(3, size=n), rng.integers(5, size=n)], axis=1)
    codes = factors + noise * rng.normal(size=factors.shape)
    return codes, factors


@pytest.mark.parametrize("backend", ["lightgbm", "sklearn"])
def test_informative_codes_predict_factors_and_noise_does_not(backend):
    x, y = data(1300, 0.05, 0)
    out = downstream_accuracy(x[:1000], y[:1000], x[1000:], y[1000:], sizes=(10, 100, 1000), backend=backend)
    assert out["downstream.accuracy_1000"] > 0.98
    assert out["downstream.accuracy_100"] >= out["downstream.accuracy_10"] - 0.05
    rng = np.random.default_rng(1)
    noise = downstream_accuracy(rng.normal(size=(1000, 2)), y[:1000], rng.normal(size=(300, 2)), y[1000:],
                                sizes=(1000,), backend=backend)
    chance = np.mean([1 / 3, 1 / 5])
    assert abs(noise["downstream.accuracy_1000"] - chance) < 0.1


def test_sample_efficiency_is_the_ratio_of_accuracies():
    x, y = data(10300, 0.05, 2)
    out = downstream_accuracy(x[:10000], y[:10000], x[10000:], y[10000:], sizes=(100, 10000), backend="lightgbm")
    assert out["downstream.sample_efficiency"] == pytest.approx(out["downstream.accuracy_100"] / out["downstream.accuracy_10000"])


def test_errors():
    x, y = data(50, 0.1, 3)
    with pytest.raises(VaelabError, match="exceeds"):
        downstream_accuracy(x, y, x, y, sizes=(100,))
    with pytest.raises(VaelabError, match="unknown gradient-boosting backend"):
        downstream_accuracy(x, y, x, y, sizes=(10,), backend="svm")
    x[0, 0] = np.nan
    with pytest.raises(VaelabError, match="NaN"):
        downstream_accuracy(x, y, x, y, sizes=(10,))


def test_rank_correlation_against_an_independent_computation():
    rng = np.random.default_rng(4)
    a = rng.normal(size=12)
    scores = {"a": a, "b": 2 * a + 1, "c": -a**3, "d": rng.normal(size=12)}
    names, m = rank_correlation(scores)
    assert names == ["a", "b", "c", "d"]
    assert m[0, 1] == pytest.approx(1.0) and m[0, 2] == pytest.approx(-1.0)
    ra, rd = rankdata(a), rankdata(scores["d"])
    pearson_of_ranks = np.corrcoef(ra, rd)[0, 1]
    assert m[0, 3] == pytest.approx(pearson_of_ranks)
    _, m2 = rank_correlation({"a": a, "d": scores["d"]})
    assert m2.shape == (2, 2) and m2[0, 1] == pytest.approx(pearson_of_ranks)
    with pytest.raises(VaelabError, match="at least 3 runs"):
        rank_correlation({"a": [1, 2], "b": [2, 1]})
