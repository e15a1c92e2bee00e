# Two commands from a fresh clone: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# `make demo` installs only what the demo needs (the demo extra); `make test`
# the test extra (pytest, hypothesis, Jupyter for the notebook, ...).
DEMO_STAMP := $(VENV)/.installed-demo
STAMP := $(VENV)/.installed

.PHONY: demo test bench clean gpu-wheels

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(DEMO_STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[demo]"
	touch $(DEMO_STAMP)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

# The model fits use at most min(4, cores - 1) OpenMP threads unless
# OMP_NUM_THREADS is set (gpusmote/cli/_models.py says why).
demo: $(DEMO_STAMP)
	$(BIN)/gpusmote demo

# the suite without the tests marked slow (the notebook, the GPU check's dry run);
# .ci/run adds them
test: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

bench: $(STAMP)
	$(BIN)/gpusmote bench

clean:
	rm -rf $(VENV) build *.egg-info

# .whl/ for benchmarks/device_check.sh on a GPU machine (no network there):
# imbalanced-learn, the sklearn-compat it imports, gpusmote built from this
# tree, and the tree's hash (the script checks the wheel against it). Needs
# network; run it again after every code change.
gpu-wheels: $(STAMP)
	rm -rf .whl
	$(BIN)/python -m pip download -q --no-deps --only-binary=:all: -d .whl \
		imbalanced-learn==0.14.2 sklearn-compat==0.1.6
	# Dask for tests/test_dask_cupy.py (pure-Python wheels; PyYAML, which dask
	# imports, is expected on the device image: without it those tests skip)
	$(BIN)/python -m pip download -q --no-deps --only-binary=:all: -d .whl \
		dask==2026.8.0 toolz==1.2.0 partd==1.4.2 locket==1.0.0 cloudpickle==3.1.3 \
		fsspec==2026.9.0 click==8.5.1 importlib_metadata==10.2.0 zipp
	# distributed for the GPU LocalCluster test (tests/test_dask_cupy.py), with
	# the binary wheels built for the device's CPython 3.12; installed apart
	$(BIN)/python -m pip download -q --no-deps --only-binary=:all: -d .whl/distributed \
		--python-version 3.12 --platform manylinux2014_x86_64 \
		--platform manylinux_2_17_x86_64 --platform manylinux_2_28_x86_64 \
		distributed==2026.8.0 tornado msgpack psutil sortedcontainers tblib zict \
		jinja2 markupsafe packaging pyyaml
	rm -rf build  # setuptools keeps deleted modules there, and they would ride in the wheel
	$(BIN)/python -m pip wheel -q --no-deps -w .whl .
	$(BIN)/python benchmarks/device_check.py hash gpusmote > .whl/gpusmote.sha256
	ls .whl
