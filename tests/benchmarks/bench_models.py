"""Benchmark of the pixel models (not a test): probability throughput and LASSO path training time.

    python tests/benchmarks/bench_models.py [--pixels 1000000] [--scan-pixels 16000000]

On simulated pixel tables (fixtures.pixel_tables) it trains the LASSO path on one
million pixels (all 66 features of 11 bands), the L1-logistic path, picks the deployed sparse
model as the workflow does, and measures on one core:
- probability: the compiled sparse model on uint16 bands, blocked float32 numpy;
- scikit-learn: computing the full feature matrix and ``predict_proba`` of a
  LogisticRegression on it (same pixels), and ``predict_proba`` alone.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for the fixtures
from fixtures.pixel_tables import BANDS, pixel_table  # noqa: E402

from minescan.pixelmodels.features import build_features, compute_features  # noqa: E402
from minescan.pixelmodels.linear import fit_lasso_path, fit_logistic_path  # noqa: E402
from minescan.probability.apply import CompiledModel  # noqa: E402


def best_of(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pixels", type=int, default=1_000_000)
    parser.add_argument("--scan-pixels", type=int, default=16_000_000)
    parser.add_argument("--block", type=int, default=65536)
    args = parser.parse_args()
    side = 128
    table = pixel_table(int(np.ceil(args.pixels / side**2)), side=side, seed=0).iloc[: args.pixels]
    features = build_features(BANDS)
    names = [f.name for f in features]
    rng = np.random.default_rng(0)
    val = rng.random(len(table)) < 0.2
    with threadpool_limits(1):
        t = time.perf_counter()
        X = compute_features(table, features)
        t_features = time.perf_counter() - t
        y = table["mine"].to_numpy(np.float32)
        t = time.perf_counter()
        lasso = fit_lasso_path(X, y, X[val], y[val], y[val], names, n_lambdas=40)
        t_lasso = time.perf_counter() - t
        sub = rng.choice(len(table), 200_000, replace=False)
        t = time.perf_counter()
        logistic = fit_logistic_path(X[sub], y[sub], X[val], y[val], names, n_lambdas=20)
        t_logistic = time.perf_counter() - t
    model = logistic.model_at(logistic.select(0.01), features, "logistic", "mine")
    compiled = CompiledModel.from_model(model)

    reps = int(np.ceil(args.scan_pixels / len(table)))
    full = np.stack([table[b].to_numpy() for b in BANDS])
    stack = np.ascontiguousarray(np.tile(full[[BANDS.index(b) for b in compiled.bands]], reps))
    n_scan = stack.shape[1]
    t_scan = best_of(lambda: compiled.probability(stack, args.block))

    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(max_iter=200).fit(X[sub], y[sub])
    n_sk = len(table)
    columns = {b: full[i] for i, b in enumerate(BANDS)}
    with threadpool_limits(1):
        t_sk_total = best_of(lambda: clf.predict_proba(compute_features(columns, features)), 2)
        t_sk_predict = best_of(lambda: clf.predict_proba(X), 2)
    scan_rate = n_scan / t_scan
    result = {
        "cores": 1,
        "training_pixels": len(table),
        "features": len(features),
        "feature_matrix_s": round(t_features, 2),
        "lasso_path_s": round(t_lasso, 2),
        "lasso_lambdas": 40,
        "lasso_chosen_nonzero": int(np.count_nonzero(lasso.coefs[lasso.select(0.01)])),
        "logistic_path_s_200k": round(t_logistic, 2),
        "deployed_nonzero": int(model.meta["nonzero"]),
        "deployed_bands": compiled.bands,
        "deployed_pair_terms": len(compiled.pairs),
        "scan_pixels": n_scan,
        "scan_mpx_per_s_per_core": round(scan_rate / 1e6, 1),
        "sklearn_features_plus_predict_mpx_per_s": round(n_sk / t_sk_total / 1e6, 2),
        "sklearn_predict_only_mpx_per_s": round(n_sk / t_sk_predict / 1e6, 2),
        "speedup_vs_features_plus_predict": round(scan_rate / (n_sk / t_sk_total), 1),
        "speedup_vs_predict_only": round(scan_rate / (n_sk / t_sk_predict), 1),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
