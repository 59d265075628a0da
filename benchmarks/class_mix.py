"""Class mix of training batches, judge-filtered sampling and per-class guidance.

Measures, on the bundled real sample (``ecgaug.datasets.load_sample()``, its
own patient split: 2,020 training beats of 40 records, 480 test beats of 8
others), what the three options of issue 14 do for the minority classes:

1. ``batch_class_power`` p in {1, 0.5, 0} (the data's proportions ... balanced
   batches) for ``DiffusionSampler`` and ``CGANSampler`` at their ``"cpu"``
   presets, the same number of optimisation steps for every p;
2. judge-filtered sampling (``filter_threshold``, the automatic judge) on the
   diffusion model: label adherence, TSTR and throughput against unfiltered
   sampling of the same fitted model;
3. the guidance scale per class (``guidance_scale`` 1 and 3, and the dict
   that takes each class's best by adherence).

Scores: label adherence per class (the share of beats generated for class c
that a gradient-boosting classifier trained on the real training beats puts in
c), and TSTR (the same kind of classifier trained only on a balanced synthetic
set, tested on the real test beats: macro recall and the S and F recall).

Run ``python benchmarks/class_mix.py --budget quick`` (about 10 min of CPU
time). Each fit's scores are kept in ``--cache-dir``, so that processes with
different ``--seeds`` can run side by side and a last run with all seeds
only assembles the report.
"""

from __future__ import annotations

import os
import time

import numpy as np
from _common import (
    CLASS_NAMES,
    Report,
    ensure_malloc_tuning,
    finish_args,
    fmt,
    header_markdown,
    md_table,
    mean_sd,
    timed_sample,
)

SEEDS = {"smoke": (0,), "quick": (0, 1), "full": (0, 1, 2)}
POWERS = (1.0, 0.5, 0.0)
GUIDANCE = (1.0, 3.0)
SETTINGS = {
    "smoke": {
        "epochs": {"DiffusionSampler": 1, "CGANSampler": 1},
        "n_per_class": 20,
        "threshold": 0.5,
        "throughput_epochs": 1,
        "tiny": True,
    },
    "quick": {
        "epochs": {"DiffusionSampler": 16, "CGANSampler": 30},
        "n_per_class": 100,
        "threshold": 0.5,
        "throughput_epochs": 48,
        "tiny": False,
    },
    "full": {
        "epochs": {"DiffusionSampler": 96, "CGANSampler": 120},
        "n_per_class": 1000,
        "threshold": 0.5,
        "throughput_epochs": 96,
        "tiny": False,
    },
}
TINY = {
    "DiffusionSampler": {
        "residual_channels": 8,
        "n_layers": 3,
        "class_embed_dim": 8,
        "n_class_tokens": 2,
        "n_heads": 1,
        "head_dim": 8,
        "attention_every": 2,
        "n_diffusion_steps": 10,
        "n_sampling_steps": 3,
    },
    "CGANSampler": {"latent_dim": 8, "g_width": 4, "d_width": 4, "d_layers": 2},
}


def make_classifier(seed: int = 0):
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(max_iter=60, random_state=seed)


def evaluate(Xs, ys, judge, X_test, y_test) -> dict:
    """Label adherence per class and TSTR scores of a synthetic set."""
    from sklearn.metrics import recall_score

    pred = judge.predict(Xs)
    adherence = {
        CLASS_NAMES[c]: float(np.mean(pred[ys == c] == c)) for c in np.unique(ys)
    }
    clf = make_classifier().fit(Xs, ys)
    recall = recall_score(
        y_test, clf.predict(X_test), labels=range(5), average=None, zero_division=0
    )
    return {
        "adherence": adherence,
        "adherence_mean": float(np.mean(list(adherence.values()))),
        "tstr_recall": {n: float(r) for n, r in zip(CLASS_NAMES, recall)},
        "tstr_macro_recall": float(np.mean(recall)),
    }


