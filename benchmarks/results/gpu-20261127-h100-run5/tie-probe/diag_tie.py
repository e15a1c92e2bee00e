"""One-off device diagnosis: the direct path's one_row_repeated float32 failure."""
import sys, json
import numpy as np
sys.path.insert(0, ".")
if "--fake" in sys.argv:
    from _pytest.monkeypatch import MonkeyPatch
    from tests import _fake_cupy
    _fake_cupy.install(MonkeyPatch())
import cupy as cp
import gpusmote.neighbors as nb
from tests.test_neighbors import _hard, PATHS
from tests._helpers import brute_knn, to_numpy
from gpusmote import _timing

out = {}
z = cp.zeros((90, 400), dtype=cp.float64)
out["argmax_zeros"] = to_numpy(cp.argmax(z, axis=1))[:5].tolist()
z32 = cp.zeros((90, 400), dtype=cp.float32)
out["argmax_zeros32"] = to_numpy(cp.argmax(z32, axis=1))[:5].tolist()
out["argsort_zeros"] = to_numpy(cp.argsort(z[:, :20], axis=1))[0].tolist()
r = cp.repeat(cp.arange(3), 400); c = cp.tile(cp.arange(400), 3); d = cp.full(1200, 2.5)
o = to_numpy(cp.lexsort(cp.stack([c.astype(cp.float64), d, r.astype(cp.float64)])))
out["lexsort_first"] = o[:8].tolist(); out["lexsort_ok"] = bool((o == np.arange(1200)).all())
for n, v in PATHS["direct"].items():
    setattr(nb, n, v)
log = []
def wrap(name):
    f = getattr(nb, name)
    def w(*a, **kw):
        res = f(*a, **kw)
        def show(x):
            if x is None: return None
            x = to_numpy(x); return x.reshape(x.shape[0], -1)[:2, :10].tolist() if x.ndim else x.tolist()
        arrs = [show(x) if hasattr(x, "shape") else repr(x)[:40] for x in a]
        log.append({"f": name, "args": arrs, "res": [show(x) for x in (res if isinstance(res, tuple) else (res,))]})
        return res
    setattr(nb, name, w)
for name in ["_some_high", "_order_by_distance", "_k_nearest_pairs", "_exact_d2"]:
    wrap(name)
for dtype in (np.float32, np.float64):
    X = _hard("one_row_repeated", 400).astype(dtype)
    Q = _hard("one_row_repeated", 90, seed=1).astype(dtype)
    for queries, wm in [(None, None), (None, 0.002), (Q, 0.002)]:
        log.clear()
        with _timing.record() as ph:
            dist, idx = nb.kneighbors(cp.asarray(X), 7, queries=None if queries is None else cp.asarray(queries),
                                      backend="cupy", working_memory=wm)
        ref_d2, ref_idx = brute_knn(X, 7, queries)
        ok = bool((to_numpy(idx) == ref_idx).all())
        key = f"{np.dtype(dtype).name}-{'Q' if queries is not None else 'self'}-{wm}"
        out[key] = {"ok": ok, "idx0": to_numpy(idx)[:2].tolist(), "counts": dict(getattr(ph, "counts", {}) or {}),
                    "log": log[:12] if not ok else len(log)}
for k_, v_ in out.items(): print(k_, json.dumps(v_, default=str))
