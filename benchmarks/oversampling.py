"""Oversampling: generative samplers against SMOTE & co. in imblearn Pipelines.

Each method is an :class:`imblearn.pipeline.Pipeline` of one oversampler and
the same classifier, trained with the same seeds and the same number of
batches (``epochs`` x the batches of one pass over the *real* training beats,
whatever the size of the resampled set, OneCycle learning rate), so that a
method that triples the data gets no more training than no resampling:

- ``none``: no resampling; ``class_weight``: no resampling, loss weighted by
  ``class_weight="balanced"``;
- imblearn's ``RandomOverSampler``, ``SMOTE``, ``ADASYN``, ``BorderlineSMOTE``;
- each generator of :mod:`ecgaug.generators` (the step fits it on the
  pipeline's training beats, or takes it from the cache when it was fitted on
  the same beats, and draws with the seed).

All oversamplers get the same ``sampling_strategy``: ``"auto"`` (every
minority class raised to the majority) for the full budget; for the quick
budget, every minority class raised to at least ``target`` beats, which keeps
the generators' sampling time affordable on a CPU. Classes with fewer than 6
training beats (SMOTE's neighbours + 1; Q in the DS1 training records) are
left as they are by every method.

Two settings:

``intra-patient``: the 80/20 split of the Kaggle MIT-BIH beats
    (``load_mitbih(split="train"/"test")``); the last epoch is kept.
``inter-patient``: train on de Chazal's DS1 records, test on DS2 (other
    patients). Epochs are chosen on held-out DS1 *patients*
    (``_common.ds1_validation_split``, a GroupShuffleSplit by record; the
    pipelines train on the other DS1 records): the epoch with the best
    validation macro-F1 is kept. Macro scores are reported with and without
    Q (DS2 has 7 Q beats, DS1's training records 4).

Reported per method, mean ± sd over seeds: accuracy, macro precision /
recall / F1, per-class recall and precision (S and F are the hard ones), fit
time (generator fit as measured when fitted + resampling + classifier).
Every classical balancer raises macro recall and lowers macro-F1 (minority
precision collapses), so a method "wins" over no resampling only where both
its macro-F1 and its macro recall are higher, and "higher" means: the 95 %
t-interval of the per-seed paired differences (same seed, same classifier
initialisation, same batches where the data allow) lies above zero. The same
paired differences are given against the best classical balancer (the one of
class weights, RandomOverSampler, SMOTE, ADASYN and BorderlineSMOTE with the
highest mean macro recall).

Seeds: in the standard budget the intra-patient generator of seed ``s`` is
fitted with ``random_state=s`` (so the spread includes the generator's own
training); inter-patient generators, and every generator of the smoke and
quick budgets, are fitted once (seed 0) and only their draws vary.
``--seeds`` chooses the seeds of both settings; without it the intra-patient
setting runs :data:`INTRA_SEEDS` and the inter-patient one :data:`SEEDS`.

Usage::

    python benchmarks/oversampling.py --budget quick
    # a subset, in its own results file (here oversampling_intra-patient_baselines)
    python benchmarks/oversampling.py --budget standard --settings intra-patient \
        --methods none,class_weight,RandomOverSampler,SMOTE,ADASYN,BorderlineSMOTE
    # hours long: keep each finished pipeline, and run the same command again
    # after a stop to train only the rest (the generators are cached anyway)
    python benchmarks/oversampling.py --budget standard --settings intra-patient \
        --methods none,DiffusionSampler+filter --resume

Anchors from issue 8 (Kachuee 5-block network, 12 epochs-worth of steps,
best epoch by validation macro-F1, "auto" strategies): intra-patient
accuracy / macro-F1: none .983/.907, class weights .947/.787,
RandomOverSampler .960/.846, SMOTE .966/.860, ADASYN .967/.849,
BorderlineSMOTE .957/.843; inter-patient: none macro-F1 .30-.38 (without Q
.37-.47), S recall .01-.15, SMOTE macro-F1 .35-.36, S recall .20-.25.
"""

from __future__ import annotations

import math
import sys
import time

import _common as C
import _models as M
import numpy as np