def run_one(name: str, power: float, seed: int, data, settings, args) -> dict:
    """Fit one generator at one class mix and score its synthetic beats."""
    import ecgaug.generators as generators

    X_train, y_train, X_test, y_test, judge = data
    cls = getattr(generators, name)
    params = {
        "n_epochs": settings["epochs"][name],
        "batch_class_power": power,
        "random_state": seed,
        "device": args.device,
        # the automatic judge is trained in fit; sampling without the filter
        # is the same fitted model with filter_threshold=None
        "filter_threshold": (
            settings["threshold"] if name == "DiffusionSampler" else None
        ),
        **(TINY[name] if settings["tiny"] else {}),
    }
    start = time.perf_counter()
    sampler = cls(**params).fit(X_train, y_train)
    fit_s = time.perf_counter() - start
    labels = np.repeat(np.arange(5), settings["n_per_class"])
    last = sampler.history_[-1]
    out = {
        "generator": name,
        "power": power,
        "seed": seed,
        "fit_s": fit_s,
        "loss_by_class": {
            CLASS_NAMES[int(k)]: v for k, v in last["loss_by_class"].items()
        },
    }
    plain = sampler.set_params(filter_threshold=None)
    Xs, ys, t_plain = timed_sample(plain, labels, 1000 + seed)
    out["plain"] = {**evaluate(Xs, ys, judge, X_test, y_test), "sample_s": t_plain}
    if name != "DiffusionSampler":
        return out
    sampler.set_params(filter_threshold=settings["threshold"])
    Xf, yf, t_filt = timed_sample(sampler, labels, 1000 + seed)
    out["filtered"] = {
        **evaluate(Xf, yf, judge, X_test, y_test),
        "sample_s": t_filt,
        "acceptance_rate": {
            CLASS_NAMES[int(k)]: v for k, v in sampler.acceptance_rate_.items()
        },
        "throughput_ratio": t_plain / t_filt,
    }
    sampler.set_params(filter_threshold=None)
    out["guidance"] = {}
    for w in GUIDANCE:
        Xg, yg, _ = timed_sample(sampler.set_params(guidance_scale=w), labels, 7 + seed)
        out["guidance"][str(w)] = evaluate(Xg, yg, judge, X_test, y_test)
    best = {
        c: max(GUIDANCE, key=lambda w: out["guidance"][str(w)]["adherence"][n])
        for c, n in enumerate(CLASS_NAMES)
    }
    Xg, yg, _ = timed_sample(sampler.set_params(guidance_scale=best), labels, 7 + seed)
    out["guidance"]["per_class"] = {
        **evaluate(Xg, yg, judge, X_test, y_test),
        "scales": {CLASS_NAMES[c]: w for c, w in best.items()},
    }
    return out


def throughput(settings, args) -> dict:
    """Filtered vs unfiltered sampling time of a longer-trained DiffWave.

    Trained as ``test_label_adherence``'s (``"cpu"`` preset,
    ``guidance_scale=3``, ``settings["throughput_epochs"]`` epochs) on the
    sample's training beats; 1,000 balanced beats, unfiltered and filtered
    (threshold 0.5) alternating, twice.
    """
    from ecgaug.datasets import load_sample
    from ecgaug.generators import DiffusionSampler

    bunch = load_sample()
    train = ~np.asarray(bunch.is_test)
    params = {
        "n_epochs": settings["throughput_epochs"],
        "guidance_scale": 3.0,
        "filter_threshold": settings["threshold"],
        "device": args.device,
        "random_state": 0,
        **(TINY["DiffusionSampler"] if settings["tiny"] else {}),
    }
    start = time.perf_counter()
    sampler = DiffusionSampler(**params).fit(bunch.data[train], bunch.target[train])
    out = {"params": params, "fit_s": time.perf_counter() - start, "repeats": []}
    labels = np.repeat(np.arange(5), settings["n_per_class"] * 2)
    for rep in range(2):
        times = {}
        for thr in (None, settings["threshold"]):
            sampler.set_params(filter_threshold=thr)
            times[str(thr)] = timed_sample(sampler, labels, rep)[2]
        out["repeats"].append(
            {
                "unfiltered_s": times["None"],
                "filtered_s": times[str(settings["threshold"])],
                "acceptance_rate": {
                    CLASS_NAMES[int(k)]: v for k, v in sampler.acceptance_rate_.items()
                },
            }
        )
    plain = sum(r["unfiltered_s"] for r in out["repeats"])
    filt = sum(r["filtered_s"] for r in out["repeats"])
    out["throughput_ratio"] = plain / filt
    out["load_avg_1min_after"] = round(os.getloadavg()[0], 2)
    return out


