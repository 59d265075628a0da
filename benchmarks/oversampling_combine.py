"""Two ``oversampling.py`` runs of the same pipelines combined into one table.

``oversampling.py`` is deterministic on a given machine: a seed fixes the
classifier's initialisation, its batches and the samplers' draws. A run of a
few methods (a generator: hours per seed at the standard budget) can
therefore be set beside an earlier run of others (the classical baselines)
and paired seed by seed, **provided the two runs trained the same
pipelines**. Both runs always train ``none`` (no resampling); this script
requires that every method both ran scored exactly the same test scores on
every seed both ran, which holds only when the data, the classifier and its
training were the same, and refuses otherwise. It then takes, per setting,
``a``'s methods and those of ``b`` that ``a`` did not run, and writes the
table, the paired differences (to no resampling and to the best classical
balancer) and the goals of ``oversampling.py`` to ``<out>/<name>.{json,md}``,
naming the run each method came from. Nothing is trained.

Usage (``a``: a generator's run, ``b``: the baselines' run, same budget)::

    python benchmarks/oversampling_combine.py A.json B.json --name NAME --out DIR

e.g. with ``A.json`` the standard budget's
``oversampling_intra-patient_methods-none-DiffusionSampler+filter.json`` and
``B.json`` its ``oversampling_intra-patient_baselines.json``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import _common as C
import oversampling as O

TITLE = "Oversampling: two runs combined"


def combine_setting(setting: str, a: dict, b: dict) -> dict:
    """One setting of two results: ``a``'s runs and ``b``'s other methods.

    Raises
    ------
    ValueError
        When the runs share no method, when a shared method scored otherwise
        on a shared seed (not the same pipelines), or when ``b`` lacks one of
        ``a``'s seeds for a method it adds.
    """
    runs_a, runs_b = a["runs"], b["runs"]
    methods_a = list(dict.fromkeys(r["method"] for r in runs_a))
    methods_b = list(dict.fromkeys(r["method"] for r in runs_b))
    shared = [m for m in methods_a if m in methods_b]
    if not shared:
        raise ValueError(
            f"{setting}: the runs share no method (a: {methods_a}, b: {methods_b}), "
            "so nothing shows that they trained the same pipelines"
        )
    checked = _check_identical(setting, runs_a, runs_b, shared)
    seeds = sorted({r["seed"] for r in runs_a})
    added = [m for m in methods_b if m not in methods_a]
    borrowed = []
    for method in added:
        by_seed = {r["seed"]: r for r in runs_b if r["method"] == method}
        missing = [s for s in seeds if s not in by_seed]
        if missing:
            raise ValueError(
                f"{setting}: b has no run of {method} with seed(s) {missing}"
            )
        borrowed += [by_seed[s] | {"from_run": "b"} for s in seeds]
    runs = [r | {"from_run": "a"} for r in runs_a] + borrowed
    order = [m for m in O.BASELINES if m in {*methods_a, *added}]
    order += [m for m in [*methods_a, *added] if m not in order]
    res = {k: v for k, v in a.items() if k not in ("methods", "runs", "verdicts")}
    res["methods"] = {
        m: O.summarise([r for r in runs if r["method"] == m]) for m in order
    }
    res["runs"] = runs
    res["verdicts"] = O.verdicts(res)
    res["combined"] = {
        "identical": shared,
        "identical_seeds": checked,
        "from_a": methods_a,
        "from_b": added,
    }
    return res


def _check_identical(setting, runs_a, runs_b, shared) -> list[int]:
    """The seeds on which the shared methods were compared; raise on a difference."""
    seeds = set()
    for method in shared:
        a = {r["seed"]: r for r in runs_a if r["method"] == method}
        b = {r["seed"]: r for r in runs_b if r["method"] == method}
        for seed in sorted(set(a) & set(b)):
            ta, tb = a[seed].get("test"), b[seed].get("test")
            if ta != tb:
                f1 = [t["f1_macro"] if t else None for t in (ta, tb)]
                raise ValueError(
                    f"{setting}: {method} with seed {seed} scored otherwise in the "
                    f"two runs (macro-F1 {f1[0]} vs {f1[1]}): they did not train the "
                    "same pipelines (other data, classifier, code or machine), so "
                    "their methods cannot be paired"
                )
            seeds.add(seed)
    if not seeds:
        raise ValueError(f"{setting}: the shared methods {shared} share no seed")
    return sorted(seeds)


def combine(a: dict, b: dict) -> dict:
    """The report of ``a`` with ``b``'s other methods, per setting both ran."""
    if a.get("budget") != b.get("budget"):
        raise ValueError(f"budgets differ: a {a.get('budget')}, b {b.get('budget')}")
    settings = [s for s in a["results"] if s in b["results"]]
    if not settings:
        raise ValueError(
            f"the runs share no setting (a: {list(a['results'])}, "
            f"b: {list(b['results'])})"
        )
    results = {
        s: combine_setting(s, a["results"][s], b["results"][s]) for s in settings
    }
    generators = [
        m for res in results.values() for m in res["methods"] if m not in O.BASELINES
    ]
    rep = {k: v for k, v in a.items() if k not in ("results", "goals")}
    rep["generator_settings"] = b.get("generator_settings", {}) | a.get(
        "generator_settings", {}
    )
    rep["results"] = results
    rep["goals"] = O.goals(results, list(dict.fromkeys(generators)))
    return rep


