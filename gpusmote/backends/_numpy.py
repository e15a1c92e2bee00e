"""NumPy backend: the CPU path, and the reference every CuPy kernel is tested against."""

from __future__ import annotations

import functools
import mmap
import os
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
from threadpoolctl import ThreadpoolController

from . import is_cupy_array

# Distance blocks are sized to stay near the CPU caches: the filter passes over a
# block then run at cache speed instead of memory speed. 512 x 512 (1 MiB of
# float32) ran the whole search ~15 % faster than 256 x 2048 at d = 30 and 64
# (taller blocks amortise BLAS's packing of the reference panel). Since the
# top-k merge got cheaper, 768 x 768 (2.25 MiB) beats it: self-searches of
# 10 000 x 30, 20 000 x 30, 12 000 x 20 and 50 000 x 64 4-9 % faster, 10 000
# queries of 200 000 rows x 30 9 %; 20 000 x 256 the same.
_BLOCK_ROWS = 768
_BLOCK_COLS = 768
# Blocks centred on themselves (along a dominant direction, or a re-check) round
# with the spread of their own rows, so they stay smaller: S10's 20 000 rows
# had 198 doubtful rows at 512 and 1 306 at 768 (0.14 -> 0.22 s).
_RECENTRED_BLOCK = 512
_SEED_COLS = 512
# Outputs at least this large go on transparent huge pages (empty_output).
_HUGE_PAGES_MIN_BYTES = 32 << 20
# Rows copied per task by copy_rows.
_COPY_CHUNK_BYTES = 8 << 20


@functools.lru_cache(maxsize=1)
def _blas_controller() -> ThreadpoolController:
    """Found once: scanning the loaded libraries costs milliseconds per call."""
    return ThreadpoolController()


@functools.lru_cache(maxsize=1)
def _pool() -> ThreadPoolExecutor:
    """One pool for the process: starting threads per call costs more than small searches."""
    return ThreadPoolExecutor(_n_threads(), thread_name_prefix="gpusmote")


def _n_threads() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


class TopK:
    """Running best-``m`` candidates of a block of query rows (larger score is closer)."""

    def __init__(self, n_rows: int, m: int, dtype):
        self.m = m
        self.score = np.full((n_rows, m), -np.inf, dtype=dtype)
        self.index = np.full((n_rows, m), -1, dtype=np.int64)
        self.seeded = False
        # hits that beat the bar but are not merged yet: (rows, scores, indices)
        # per block. Merging once they reach the state's size makes each merge
        # pay for itself; the bar they were filtered against only lags a little.
        self.pending: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.n_pending = 0
        self.bar = self.score[:, :1]  # the m-th best score of each row, as a column
        self.full = False             # every row has m candidates (its bar is finite)
        # a symmetric self-search adds to a block's rows from two threads at once
        # (the bar is read without it: a stale bar only lets more hits through)
        self.lock = threading.Lock()

    def add(self, rows: np.ndarray, scores: np.ndarray, index: np.ndarray) -> None:
        with self.lock:
            self.pending.append((rows, scores, index))
            self.n_pending += rows.size
            if self.n_pending >= self.score.size:
                self._merge_pending()

    def flush(self) -> None:
        """Merge the pending hits into the best m, and raise the bar."""
        with self.lock:
            self._merge_pending()

    def _merge_pending(self) -> None:
        if not self.pending:
            return
        rows, scores, index = (np.concatenate(part) for part in zip(*self.pending))
        self.pending, self.n_pending = [], 0
        if self.score.shape[0] <= 1 << 16:
            # NumPy's stable sort is a radix sort for 16-bit keys: 50 000 random
            # rows in 0.25 ms instead of 2.8 (a symmetric search's column hits
            # come in the order of their references, not their rows)
            rows = rows.astype(np.uint16)
        by_row = np.argsort(rows, kind="stable")
        _merge(self, rows[by_row], scores[by_row], index[by_row])
        self.set_bar()

    def set_bar(self) -> None:
        self.bar = self.score.min(axis=1, keepdims=True)
        self.full = bool(self.bar.min() > -np.inf)