def cached_run(name: str, power: float, seed: int, data, settings, args) -> dict:
    """:func:`run_one`, its scores kept as JSON in ``args.cache_dir``."""
    import hashlib
    import json

    from ecgaug._utils import atomic_path

    if args.cache_dir is None:
        return run_one(name, power, seed, data, settings, args)
    from _models import source_digest

    fit_settings = {k: v for k, v in settings.items() if k != "throughput_epochs"}
    # the generators' code is part of the key: a fix to a sampler rescores it
    key = json.dumps(
        [name, power, seed, fit_settings, args.budget, source_digest()], sort_keys=True
    )
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    path = args.cache_dir / "class_mix" / f"{name}-p{power}-s{seed}-{digest}.json"
    if path.exists():
        return {**json.loads(path.read_text()), "from_cache": str(path)}
    out = run_one(name, power, seed, data, settings, args)
    out["load_avg_1min_after"] = round(os.getloadavg()[0], 2)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(out))
    return out


def summarise(runs: list[dict]) -> dict:
    """Mean ± sd over seeds of each (generator, power) arm."""
    table = {}
    for key in sorted({(r["generator"], r["power"]) for r in runs}):
        arm = [r for r in runs if (r["generator"], r["power"]) == key]
        row = {}
        for variant in ("plain", "filtered"):
            if variant not in arm[0]:
                continue
            row[variant] = {
                "adherence_mean": mean_sd(r[variant]["adherence_mean"] for r in arm),
                "adherence_S": mean_sd(r[variant]["adherence"]["S"] for r in arm),
                "adherence_F": mean_sd(r[variant]["adherence"]["F"] for r in arm),
                "tstr_macro_recall": mean_sd(
                    r[variant]["tstr_macro_recall"] for r in arm
                ),
                "tstr_S": mean_sd(r[variant]["tstr_recall"]["S"] for r in arm),
                "tstr_F": mean_sd(r[variant]["tstr_recall"]["F"] for r in arm),
            }
        if "filtered" in arm[0]:
            row["throughput_ratio"] = mean_sd(
                r["filtered"]["throughput_ratio"] for r in arm
            )
        table[f"{key[0]} p={key[1]}"] = row
    return table


