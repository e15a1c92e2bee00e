"""A stand-in for CuPy, on NumPy, so the CuPy code paths run on CPU-only machines.

What it is for: ``CupyBackend`` and every ``xp``-generic line of the samplers
run end to end without a GPU, through the same calls they make on a device.
What it is not: a test of CuPy itself. The kernels are computed from their
specification unless it is installed with ``kernels="emulated"``: then the
CUDA source itself runs (built as C++ by ``_emulation``, as ``test_kernels.py``
uses it), so a wrong kernel fails the sampler-level tests that use it. Where it can, it is stricter than CuPy, so that a
mistake that would fail on a device fails here too:

* device arrays are a separate type; mixing them with NumPy arrays in a
  ufunc or function raises ``TypeError``, and ``np.asarray(device_array)``
  raises as CuPy's does (implicit host conversion is not allowed);
* reductions return 0-d device arrays, not NumPy scalars;
* ``ndarray.set`` checks shape, dtype and contiguity, and device arrays hold
  numbers and booleans only (no objects or strings);
* a ``RawModule`` kernel checks every launch argument against the C
  signature in the source (a Python int passed for an ``int`` parameter is
  an error, as it is a silent misread on a device), the launch geometry and
  the arrays' dtypes, contiguity and sizes, then computes what the kernel
  is specified to compute, with NumPy; or, installed with
  ``kernels="emulated"``, runs the real CUDA source built for the CPU
  (``_emulation``) and fails the launch where it differs from that
  specification.

Every host<->device copy is logged in ``module.transfers`` as
``(direction, nbytes, what)``, direction ``"h2d"`` or ``"d2h"``: uploads by
``asarray``/``array``/``set`` and host index arrays; downloads by ``get``,
``asnumpy``, ``item``, ``tolist`` and ``bool``/``int``/``float`` of a device
array (``get(out=...)`` into memory from ``cuda.alloc_pinned_memory`` is
logged as ``"get pinned"``; ``module.pinned_uploads`` has the bytes of each
``set`` from pinned memory). Copies inside CuPy's own functions (the scalar a boolean mask's size
needs on a device) are not seen.

Install it with ``install(monkeypatch)``; it refuses to shadow a real CuPy.
"""

from __future__ import annotations

import re
import sys
import threading
import time
import types

import numpy as np
from numpy.lib.mixins import NDArrayOperatorsMixin

from gpusmote.backends import _kernels

from . import _emulation

_IMPLICIT = ("Implicit conversion to a NumPy array is not allowed. "
             "Please use `.get()` to construct a NumPy array explicitly.")


