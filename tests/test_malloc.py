"""roomy_malloc: the Dask path's heavy tasks keep freed memory while they run
(Dask's workers trim at 64 KiB), and give it back after."""

import threading

import numpy as np

from gpusmote._dask import _malloc


def test_raises_once_for_nested_and_concurrent_tasks_and_restores(monkeypatch):
    calls = []

    class FakeLibc:
        def mallopt(self, param, value):
            calls.append(("mallopt", param, value))
            return 1

        def malloc_trim(self, pad):
            calls.append(("trim", pad))
            return 1

    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "65536")
    monkeypatch.setattr(_malloc, "_libc", lambda: FakeLibc())
    barrier = threading.Barrier(2)

    def task():
        with _malloc.roomy_malloc():
            barrier.wait()  # both tasks inside at once
            with _malloc.roomy_malloc():
                np.ones(1 << 20).sum()

    threads = [threading.Thread(target=task) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls[:2] == [("mallopt", -1, 1 << 30), ("mallopt", -3, 32 << 20)]
    # restored once, to the worker's own threshold, then trimmed
    assert calls[2:] == [("mallopt", -3, 128 << 10), ("mallopt", -1, 65536), ("trim", 0)]
    assert _malloc._depth == 0


def test_does_nothing_without_dasks_setting(monkeypatch):
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
    monkeypatch.setattr(_malloc, "_libc", lambda: (_ for _ in ()).throw(AssertionError))
    with _malloc.roomy_malloc():
        pass

    @_malloc.roomy
    def work(x):
        return x + 1

    assert work(1) == 2 and work.__name__ == "work"
