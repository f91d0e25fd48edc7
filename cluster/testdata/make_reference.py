#!/usr/bin/python3
"""Reference values for the cluster package's tests, from scikit-learn.

Run from this directory with the system Python (Debian python3-sklearn):
    /usr/bin/python3 make_reference.py
It writes metrics.json and kmeans.json. Versions used are recorded in the
files; the values were made with scikit-learn 1.2.1, numpy 1.24.2,
scipy 1.10.1.
"""
import json

import numpy as np
import scipy
import sklearn
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs
from sklearn.metrics import (adjusted_rand_score, normalized_mutual_info_score,
                             mutual_info_score)
from sklearn.metrics.cluster import contingency_matrix

VERSIONS = {"sklearn": sklearn.__version__, "numpy": np.__version__,
            "scipy": scipy.__version__}


def accuracy(labels, clusters):
    """Clustering accuracy with the Hungarian matching (scipy)."""
    c = contingency_matrix(labels, clusters)  # labels × clusters
    rows, cols = linear_sum_assignment(-c)
    return c[rows, cols].sum() / len(labels)


def purity(labels, clusters):
    c = contingency_matrix(labels, clusters)
    return c.max(axis=0).sum() / len(labels)


def metric_cases():
    rng = np.random.RandomState(42)
    cases = []
    shapes = [(10, 2, 2), (30, 3, 4), (100, 10, 10), (200, 10, 7),
              (200, 5, 12), (1000, 10, 10), (57, 1, 3), (57, 4, 1),
              (500, 20, 20)]
    for n, n_labels, n_clusters in shapes:
        labels = rng.randint(0, n_labels, n)
        # Clusters that partly follow the labels, so scores are not ~0.
        clusters = np.where(rng.rand(n) < 0.6, labels % n_clusters,
                            rng.randint(0, n_clusters, n))
        # Arbitrary ids (negative, gaps) must not matter.
        clusters = clusters * 3 - 5
        cases.append({
            "labels": labels.tolist(), "clusters": clusters.tolist(),
            "nmi": normalized_mutual_info_score(labels, clusters),
            "ari": adjusted_rand_score(labels, clusters),
            "mi": mutual_info_score(labels, clusters),
            "acc": accuracy(labels, clusters),
            "purity": purity(labels, clusters),
        })
    return cases


def short(X):
    """Rounds X to 3 decimals, so that the JSON is short and the float32
    values Go parses are exactly those sklearn used."""
    X = np.round(X, 3)
    return X.astype(np.float32), [round(float(v), 3) for v in X.ravel()]


def kmeans_cases():
    out = {}
    # 1. A data set with overlapping blobs: the best inertia of several
    # sklearn fits (n_init=10) is the target a Go fit must reach.
    X, y = make_blobs(n_samples=1200, centers=6, n_features=8,
                      cluster_std=2.5, random_state=3)
    X, xs = short(X)
    best = min(KMeans(n_clusters=6, n_init=10, random_state=s).fit(X).inertia_
               for s in range(5))
    out["overlap"] = {"n": X.shape[0], "d": X.shape[1], "k": 6,
                      "x": xs, "best_inertia": float(best)}

    # 2. Runs from given initial centers: the Go iterations must follow
    # sklearn's exactly (same labels, same number of iterations).
    X, y = make_blobs(n_samples=600, centers=4, n_features=5,
                      cluster_std=3.0, random_state=7)
    X, xs = short(X)
    rng = np.random.RandomState(0)
    init = X[rng.choice(len(X), 4, replace=False)].copy()
    runs = []
    for name, init_c, tol in [
            ("plain", init, 1e-4),
            ("loose-tol", init, 1e-1),
            # a center far from every point: its cluster is empty at the
            # first iteration and must be reseeded at the farthest point.
            ("empty", np.vstack([init[:3], np.full((1, 5), 100, np.float32)]), 1e-4)]:
        for algo in ["lloyd", "elkan"]:
            km = KMeans(n_clusters=4, init=init_c, n_init=1, tol=tol,
                        algorithm=algo).fit(X)
            runs.append({"name": name, "algorithm": algo, "tol": tol,
                         "init": init_c.ravel().tolist(),
                         "labels": km.labels_.tolist(),
                         "n_iter": int(km.n_iter_),
                         "inertia": float(km.inertia_),
                         "centers": km.cluster_centers_.ravel().tolist()})
    out["given_init"] = {"n": X.shape[0], "d": X.shape[1], "k": 4,
                         "x": xs, "runs": runs}
    return out


def main():
    with open("metrics.json", "w") as f:
        json.dump({"versions": VERSIONS, "cases": metric_cases()}, f)
    with open("kmeans.json", "w") as f:
        json.dump({"versions": VERSIONS, **kmeans_cases()}, f)


if __name__ == "__main__":
    main()