class ndarray(NDArrayOperatorsMixin):  # CuPy's name, lower case
    """A device array: a NumPy array that only device operations may touch."""

    __slots__ = ("_a",)

    def __init__(self, a: np.ndarray):
        assert isinstance(a, np.ndarray), type(a)
        self._a = a

    # -- what CuPy forbids -------------------------------------------------
    def __array__(self, dtype=None, copy=None):
        raise TypeError(_IMPLICIT)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        out = kwargs.get("out")
        if out is not None:
            kwargs["out"] = tuple(_unwrap(o) for o in out)
        result = getattr(ufunc, method)(*(_unwrap(x) for x in inputs), **kwargs)
        if out is not None:
            return out[0] if len(out) == 1 else out
        return _wrap(result)

    def __array_function__(self, func, types_, args, kwargs):
        # CuPy implements NEP 18: numpy.f(device arrays) runs cupy.f
        return getattr(module, func.__name__)(*args, **kwargs)

    # -- array protocol ----------------------------------------------------
    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    nbytes = property(lambda self: self._a.nbytes)
    itemsize = property(lambda self: self._a.itemsize)
    strides = property(lambda self: self._a.strides)
    flags = property(lambda self: self._a.flags)
    T = property(lambda self: ndarray(self._a.T))

    def __getitem__(self, key):
        return _wrap(self._a[_unwrap_key(key)])

    def __setitem__(self, key, value):
        self._a[_unwrap_key(key)] = _unwrap(value)

    def __len__(self):
        return len(self._a)

    def __iter__(self):
        return (ndarray(np.asarray(v)) for v in self._a)

    def __bool__(self):
        _log("d2h", self._a.nbytes, "bool")
        return bool(self._a)

    def __int__(self):
        _log("d2h", self._a.nbytes, "int")
        return int(self._a)

    def __float__(self):
        _log("d2h", self._a.nbytes, "float")
        return float(self._a)

    def __repr__(self):
        return f"fake_cupy.{self._a!r}"

    def get(self, stream=None, order="C", out=None, blocking=True):
        if stream is not None and not isinstance(stream, Stream):
            raise TypeError(f"stream must be a cupy.cuda.Stream, got {type(stream)}")
        if out is None:
            _STREAM.synchronize()
            _log("d2h", self._a.nbytes, "get")
            return np.array(self._a, order=order)
        # as CuPy checks ``out``: a NumPy array of this dtype and shape, contiguous
        if not isinstance(out, np.ndarray):
            raise TypeError("Only numpy.ndarray can be obtained from cupy.ndarray")
        if out.dtype != self.dtype:
            raise TypeError(f"{out.dtype} array cannot be obtained from {self.dtype} array")
        if out.shape != self.shape:
            raise ValueError(f"Shape mismatch. Expected shape: {self.shape}, "
                             f"actual shape: {out.shape}")
        if not (out.flags.c_contiguous or out.flags.f_contiguous):
            raise RuntimeError("`out` cannot be specified when copying to non-contiguous ndarray")
        if not out.flags.writeable:
            raise ValueError("`out` is read-only")
        pinned = _is_pinned(out)
        _log("d2h", self._a.nbytes, "get pinned" if pinned else "get out")
        src = self._a

        def copy():
            out[...] = src

        if stream is not None and pinned:
            # asynchronous, as CuPy < 13 always and CuPy >= 13 with blocking=False
            # make it: the stricter reading
            stream._queue(copy)
        else:
            _STREAM.synchronize()
            copy()
        return out

    def set(self, arr, stream=None):
        if not isinstance(arr, np.ndarray):
            raise TypeError(f"Only numpy.ndarray can be set to cupy.ndarray, got {type(arr)}")
        if arr.shape != self.shape:
            raise ValueError(f"Shape mismatch: {arr.shape} set to {self.shape}")
        if arr.dtype != self.dtype:
            raise TypeError(f"{arr.dtype} array cannot be set to {self.dtype} array")
        if not self._a.flags.c_contiguous:
            raise RuntimeError("Cannot set to non-contiguous array")
        if stream is not None and not isinstance(stream, Stream):
            raise TypeError(f"stream must be a cupy.cuda.Stream, got {type(stream)}")
        _log("h2d", arr.nbytes, "set")
        dst = self._a
        if _is_pinned(arr):
            module.pinned_uploads.append(arr.nbytes)
            if stream is not None:  # asynchronous: arr is read when the copy runs
                stream._queue(lambda: dst.__setitem__(Ellipsis, arr))
                return
        _STREAM.synchronize()
        dst[...] = arr

    def astype(self, dtype, order="K", casting=None, subok=None, copy=True):
        return ndarray(_device_dtype(self._a.astype(dtype, order=order, copy=copy)))

    def argsort(self, axis=-1, kind=None):
        return argsort(self, axis=axis)

    def sort(self, axis=-1, kind=None):
        self._a.sort(axis=axis, kind="stable")

    def item(self):
        _log("d2h", self._a.itemsize, "item")
        return self._a.item()

    def tolist(self):
        _log("d2h", self._a.nbytes, "tolist")
        return self._a.tolist()

    def __getattr__(self, name):
        if name.startswith("__"):  # no __array_interface__ & co: no host view
            raise AttributeError(name)
        attr = getattr(self._a, name)
        if callable(attr):
            return lambda *a, **k: _wrap(attr(*(_unwrap(x) for x in a),
                                              **{n: _unwrap(v) for n, v in k.items()}))
        return _wrap(attr)


