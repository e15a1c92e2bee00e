"""The ``gpusmote`` command line, the tool layer over the library.

Its modules import one way (``_main`` -> ``_compare``/``_demo``/``_tables``
-> ``_registry``/``_plots``/``_models`` -> the ``gpusmote`` library), and only
``_registry`` and ``_tables`` load when the command starts: pandas,
scikit-learn and matplotlib come in with the subcommand that needs them, so
``gpusmote --help`` and ``--version`` answer at once.

==================  ==========================================================
``_main``           the parser, the subcommands and ``main``
``_registry``       method names -> samplers, ``CLIError``, metric names,
                    messages in the words of the flags
``_tables``         reading/writing files, column roles, id hints, the source
                    row of each resampled row (``--exclude``)
``_demo``           ``gpusmote demo``
``_compare``        ``gpusmote compare``
``_plots``          the PNG figures of both
``_models``         the classifiers and their thread cap
``_stream``         ``resample`` on Dask (directories, globs, larger than memory)
==================  ==========================================================
"""

from ._main import build_parser, main
from ._registry import (CATEGORICAL_METHODS, EXIT_ERROR, METHODS, CLIError, make_sampler,
                        parse_label, parse_sampling_strategy, sampler_class)

__all__ = ["CATEGORICAL_METHODS", "CLIError", "EXIT_ERROR", "METHODS", "build_parser", "main",
           "make_sampler", "parse_label", "parse_sampling_strategy", "sampler_class"]