NAME = "oversampling"
SEEDS = {
    "smoke": [0, 1],
    "quick": [0, 1, 2, 3, 4],
    "standard": [0, 1, 2, 3, 4],
    "full": [0, 1, 2, 3, 4],
}
#: Default seeds of the intra-patient setting (``--seeds`` sets both settings).
INTRA_SEEDS = {"smoke": [0, 1], "quick": [0], "standard": [0, 1, 2], "full": [0, 1, 2]}
#: Each minority class is raised to at least this many beats (None: "auto").
TARGET = {"smoke": 300, "quick": 5_000, "standard": None, "full": None}
EPOCHS = {"smoke": 1, "quick": 3, "standard": 12, "full": 12}
CLASSICAL = ("RandomOverSampler", "SMOTE", "ADASYN", "BorderlineSMOTE")
#: The balancers a generator is compared with (issue 14: class weights too).
BALANCERS = ("class_weight", *CLASSICAL)
#: The methods that are not generators (``--methods``).
BASELINES = ("none", *BALANCERS)
SETTINGS = ("intra-patient", "inter-patient")
MIN_BEATS = 6  # SMOTE's k_neighbors=5 needs 6 beats of a class
GOALS = {"inter_S_recall": 0.60, "inter_f1_without_Q": 0.60}
ANCHORS = {
    "intra-patient": {
        "none": (0.983, 0.907),
        "class_weight": (0.947, 0.787),
        "RandomOverSampler": (0.960, 0.846),
        "SMOTE": (0.966, 0.860),
        "ADASYN": (0.967, 0.849),
        "BorderlineSMOTE": (0.957, 0.843),
    },
}


def sampling_strategy(y, target: int | None) -> dict[int, int]:
    """Beats wanted per class (:func:`_models.minority_targets`)."""
    return M.minority_targets(y, target, MIN_BEATS)


def make_pipeline(method, strategy, seed, args, steps, valid, generator_seed=0):
    """The Pipeline of one method."""
    from imblearn import over_sampling as imb
    from imblearn.pipeline import Pipeline

    clf = M.make_classifier(
        args.budget,
        seed=seed,
        device=args.device,
        steps_per_epoch=steps,
        epochs=EPOCHS[args.budget],
        valid=valid,
        classes=list(range(5)),
    )
    if method == "class_weight":
        clf.set_params(class_weight="balanced")
    if method in ("none", "class_weight"):
        return Pipeline([("clf", clf)])
    if method in CLASSICAL:
        sampler = getattr(imb, method)(sampling_strategy=strategy, random_state=seed)
    else:
        sampler = M.GeneratorOversampler(
            method,
            budget=args.budget,
            device=args.device,
            cache_dir=args.cache_dir,
            sampling_strategy=strategy,
            random_state=seed,
            generator_seed=generator_seed,
        )
    return Pipeline([("sampler", sampler), ("clf", clf)])


def method_job(method, setting, data, seed, args, generator_seed=0) -> dict:
    """Fit one method's Pipeline with one seed and score it (a worker's job)."""
    M.set_threads(args.threads)
    X, y, X_test, y_test, valid = data
    steps = math.ceil(len(y) / M.CLASSIFIER[args.budget]["batch_size"])
    strategy = sampling_strategy(y, TARGET[args.budget])
    pipe = make_pipeline(method, strategy, seed, args, steps, valid, generator_seed)
    start = time.perf_counter()
    try:
        pipe.fit(X, y)
    except ValueError as exc:  # e.g. ADASYN finding no class boundary to sample
        return {"method": method, "setting": setting, "seed": seed, "error": str(exc)}
    fit_time = time.perf_counter() - start
    clf = pipe.named_steps["clf"]
    history = clf.history_
    clf_time = float(sum(history[:, "dur"]))
    out = {
        "method": method,
        "setting": setting,
        "seed": seed,
        "test": C.scores(y_test, pipe.predict(X_test), range(5), C.CLASS_NAMES),
        "pipeline_fit_s": round(fit_time, 2),
        "classifier_fit_s": round(clf_time, 2),
        "resample_s": round(max(fit_time - clf_time, 0.0), 2),
        "epochs_run": len(history),
    }
    if valid is not None:
        f1 = list(history[:, "valid_f1"])
        out["selected_epoch"] = int(np.argmax(f1)) + 1
        out["valid_f1_selected"] = float(max(f1))
    sampler = pipe.named_steps.get("sampler")
    if sampler is not None and hasattr(sampler, "fit_info_"):
        info = M.public_info(sampler.fit_info_)
        out["generator"] = info
        out["generator_fit_s"] = info["fit_time_s"]
    out["total_fit_s"] = round(fit_time + out.get("generator_fit_s", 0.0), 2)
    return out


