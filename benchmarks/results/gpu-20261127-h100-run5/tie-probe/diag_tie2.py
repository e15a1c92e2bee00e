import numpy as np, cupy as cp, sys
sys.path.insert(0, ".")
import gpusmote.neighbors as nb
from gpusmote.backends import get_backend
be = get_backend("cupy")
print("refine_bytes", be.refine_bytes)
x = cp.asarray(np.random.default_rng(0).normal(size=6).astype(np.float32)).astype(cp.float64)
q = cp.asarray(np.random.default_rng(1).normal(size=6).astype(np.float32))
for n in (1, 2, 3, 7, 64, 399, 400):
    diff = cp.tile(x, (n, 1)); diff -= q
    a = cp.einsum("ij,ij->i", diff, diff); b = (diff * diff).sum(axis=1)
    print(n, repr(float(a[0])), repr(float(a[-1])), repr(float(b[-1])))
