import numpy as np

from minescan.pixelmodels.features import Feature
from minescan.pixelmodels.linear import LinearModel, fit_lasso_path, fit_logistic_path


def _data(n, rng):
    X = rng.normal(size=(n, 6)).astype(np.float32) * [1, 10, 100, 1, 1, 1]
    y = (2.0 * X[:, 0] + 0.05 * X[:, 1] + 0.3 * rng.normal(size=n)).astype(np.float32)
    return X, y


def test_lasso_weights_vanish_one_after_another_informative_last():
    rng = np.random.default_rng(0)
    X, y = _data(4000, rng)
    Xv, yv = _data(1000, rng)
    names = [f"f{i}" for i in range(6)]
    path = fit_lasso_path(X, y, Xv, yv, yv > 0, names, n_lambdas=30, min_ratio=1e-4)
    assert np.all(path.coefs[0] == 0)  # lambda_max: every weight is zero
    order = path.zero_order()
    assert order["feature"].tolist()[-2:] == ["f1", "f0"]  # the two that carry y vanish last
    assert order["vanish_order"].tolist() == list(range(1, 7))
    assert len(path.scores) == 30 and path.scores["pr_auc"].iloc[-1] > 0.9


def test_raw_scale_model_reproduces_the_path_predictions():
    rng = np.random.default_rng(1)
    X, y = _data(3000, rng)
    names = [f"f{i}" for i in range(6)]
    path = fit_lasso_path(X, y, X, y, y > 0, names, n_lambdas=10)
    features = [Feature(n, n) for n in names]
    model = path.model_at(9, features, "identity", "mine")
    expected = path.standardizer.transform(X.astype(np.float64)) @ path.coefs[9] + y.mean()
    got = model.decision({n: X[:, i] for i, n in enumerate(names)})
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)
    assert LinearModel.from_dict(model.to_dict()).to_dict() == model.to_dict()


def test_logistic_path_selects_a_sparse_model():
    rng = np.random.default_rng(2)
    X, y = _data(3000, rng)
    names = [f"f{i}" for i in range(6)]
    path = fit_logistic_path(X, y > 0, X, y > 0, names, n_lambdas=8, seed=0)
    chosen = path.select(0.01)
    assert 0 < np.count_nonzero(path.coefs[chosen]) <= 3
    assert path.coefs[chosen][0] > 0