def summarise(runs: list[dict]) -> dict:
    errors = [f"seed {r['seed']}: {r['error']}" for r in runs if "error" in r]
    runs = [r for r in runs if "error" not in r]
    if not runs:
        return {"errors": errors}
    t = [r["test"] for r in runs]
    keys = [k for k in t[0] if isinstance(t[0][k], float)]
    out = {k: C.mean_sd(x[k] for x in t) for k in keys}
    for part in ("recall", "precision"):
        out[part] = {c: C.mean_sd(x[part][c] for x in t) for c in C.CLASS_NAMES}
    for k in ("total_fit_s", "classifier_fit_s", "resample_s"):
        out[k] = C.mean_sd(r[k] for r in runs)
    if "selected_epoch" in runs[0]:
        out["selected_epoch"] = [r["selected_epoch"] for r in runs]
    if "generator" in runs[0]:
        out["generator"] = runs[0]["generator"] | {
            "sample_time_s": C.mean_sd(r["generator"]["sample_time_s"] for r in runs)
        }
    if errors:
        out["errors"] = errors
    return out


def ok(methods: dict) -> dict:
    """The methods that ran (with at least one seed)."""
    return {k: v for k, v in methods.items() if "f1_macro" in v}


def scores_by_seed(runs: list[dict], method: str, key: str) -> dict[int, float]:
    """``{seed: score}`` of one method's runs that did not fail."""
    return {
        r["seed"]: r["test"][key]
        for r in runs
        if r["method"] == method and "error" not in r
    }


def paired(runs: list[dict], a: str, b: str, key: str) -> dict | None:
    """Paired difference ``a - b`` of ``key`` over the seeds both ran."""
    return C.paired_by_seed(scores_by_seed(runs, a, key), scores_by_seed(runs, b, key))


def best_balancer(methods: dict) -> str | None:
    """The classical balancer (class weights included) of highest mean recall."""
    ran = {n: methods[n] for n in BALANCERS if n in methods}
    if not ran:
        return None
    return max(ran, key=lambda n: ran[n]["recall_macro"]["mean"])


def verdicts(setting: dict) -> dict:
    """Each method against no resampling and the best balancer, seed by seed.

    A "win" over no resampling needs the paired intervals of both macro-F1
    and macro recall above zero.
    """
    methods = ok(setting["methods"])
    runs = setting["runs"]
    best = best_balancer(methods)
    out = {}
    for name in methods:
        if name == "none":
            continue
        vs_none = {
            k: paired(runs, name, "none", k) for k in ("f1_macro", "recall_macro")
        }
        vs_best = (
            {k: paired(runs, name, best, k) for k in ("f1_macro", "recall_macro")}
            if best is not None and name != best
            else {}
        )
        win = all(d is not None and d["verdict"] == "win" for d in vs_none.values())
        out[name] = {
            "vs_none": vs_none,
            "vs_best_balancer": vs_best,
            "best_balancer": best,
            "delta_f1_macro": vs_none["f1_macro"]["mean"],
            "delta_recall_macro": vs_none["recall_macro"]["mean"],
            "win": win,
        }
    return out