def markdown(rep: dict) -> str:
    lines = header_markdown(rep, "Class mix, filtered sampling, per-class guidance")
    lines += ["", rep["settings_text"], ""]
    cached = [r for r in rep["results"] if r.get("from_cache")]
    if cached:
        lines += [
            f"{len(cached)} of {len(rep['results'])} fits were read from the "
            "cache of earlier runs of this script (the `fit s` column is their "
            "own wall time; the header's wall time is this assembly's).",
            "",
        ]
    rows = []
    for arm, row in rep["summary"].items():
        for variant, s in row.items():
            if variant == "throughput_ratio":
                continue
            rows.append(
                [
                    arm,
                    variant,
                    fmt(s["adherence_mean"]),
                    fmt(s["adherence_S"]),
                    fmt(s["adherence_F"]),
                    fmt(s["tstr_macro_recall"]),
                    fmt(s["tstr_S"]),
                    fmt(s["tstr_F"]),
                ]
            )
    lines += ["## Class mix (and the judge filter on DiffWave)", ""]
    lines += md_table(
        [
            "arm",
            "sampling",
            "adherence mean",
            "adh. S",
            "adh. F",
            "TSTR macro recall",
            "TSTR S",
            "TSTR F",
        ],
        rows,
    )
    lines += ["", "## Filtered sampling: acceptance and throughput (DiffWave)", ""]
    rows = []
    for r in rep["results"]:
        if "filtered" in r:
            f = r["filtered"]
            rows.append(
                [
                    f"p={r['power']} seed {r['seed']}",
                    " ".join(f"{k} {v:.2f}" for k, v in f["acceptance_rate"].items()),
                    f"{r['plain']['sample_s']:.1f}",
                    f"{f['sample_s']:.1f}",
                    f"{f['throughput_ratio']:.2f}",
                ]
            )
    lines += md_table(
        [
            "model",
            "acceptance per class",
            "unfiltered s",
            "filtered s",
            "throughput ratio",
        ],
        rows,
    )
    tp = rep.get("throughput")
    if tp:
        lines += [
            "",
            f"Longer-trained DiffWave ({tp['params']['n_epochs']} epochs, "
            f"guidance_scale 3, fit {tp['fit_s']:.0f} s): filtered sampling at "
            f"**{tp['throughput_ratio']:.2f}** of the unfiltered throughput "
            "(goal >= 0.5), repeats "
            + "; ".join(
                f"{r['unfiltered_s']:.1f} s vs {r['filtered_s']:.1f} s, acceptance "
                + " ".join(f"{k} {v:.2f}" for k, v in r["acceptance_rate"].items())
                for r in tp["repeats"]
            )
            + ".",
        ]
    lines += ["", "## Guidance scale (DiffWave): adherence per class, TSTR", ""]
    rows = []
    for r in rep["results"]:
        for w, g in r.get("guidance", {}).items():
            scales = g.get("scales")
            rows.append(
                [
                    f"p={r['power']} seed {r['seed']}",
                    w if scales is None else "per class " + str(scales),
                    " ".join(f"{k} {v:.2f}" for k, v in g["adherence"].items()),
                    f"{g['tstr_macro_recall']:.3f}",
                    f"{g['tstr_recall']['S']:.2f} / {g['tstr_recall']['F']:.2f}",
                ]
            )
    lines += md_table(
        ["model", "guidance", "adherence per class", "TSTR macro recall", "TSTR S / F"],
        rows,
    )
    lines += ["", "## Per-class training loss, last epoch", ""]
    rows = [
        [
            f"{r['generator']} p={r['power']} seed {r['seed']}",
            " ".join(f"{k} {v:.3f}" for k, v in r["loss_by_class"].items()),
            f"{r['fit_s']:.0f}",
        ]
        for r in rep["results"]
    ]
    lines += md_table(["fit", "loss by class", "fit s"], rows)
    return "\n".join(lines) + "\n"


def main(argv=None) -> dict:
    import sys

    from _common import make_parser

    parser = make_parser(__doc__, SEEDS)
    parser.add_argument(
        "--throughput",
        action="store_true",
        help="also time filtered sampling on a longer-trained DiffWave",
    )
    parser.add_argument(
        "--generators",
        default="DiffusionSampler,CGANSampler",
        help="comma-separated sampler classes",
    )
    args = finish_args(parser.parse_args(argv))
    if args.device == "auto":
        args.device = "cpu"
    from ecgaug.datasets import load_sample

    settings = SETTINGS.get(args.budget, SETTINGS["quick"])
    bunch = load_sample()
    test = np.asarray(bunch.is_test)
    X_train, y_train = bunch.data[~test], bunch.target[~test]
    X_test, y_test = bunch.data[test], bunch.target[test]
    judge = make_classifier().fit(X_train, y_train)
    data = (X_train, y_train, X_test, y_test, judge)
    report = Report("class_mix", args, argv if argv is not None else sys.argv[1:])
    report["settings"] = dict(settings)
    report["settings_text"] = (
        f"Bundled sample, its own patient split ({len(y_train)} training, "
        f"{len(y_test)} test beats); `cpu` presets with n_epochs "
        f"{settings['epochs']} (same steps for every p); "
        f"{settings['n_per_class']} synthetic beats per class; filter threshold "
        f"{settings['threshold']} with the automatic judge; scores by a "
        "HistGradientBoostingClassifier(max_iter=60) trained on the real "
        "training beats (adherence) or on the synthetic set (TSTR). "
        f"Seeds {args.seeds} (generator seed; sampling seed 1000 + seed)."
    )
    runs = []
    for name in args.generators.split(","):
        for power in POWERS:
            for seed in args.seeds:
                print(f"{name} p={power} seed {seed}", flush=True)
                runs.append(cached_run(name, power, seed, data, settings, args))
    report["results"] = runs
    report["summary"] = summarise(runs)
    if args.throughput:
        report["throughput"] = throughput(settings, args)
    return report.write(markdown)


if __name__ == "__main__":
    ensure_malloc_tuning()
    main()