def _unwrap(x):
    """The NumPy array behind a device array; host arrays are refused as CuPy refuses them."""
    if isinstance(x, ndarray):
        return x._a
    if isinstance(x, np.ndarray):
        raise TypeError(f"Unsupported type {type(x)}: a numpy.ndarray where a cupy.ndarray "
                        "is needed (use cupy.asarray)")
    if isinstance(x, (list, tuple)):
        return type(x)(_unwrap(v) for v in x)
    return x


def _unwrap_key(key):
    # CuPy takes host index arrays too (it copies them over)
    if isinstance(key, tuple):
        return tuple(_unwrap_key(k) for k in key)
    if isinstance(key, ndarray):
        return key._a
    if isinstance(key, (np.ndarray, list)):
        _log("h2d", np.asarray(key).nbytes, "host index")
    return key


def _log(direction: str, nbytes: int, what: str) -> None:
    module.transfers.append((direction, int(nbytes), what))


def transferred(direction: str) -> list[int]:
    """Bytes of each copy logged in ``direction`` ("h2d" or "d2h"), in order."""
    return [n for d, n, _ in module.transfers if d == direction]


def _wrap(x):
    if isinstance(x, np.ndarray):
        return ndarray(x)
    if isinstance(x, np.generic):  # CuPy reductions give 0-d arrays
        return ndarray(np.asarray(x))
    if isinstance(x, tuple):
        return tuple(_wrap(v) for v in x)
    if isinstance(x, list):
        return [_wrap(v) for v in x]
    return x


def _host_function(name):
    fn = getattr(np, name)

    def device_fn(*args, **kwargs):
        return _wrap(fn(*(_unwrap(a) for a in args),
                        **{k: _unwrap(v) for k, v in kwargs.items()}))

    device_fn.__name__ = name
    return device_fn


# -- module-level functions ----------------------------------------------------

def _device_dtype(a: np.ndarray) -> np.ndarray:
    # CuPy holds numbers and booleans only: no objects, strings or datetimes
    if a.dtype.kind not in "biufc":
        raise ValueError(f"Unsupported dtype {a.dtype}")
    return a


def _upload(host: np.ndarray) -> ndarray:
    _log("h2d", host.nbytes, "asarray")
    return ndarray(_device_dtype(host))


def asarray(a, dtype=None, order=None, **_):
    if isinstance(a, ndarray):
        return a if dtype is None else a.astype(dtype, copy=False)
    if isinstance(a, (list, tuple)) and any(isinstance(v, ndarray) for v in a):
        return ndarray(np.array([_unwrap(v) for v in a], dtype=dtype))
    return _upload(np.array(a, dtype=dtype, order=order or "K"))


def array(a, dtype=None, copy=True, order="K", **_):
    if isinstance(a, ndarray):
        return ndarray(np.array(a._a, dtype=dtype, order=order))
    return _upload(np.array(a, dtype=dtype, order=order))


def ascontiguousarray(a, dtype=None):
    return ndarray(np.ascontiguousarray(_unwrap(a), dtype=dtype))


def asnumpy(a, stream=None):
    return a.get() if isinstance(a, ndarray) else np.asarray(a)


def argsort(a, axis=-1, kind=None):
    # CuPy's sorts are Thrust's stable radix/merge sorts whatever ``kind`` says
    return ndarray(np.argsort(_unwrap(a), axis=axis, kind="stable"))


def einsum(subscripts, *operands, **kwargs):
    """NumPy's einsum, except that a contraction with a single output element
    comes out one ulp nearer zero. CuPy's einsum takes another path for one row
    than for many: on an H100, |q - x|^2 of a 6-feature pair measured alone
    was one ulp away from the same pair measured among others. Code that
    compares sums from calls of different shapes (exact ties broken by
    index) fails here as it would on a device."""
    out = np.einsum(subscripts, *(_unwrap(o) for o in operands), **kwargs)
    inputs, _, output = subscripts.replace(" ", "").partition("->")
    contracts = bool(set(inputs.replace(",", "")) - set(output))
    if contracts and np.size(out) == 1 and np.issubdtype(np.result_type(out), np.floating):
        out = np.nextafter(out, 0)
    return _wrap(out)