def goals(results: dict, generators: list[str]) -> dict:
    out = {}
    for setting, res in results.items():
        methods = ok(res["methods"])
        base = methods["none"]
        best = best_balancer(methods)
        for g in generators:
            if g not in methods or best is None:
                continue
            best_r = methods[best]["recall_macro"]["mean"]
            m = methods[g]
            v = res["verdicts"][g]
            f1_ok = m["f1_macro"]["mean"] >= base["f1_macro"]["mean"]
            r_ok = m["recall_macro"]["mean"] >= best_r
            d_f1 = v["vs_none"]["f1_macro"]
            d_r = v["vs_best_balancer"].get("recall_macro")
            out[f"{setting}: {g}"] = {
                "met": bool(f1_ok and r_ok),
                "n_seeds": len(res["seeds"]),
                "text": f"{setting}, {g} (mean over {len(res['seeds'])} seed(s)): "
                f"macro-F1 {m['f1_macro']['mean']:.3f} vs no resampling "
                f"{base['f1_macro']['mean']:.3f} ({'kept' if f1_ok else 'NOT kept'}; "
                f"paired {C.fmt_diff(d_f1)}); macro recall "
                f"{m['recall_macro']['mean']:.3f} vs the best classical balancer's "
                f"{best_r:.3f} ({best}) ({'reached' if r_ok else 'NOT reached'}; "
                f"paired {C.fmt_diff(d_r)}) "
                f"-> {'met' if f1_ok and r_ok else 'NOT met'}",
            }
    inter = results.get("inter-patient")
    if inter is not None:
        inter = inter | {"methods": ok(inter["methods"])}
        hits = []
        for name, m in inter["methods"].items():
            s = m["recall"]["S"]["mean"]
            f = m["f1_macro_without_Q"]["mean"]
            if s >= GOALS["inter_S_recall"] and f >= GOALS["inter_f1_without_Q"]:
                hits.append(name)
        best_s = max(
            inter["methods"], key=lambda n: inter["methods"][n]["recall"]["S"]["mean"]
        )
        best_f = max(
            inter["methods"],
            key=lambda n: inter["methods"][n]["f1_macro_without_Q"]["mean"],
        )
        ms, mf = inter["methods"][best_s], inter["methods"][best_f]
        out["inter-patient S recall and macro-F1 without Q"] = {
            "met": bool(hits),
            "methods_meeting": hits,
            "text": "inter-patient S recall >= 0.60 with macro-F1 without Q >= 0.60 "
            f"(mean over {len(inter['seeds'])} seeds): "
            + (
                f"met by {hits}"
                if hits
                else f"NOT met by any method; highest S recall "
                f"{ms['recall']['S']['mean']:.3f} ({best_s}, macro-F1 without Q "
                f"{ms['f1_macro_without_Q']['mean']:.3f}), highest macro-F1 without "
                f"Q {mf['f1_macro_without_Q']['mean']:.3f} ({best_f}, S recall "
                f"{mf['recall']['S']['mean']:.3f})"
            ),
        }
    return out


def markdown(rep: dict) -> str:
    lines = [
        *C.header_markdown(rep, "Oversampling: generative vs classical"),
        f"- classifier: {rep['classifier']['network']}, batch "
        f"{rep['classifier']['batch_size']}, {rep['epochs']} epochs of "
        "as many batches as one pass over the real training beats, for every "
        "method; OneCycle (max lr 3e-3)",
        f"- sampling strategy: {rep['strategy']}",
        "",
    ]
    for setting, res in rep["results"].items():
        lines += [
            f"## {setting}",
            "",
            f"{res['source']}; training beats {res['train_counts']}, test beats "
            f"{res['test_counts']}; seeds {res['seeds']}. {res['selection']}",
            "",
            f"Beats added per class: {res['strategy']}",
            "",
        ]
        header = [
            "method",
            "accuracy",
            "precision",
            "recall",
            "macro-F1",
            "F1 w/o Q",
            "R w/o Q",
            *[f"recall {c}" for c in C.CLASS_NAMES],
            "prec S",
            "prec F",
            "fit s",
            "win",
        ]
        rows = []
        failed = []
        for name, m in res["methods"].items():
            if "f1_macro" not in m:
                failed.append(f"{name} failed: {'; '.join(m['errors'])}")
                continue
            v = res["verdicts"].get(name)
            win = "–" if v is None else ("yes" if v["win"] else "no")
            rows.append(
                [
                    name,
                    C.fmt(m["accuracy"]),
                    C.fmt(m["precision_macro"]),
                    C.fmt(m["recall_macro"]),
                    C.fmt(m["f1_macro"]),
                    C.fmt(m["f1_macro_without_Q"]),
                    C.fmt(m["recall_macro_without_Q"]),
                    *[C.fmt(m["recall"][c]) for c in C.CLASS_NAMES],
                    C.fmt(m["precision"]["S"]),
                    C.fmt(m["precision"]["F"]),
                    f"{m['total_fit_s']['mean']:.0f}",
                    win,
                ]
            )
        lines += C.md_table(header, rows)
        lines += [""] + failed if failed else []
        lines += paired_markdown(res)
        anchors = ANCHORS.get(setting)
        if anchors:
            lines += [
                "",
                "Anchors (issue 8, accuracy / macro-F1): "
                + ", ".join(f"{k} {a:.3f}/{f:.3f}" for k, (a, f) in anchors.items()),
            ]
        lines.append("")
    goal_lines = [f"- {g['text']}" for g in rep["goals"].values()]
    if not goal_lines and rep["budget"] != "smoke":
        goal_lines = ["- No generator was run (`--methods`): no goal is measured here."]
    lines += ["## Goals", ""] + goal_lines
    return "\n".join(lines) + "\n"