class NumpyBackend:
    """Host arrays, BLAS GEMM, threshold-filter top-k, threaded blocks."""

    name = "numpy"
    xp = np
    # exact refinement works on chunks of about this many bytes (L2-sized)
    refine_bytes = 1 << 20
    # ... except the candidates' refinement (neighbors._refine), whose ten NumPy
    # calls per chunk cost more than the second MiB of cache: 8.2 -> 6.9 ms for
    # a 10 000 x 30 self-search, 77 -> 60 ms for 50 000 x 64
    refine_candidates_bytes = 2 << 20
    # rounding unit of the float32 GEMM of the candidate search
    gemm_eps = float(np.finfo(np.float32).eps)
    # host MemoryError is not retried with smaller blocks (see neighbors._shrink_on_oom)
    oom_errors = ()
    # the search may fold -|r|^2/2 into the GEMM as one more column (topk_update
    # then gets half_sq_norms=None); a separate pass over each block costs more
    folds_norms = True
    # a full self-search may compute each pair of blocks once and fold it into
    # both blocks' rows (neighbors._symmetric_candidates; topk_update_columns)
    symmetric_self_search = True
    # the largest side of a block centred on itself (neighbors._candidates)
    recentred_block = _RECENTRED_BLOCK

    # -- arrays and memory -------------------------------------------------
    @staticmethod
    def asarray(x: Any, dtype=None) -> np.ndarray:
        if is_cupy_array(x):  # pragma: no cover - needs a GPU
            x = x.get()
        return np.asarray(x, dtype=dtype)

    @staticmethod
    def to_numpy(x: Any) -> np.ndarray:
        if is_cupy_array(x):  # pragma: no cover - needs a GPU
            return x.get()
        return np.asarray(x)

    @staticmethod
    def release_memory() -> None:
        """Nothing is cached on the host."""

    @staticmethod
    def free_bytes() -> int | None:
        """Host memory is not probed: the user budget alone sizes host blocks."""
        return None

    @staticmethod
    def block_shape(n_rows: int, n_cols: int, itemsize: int, budget_bytes: int):
        """Rows x columns of one distance block: cache-sized, within the budget."""
        rows, cols = min(_BLOCK_ROWS, n_rows), min(_BLOCK_COLS, n_cols)
        per_thread = max(budget_bytes // _n_threads(), 1)
        while rows * cols * itemsize > per_thread and (rows > 1 or cols > 1):
            if cols >= rows and cols > 1:
                cols = max(1, cols // 2)
            else:
                rows = max(1, rows // 2)
        return rows, cols

    @staticmethod
    def map_blocks(fn: Callable, items: Iterable) -> list:
        """Run ``fn`` over query blocks on every core, each with a 1-thread BLAS."""
        items = list(items)
        n_threads = min(_n_threads(), len(items))
        if n_threads <= 1:
            return [fn(item) for item in items]
        with _blas_controller().limit(limits=1, user_api="blas"):
            return list(_pool().map(fn, items))

    @staticmethod
    def serial():
        """A context in which BLAS runs on one thread (small work: waking the
        BLAS threads costs more than the work, worse on a busy machine)."""
        return _blas_controller().limit(limits=1, user_api="blas")

    # -- top-k selection ---------------------------------------------------
    @staticmethod
    def topk_init(n_rows: int, m: int, dtype) -> TopK:
        return TopK(n_rows, m, dtype)

    def topk_update(self, state: TopK, G: np.ndarray, half_sq_norms: np.ndarray,
                    col0: int, self_offset: int | None) -> None:
        """Fold one block into the running best-m.

        ``G`` holds ``q . r`` for a block of queries x references (it is
        overwritten). The score ``q . r - |r|^2 / 2`` ranks references like the
        squared distance, closest first; ``half_sq_norms=None`` says that G
        holds the scores already. ``self_offset``, when given, marks
        reference ``row + self_offset`` of each block row as the query itself.
        """
        if half_sq_norms is not None:
            G -= half_sq_norms
        if self_offset is not None:
            _mask_self(G, self_offset)
        m = state.m
        if state.seeded or G.shape[1] < m:
            # (a first block narrower than m, as a search that starts from the
            # last block may meet, cannot set a threshold: all of it is merged)
            hits = np.flatnonzero(G > state.bar)
            state.seeded = True
        else:
            # A sample of the first block sets the threshold (a SIMD sort beats
            # argpartition); about m * width / n_seed hits per row then merge.
            n_seed = min(G.shape[1], max(_SEED_COLS, 8 * m))
            threshold = np.sort(G[:, :n_seed], axis=1)[:, -m]
            hits = np.flatnonzero(G >= threshold[:, None])
            state.seeded = True
            if hits.size == state.score.size:  # no ties at the threshold: exactly m per row
                state.score[:] = G.reshape(-1)[hits].reshape(state.score.shape)
                state.index[:] = (hits % G.shape[1] + col0).reshape(state.index.shape)
                state.set_bar()
                return
        if hits.size:
            width = G.shape[1]
            rows = hits // width
            cols = hits - rows * width
            state.add(rows, G.reshape(-1)[hits], cols + col0)
        if not state.full:  # not m candidates in every row yet: no bar to filter by
            state.flush()

    @staticmethod
    def topk_update_columns(state: TopK, S: np.ndarray, row0: int) -> None:
        """Fold one block of symmetric scores into the best-m of its columns:
        ``S[i, j]`` scores reference ``row0 + i`` for the state's row ``j``
        (``topk_update`` then folds the same block into its rows)."""
        hits = np.flatnonzero(S > state.bar.reshape(1, -1))
        if hits.size:
            width = S.shape[1]
            refs = hits // width
            state.add(hits - refs * width, S.reshape(-1)[hits], refs + row0)
        if not state.full:
            state.flush()

    @staticmethod
    def topk_result(state: TopK):
        """The best-m scores and reference indices, unordered within a row."""
        state.flush()
        return state.score, state.index

    # -- small primitives whose CuPy form differs --------------------------
    @staticmethod
    def argsort_stable(a: np.ndarray, axis: int = -1) -> np.ndarray:
        """Stable argsort: equal keys keep their order."""
        return np.argsort(a, axis=axis, kind="stable")

    @staticmethod
    def argsort_rows_by(primary: np.ndarray, secondary: np.ndarray) -> np.ndarray:
        """Each row's order by ``primary``, ties by ``secondary`` (one lexsort:
        half the time of two stable argsorts)."""
        return np.lexsort((secondary, primary), axis=-1)

    @staticmethod
    def sum_squares(diff: np.ndarray) -> np.ndarray:
        """Sum of squares over the last axis (``diff`` may be overwritten).
        NumPy's einsum sums each row by the same loop whatever the number of
        rows, so an exact tie stays a tie between calls of any shape."""
        return np.einsum("...j,...j->...", diff, diff)

    @staticmethod
    def repeat_rows(counts: np.ndarray, total: int) -> np.ndarray:
        """Row ``i`` repeated ``counts[i]`` times (``total`` = counts.sum())."""
        out = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
        if out.size != total:
            raise ValueError(f"counts sum to {out.size}, expected {total}")
        return out

    # -- generation --------------------------------------------------------
    @staticmethod
    def empty_output(shape: tuple, dtype) -> np.ndarray:
        """An uninitialised output array; large ones on transparent huge pages.

        A fresh output is first touched page by page: with 4 KiB pages that is
        ~250 000 faults per GiB, seconds on a busy machine. Huge pages (asked
        for with madvise, where the kernel offers them) cut that 512-fold.
        """
        dtype = np.dtype(dtype)
        nbytes = int(np.prod(shape)) * dtype.itemsize
        if nbytes < _HUGE_PAGES_MIN_BYTES or not hasattr(mmap, "MADV_HUGEPAGE"):
            return np.empty(shape, dtype=dtype)
        buffer = mmap.mmap(-1, nbytes, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
        try:
            buffer.madvise(mmap.MADV_HUGEPAGE)
        except OSError:  # pragma: no cover - kernel without transparent huge pages
            pass
        return np.frombuffer(buffer, dtype=dtype).reshape(shape)

    def copy_rows(self, src: np.ndarray, dst: np.ndarray) -> None:
        """``dst[...] = src`` on every core (the first touch of a fresh output, too)."""
        chunk = max(1, _COPY_CHUNK_BYTES // max(1, src[:1].nbytes))
        self.map_blocks(lambda r0: dst.__setitem__(slice(r0, r0 + chunk), src[r0:r0 + chunk]),
                        range(0, src.shape[0], chunk))

    @staticmethod
    def rng(seed: int) -> np.random.Generator:
        return np.random.default_rng(seed)

    def interpolate(self, X: np.ndarray, rows: np.ndarray, nbrs: np.ndarray,
                    steps: np.ndarray, out: np.ndarray, chunk_rows: int) -> None:
        """``out[i] = X[rows[i]] + steps[i] * (X[nbrs[i]] - X[rows[i]])``, in chunks."""
        n = rows.shape[0]
        starts = range(0, n, chunk_rows)

        def one(start: int) -> None:
            stop = min(start + chunk_rows, n)
            target = out[start:stop]
            # (mode="clip": the indices are valid, and take buffers ``out``
            # under the default mode="raise"; 49 -> 39 ms for W2's 980 000 rows)
            np.take(X, rows[start:stop], axis=0, out=target, mode="clip")
            diff = np.take(X, nbrs[start:stop], axis=0, mode="clip")
            diff -= target
            diff *= steps[start:stop, None]
            target += diff

        self.map_blocks(one, starts)


def _mask_self(G: np.ndarray, self_offset: int) -> None:
    """Give each query's own column a score of -inf so it is never selected."""
    first = max(0, -self_offset)                       # rows whose own column is here
    last = min(G.shape[0], G.shape[1] - self_offset)
    if first < last:  # most blocks miss the diagonal
        rows = np.arange(first, last)
        G[rows, rows + self_offset] = -np.inf


def _merge(state: TopK, rows: np.ndarray, scores: np.ndarray, index: np.ndarray) -> None:
    """Merge one block's hits (sorted by row) into the best-m of their rows."""
    m = state.m
    counts = np.bincount(rows, minlength=state.score.shape[0])
    touched = np.flatnonzero(counts)
    per_row = counts[touched]
    # one padded row per touched query: current best, then its hits, then -inf
    local = np.repeat(np.arange(touched.size), per_row)
    slot = np.arange(m, m + rows.size) - np.repeat(np.cumsum(per_row) - per_row, per_row)
    width = m + int(per_row.max())
    pool_s = np.full((touched.size, width), -np.inf, dtype=state.score.dtype)
    pool_i = np.full((touched.size, width), -1, dtype=np.int64)
    pool_s[:, :m] = state.score[touched]
    pool_i[:, :m] = state.index[touched]
    pool_s[local, slot] = scores
    pool_i[local, slot] = index
    # The m-th largest score of each row by a SIMD sort (a third of
    # argpartition's time); without ties at it, exactly m scores reach it.
    at_least = pool_s >= np.sort(pool_s, axis=1)[:, width - m:width - m + 1]
    kept_at = np.flatnonzero(at_least)
    if kept_at.size == pool_s.shape[0] * m:
        state.score[touched] = pool_s.reshape(-1)[kept_at].reshape(-1, m)
        state.index[touched] = pool_i.reshape(-1)[kept_at].reshape(-1, m)
        return
    # a tie at the m-th score (or fewer than m scores): argpartition, then the
    # rows whose tie crosses the line ordered fully, the lower index first
    best = np.argpartition(pool_s, width - m, axis=1)[:, width - m:]
    kept = np.take_along_axis(pool_s, best, axis=1)
    split = np.flatnonzero(np.count_nonzero(at_least, axis=1) > m)
    if split.size:
        by_index = np.where(pool_i[split] < 0, np.iinfo(np.int64).max, pool_i[split])
        best[split] = np.lexsort((by_index, -pool_s[split]), axis=-1)[:, :m]
        kept = np.take_along_axis(pool_s, best, axis=1)
    state.score[touched] = kept
    state.index[touched] = np.take_along_axis(pool_i, best, axis=1)
