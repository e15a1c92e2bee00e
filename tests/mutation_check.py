"""A small mutation check: does the suite catch these bugs?

Each mutant is one deliberate bug, a text replacement in one file. The script
copies the working tree to a scratch directory (never touching this one),
applies one mutant at a time there, runs the tests named for it, and reports
which mutants the tests catch ("killed") and which pass ("SURVIVED").

    .venv/bin/python tests/mutation_check.py            # every mutant
    .venv/bin/python tests/mutation_check.py -k tie     # those whose name has "tie"
    .venv/bin/python tests/mutation_check.py --all      # run all of `make test`'s tests

Before the mutants, the same tests run on the unmutated copy: they must pass,
or a "kill" would mean nothing. Exit status 1 when a mutant survives. Not a
pytest module (its name does not start with ``test_``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


@dataclass
class Mutant:
    name: str
    path: str       # file, relative to the repository root
    old: str        # text that must occur exactly once
    new: str
    tests: tuple    # pytest arguments that should catch it


MUTANTS = [
    Mutant("neighbour is the seed itself (synthetic rows are copies)",
           "gpusmote/_generate.py", "nbr = table.reshape(-1)[cells]", "nbr = seeds[cells // k]",
           ("tests/test_generation.py",)),
    Mutant("a class's last seed is never drawn",
           "gpusmote/_generate.py", "(u_c * (len(p.seeds) * k))",
           "(u_c * (len(p.seeds) * k - k))", ("tests/test_generation.py",)),
    Mutant("RandomOverSampler never copies a class's last row",
           "gpusmote/_random.py", "(u * rows.shape[0])", "(u * (rows.shape[0] - 1))",
           ("tests/test_generation.py", "tests/test_random.py")),
    Mutant("SMOTENC one-hot scale median_std * 4 (not / sqrt 2), estimator k_neighbors",
           "gpusmote/_smote_nc.py", "= med / math.sqrt(2)", "= med * 4",
           ("tests/test_smote_nc.py",)),
    Mutant("SMOTENC's mismatch weight median_std (not its square)",
           "gpusmote/_smote_nc.py", "mixed_kneighbors(be, num, codes, med * med, k, budget)",
           "mixed_kneighbors(be, num, codes, med, k, budget)", ("tests/test_smote_nc.py",)),
    Mutant("mixed search: a frequent category match counts 2w",
           "gpusmote/_mixed_neighbors.py", "scale = np.sqrt(weight / 2)",
           "scale = np.sqrt(weight)", ("tests/test_mixed_neighbors.py",)),
    Mutant("mixed search: no rounding slack on the k-th score",
           "gpusmote/_mixed_neighbors.py", "limit = (kth + 2 * bound).astype(score.dtype)",
           "limit = kth.astype(score.dtype)", ("tests/test_mixed_neighbors.py",)),
    Mutant("mixed search: candidates ordered by distance only (ties not to the lower index)",
           "gpusmote/_mixed_neighbors.py", "    order = be.argsort_stable(refs)\n",
           "    order = xp.arange(refs.shape[0])[::-1]\n", ("tests/test_mixed_neighbors.py",)),
    Mutant("all-float32 DataFrame computed in float64",
           "gpusmote/_validation.py",
           "target = np.float32 if dtypes == {np.dtype(np.float32)} else np.float64",
           "target = np.float64", ("tests/test_generation.py", "tests/test_containers.py")),
    Mutant("CuPy sort fallback (m > 256) breaks ties to the higher index",
           "gpusmote/backends/_cupy.py", "order = cp.argsort(key_i, axis=1)",
           "order = cp.argsort(-key_i, axis=1)", ("tests/test_kernels.py", "-k", "gpu_topk")),
    # the neighbour engine's defences on hard inputs (tests/test_neighbors.py)
    Mutant("engine: NumPy top-k merge splits ties at the m-th score arbitrarily",
           "gpusmote/backends/_numpy.py", "    if split.size:", "    if False:",
           ("tests/test_neighbors.py",)),
    Mutant("engine: duplicate expansion drops the first member, not the row itself",
           "gpusmote/_duplicates.py", "xp.argmax(hit, axis=1), k)", "xp.argmax(hit, axis=1), 0)",
           ("tests/test_neighbors.py",)),
    Mutant("engine: duplicate expansion keeps k members per group in a self-search",
           "gpusmote/_duplicates.py", "keep = k + 1 if self_search else k",
           "keep = k if self_search else k", ("tests/test_neighbors.py",)),
    Mutant("engine: certification without the rounding margin",
           "gpusmote/neighbors.py", "return t_k + 2 * err < s_worst", "return t_k < s_worst",
           ("tests/test_neighbors.py",)),
    Mutant("engine: float64 re-check certified with float32's epsilon",
           "gpusmote/neighbors.py", "1.0, float(np.finfo(np.float64).eps)",
           "1.0, float(np.finfo(np.float32).eps)", ("tests/test_neighbors.py",)),
    Mutant("engine: self-centred blocks keep the global frame's norms",
           "gpusmote/neighbors.py", "be, score, d2, q_sq if q_sq_local is None else q_sq_local,",
           "be, score, d2, q_sq,", ("tests/test_neighbors.py",)),
    Mutant("engine: the centre is the mean again",
           "gpusmote/neighbors.py",
           "centre_dev = xp.median(sample64, axis=0) if median else sample64.mean(axis=0)",
           "centre_dev = X.mean(axis=0, dtype=xp.float64)", ("tests/test_neighbors.py",)),
    Mutant("class size: k + 1 rows refused",
           "gpusmote/_validation.py", "    if count >= n_neighbors + 1:\n        return",
           "    if count >= n_neighbors + 2:\n        return", ("tests/test_class_size.py",)),
    Mutant("class size: k rows accepted",
           "gpusmote/_validation.py", "    if count >= n_neighbors + 1:\n        return",
           "    if count >= n_neighbors:\n        return", ("tests/test_class_size.py",)),
    Mutant("all rows: k rows accepted by the cleaners' check",
           "gpusmote/_validation.py", "    if n_rows >= n_neighbors + 1:\n        return",
           "    if n_rows >= n_neighbors:\n        return", ("tests/test_class_size.py",)),
    Mutant("base_indices_ names the neighbour, not the row a new row was made from",
           "gpusmote/_generate.py", "    return Generated(out, base, nbr, steps)\n",
           "    return Generated(out, nbr, base, steps)\n",
           ("tests/test_generation.py", "tests/test_adasyn.py", "tests/test_provenance.py")),
    Mutant("engine: every doubtful direct row scored again in float64 (issue 13)",
           "gpusmote/neighbors.py",
           "many = reach.sum(axis=1) > max(k + 1, n_ref // _DIRECT_EXACT_SHARE)",
           "many = reach.sum(axis=1) >= 0", ("tests/test_neighbors.py", "-k", "direct")),
    Mutant("engine: integers told from the first rows only",
           "gpusmote/neighbors.py", "return test(A[:64]) and test(A)", "return test(A[:64])",
           ("tests/test_neighbors.py", "-k", "integer")),
    Mutant("engine: exact pairs ranked past the k-th",
           "gpusmote/neighbors.py", "keep = order[rank < k]", "keep = order[rank <= k]",
           ("tests/test_neighbors.py",)),
    Mutant("NearMiss-1 keeps the farthest rows",
           "gpusmote/_nearmiss.py",
           "score = self._scores(be, X_min, X_class, k_avg, k_avg)\n"
           "            return self._sorted(be, score, farthest=False)[:n_keep]",
           "score = self._scores(be, X_min, X_class, k_avg, k_avg)\n"
           "            return self._sorted(be, score, farthest=True)[:n_keep]",
           ("tests/test_nearmiss.py",)),
    Mutant("under-samplers' weights not those of the kept rows",
           "gpusmote/base.py", "return w[be.asarray(self.sample_indices_)]",
           "return w[:len(self.sample_indices_)]", ("tests/test_sample_weight.py",)),
    Mutant("provenance: a combined sampler's kept originals taken as new rows",
           "gpusmote/_provenance.py", "is_new = pos >= made.n_in", "is_new = pos > made.n_in",
           ("tests/test_provenance.py",)),
    Mutant("DataFrame index name dropped",
           "gpusmote/_containers.py",
           "return index.append(pd.Index(_fresh_labels(index, n_new), name=index.name))",
           "return index.append(pd.Index(_fresh_labels(index, n_new)))",
           ("tests/test_containers.py",)),
    Mutant("CUDA top-k kernel: tie rule flipped (higher index wins)",
           "gpusmote/backends/_kernels.py",
           "(unsigned long long)i_a < (unsigned long long)i_b",
           "(unsigned long long)i_a > (unsigned long long)i_b",
           ("tests/test_fake_cupy.py", "-k", "cuda_source")),
    Mutant("CUDA top-k kernel: a tile with takers skips the merge check",
           "gpusmote/backends/_kernels.py", "if (__syncthreads_or(took)) {",
           "if (__syncthreads_or(took && base == 0)) {",
           ("tests/test_kernels.py", "-k", "emulat")),
    Mutant("CUDA top-k kernel: the prefetched tile is the current one again",
           "gpusmote/backends/_kernels.py",
           "gpusmote_load_tile<T>(g_row, half_sq, base + TILE, n_cols, g_next, h_next);",
           "gpusmote_load_tile<T>(g_row, half_sq, base, n_cols, g_next, h_next);",
           ("tests/test_kernels.py", "-k", "emulat")),
    Mutant("CUDA interpolation kernel: step measured from the neighbour",
           "gpusmote/backends/_kernels.py", "o_row[j] = a + s * (b - a);",
           "o_row[j] = b + s * (a - b);", ("tests/test_fake_cupy.py", "-k", "cuda_source")),
]

# what is copied: the tree without the virtualenv, git data and build outputs
_IGNORE = shutil.ignore_patterns(".venv", ".git", "__pycache__", "*.egg-info", "build",
                                 ".pytest_cache", ".whl", "benchmarks/results")


def _run_tests(scratch: Path, args, all_tests: bool, timeout: int) -> tuple[int, float, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(scratch)  # the scratch copy's gpusmote, not the installed one
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
           "-m", "not slow", *([] if all_tests else args)]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=scratch, env=env, capture_output=True, text=True,
                          timeout=timeout)
    tail = (proc.stdout + proc.stderr).strip().splitlines()[-1:] or [""]
    return proc.returncode, time.perf_counter() - start, tail[0]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-k", default="", help="only mutants whose name contains this")
    parser.add_argument("--all", action="store_true", help="run every test for each mutant")
    parser.add_argument("--timeout", type=int, default=900, help="seconds per test run")
    args = parser.parse_args(argv)
    mutants = [m for m in MUTANTS if args.k.lower() in m.name.lower()]
    with tempfile.TemporaryDirectory(prefix="gpusmote-mutants-") as tmp:
        scratch = Path(tmp) / "repo"
        shutil.copytree(REPO, scratch, ignore=_IGNORE)
        probe = subprocess.run([sys.executable, "-c", "import gpusmote; print(gpusmote.__file__)"],
                               cwd=scratch, env={**os.environ, "PYTHONPATH": str(scratch)},
                               capture_output=True, text=True)
        assert probe.stdout.strip().startswith(str(scratch)), probe.stdout + probe.stderr
        # the tests must pass before any mutant, or a failure proves nothing
        for test_args in sorted({m.tests for m in mutants}):
            rc, secs, tail = _run_tests(scratch, test_args, args.all, args.timeout)
            if rc != 0:
                print(f"unmutated tree fails {' '.join(test_args)}: {tail}")
                return 2
        survivors = []
        for m in mutants:
            target = scratch / m.path
            original = target.read_text()
            if original.count(m.old) != 1:
                print(f"{'STALE':9} {m.name}: {m.path} has the text {original.count(m.old)} "
                      "times (update the mutant)")
                survivors.append(m)
                continue
            target.write_text(original.replace(m.old, m.new))
            try:
                rc, secs, tail = _run_tests(scratch, m.tests, args.all, args.timeout)
            finally:
                target.write_text(original)
            # a test process killed by a signal (the emulated kernel writing out of
            # bounds) fails the suite as surely as a failed assertion
            caught = rc == 1 or rc < 0
            status = ("killed" if rc == 1 else f"killed (crashed, signal {-rc})" if rc < 0
                      else "SURVIVED" if rc == 0 else f"error rc={rc}")
            if not caught:
                survivors.append(m)
            print(f"{status:9} {m.name}  [{' '.join(m.tests)}; {secs:.0f} s] {tail}",
                  flush=True)
    print(f"\n{len(mutants) - len(survivors)} of {len(mutants)} mutants killed"
          + (f"; survivors: {', '.join(m.name for m in survivors)}" if survivors else ""))
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
