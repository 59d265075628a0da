"""The protocol of the paper's Tables 2-4, shared by three benchmark scripts.

For each fraction 0.2 ... 1.0 of the real fine-tuning data (stratified,
nested subsets, :func:`ecgaug.classifiers.learning_curve_finetune`), a
classifier trained from scratch on it ("real") against the same classifier
pretrained on synthetic beats and then fine-tuned on it ("synthetic", the
paper's column names). The synthetic pretraining set is drawn, balanced over
the generator's classes, from a generator fitted beforehand (cached), which may
have other classes than the fine-tuning task (Table 4: the output layer is
then re-initialised).

Fine-tuned and real-only models are trained for the same number of epochs on
the real subset, with Adam at a constant 1e-3 and no validation set (the last
epoch is kept), as in the paper (``real``). That gives the pretrained model
extra training: its pretraining steps. So two more real-only arms are trained
from the same initialisation, on the same subset:

``real (matched steps)``
    as many optimisation steps as the pretrained model's pretraining plus
    fine-tuning, spread over the same number of epochs (fixed batches per
    epoch, drawn from the real subset);
``real (matched time)``
    training on the real subset until the pretrained model's classifier
    training time (pretraining plus fine-tuning, measured in the same worker
    just before) has passed. The generator's fit and sampling are not counted
    (paid once, reported apart).

The real-only curves do not depend on the generator: they are trained once per
seed, except ``real (matched time)``, which depends on each generator's
pretraining time and is trained per generator.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

import _common as C
import _models as M
import numpy as np

FRACTIONS = (0.2, 0.4, 0.6, 0.8, 1.0)
METRICS = ("accuracy", "precision_macro", "recall_macro", "f1_macro")
#: The real-only arms and how the pretrained arm is compared with each.
REAL_ARMS = {
    "real": "same fine-tuning epochs (the paper's comparison)",
    "real_steps": "matched optimisation steps",
    "real_time": "matched classifier training time",
}


def balanced_labels(classes: Sequence, n: int) -> np.ndarray:
    """``n`` labels spread as evenly as possible over ``classes``."""
    classes = np.asarray(classes)
    counts = np.full(len(classes), n // len(classes))
    counts[: n % len(classes)] += 1
    return np.repeat(classes, counts)


def curve_job(
    info: dict,
    data: tuple,
    names: Sequence[str],
    seed: int,
    baseline: bool,
    settings: dict[str, Any],
) -> dict:
    """One learning curve: a worker's job.

    Parameters
    ----------
    info : dict
        A generator of :func:`_common.fit_generators`.
    data : tuple
        ``(X, y, X_test, y_test)``: the real fine-tuning beats and the test set.
    names : sequence of str
        Class names of ``y``, in label order.
    seed : int
        Seeds the subsets, the draw and the classifiers.
    baseline : bool
        Also train the real-only models.
    settings : dict
        ``budget``, ``epochs``, ``n_pretrain``, ``device``, ``threads``,
        ``head`` (``"keep"`` or ``"reinit"``).

    Returns
    -------
    dict
        ``rows`` (one per fraction and model), ``sample_time_s``,
        ``generator``, ``seed``, ``n_pretrain``.
    """
    from ecgaug.classifiers import FineTunedClassifier, learning_curve_finetune

    M.set_threads(settings["threads"])
    X, y, X_test, y_test = data
    labels = np.arange(len(names))
    clf = M.make_classifier(
        settings["budget"],
        seed=seed,
        device=settings["device"],
        epochs=settings["epochs"],
        # across tasks the pretraining classes differ: let each fit read them
        classes=labels if settings["head"] == "keep" else None,
        one_cycle=False,
    )
    ft = FineTunedClassifier(
        clf,
        pretrain_epochs=settings["epochs"],
        finetune_epochs=settings["epochs"],
        head=settings["head"],
        random_state=seed,
    )
    sampler = M.load_fitted(info, device=settings["device"])
    want = balanced_labels(sampler.classes_, settings["n_pretrain"])
    start = time.perf_counter()
    X_pre, y_pre = sampler.sample(len(want), y=want, random_state=seed)
    sample_time = time.perf_counter() - start
    table = learning_curve_finetune(
        ft,
        X,
        y,
        X_test,
        y_test,
        X_pretrain=X_pre,
        y_pretrain=y_pre,
        fractions=FRACTIONS,
        baseline=baseline,
        random_state=seed,
        as_frame=False,
    )
    batch = M.CLASSIFIER[settings["budget"]]["batch_size"]
    epochs = settings["epochs"]
    pre_steps = epochs * math.ceil(len(y_pre) / batch)
    rows = []
    for i, model in enumerate(table["model"]):
        n_sub = int(table["n_train"][i])
        synthetic = model == "finetuned"
        row = {
            "fraction": float(table["fraction"][i]),
            "n_train": n_sub,
            "model": "synthetic" if synthetic else "real",
            **{m: float(table[m][i]) for m in METRICS},
            "recall": {
                n: float(table[f"recall_{lab}"][i])
                for lab, n in zip(labels, names)
                if f"recall_{lab}" in table
            },
            "fit_time_s": round(float(table["fit_time"][i]), 2),
            "pretrain_time_s": round(float(table["pretrain_time"][i]), 2),
            "steps": epochs * math.ceil(n_sub / batch)
            + (pre_steps if synthetic else 0),
        }
        rows.append(row)
    pretrain_s = max(float(v) for v in table["pretrain_time"])
    rows += matched_real_rows(
        rows, data, names, seed, settings, baseline, pre_steps, pretrain_s
    )
    return {
        "generator": info["name"],
        "seed": seed,
        "rows": rows,
        "sample_time_s": round(sample_time, 2),
        "n_pretrain": int(len(y_pre)),
    }


def matched_real_rows(
    rows, data, names, seed, settings, with_steps, pre_steps, pretrain_s
) -> list[dict]:
    """Real-only models given the pretrained model's steps, or its time.

    For each fraction, from the initialisation of the real-only and the
    fine-tuned models of :func:`~ecgaug.classifiers.learning_curve_finetune`
    (same seed), on the same nested subset: ``real_steps`` (trained only with
    ``with_steps``: it does not depend on the generator) and ``real_time``.
    """
    from sklearn.utils import check_random_state

    from ecgaug.classifiers._curves import nested_stratified_subsets

    X, y, X_test, y_test = data
    labels = np.arange(len(names))
    batch = M.CLASSIFIER[settings["budget"]]["batch_size"]
    epochs = settings["epochs"]
    model_seed = int(check_random_state(seed).randint(0, 2**31 - 1))
    subsets = nested_stratified_subsets(y, FRACTIONS, seed)
    out = []
    for row in rows:
        if row["model"] != "synthetic":
            continue
        idx = subsets[min(FRACTIONS, key=lambda f: abs(f - row["fraction"]))]
        arms = {"real_time": pretrain_s + row["fit_time_s"]}
        if with_steps:
            arms = {"real_steps": row["steps"]} | arms
        for arm, amount in arms.items():
            one_pass = math.ceil(len(idx) / batch)
            if arm == "real_steps":
                per_epoch, n_epochs, extra = math.ceil(amount / epochs), epochs, []
            else:  # as many epochs as the time allows
                budget = M.TimeBudget(amount)
                per_epoch, n_epochs = one_pass, 1000 * epochs
                extra = [("time_budget", budget)]
            clf = M.make_classifier(
                settings["budget"],
                seed=model_seed,
                device=settings["device"],
                epochs=n_epochs,
                steps_per_epoch=per_epoch,
                classes=labels if settings["head"] == "keep" else None,
                one_cycle=False,
                extra_callbacks=extra,
            )
            start = time.perf_counter()
            clf.fit(X[idx], y[idx])
            fit_time = time.perf_counter() - start
            sc = C.scores(y_test, clf.predict(X_test), labels, names)
            out.append(
                {
                    "fraction": row["fraction"],
                    "n_train": int(len(idx)),
                    "model": arm,
                    **{m: sc[m] for m in METRICS},
                    "recall": dict(sc["recall"]),
                    "fit_time_s": round(fit_time, 2),
                    "pretrain_time_s": 0.0,
                    "steps": per_epoch * epochs
                    if arm == "real_steps"
                    else int(budget.steps_),
                    "matched_to": amount,
                }
            )
    return out


def run_curves(
    infos: dict[str, dict],
    data: tuple,
    names: Sequence[str],
    args,
    *,
    epochs: int,
    n_pretrain: int,
    head: str,
    infos_by_seed: dict[int, dict[str, dict]] | None = None,
    store=None,
) -> dict:
    """Real-only and per-generator curves over the seeds, ``args.jobs`` at a time.

    Parameters
    ----------
    infos : dict
        ``{generator: info}`` of :func:`_models.fit_generators`, used for every
        seed unless ``infos_by_seed`` has the seed.
    infos_by_seed : dict or None
        ``{seed: {generator: info}}``: a generator fitted per seed.
    store : path or None
        Where each finished curve is kept (``--resume``, see
        :func:`_models.run_parallel`).

    Returns
    -------
    dict
        ``real``, ``real_steps`` and ``real_time`` (``{generator: ...}``) and
        ``synthetic`` (``{generator: ...}``): per fraction, the mean ± sd over
        seeds of each score; ``paired`` (``{generator: {arm: {fraction:
        {metric: paired difference}}}}``): the pretrained model minus each
        real-only arm, seed by seed; and the runs themselves.
    """
    settings = {
        "budget": args.budget,
        "epochs": epochs,
        "n_pretrain": n_pretrain,
        "device": args.device,
        "threads": args.threads,
        "head": head,
    }
    if not infos:
        raise ValueError("No generator to pretrain with.")
    by_seed = infos_by_seed or {}
    # The first generator's jobs also train the real-only models that do not
    # depend on the generator (same subsets, same seeds); the others skip them.
    jobs = [
        (
            M.loadable_info(by_seed.get(seed, infos)[name]),
            data,
            names,
            seed,
            i == 0,
            settings,
        )
        for i, name in enumerate(infos)
        for seed in args.seeds
    ]
    print(f"   {len(jobs)} learning curves, {args.jobs} at a time")
    runs = M.run_parallel(curve_job, jobs, n_jobs=args.jobs, store=store)
    rows = [r["rows"] for r in runs]
    out: dict[str, Any] = {
        "real": summarise(rows, "real", names),
        "real_steps": summarise(rows, "real_steps", names),
        "real_time": {},
        "synthetic": {},
        "paired": {},
    }
    for name in infos:
        mine = [r for r in runs if r["generator"] == name]
        out["synthetic"][name] = summarise(
            [r["rows"] for r in mine], "synthetic", names
        ) | {"sample_time_s": C.mean_sd(r["sample_time_s"] for r in mine)}
        out["real_time"][name] = summarise(
            [r["rows"] for r in mine], "real_time", names
        )
        out["paired"][name] = {arm: paired_to(runs, name, arm) for arm in REAL_ARMS}
    out["runs"] = runs
    return out


def _by_seed(runs: list[dict], model: str, generator: str | None) -> dict:
    """``{(seed, fraction): row}`` of one model (of one generator's runs)."""
    out = {}
    for run in runs:
        if generator is not None and run["generator"] != generator:
            continue
        for r in run["rows"]:
            if r["model"] == model:
                out[run["seed"], f"{r['fraction']:.1f}"] = r
    return out


def paired_to(runs: list[dict], generator: str, arm: str) -> dict:
    """Pretrained on ``generator``'s beats minus the real-only ``arm``, per seed.

    Returns ``{fraction: {metric: paired difference}}`` over the seeds both
    have (:func:`_common.paired_by_seed`).
    """
    syn = _by_seed(runs, "synthetic", generator)
    real = _by_seed(runs, arm, generator if arm == "real_time" else None)
    out = {}
    for frac in (f"{f:.1f}" for f in FRACTIONS):
        diffs = {
            m: C.paired_by_seed(
                {s: r[m] for (s, f), r in syn.items() if f == frac},
                {s: r[m] for (s, f), r in real.items() if f == frac},
            )
            for m in ("accuracy", "f1_macro", "recall_macro")
        }
        if None not in diffs.values():
            out[frac] = diffs
    return out


def summarise(runs: list[list[dict]], model: str, names) -> dict:
    """``{fraction: {metric: mean ± sd}}`` over the seeds' rows of one model."""
    out: dict[str, Any] = {}
    for frac in FRACTIONS:
        rows = [r for run in runs for r in run if r["model"] == model]
        rows = [r for r in rows if abs(r["fraction"] - frac) < 1e-9]
        if not rows:
            continue
        out[f"{frac:.1f}"] = {
            **{m: C.mean_sd(r[m] for r in rows) for m in METRICS},
            "recall": {n: C.mean_sd(r["recall"][n] for r in rows) for n in names},
            "fit_time_s": C.mean_sd(r["fit_time_s"] for r in rows),
            "pretrain_time_s": C.mean_sd(r["pretrain_time_s"] for r in rows),
            "steps": C.mean_sd(r["steps"] for r in rows),
            "n_train": rows[0]["n_train"],
        }
    return out


def pretraining_goal(curves: dict) -> dict[str, dict]:
    """Per generator and real-only arm: pretrained >= real-only everywhere?

    Compared on the mean accuracy and the mean macro-F1 at each fraction; the
    paired differences over the seeds are given with it (a "win" only where
    the interval lies above zero). Issue 14's goal is the ``real_steps`` arm.
    """
    out = {}
    for name, syn in curves["synthetic"].items():
        for arm, what in REAL_ARMS.items():
            real = curves[arm][name] if arm == "real_time" else curves[arm]
            gaps = {}
            for frac, r in real.items():
                if frac not in syn:
                    continue
                gaps[frac] = {
                    m: syn[frac][m]["mean"] - r[m]["mean"]
                    for m in ("accuracy", "f1_macro")
                }
            if not gaps:
                continue
            worst = {
                m: min(g[m] for g in gaps.values()) for m in ("accuracy", "f1_macro")
            }
            met = all(v >= 0 for v in worst.values())
            pairs = curves["paired"][name][arm]
            verdicts = {
                frac: {m: d["verdict"] for m, d in p.items()}
                for frac, p in pairs.items()
            }
            wins = sum(v["accuracy"] == "win" for v in verdicts.values())
            losses = sum(v["accuracy"] == "loss" for v in verdicts.values())
            text = (
                f"{name} vs real-only at {what}: pretrained >= real-only at every "
                f"fraction (mean accuracy and macro-F1): "
                f"{'met' if met else 'NOT met'}; worst gap accuracy "
                f"{worst['accuracy']:+.4f}, macro-F1 {worst['f1_macro']:+.4f}; "
                f"paired accuracy intervals: {wins} win(s), {losses} loss(es) of "
                f"{len(verdicts)} fractions"
            )
            out[f"{name} / {arm}"] = {
                "generator": name,
                "arm": arm,
                "met": met,
                "worst_gap": worst,
                "gaps": gaps,
                "verdicts": verdicts,
                "text": text,
            }
    return out


def curves_markdown(curves: dict, names: Sequence[str], paper: dict | None) -> list:
    """One table per generator, real-only beside it, and the paper's numbers."""
    lines = []
    hard = [n for n in names if n in ("S", "F")] or list(names)
    for gname, syn in curves["synthetic"].items():
        lines += [f"### pretrained on {gname} beats vs real-only", ""]
        header = ["fraction", "n real"]
        for m in ("accuracy", "precision", "recall", "macro-F1"):
            header += [f"{m} synth", f"{m} real"]
        header += [f"recall {n} synth/real" for n in hard]
        header += ["fit s synth/real"]
        if paper:
            header += ["paper acc synth/real", "paper P", "paper R"]
        rows = []
        for frac, r in curves["real"].items():
            s = syn.get(frac)
            if s is None:
                continue
            row = [frac, r["n_train"]]
            for m in METRICS:
                row += [C.fmt(s[m], 4), C.fmt(r[m], 4)]
            row += [
                f"{s['recall'][n]['mean']:.3f}/{r['recall'][n]['mean']:.3f}"
                for n in hard
            ]
            row += [f"{s['fit_time_s']['mean']:.0f}/{r['fit_time_s']['mean']:.0f}"]
            if paper:
                p = paper.get(float(frac))
                row += (
                    [
                        f"{p[0]:.4f}/{p[1]:.4f}",
                        f"{p[2]:.4f}/{p[3]:.4f}",
                        f"{p[4]:.4f}/{p[5]:.4f}",
                    ]
                    if p
                    else ["–"] * 3
                )
            rows.append(row)
        lines += C.md_table(header, rows)
        first = next(iter(syn.values()))
        lines += [
            "",
            f"Pretraining (paid once, not in 'fit s'): "
            f"{first['pretrain_time_s']['mean']:.0f} s of training on the "
            f"synthetic set, after {syn['sample_time_s']['mean']:.0f} s of "
            "sampling and the generator's fit.",
            "",
        ]
        lines += matched_markdown(curves, gname)
    return lines


def matched_markdown(curves: dict, gname: str) -> list[str]:
    """The pretrained model against the three real-only arms, seed by seed."""
    syn = curves["synthetic"][gname]
    arms = {
        "real": curves["real"],
        "real_steps": curves["real_steps"],
        "real_time": curves["real_time"].get(gname, {}),
    }
    pairs = curves["paired"][gname]
    header = [
        "fraction",
        "steps synth / real / matched steps / matched time",
        "acc real (steps) / (time)",
    ]
    for arm in arms:
        header += [f"Δ acc vs {arm}", f"Δ F1 vs {arm}"]
    rows = []
    for frac, s in syn.items():
        if frac == "sample_time_s":
            continue
        steps = " / ".join(
            f"{a[frac]['steps']['mean']:.0f}" if frac in a else "–"
            for a in (syn, *arms.values())
        )
        accs = " / ".join(
            C.fmt(arms[a][frac]["accuracy"], 4) if frac in arms[a] else "–"
            for a in ("real_steps", "real_time")
        )
        row = [frac, steps, accs]
        for arm in arms:
            p = pairs.get(arm, {}).get(frac)
            row += (
                [C.fmt_diff(p["accuracy"], 4), C.fmt_diff(p["f1_macro"], 3)]
                if p
                else ["–", "–"]
            )
        rows.append(row)
    return [
        f"#### {gname}: pretrained minus real-only, paired over the seeds",
        "",
        "Mean difference [95 % t-interval over the seeds]; ✓ / ✗ where the "
        "interval lies above / below 0. `real`: the same fine-tuning epochs "
        "(the paper's comparison; the pretrained model trains longer); "
        "`real_steps`: real-only given as many optimisation steps as "
        "pretraining plus fine-tuning; `real_time`: real-only trained for as "
        "long as the pretrained model's classifier (pretraining plus "
        "fine-tuning).",
        "",
        *C.md_table(header, rows),
        "",
    ]
