"""The ``ecgaug`` command line (also ``python -m ecgaug``).

A thin layer over the library, one module per command::

    ecgaug demo        the main job on the bundled sample: generative oversampling
                       vs SMOTE vs nothing, a table and a figure
    ecgaug data        summarise / extract / cache a database of beats
    ecgaug fit         train a generative sampler, save it
    ecgaug sample      draw beats from a saved sampler to .npz / .csv
    ecgaug evaluate    quality report and figures for a saved sampler
    ecgaug bench       run a script of the repository's benchmarks/
    ecgaug info        versions, device, data folders

Exit status: 0 on success, 2 on bad arguments or input (one line on stderr,
no traceback), 1 when a computation fails (set ``ECGAUG_DEBUG=1`` for the
traceback), 130 when interrupted, 141 when the output pipe closes.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
import warnings
from collections.abc import Sequence

from ecgaug import __version__
from ecgaug._malloc import ensure_malloc_tuning
from ecgaug.cli import _bench, _data, _demo, _evaluate, _fit, _info, _sample
from ecgaug.cli._common import CLIError, env_flag

__all__ = ["main"]

_COMMANDS = (_demo, _data, _fit, _sample, _evaluate, _bench, _info)
PROG = "ecgaug"
DEBUG_ENV = "ECGAUG_DEBUG"


class _Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one line: ``ecgaug fit: error: ...``."""

    def error(self, message: str):
        hint = f"run '{self.prog} --help'"
        self.exit(2, f"{self.prog}: error: {_one_line(message)} ({hint})\n")


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``ecgaug`` and of every command."""
    parser = _Parser(
        prog=PROG,
        description="Synthetic ECG heartbeats for small and imbalanced data sets: "
        "train class-conditional generative models, oversample minority classes, "
        "pretrain classifiers. Run 'ecgaug COMMAND --help' for each command.",
        epilog="Documentation: docs/ in the repository (build it with 'make -C docs "
        "html'). Exit status: 0 success, 2 bad arguments or input, 1 failure.",
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module in _COMMANDS:
        module.add_parser(sub)
    return parser


def _one_line(message: str) -> str:
    return " ".join(str(message).split())


def _show_warning(message, category, filename, lineno, file=None, line=None):
    stream = sys.stderr if file is None else file
    name = getattr(category, "__name__", "Warning")
    print(f"{PROG}: {name}: {_one_line(message)}", file=stream)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``ecgaug`` command line.

    Parameters
    ----------
    argv : sequence of str, default=None
        The arguments after the program name; ``None`` reads ``sys.argv`` and,
        on Linux with glibc, first restarts the process once with the malloc
        settings of :func:`ecgaug._malloc.ensure_malloc_tuning` (opt out with
        ``ECGAUG_NO_MALLOC_TUNING=1``). A given ``argv`` never restarts.

    Returns
    -------
    int
        The exit status: 0 success, 1 failure, 2 bad arguments or input, 130
        interrupted.
    """
    if argv is None:
        ensure_malloc_tuning()
        argv = sys.argv[1:]
    argv = list(argv)
    passthrough: list[str] = []
    if argv[:1] == ["bench"] and "--" in argv:  # arguments for the script itself
        cut = argv.index("--")
        argv, passthrough = argv[:cut], argv[cut + 1 :]
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a parse error (printed)
        return int(exc.code or 0)
    if passthrough:
        args.script_args = passthrough
    if args.command is None:
        print(
            f"{PROG}: error: a COMMAND is required: "
            f"{', '.join(m.__name__.rsplit('._', 1)[-1] for m in _COMMANDS)} "
            f"(run '{PROG} --help')",
            file=sys.stderr,
        )
        return 2
    debug = env_flag(DEBUG_ENV)
    name = " ".join(filter(None, (args.command, getattr(args, "action", None))))
    with warnings.catch_warnings():
        if not debug:
            warnings.showwarning = _show_warning
        try:
            return int(args.run(args) or 0)
        except KeyboardInterrupt:
            print(f"{PROG}: interrupted", file=sys.stderr)
            return 130
        except BrokenPipeError:  # e.g. ``ecgaug data summary | head``: stop quietly
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            return 141  # 128 + SIGPIPE, as a shell reports a process killed by it
        except (CLIError, ValueError, TypeError, OSError) as exc:
            if debug:
                traceback.print_exc()
            print(f"{PROG} {name}: error: {_describe(exc)}", file=sys.stderr)
            return 2
        except Exception as exc:  # a failure of the computation, not of the input
            if debug:
                traceback.print_exc()
            print(
                f"{PROG} {name}: failed: {type(exc).__name__}: "
                f"{_describe(exc)} (set {DEBUG_ENV}=1 for the traceback)",
                file=sys.stderr,
            )
            return 1


def _describe(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.filename and exc.strerror:
        return f"{exc.strerror}: {exc.filename}"
    return _one_line(str(exc)) or type(exc).__name__