def sort(a, axis=-1, kind=None):
    return ndarray(np.sort(_unwrap(a), axis=axis, kind="stable"))


def get_array_module(*args):
    return module if any(isinstance(a, ndarray) for a in args) else np


# -- memory, streams, events, devices -------------------------------------------

class OutOfMemoryError(MemoryError):
    pass


class _Pool:
    def free_bytes(self):
        return 0

    def used_bytes(self):
        return 0

    def total_bytes(self):
        return 0

    def free_all_blocks(self):
        pass


_POOL = _Pool()


class Event:
    def __init__(self, *_, **__):
        self.time = None
        self._stream, self._upto = None, 0

    def record(self, stream=None):
        self.time = time.perf_counter()
        self._stream = stream or _STREAM
        self._upto = self._stream._queued

    def synchronize(self):
        if self._stream is not None:
            self._stream._run(self._upto)


class Stream:
    """A stream whose copies between device and pinned host memory are
    asynchronous, as on a device: queued, and done only when an event recorded
    after them, or the stream, is synchronised (or a kernel or a plain copy
    needs the stream). A host buffer changed before that is read as it is
    then, so reusing a staging buffer too early gives a wrong copy."""

    def __init__(self, *_, **__):
        self._pending = []      # (sequence number, copy) not yet done
        self._queued = 0        # copies queued so far
        self._lock = threading.Lock()

    def _queue(self, copy) -> None:
        with self._lock:
            self._queued += 1
            self._pending.append((self._queued, copy))

    def _run(self, upto=None) -> None:
        while True:
            with self._lock:
                if not self._pending or (upto is not None and self._pending[0][0] > upto):
                    return
                _, copy = self._pending.pop(0)
                copy()

    def synchronize(self):
        self._run()

    def record(self, event=None):
        event = event or Event()
        event.record(self)
        return event


_STREAM = Stream()


def get_elapsed_time(start: Event, end: Event) -> float:
    return (end.time - start.time) * 1e3


class MemoryHook:
    """``cupy.cuda.memory_hook.MemoryHook``: a context manager; the stand-in
    allocates nothing, so its callbacks are never called."""

    name = "hook"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class Device:
    free_bytes = 4 << 30
    total_bytes = 16 << 30
    compute_capability = "90"
    attributes = {"MultiProcessorCount": 4, "ClockRate": 1_000_000}

    def __init__(self, device=None):
        self.id = 0 if device is None else int(device)

    @property
    def mem_info(self):
        return self.free_bytes, self.total_bytes

    def synchronize(self):
        _STREAM.synchronize()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


_PROPERTIES = {"name": b"Fake CuPy on NumPy", "multiProcessorCount": 4,
               "clockRate": 1_000_000, "memoryClockRate": 1_000_000,
               "memoryBusWidth": 256, "totalGlobalMem": Device.total_bytes,
               "major": 9, "minor": 0}


class PinnedMemoryPointer(bytearray):
    """What ``cupy.cuda.alloc_pinned_memory`` returns: a buffer NumPy can view
    (``numpy.frombuffer``). The stand-in's is plain host memory, marked so that
    a copy through it is logged as pinned."""


def alloc_pinned_memory(nbytes: int) -> PinnedMemoryPointer:
    if not isinstance(nbytes, (int, np.integer)) or nbytes < 0:
        raise TypeError(f"alloc_pinned_memory takes a byte count, got {nbytes!r}")
    module.pinned_allocations.append(int(nbytes))
    return PinnedMemoryPointer(int(nbytes))


def _is_pinned(a: np.ndarray) -> bool:
    """Whether ``a`` views memory from ``alloc_pinned_memory``."""
    base = a
    while isinstance(base, np.ndarray):
        base = base.base
    if isinstance(base, memoryview):
        base = base.obj
    return isinstance(base, PinnedMemoryPointer)


