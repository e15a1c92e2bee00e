"""GPU timing helpers: the device-free arithmetic on CPU, the rest on a GPU (``-m gpu``)."""

from __future__ import annotations

import numpy as np
import pytest

from gpusmote import _bench_gpu as bg


def test_roofline_seconds_adds_gemm_and_bytes():
    # 1000 minority rows, d=10: 2e7 FLOPs; bytes: (5000*10 + 6000*10 + 2*1000*10) * 4 + 1000*5*8
    t = bg.roofline_seconds(5000, 10, 1000, 1000, 5, fp32_flops=1e10, bandwidth=1e9)
    want = 2e7 / 1e10 + ((50_000 + 60_000 + 20_000) * 4 + 40_000) / 1e9
    assert t == pytest.approx(want, rel=1e-12)


def test_roofline_grows_with_the_work():
    base = bg.roofline_seconds(10**6, 30, 10**4, 10**6, 5, 5e13, 2e12)
    assert bg.roofline_seconds(10**6, 30, 2 * 10**4, 10**6, 5, 5e13, 2e12) > base
    assert bg.roofline_seconds(10**6, 30, 10**4, 2 * 10**6, 5, 5e13, 2e12) > base


def test_fp32_lanes_per_sm():
    assert bg.fp32_lanes_per_sm(8, 0) == 64      # A100
    assert bg.fp32_lanes_per_sm(9, 0) == 128     # H100 / H200
    assert bg.fp32_lanes_per_sm(8, 9) == 128


@pytest.mark.gpu
def test_gpu_timer_memory_and_floor(gpu):
    import cupy

    x = cupy.ones((2048, 2048), dtype=cupy.float32)
    with bg.cuda_timer() as t:
        x @ x
    assert t.seconds > 0
    bg.reset_device_pool()
    with bg.track_device_peak() as peak:
        y = cupy.empty(1 << 20, dtype=cupy.float32)
        del y
    assert peak.peak_bytes >= 4 << 20
    assert bg.peak_device_bytes() >= 0
    assert bg.device_fp32_flops() > 1e12
    assert bg.roofline_floor(10**6, 30, 10**4, 10**6, 5) > 0


@pytest.mark.gpu
def test_gpu_torch_baseline_phases(gpu):
    pytest.importorskip("torch")
    X = np.random.default_rng(0).standard_normal((3000, 8)).astype(np.float32)
    out = bg.torch_baseline(X, 5, 1000, seed=0, block_rows=1000)
    assert {"transfer", "neighbours", "generation", "total"} <= set(out)
    assert out["total"] >= out["neighbours"] > 0
