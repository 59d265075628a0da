"""Choose ``ecgaug demo``'s generator by validation inside the sample's training beats.

The demo (``ecgaug/_demo.py``) compares no resampling, SMOTE and a generative
sampler on the bundled sample's *test* beats. This script picks the generator
settings it uses **without looking at those test beats**: for each seed it
splits the sample's training beats (``load_sample(split="train")``,
stratified) into a fitting part (75 %) and a validation part (25 %), fits
every candidate on the fitting part, trains the demo's classifier (the same
settings and seed for every arm) on the real beats alone, on the
SMOTE-resampled beats and on each generator-resampled set, and scores macro-F1
and balanced accuracy on the validation part. The classifier is trained for
each number of epochs in ``CLASSIFIER_EPOCHS`` (an arm ``name@20ep``), since
the demo's classifier settings are chosen here too. Seeds vary the split, the
generator and the classifier together; the paired difference of each arm to
SMOTE with the same classifier is shown with its interval.

One fit serves several arms: a generator fitted with ``filter_threshold`` set
(so that its judge is trained in ``fit``, on the fitting part only) is sampled
with and without the filter, with another reverse process and with per-class
guidance (all sampling-time settings). Every arm records the CPU seconds of its
fits (torch on one thread), from which the demo's time on a quiet 2-core
machine is estimated.

Run: ``OMP_NUM_THREADS=1 python benchmarks/demo_search.py --budget quick``
(``--budget smoke`` runs tiny settings in seconds, for the tests).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

if __package__ in (None, ""):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    CLASS_NAMES,
    Report,
    finish_args,
    fmt,
    fmt_diff,
    header_markdown,
    make_parser,
    md_table,
    mean_sd,
    paired_difference,
)

SEEDS = {"smoke": [0], "quick": [0, 1, 2, 3, 4], "standard": [0, 1, 2, 3, 4]}
SEEDS["full"] = SEEDS["standard"]

#: The classifier every arm trains (the demo's, but for its epochs).
CLASSIFIER = {"module__n_blocks": 1, "batch_size": 64, "lr": 1e-3, "train_split": None}
#: Epochs of that classifier: every arm is trained and scored with each.
CLASSIFIER_EPOCHS = {"smoke": [1], "quick": [10, 20, 30]}
CLASSIFIER_EPOCHS["standard"] = CLASSIFIER_EPOCHS["full"] = CLASSIFIER_EPOCHS["quick"]

#: Generator fits: (name, sampler, parameters); each is sampled as the arms
#: of ``VARIANTS`` (filter threshold, reverse process, guidance) name.
#: (At a212794, 3 seeds, classifier 10 epochs: CGAN 30 epochs with and
#: without the filter and diffusion with balanced batches scored below the
#: diffusion fits kept here: benchmarks/results/demo_search.md there; DDPM
#: with 10 steps and guidance 2 on S and F no better than DDIM-10 without
#: guidance at 5f6fde9.)
FITS = {
    "quick": [
        (
            "diffusion",
            "DiffusionSampler",
            {"n_epochs": 40, "batch_class_power": 0.5, "filter_threshold": 0.5},
        ),
        (
            "diffusion60",
            "DiffusionSampler",
            {"n_epochs": 60, "batch_class_power": 0.5, "filter_threshold": 0.5},
        ),
    ],
}
FITS["standard"] = FITS["full"] = FITS["quick"]
#: Tiny (the benchmarks' smoke network): a 1-epoch model's judge accepts few
#: beats, so filtered sampling draws many, which took minutes at the preset's size.
FITS["smoke"] = [
    (
        "diffusion",
        "DiffusionSampler",
        {"n_epochs": 1, "filter_threshold": 0.5, "residual_channels": 8, "n_layers": 2},
    )
]
#: Sampling-time variants per fit: (suffix, settings given to ``set_params``).
VARIANTS = {
    "diffusion": [
        ("", {"filter_threshold": None}),
        ("+filter0.3", {"filter_threshold": 0.3}),
        ("+filter0.5", {}),
        ("+filter0.7", {"filter_threshold": 0.7}),
        # guidance below 1 draws more varied beats, above 1 more typical ones
        ("+filter0.5+guidance0.5", {"guidance_scale": 0.5}),
        ("+filter0.5+guidance2", {"guidance_scale": 2.0}),
    ],
    "diffusion60": [("+filter0.5", {}), ("+filter0.7", {"filter_threshold": 0.7})],
}
VALIDATION_FRACTION = 0.25
#: Sampling-time settings a variant may change (reset before each variant).
_SAMPLING_KNOBS = ("filter_threshold", "sampler", "guidance_scale")


def _cpu_s() -> float:
    return time.process_time()


def _classify(X, y, X_val, y_val, seed: int, epochs: int) -> dict[str, Any]:
    from sklearn.metrics import balanced_accuracy_score, f1_score, recall_score

    from ecgaug.classifiers import ResNetClassifier

    start = _cpu_s()
    clf = ResNetClassifier(
        random_state=seed, device="cpu", max_epochs=epochs, **CLASSIFIER
    ).fit(X, y)
    pred = clf.predict(X_val)
    labels = np.arange(len(CLASS_NAMES))
    recall = recall_score(y_val, pred, labels=labels, average=None, zero_division=0)
    return {
        "macro_f1": float(
            f1_score(y_val, pred, labels=labels, average="macro", zero_division=0)
        ),
        "balanced_accuracy": float(balanced_accuracy_score(y_val, pred)),
        "recall": dict(zip(CLASS_NAMES, map(float, recall))),
        "n_train": int(len(y)),
        "epochs": epochs,
        "classifier_cpu_s": _cpu_s() - start,
    }


def _split(seed: int):
    from sklearn.model_selection import train_test_split

    from ecgaug.datasets import load_sample

    train = load_sample(split="train")
    return train_test_split(
        train.data,
        train.target,
        test_size=VALIDATION_FRACTION,
        stratify=train.target,
        random_state=seed,
    )


def _arm(name: str, epochs: int) -> str:
    return f"{name}@{epochs}ep"


def _classify_each(X, y, X_val, y_val, seed, epochs, name, extra=None) -> dict:
    """The classifier trained with each number of epochs, as one arm each."""
    return {
        _arm(name, ep): _classify(X, y, X_val, y_val, seed, ep) | (extra or {})
        for ep in epochs
    }


def _baselines(seed: int, epochs: list[int], threads: int) -> dict[str, dict]:
    """The "none" and "SMOTE" arms of one seed."""
    import torch
    from imblearn.over_sampling import SMOTE

    torch.set_num_threads(threads)
    X, X_val, y, y_val = _split(seed)
    out = _classify_each(X, y, X_val, y_val, seed, epochs, "none")
    start = _cpu_s()
    X_s, y_s = SMOTE(random_state=seed).fit_resample(X, y)
    extra = {"resample_cpu_s": _cpu_s() - start}
    return out | _classify_each(X_s, y_s, X_val, y_val, seed, epochs, "SMOTE", extra)


def _generator_arms(
    seed: int, epochs: list[int], threads: int, fit: tuple[str, str, dict]
) -> dict[str, dict]:
    """One generator fit of one seed, sampled as each of its variants."""
    import torch

    import ecgaug.generators as generators

    torch.set_num_threads(threads)
    name, cls_name, params = fit
    X, X_val, y, y_val = _split(seed)
    start = _cpu_s()
    sampler = getattr(generators, cls_name)(
        random_state=seed, device="cpu", verbose=0, **params
    ).fit(X, y)
    fit_cpu = _cpu_s() - start
    counts = {int(k): int(v) for k, v in sampler.sampling_strategy_.items() if v}
    labels = np.concatenate([np.full(v, k) for k, v in counts.items()])
    out = {}
    fitted = sampler.get_params()
    for suffix, settings in VARIANTS[name]:
        sampler.set_params(**{k: fitted[k] for k in _SAMPLING_KNOBS if k in fitted})
        sampler.set_params(**settings)
        start = _cpu_s()
        X_syn, y_syn = sampler.sample(len(labels), y=labels, random_state=seed + 1)
        sample_cpu = _cpu_s() - start
        extra = {
            "sampler": cls_name,
            "params": {**params, **settings},
            "generator_fit_cpu_s": fit_cpu,
            "sample_cpu_s": sample_cpu,
            "acceptance_rate": {
                CLASS_NAMES[int(k)]: float(v)
                for k, v in (getattr(sampler, "acceptance_rate_", None) or {}).items()
            },
        }
        X_fit, y_fit = np.concatenate([X, X_syn]), np.concatenate([y, y_syn])
        out |= _classify_each(
            X_fit, y_fit, X_val, y_val, seed, epochs, name + suffix, extra
        )
    return out


def run(args) -> dict[str, Any]:
    """Every arm on every seed; per-arm means, SDs and paired differences."""
    from joblib import Parallel, delayed

    epochs = CLASSIFIER_EPOCHS[args.budget]
    threads = args.threads or 1
    tasks = []
    for seed in args.seeds:
        tasks.append(delayed(_baselines)(seed, epochs, threads))
        for fit in FITS[args.budget]:
            tasks.append(delayed(_generator_arms)(seed, epochs, threads, fit))
    done = Parallel(n_jobs=args.jobs)(tasks)
    per_seed: dict[str, dict[int, dict]] = {}
    k = 0
    for seed in args.seeds:
        for _ in range(1 + len(FITS[args.budget])):
            for arm, res in done[k].items():
                per_seed.setdefault(arm, {})[seed] = res
            k += 1
    summary = {}
    for arm, by_seed in per_seed.items():
        rows = [by_seed[s] for s in args.seeds]
        entry = {
            m: mean_sd(r[m] for r in rows) for m in ("macro_f1", "balanced_accuracy")
        }
        entry["recall"] = {
            c: mean_sd(r["recall"][c] for r in rows) for c in CLASS_NAMES
        }
        entry["cpu_s"] = mean_sd(
            r["classifier_cpu_s"]
            + r.get("generator_fit_cpu_s", 0.0)
            + r.get("sample_cpu_s", 0.0)
            + r.get("resample_cpu_s", 0.0)
            for r in rows
        )
        # paired with SMOTE trained by the same classifier
        smote = per_seed[_arm("SMOTE", rows[0]["epochs"])]
        entry["minus_SMOTE"] = {
            m: paired_difference(
                [by_seed[s][m] for s in args.seeds], [smote[s][m] for s in args.seeds]
            )
            for m in ("macro_f1", "balanced_accuracy")
        }
        summary[arm] = entry
    gen_arms = [a for a in summary if not a.startswith(("none@", "SMOTE@"))]
    best = max(
        gen_arms,
        key=lambda a: (
            summary[a]["macro_f1"]["mean"] + summary[a]["balanced_accuracy"]["mean"]
        ),
    )
    return {
        "per_seed": {a: {str(s): v for s, v in d.items()} for a, d in per_seed.items()},
        "summary": summary,
        "best": best,
        "rule": "the generator arm with the largest mean (macro-F1 + balanced "
        "accuracy) on the validation part",
    }


def markdown(rep: dict) -> str:
    """The results file's body."""
    res = rep["results"]
    lines = header_markdown(rep, "Choosing the demo's generator (validation split)")
    lines += [
        "",
        f"Data: `load_sample(split='train')` only, split per seed into "
        f"{1 - VALIDATION_FRACTION:.0%} fitting / {VALIDATION_FRACTION:.0%} "
        "validation (stratified); the sample's test beats are not used. Same "
        f"classifier for every arm: ResNetClassifier {rep['classifier']}, "
        "trained for the epochs its `@` suffix names. Seeds "
        "vary the split, the generator and the classifier together.",
        "",
    ]
    rows = []
    for arm, e in res["summary"].items():
        d = e["minus_SMOTE"]
        rows.append(
            [
                arm,
                fmt(e["macro_f1"]),
                fmt(e["balanced_accuracy"]),
                *[fmt(e["recall"][c], 2) for c in CLASS_NAMES[1:4]],
                "–" if arm.startswith("SMOTE@") else fmt_diff(d["macro_f1"]),
                "–" if arm.startswith("SMOTE@") else fmt_diff(d["balanced_accuracy"]),
                f"{e['cpu_s']['mean']:.0f}",
            ]
        )
    lines += md_table(
        [
            "arm",
            "macro-F1",
            "bal. acc.",
            "recall S",
            "recall V",
            "recall F",
            "Δ macro-F1 vs SMOTE (same epochs)",
            "Δ bal. acc. vs SMOTE (same epochs)",
            "CPU s (1 thread)",
        ],
        rows,
    )
    lines += [
        "",
        f"Chosen: **{res['best']}** ({res['rule']}).",
        "",
        "Per seed (macro-F1 / balanced accuracy):",
        "",
    ]
    seeds = rep["seeds"]
    lines += md_table(
        ["arm", *[f"seed {s}" for s in seeds]],
        [
            [
                arm,
                *[_pair(d[str(s)]) for s in seeds],
            ]
            for arm, d in res["per_seed"].items()
        ],
    )
    return "\n".join(lines) + "\n"


def _pair(res: dict) -> str:
    return f"{res['macro_f1']:.3f} / {res['balanced_accuracy']:.3f}"


def main(argv=None) -> dict:
    """Parse, run, write ``demo_search.json`` and ``.md``."""
    parser = make_parser(__doc__, SEEDS)
    args = finish_args(parser.parse_args(argv))
    report = Report("demo_search", args, argv)
    report["classifier"] = {**CLASSIFIER, "max_epochs": CLASSIFIER_EPOCHS[args.budget]}
    report["fits"] = FITS[args.budget]
    report["results"] = run(args)
    return report.write(markdown)


if __name__ == "__main__":
    main()