# -- random -------------------------------------------------------------------

class Generator:
    """The slice of ``cupy.random.Generator`` the samplers use (float32/float64 only).

    ``random`` is NumPy's here; CuPy's float64 one has float32 resolution,
    which is why ``CupyBackend`` draws uniforms through ``integers``."""

    def __init__(self, bit_generator):
        seed = getattr(bit_generator, "seed", bit_generator)
        self._rng = np.random.default_rng(seed)

    def random(self, size=None, dtype=np.float64, out=None):
        _check_float(dtype)
        return ndarray(np.asarray(self._rng.random(size, dtype=dtype)))

    def integers(self, low, high=None, size=None, dtype=np.int64, endpoint=False):
        if high is None:
            low, high = 0, low
        return ndarray(np.asarray(self._rng.integers(int(low), int(high), size, dtype=dtype,
                                                     endpoint=endpoint)))

    def standard_normal(self, size=None, dtype=np.float64, out=None):
        _check_float(dtype)
        return ndarray(np.asarray(self._rng.standard_normal(size, dtype=dtype)))


def _check_float(dtype):
    if np.dtype(dtype) not in (np.float32, np.float64):
        raise TypeError(f"cupy.random.Generator supports float32 and float64, got {dtype}")


def default_rng(seed=None):
    return Generator(seed)


class Philox4x3210:
    """``cupy.random.Philox4x3210(seed, *, size=-1)``: a seed and a state count
    (CuPy >= 9; the stand-in draws NumPy's stream from the seed)."""

    def __init__(self, seed=None, *, size=-1):
        if not isinstance(size, int) or (size < 1 and size != -1):
            raise ValueError(f"size must be a positive int or -1, got {size!r}")
        self.seed, self.size = seed, size
        module.bit_generators.append(self)


# -- RawModule: launch checks against the C signatures ----------------------------

_C_TYPES = {"float": np.float32, "double": np.float64, "long long": np.int64, "int": np.int32}


def _signature(source: str, kernel: str, type_args: dict[str, str]) -> list[tuple[str, bool]]:
    """(C type, is pointer) of each parameter of ``kernel`` in ``source``."""
    match = re.search(rf"{kernel}\s*\(([^)]*)\)", source)
    assert match, f"kernel {kernel} not in the source"
    params = []
    for p in match.group(1).split(","):
        words = p.replace("__restrict__", "").replace("const", "").replace("*", " * ").split()
        pointer = "*" in words
        ctype = " ".join(w for w in words[:-1] if w != "*")
        params.append((type_args.get(ctype, ctype), pointer))
    return params


class RawModule:
    def __init__(self, code=None, options=(), name_expressions=None, **_):
        self.code = code
        self.names = list(name_expressions or [])
        assert "--fmad=false" in options, "the module must be built without FMA"
        for name in self.names:
            assert name.split("<")[0] in code, name

    def get_function(self, name):
        if name not in self.names:
            raise KeyError(f"{name} was not given in name_expressions")
        base, args = re.fullmatch(r"(\w+)<(.*)>", name).groups()
        args = [a.strip() for a in args.split(",")]
        type_args = {"T": args[0]}
        params = _signature(self.code, base, type_args)
        bucket = int(args[1]) if len(args) > 1 else None
        return _Kernel(base, params, np.dtype(_C_TYPES[args[0]]), bucket)


def _check_geometry(grid, block) -> None:
    """A launch's grid and block as a device takes them: tuples of 1 to 3 ints,
    each dimension within CUDA's limits, at most 1024 threads a block."""
    for what, dims, limits in (("grid", grid, (2**31 - 1, 65535, 65535)),
                               ("block", block, (1024, 1024, 64))):
        if not isinstance(dims, tuple) or not 1 <= len(dims) <= 3:
            raise TypeError(f"{what} must be a tuple of 1 to 3 ints, got {dims!r}")
        for v, limit in zip(dims, limits):
            if not isinstance(v, int) or isinstance(v, bool) or not 1 <= v <= limit:
                raise ValueError(f"{what} {dims!r}: each dimension 1 to {limits[:len(dims)]}")
    if int(np.prod(block)) > 1024:
        raise ValueError(f"block {block!r} has more than 1024 threads")


