"""Why S10 (one column in 1e9) is slow on CuPy: timed runs at growing scale,
with phases, search counts and a profile of the largest finished run."""
import cProfile, faulthandler, io, json, pstats, sys, time
import cupy as cp
from gpusmote import SMOTE, _timing
from gpusmote.bench import STRESS, make_data

faulthandler.dump_traceback_later(float(sys.argv[1]) if len(sys.argv) > 1 else 100, exit=True)
out = {}
for scale in (0.05, 0.2, 1.0):
    X, y = make_data(STRESS["S10"], scale=scale)
    Xd, yd = cp.asarray(X), cp.asarray(y)
    prof = cProfile.Profile()
    with _timing.record() as rec:
        t = time.perf_counter(); prof.enable()
        SMOTE(random_state=0).fit_resample(Xd, yd); cp.cuda.Device().synchronize()
        prof.disable(); s = time.perf_counter() - t
    s_io = io.StringIO(); pstats.Stats(prof, stream=s_io).sort_stats("cumulative").print_stats(30)
    out[scale] = {"rows": len(y), "seconds": s, "phases": dict(rec), "counts": dict(rec.counts)}
    print(json.dumps(out[scale]), flush=True)
    print(s_io.getvalue()[:6000], flush=True)