def source(path: Path, report: dict) -> dict:
    """:func:`_common.results_source`, with the run's wall time and load."""
    return C.results_source(path, report) | {
        "wall_time_s": report.get("wall_time_s"),
        "load_avg_1min_at_start": report.get("machine", {}).get(
            "load_avg_1min_at_start"
        ),
    }


def markdown(rep: dict) -> str:
    """The combination's own header, then ``oversampling.py``'s body."""
    body = O.markdown(rep).split("\n")[len(C.header_markdown(rep, TITLE)) :]
    lines = [
        f"# {TITLE} (budget: {rep['budget']})",
        "",
        f"- command: `{rep['combine_command']}`",
        f"- git (of this combination): {rep['combine_git'].get('commit')}; date "
        f"{rep['combine_date_utc']}",
    ]
    for key in ("a", "b"):
        s = rep["sources"][key]
        lines.append(
            f"- {key}: `{s['command']}` (commit {str(s['commit'])[:7]}, committed "
            f"tree: {s['committed']}, {s['date_utc']}, wall time "
            f"{s['wall_time_s']:.0f} s, load at start {s['load_avg_1min_at_start']})"
        )
    for setting, res in rep["results"].items():
        c = res["combined"]
        lines.append(
            f"- {setting}: {', '.join(c['identical'])} scored identically in a and "
            f"b on seeds {c['identical_seeds']} (the same pipelines); from a: "
            f"{', '.join(c['from_a'])}; from b: {', '.join(c['from_b']) or 'none'}"
        )
    return "\n".join(lines + body)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a", type=Path, help="results JSON of oversampling.py")
    parser.add_argument("b", type=Path, help="results JSON whose other methods join a")
    parser.add_argument("--name", required=True, help="output file name (no suffix)")
    parser.add_argument("--out", type=Path, default=C.RESULTS)
    args = parser.parse_args(argv)
    reports = C.read_reports(parser, (args.a, args.b))
    try:
        rep = combine(*reports)
    except ValueError as exc:
        parser.error(str(exc))
    argv = sys.argv[1:] if argv is None else list(argv)
    rep["benchmark"] = args.name
    rep["combine_command"] = " ".join(
        ["python", "benchmarks/oversampling_combine.py", *argv]
    )
    rep["combine_git"] = C.git_info()
    rep["combine_date_utc"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    rep["sources"] = {"a": source(args.a, reports[0]), "b": source(args.b, reports[1])}
    text = markdown(rep)
    C.write_results(args.out, args.name, rep, text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