def paired_markdown(res: dict) -> list[str]:
    """The per-seed paired differences to no resampling and the best balancer."""
    verdicts = res["verdicts"]
    if not verdicts:
        return []
    best = next(iter(verdicts.values()))["best_balancer"]
    lines = [
        "",
        f"Paired differences over seeds {res['seeds']} (mean [95 % t-interval]; "
        "✓ / ✗: the interval lies above / below 0, the only differences called "
        f"wins or losses); best classical balancer by mean macro recall: {best}. "
        "'win': macro-F1 and macro recall both above no resampling (✓ ✓).",
        "",
    ]
    rows = []
    for name, v in verdicts.items():
        vb = v["vs_best_balancer"]
        rows.append(
            [
                name,
                C.fmt_diff(v["vs_none"]["f1_macro"]),
                C.fmt_diff(v["vs_none"]["recall_macro"]),
                C.fmt_diff(vb.get("f1_macro")),
                C.fmt_diff(vb.get("recall_macro")),
                " ".join(f"{d:+.3f}" for d in v["vs_none"]["f1_macro"]["per_seed"]),
            ]
        )
    lines += C.md_table(
        [
            "method",
            "Δ macro-F1 vs none",
            "Δ macro recall vs none",
            f"Δ macro-F1 vs {best}",
            f"Δ macro recall vs {best}",
            "Δ macro-F1 vs none per seed",
        ],
        rows,
    )
    return lines


def run_setting(
    setting, data, seeds, source, selection, args, names, baselines, seeded=True
) -> dict:
    """Every method (``baselines``, then the generators ``names``) with every seed.

    ``seeded``: the generator of seed ``s`` has ``random_state``
    :func:`_models.generator_seed` (budget, s); else seed 0 for every seed.
    """
    X, y, X_test, y_test, valid = data
    gen_seeds = {
        s: M.generator_seed(args.budget, s) if seeded else M.GENERATOR_SEED
        for s in seeds
    }
    if names:  # into the cache, before the jobs, every seed args.jobs at a time
        gs = sorted(set(gen_seeds.values()))
        print(f"\n== {setting}: fitting {names} (seeds {gs}) on {len(y)} beats")
        M.fit_generator_grid(names, gs, X, y, args=args)
    methods = [*baselines, *names]
    jobs = [
        (m, setting, data, seed, args, gen_seeds[seed])
        for m in methods
        for seed in seeds
    ]
    print(f"== {setting}: {len(jobs)} pipelines, {args.jobs} at a time")
    runs = M.run_parallel(
        method_job, jobs, n_jobs=args.jobs, store=C.job_store(args, NAME)
    )
    res = {
        "source": source,
        "selection": selection,
        "seeds": list(seeds),
        "generator_seeds": {str(s): g for s, g in gen_seeds.items()},
        "train_counts": dict(zip(C.CLASS_NAMES, np.bincount(y, minlength=5).tolist())),
        "test_counts": dict(
            zip(C.CLASS_NAMES, np.bincount(y_test, minlength=5).tolist())
        ),
        "strategy": {
            C.CLASS_NAMES[c]: n - int(np.sum(y == c))
            for c, n in sampling_strategy(y, TARGET[args.budget]).items()
        },
        "methods": {
            m: summarise([r for r in runs if r["method"] == m]) for m in methods
        },
        "runs": runs,
    }
    res["verdicts"] = verdicts(res)
    return res


def results_name(settings: list[str], methods: list[str] | None) -> str:
    """The results file's name: ``oversampling``, suffixed when runs were left out.

    One setting adds ``_<setting>``; methods without any generator add
    ``_baselines``, any other subset ``_methods-<a>-<b>...``.
    """
    name = NAME
    if len(settings) == 1:
        name += f"_{settings[0]}"
    if methods is not None:
        generators = [m for m in methods if m not in BASELINES]
        name += "_baselines" if not generators else "_methods-" + "-".join(methods)
    return name


