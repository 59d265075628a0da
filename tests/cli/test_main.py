"""``ecgaug info``, ``python -m ecgaug``, and the glibc malloc re-execution."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from ecgaug._malloc import MALLOC_TUNING, OPT_OUT_ENV, malloc_tuning_active

glibc_only = pytest.mark.skipif(
    not malloc_tuning_active(dict(MALLOC_TUNING)),
    reason="the malloc tuning applies to Linux with glibc only",
)

# What the kernel handed the process at exec time, which is what glibc reads.
_SHOW = (
    "from ecgaug._malloc import ensure_malloc_tuning\n"
    "ensure_malloc_tuning()\n"
    "env = dict(v.split(b'=', 1) for v in "
    "open('/proc/self/environ', 'rb').read().split(b'\\0') if b'=' in v)\n"
    "print(env.get(b'MALLOC_MMAP_THRESHOLD_', b'-').decode(), "
    "env.get(b'MALLOC_TRIM_THRESHOLD_', b'-').decode())\n"
)


def _python(code_or_args, **env_changes) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in MALLOC_TUNING}
    env.pop(OPT_OUT_ENV, None)
    env.update(env_changes)
    args = ["-c", code_or_args] if isinstance(code_or_args, str) else code_or_args
    return subprocess.run(
        [sys.executable, *args], env=env, capture_output=True, text=True, timeout=120
    )


@glibc_only
def test_reexecutes_once_with_the_variables_set():
    proc = _python(_SHOW)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == [
        MALLOC_TUNING["MALLOC_MMAP_THRESHOLD_"],
        MALLOC_TUNING["MALLOC_TRIM_THRESHOLD_"],
    ]


@glibc_only
def test_opt_out_and_user_values_are_respected():
    proc = _python(_SHOW, **{OPT_OUT_ENV: "1"})
    assert proc.stdout.split() == ["-", "-"], proc.stderr
    mine = {"MALLOC_MMAP_THRESHOLD_": "1234", "MALLOC_TRIM_THRESHOLD_": "5678"}
    proc = _python(_SHOW, **mine)
    assert proc.stdout.split() == ["1234", "5678"], proc.stderr
    # one of two set: the other is added, the user's is kept
    proc = _python(_SHOW, MALLOC_MMAP_THRESHOLD_="1234")
    assert proc.stdout.split() == ["1234", MALLOC_TUNING["MALLOC_TRIM_THRESHOLD_"]]


@glibc_only
def test_library_calls_never_reexecute():
    code = (
        "import os\n"
        "from ecgaug.cli import main\n"
        "assert main(['--version']) == 0\n"
        "print(os.environ.get('MALLOC_MMAP_THRESHOLD_', '-'))\n"
    )
    proc = _python(code)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["ecgaug", _version(), "-"]


@glibc_only
def test_the_command_line_runs_tuned():
    proc = _python(["-m", "ecgaug", "info"])
    assert proc.returncode == 0, proc.stderr
    line = next(x for x in proc.stdout.splitlines() if x.startswith("malloc tuning"))
    assert line.split()[2] == "on", proc.stdout
    assert "MALLOC_TRIM_THRESHOLD_=68719476736" in line


def _version() -> str:
    from ecgaug import __version__

    return __version__
