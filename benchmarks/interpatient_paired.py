"""Two inter-patient runs compared arm by arm and seed by seed.

``interpatient.py`` is deterministic on a given machine: a seed fixes the
classifier's initialisation, its batches and the generators' draws. Two runs
that differ in one option (e.g. ``--record-difference``) can therefore be
paired per arm and seed, and the spread of the differences says whether the
option did more than seed noise. Reads two results files of
``interpatient.py`` (nothing is trained) and writes
``<out>/<name>.{json,md}``: for every arm both runs have, the mean difference
``a - b`` over their shared seeds with a 95 % t-interval.

Usage::

    python benchmarks/interpatient_paired.py \\
        benchmarks/results/interpatient_record-difference.json \\
        benchmarks/results/interpatient.json \\
        --name interpatient_record-difference_paired
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import _common as C

#: Scores compared seed by seed: (label, getter of one run).
SCORES = {
    "macro-F1 (N/S/V/F)": lambda r: r["test"]["f1_macro_without_Q"],
    "S Se": lambda r: r["test"]["recall"]["S"],
    "S +P": lambda r: r["test"]["precision"]["S"],
    "S AP": lambda r: r["S_average_precision"],
    "V Se": lambda r: r["test"]["recall"]["V"],
    "V +P": lambda r: r["test"]["precision"]["V"],
}


def compare(a: dict, b: dict) -> dict[str, dict]:
    """Per arm both reports have, per score: ``a - b`` paired by seed."""
    runs_a, runs_b = C.runs_by_arm(a["runs"]), C.runs_by_arm(b["runs"])
    shared = [arm for arm in runs_a if arm in runs_b]
    if not shared:
        raise ValueError(
            f"the two runs share no arm (a: {sorted(runs_a)}, b: {sorted(runs_b)})"
        )
    out = {}
    for arm in shared:
        diffs = C.paired_scores(runs_a[arm], runs_b[arm], SCORES)
        if any(d is not None for d in diffs.values()):
            out[arm] = diffs
    if not out:
        raise ValueError("the two runs share no seed of any arm")
    return out


def markdown(rep: dict) -> str:
    a, b = rep["a"], rep["b"]
    lines = [
        "# Inter-patient runs paired by seed: a minus b",
        "",
        f"- command: `{rep['command']}`",
        f"- a: `{a['command']}` (commit {str(a['commit'])[:7]}, {a['date_utc']})",
        f"- b: `{b['command']}` (commit {str(b['commit'])[:7]}, {b['date_utc']})",
        f"- git (of this comparison): {rep['git'].get('commit')}",
        f"- date {rep['date_utc']}",
        "",
        "Mean of the per-seed differences a - b [95 % t-interval]; ✓ / ✗: "
        "the interval lies above / below 0, the only differences that are more "
        "than seed noise.",
        "",
    ]
    lines += C.diff_table("arm", rep["paired"], list(SCORES))
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a", type=Path, help="results JSON of interpatient.py")
    parser.add_argument("b", type=Path, help="the results JSON subtracted")
    parser.add_argument("--name", required=True, help="output file name (no suffix)")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args(argv)
    reports = C.read_reports(parser, (args.a, args.b))
    argv = sys.argv[1:] if argv is None else list(argv)
    rep = {
        "benchmark": args.name,
        "command": " ".join(["python", "benchmarks/interpatient_paired.py", *argv]),
        "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "git": C.git_info(),
        "a": C.results_source(args.a, reports[0]),
        "b": C.results_source(args.b, reports[1]),
        "paired": compare(*reports),
    }
    text = markdown(rep)
    C.write_results(args.out, args.name, rep, text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
