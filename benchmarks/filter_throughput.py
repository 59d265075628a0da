"""Judge-filtered sampling against unfiltered sampling: throughput and acceptance.

Issue 14 asks that judge-filtered sampling keep at least half of the
unfiltered throughput for the DiffWave CPU preset. How much it keeps depends
on the model: a filtered draw costs the judge plus one more batch for every
rejected beat, so the acceptance rate sets the cost. This script measures it
on the budget's own ``DiffusionSampler+filter`` (threshold 0.5), fitted on the
intra-patient training split exactly as ``oversampling.py`` and the tables fit
it, so at the ``standard`` budget it reads their generators from the cache
(``--cache-dir``) and trains nothing.

For each seed: ``--n-per-class`` beats of every class, drawn unfiltered and
filtered alternately, ``REPEATS`` times (the same ``random_state`` per
repeat); the table gives each side's median time, their ratio (filtered
throughput as a fraction of unfiltered) and the judge's acceptance rate per
class.

Usage::

    python benchmarks/filter_throughput.py --budget standard
"""

from __future__ import annotations

import statistics
import sys

import _common as C
import _models as M
import numpy as np

NAME = "filter_throughput"
GENERATOR = "DiffusionSampler+filter"
SEEDS = {"smoke": [0], "quick": [0], "standard": [0, 1, 2], "full": [0, 1, 2]}
N_PER_CLASS = {"smoke": 20, "quick": 200, "standard": 400, "full": 1000}
REPEATS = 3
GOAL_RATIO = 0.5


def seconds(sampler, labels: np.ndarray, threshold, seed: int) -> float:
    """Seconds to draw ``labels`` with ``filter_threshold=threshold``."""
    sampler.set_params(filter_threshold=threshold)
    return C.timed_sample(sampler, labels, seed)[2]


def measure(sampler, n_per_class: int) -> dict:
    """Unfiltered and filtered draws of ``n_per_class`` beats per class, alternating."""
    threshold = sampler.filter_threshold
    labels = np.repeat(sampler.classes_, n_per_class)
    plain, filtered = [], []
    for rep in range(REPEATS):  # the last draw is filtered: the threshold is back
        plain.append(seconds(sampler, labels, None, rep))
        filtered.append(seconds(sampler, labels, threshold, rep))
    acceptance = dict(sampler.acceptance_rate_)  # of the last filtered draw
    t_plain, t_filt = statistics.median(plain), statistics.median(filtered)
    return {
        "n_beats": int(len(labels)),
        "threshold": threshold,
        "unfiltered_s": plain,
        "filtered_s": filtered,
        "unfiltered_beats_per_s": len(labels) / t_plain,
        "filtered_beats_per_s": len(labels) / t_filt,
        "ratio": t_plain / t_filt,
        "acceptance_rate": {
            C.CLASS_NAMES[int(k)]: float(v) for k, v in acceptance.items()
        },
    }


def markdown(rep: dict) -> str:
    res = rep["results"]
    lines = [
        *C.header_markdown(rep, "Judge-filtered vs unfiltered sampling (DiffWave)"),
        "",
        f"- generator: `{GENERATOR}` {rep['generator_settings'][GENERATOR]}",
        f"- fitted on: {res['source']}, capped per class as the budget's "
        "generators are",
        f"- draws: {res['n_per_class']} beats of each class, unfiltered and "
        f"filtered alternately, {REPEATS} times; medians; "
        f"{rep['threads']} torch thread(s)",
        "",
    ]
    names = list(C.CLASS_NAMES)
    header = [
        "seed",
        "fit",
        "unfiltered beats/s",
        "filtered beats/s",
        "ratio",
        *[f"accept {n}" for n in names],
    ]
    rows = []
    for seed, r in sorted(res["seeds"].items(), key=lambda kv: int(kv[0])):
        fit = r["generator"]
        where = "cache" if fit["cached"] else "fitted"
        rows.append(
            [
                seed,
                f"{where}, {fit['fit_time_s'] / 60:.0f} min, {fit['epochs']} ep",
                f"{r['unfiltered_beats_per_s']:.0f}",
                f"{r['filtered_beats_per_s']:.0f}",
                f"{r['ratio']:.2f}",
                *[f"{r['acceptance_rate'].get(n, float('nan')):.2f}" for n in names],
            ]
        )
    lines += C.md_table(header, rows)
    lines += ["", "## Goal", "", *[f"- {g['text']}" for g in rep["goals"].values()]]
    return "\n".join(lines) + "\n"


def main(argv=None) -> dict:
    parser = C.make_parser(__doc__, SEEDS)
    parser.add_argument(
        "--n-per-class",
        type=int,
        default=None,
        help="beats drawn per class and repeat (default: the budget's, "
        + ", ".join(f"{b} {n}" for b, n in N_PER_CLASS.items())
        + ")",
    )
    args = C.finish_args(parser.parse_args(argv))
    n_per_class = args.n_per_class or N_PER_CLASS[args.budget]
    report = C.Report(NAME, args, argv)
    report["threads"] = args.threads
    report["generator_settings"] = M.generator_settings(args.budget, [GENERATOR])
    X, y, _, _, source = C.load_intra(args)
    results = {"source": source, "n_per_class": n_per_class, "seeds": {}}
    gen_seeds = {s: M.generator_seed(args.budget, s) for s in args.seeds}
    # fitted (or read from the cache) --jobs at a time, then timed one by one
    infos = M.fit_generator_grid(
        [GENERATOR], sorted(set(gen_seeds.values())), X, y, args=args
    )
    for seed, gs in gen_seeds.items():
        info = infos[GENERATOR, gs]
        print(f"seed {seed}: {'cached' if info['cached'] else 'fitted'}, measuring")
        sampler = M.load_fitted(info, device=args.device)
        results["seeds"][str(seed)] = measure(sampler, n_per_class) | {
            "generator": M.public_info(info)
        }
    report["results"] = results
    ratio = C.mean_sd(r["ratio"] for r in results["seeds"].values())
    report["goals"] = {
        "throughput": C.goal(
            ratio["mean"],
            GOAL_RATIO,
            f"filtered throughput / unfiltered (mean of {ratio['n']} seed(s))",
        )
    }
    return report.write(markdown)


if __name__ == "__main__":
    C.ensure_malloc_tuning()
    main()
    sys.exit(0)