class _Kernel:
    def __init__(self, name, params, dtype, bucket):
        self.name, self.params, self.dtype, self.bucket = name, params, dtype, bucket
        module.launches.append(self)

    def __call__(self, grid, block, args, shared_mem=0, stream=None):
        _check_geometry(grid, block)
        _STREAM.synchronize()  # a launch runs after the copies queued before it
        if len(args) != len(self.params):
            raise TypeError(f"{self.name} takes {len(self.params)} arguments, got {len(args)}")
        for i, (arg, (ctype, pointer)) in enumerate(zip(args, self.params)):
            want = np.dtype(_C_TYPES[ctype])
            if pointer:
                ok = isinstance(arg, ndarray) and arg.dtype == want and arg.flags.c_contiguous
            else:
                ok = isinstance(arg, np.generic) and arg.dtype == want
            if not ok:
                raise TypeError(f"{self.name} argument {i}: want {ctype}{'*' if pointer else ''}, "
                                f"got {type(arg).__name__} {getattr(arg, 'dtype', '')}")
        a = [x._a if isinstance(x, ndarray) else x.item() for x in args]
        lib = module.emulation
        if lib is None:
            if self.name == "gpusmote_topk_update":
                self._topk(grid, block, *a)
            else:
                self._interpolate(grid, block, *a)
            return
        # the real CUDA source runs (tests/_emulation.py) and must match its specification
        outputs = (2, 3) if self.name == "gpusmote_topk_update" else (4,)
        spec = list(a)
        for i in outputs:
            spec[i] = a[i].copy()
        if self.name == "gpusmote_topk_update":
            self._topk(grid, block, *spec)
            _emulation.topk(lib, a[2], a[3], a[0], a[1], a[5], a[6] if a[7] else None, a[8])
        else:
            self._interpolate(grid, block, *spec)
            _emulation.interpolate(lib, *a[:5], grid=grid, block=block)
        module.emulated_launches += 1
        for i in outputs:
            if not np.array_equal(a[i], spec[i], equal_nan=True):
                bad = np.flatnonzero((a[i] != spec[i]).reshape(a[i].shape[0], -1).any(axis=1))
                raise AssertionError(
                    f"{self.name}<{self.dtype}, {self.bucket}> (the CUDA source, emulated) "
                    f"differs from its specification in {bad.size} of {a[i].shape[0]} rows "
                    f"(argument {i}; first row {bad[0]})")

    def _topk(self, grid, block, G, half, score, index, n_cols, col0, off, has_self, m):
        n_rows = score.shape[0]
        assert block == (_kernels.TOPK_THREADS,) and grid == (n_rows,), (grid, block)
        assert G.shape == (n_rows, n_cols) and half.shape == (n_cols,)
        assert score.shape == index.shape == (n_rows, m) and m <= self.bucket
        S = G - half
        if has_self:
            rows = np.arange(n_rows)
            inside = (rows + off >= 0) & (rows + off < n_cols)
            S[rows[inside], rows[inside] + off] = -np.inf
        idx = np.broadcast_to(np.arange(col0, col0 + n_cols), S.shape)
        pool_s = np.concatenate([score, S], axis=1)
        pool_i = np.concatenate([index, idx], axis=1)
        key_i = np.where(pool_i < 0, np.iinfo(np.int64).max, pool_i)
        order = np.lexsort((key_i, -pool_s), axis=1)[:, :m]
        best_s = np.take_along_axis(pool_s, order, axis=1)
        score[...] = best_s
        index[...] = np.where(np.isneginf(best_s), -1, np.take_along_axis(pool_i, order, axis=1))

    def _interpolate(self, grid, block, X, rows, nbrs, steps, out, n, d):
        assert (grid, block) == _kernels.interpolate_geometry(n, d), (grid, block)
        assert out.shape == (n, d) and X.shape[1] == d and rows.shape == nbrs.shape == steps.shape
        a, b = X[rows], X[nbrs]
        out[...] = a + steps[:, None] * (b - a)


