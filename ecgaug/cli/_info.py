"""``ecgaug info``: versions, compute device and data folders, for bug reports."""

from __future__ import annotations

import argparse
import os
import platform
import sys

__all__ = ["add_parser", "run"]


def add_parser(sub) -> argparse.ArgumentParser:
    """Register ``ecgaug info``."""
    parser = sub.add_parser(
        "info",
        help="versions, device, data folders and malloc tuning",
        description="Print the versions of ecgaug and its main dependencies, the "
        "compute device 'auto' resolves to, the data and cache folders, and "
        "whether the glibc malloc tuning is active. Paste it into bug reports.",
    )
    parser.set_defaults(run=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Print the environment report."""
    import imblearn
    import numpy
    import sklearn
    import skorch
    import torch

    from ecgaug import __version__
    from ecgaug._malloc import MALLOC_TUNING, OPT_OUT_ENV, malloc_tuning_active
    from ecgaug._threads import THREADS_ENV, fit_threads
    from ecgaug._utils import resolve_device
    from ecgaug.datasets import get_cache_dir, get_data_home
    from ecgaug.generators import __all__ as samplers

    if malloc_tuning_active():
        malloc = "on (" + ", ".join(f"{k}={os.environ[k]}" for k in MALLOC_TUNING)
        malloc += ")"
    else:
        malloc = f"off ({OPT_OUT_ENV}, not glibc, or started without the ecgaug CLI)"
    rows = [
        ("ecgaug", __version__),
        ("python", sys.version.split()[0]),
        ("platform", platform.platform()),
        ("torch", torch.__version__),
        ("numpy", numpy.__version__),
        ("scikit-learn", sklearn.__version__),
        ("imbalanced-learn", imblearn.__version__),
        ("skorch", skorch.__version__),
        ("device auto", str(resolve_device("auto"))),
        ("cpu threads", str(torch.get_num_threads())),
        ("threads per fit now", f"{fit_threads()} (ecgaug._threads; {THREADS_ENV})"),
        ("OMP_WAIT_POLICY", os.environ.get("OMP_WAIT_POLICY", "unset (threads spin)")),
        ("data home", str(get_data_home())),
        ("cache dir", str(get_cache_dir())),
        ("samplers", ", ".join(samplers)),
        ("malloc tuning", malloc),
    ]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key.ljust(width)}  {value}")
    return 0
