#!/usr/bin/env bash
# The GPU checks and benchmarks of the GPU path, one step per device call (each
# well inside 10 minutes), so that a session lent a GPU spends its time measuring.
#
# On the machine without a GPU, once (imbalanced-learn is missing on the GPU image):
#   echo /.whl/ >> .git/info/exclude
#   python3 -m pip download --no-deps --only-binary=:all: -d .whl imbalanced-learn==0.14.2
# Then one device call per step, each carrying .whl:
#   bash benchmarks/gpu_session.sh tests   # every gpu-marked test (real CuPy, real kernels)
#   bash benchmarks/gpu_session.sh w3      # W3 from device arrays: imbalanced-learn, PyTorch, roofline
#   bash benchmarks/gpu_session.sh w2      # W2 from device arrays and from NumPy arrays
#   bash benchmarks/gpu_session.sh sweep   # W3 at several block budgets (working_memory)
#   bash benchmarks/gpu_session.sh w6      # SMOTEENN and BorderlineSMOTE at 2M rows
# JSON and logs go to $OUT where the device tool sets it (it brings them back;
# copy them to benchmarks/results/), else to benchmarks/results/.
set -uo pipefail

step=${1:-}
case $step in
    tests | w3 | w2 | sweep | w6) ;;
    *) echo "usage: gpu_session.sh tests|w3|w2|sweep|w6 (got '$step')" >&2; exit 2 ;;
esac
cd "$(dirname "$0")/.."
out=${OUT:-benchmarks/results}
mkdir -p "$out"

if ls .whl/*.whl >/dev/null 2>&1; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/site .whl/*.whl || exit 1
    export PYTHONPATH=/tmp/site:${PYTHONPATH:-}
fi
export PYTHONPATH=$PWD:${PYTHONPATH:-}
export PYTHONUNBUFFERED=1

python3 - <<'EOF' | tee "$out/device.txt"
import cupy, numpy, sklearn
props = cupy.cuda.runtime.getDeviceProperties(0)
free, total = cupy.cuda.Device().mem_info
print(f"device: {props['name'].decode() if isinstance(props['name'], bytes) else props['name']}, "
      f"{total / 2**30:.1f} GiB ({free / 2**30:.1f} free), "
      f"{props['multiProcessorCount']} SMs, cc {props['major']}.{props['minor']}")
print(f"cupy {cupy.__version__}, numpy {numpy.__version__}, scikit-learn {sklearn.__version__}")
try:
    import imblearn
    print(f"imbalanced-learn {imblearn.__version__}")
except ImportError:
    print("imbalanced-learn MISSING: carry .whl (see the top of this script)")
EOF

run() { python3 benchmarks/run.py "$@" --out "$out"; }

case $step in
    tests)
        python3 -m pytest -m gpu -q -p no:cacheprovider tests 2>&1 | tee "$out/gpu-tests.log"
        ;;
    w3)
        run W3 --backends cupy --repeat 3
        ;;
    w2)
        run W2 --backends cupy --inputs device,host --repeat 5
        ;;
    sweep)
        # Is a G block that stays in L2 (about 50 MB on an H100) worth more
        # launches? The default budget is 256 MiB.
        for wm in 16 64 256 1024; do
            run W3 --backends cupy --repeat 3 --working-memory "$wm" --without-imblearn
        done
        ;;
    w6)
        run W6 --backends cupy --repeat 1
        ;;
esac