# -- the module ------------------------------------------------------------------

class _Module(types.ModuleType):
    def __getattr__(self, name):
        value = getattr(np, name)  # AttributeError for what NumPy lacks too
        if callable(value) and not isinstance(value, type):
            return _host_function(name)
        return value


module = _Module("cupy")
module.__version__ = "0.0-fake"
module.__file__ = __file__
module.FAKE = True
module.launches = []
module.transfers = []          # (direction, nbytes, what) of every host<->device copy
module.bit_generators = []     # every Philox4x3210 made
module.pinned_allocations = []  # bytes of each alloc_pinned_memory
module.pinned_uploads = []     # bytes of each set() from pinned memory
module.emulation = None        # the kernel emulation's library while kernels="emulated"
module.emulated_launches = 0
for _name in ("asarray", "array", "ascontiguousarray", "asnumpy", "get_array_module",
              "ndarray", "RawModule", "argsort", "sort", "einsum"):
    setattr(module, _name, globals()[_name])
module.get_default_memory_pool = lambda: _POOL
module.get_default_pinned_memory_pool = lambda: _POOL

def _submodule(name: str, **attrs) -> types.ModuleType:
    sub = types.ModuleType(name)
    sub.__dict__.update(attrs)
    return sub


module.cuda = _submodule(
    "cupy.cuda", Device=Device, Event=Event, Stream=Stream,
    get_current_stream=lambda: _STREAM, get_elapsed_time=get_elapsed_time,
    alloc_pinned_memory=alloc_pinned_memory,
    memory=_submodule("cupy.cuda.memory", OutOfMemoryError=OutOfMemoryError),
    memory_hook=_submodule("cupy.cuda.memory_hook", MemoryHook=MemoryHook),
    runtime=_submodule("cupy.cuda.runtime", getDevice=lambda: 0, getDeviceCount=lambda: 1,
                       getDeviceProperties=lambda i: dict(_PROPERTIES)),
)
module.random = _submodule("cupy.random", default_rng=default_rng, Generator=Generator,
                           Philox4x3210=Philox4x3210)
_SUBMODULES = {"cupy.cuda": module.cuda, "cupy.cuda.memory": module.cuda.memory,
               "cupy.cuda.memory_hook": module.cuda.memory_hook,
               "cupy.cuda.runtime": module.cuda.runtime, "cupy.random": module.random}


def install(monkeypatch, kernels: str = "specification") -> types.ModuleType:
    """Put the stand-in in ``sys.modules['cupy']`` for one test; compiled-kernel caches cleared.

    ``kernels="emulated"`` runs every ``RawModule`` launch through the CUDA
    source built for the CPU (``_emulation``) and checks it against the
    specification; without a C++ compiler it falls back to the specification
    (``module.emulation`` stays None).
    """
    real = sys.modules.get("cupy")
    if real is not None and not getattr(real, "FAKE", False):
        raise RuntimeError("a real CuPy is loaded; the stand-in would shadow it")
    monkeypatch.setitem(sys.modules, "cupy", module)
    for name, sub in _SUBMODULES.items():  # for ``from cupy.cuda import memory_hook``
        monkeypatch.setitem(sys.modules, name, sub)
    for cached in (_kernels._module, _kernels.topk_kernel, _kernels.interpolate_kernel):
        cached.cache_clear()
    module.launches.clear()
    monkeypatch.setattr(module, "transfers", [])
    monkeypatch.setattr(module, "bit_generators", [])
    monkeypatch.setattr(module, "pinned_allocations", [])
    monkeypatch.setattr(module, "pinned_uploads", [])
    if kernels not in ("specification", "emulated"):
        raise ValueError(f"kernels must be 'specification' or 'emulated', got {kernels!r}")
    monkeypatch.setattr(module, "emulation",
                        _emulation.library() if kernels == "emulated" else None)
    monkeypatch.setattr(module, "emulated_launches", 0)
    return module