def main(argv=None) -> dict:
    parser = C.make_parser(__doc__, SEEDS)
    parser.add_argument(
        "--settings",
        default=",".join(SETTINGS),
        help=f"comma-separated, from {SETTINGS}; one setting writes "
        "oversampling_<setting>.{json,md}",
    )
    parser.add_argument(
        "--methods",
        default=None,
        help=f"comma-separated, from {BASELINES} and the budget's generators "
        "(default: all of them); a subset writes oversampling[_<setting>]_baselines "
        "(no generator) or _methods-<...>",
    )
    args = parser.parse_args(argv)
    settings = [s for s in args.settings.split(",") if s]
    if not settings or set(settings) - set(SETTINGS):
        parser.error(f"--settings: choose from {SETTINGS}, got {args.settings!r}")
    seeds = setting_seeds(args.seeds, args.budget, settings)  # before the defaults
    args = C.finish_args(args)
    found, missing = M.generator_classes(args.budget)
    methods = (
        None if args.methods is None else [m for m in args.methods.split(",") if m]
    )
    if methods is not None:
        unknown = sorted(set(methods) - {*BASELINES, *found})
        if unknown or not methods:
            parser.error(
                f"--methods: unknown {unknown}; choose from {[*BASELINES, *found]}"
            )
    report = C.Report(results_name(settings, methods), args, argv, script=NAME)
    report["seeds"] = sorted({s for run in seeds.values() for s in run})
    report["classifier"] = M.classifier_settings(args.budget)
    report["epochs"] = EPOCHS[args.budget]
    target = TARGET[args.budget]
    report["strategy"] = (
        "'auto': every minority class raised to the majority class"
        if target is None
        else f"every minority class raised to at least {target} beats (at most "
        "the majority); classes with fewer than 6 beats left alone"
    )
    names = [n for n in found if methods is None or n in methods]
    baselines = [m for m in BASELINES if methods is None or m in methods]
    if "none" not in baselines:  # every comparison is paired with it
        baselines.insert(0, "none")
    report["generator_settings"] = M.generator_settings(args.budget, names)
    report["generators_missing"] = missing
    results = {}
    if "intra-patient" in settings:
        results["intra-patient"] = intra_patient(
            args, names, baselines, seeds["intra-patient"]
        )
    if "inter-patient" in settings:
        results["inter-patient"] = inter_patient(
            args, names, baselines, seeds["inter-patient"]
        )
    report["results"] = results
    report["resumed_jobs"] = C.count_resumed(
        [r for res in results.values() for r in res["runs"]]
    )
    report["goals"] = goals(results, names) if args.budget != "smoke" else {}
    return report.write(markdown)


def setting_seeds(seeds, budget: str, settings) -> dict[str, list[int]]:
    """The seeds each setting runs: ``--seeds`` for every setting, else its default."""
    default = {"intra-patient": INTRA_SEEDS, "inter-patient": SEEDS}
    return {s: list(seeds or default[s][budget]) for s in settings}


def intra_patient(args, names, baselines, seeds) -> dict:
    """Every method on the intra-patient split, the last epoch kept."""
    X, y, X_test, y_test, source = C.load_intra(args)
    return run_setting(
        "intra-patient",
        (X, y, X_test, y_test, None),
        seeds,
        source,
        "No validation set: the last epoch is kept.",
        args,
        names,
        baselines,
    )


def inter_patient(args, names, baselines, seeds) -> dict:
    """Every method DS1 -> DS2, the epoch chosen on held-out DS1 records."""
    ds1, ds2, source = C.load_inter(args)
    tr, va, desc = C.ds1_validation_split(ds1)
    valid = (ds1.data[va], ds1.target[va])
    return run_setting(
        "inter-patient",
        (ds1.data[tr], ds1.target[tr], ds2.data, ds2.target, valid),
        seeds,
        source,
        f"Epoch with the best macro-F1 on held-out DS1 patients kept ({desc}; "
        f"{len(va)} validation beats).",
        args,
        names,
        baselines,
        seeded=False,
    )


if __name__ == "__main__":
    C.ensure_malloc_tuning()
    main()
    sys.exit(0)
