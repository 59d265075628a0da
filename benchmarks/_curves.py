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
epoch is kept), as in the paper. The real-only curve does not depend on the
generator: it is trained once per seed.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import _common as C
import _models as M
import numpy as np

FRACTIONS = (0.2, 0.4, 0.6, 0.8, 1.0)
METRICS = ("accuracy", "precision_macro", "recall_macro", "f1_macro")


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
    rows = []
    for i, model in enumerate(table["model"]):
        row = {
            "fraction": float(table["fraction"][i]),
            "n_train": int(table["n_train"][i]),
            "model": "synthetic" if model == "finetuned" else "real",
            **{m: float(table[m][i]) for m in METRICS},
            "recall": {
                n: float(table[f"recall_{lab}"][i])
                for lab, n in zip(labels, names)
                if f"recall_{lab}" in table
            },
            "fit_time_s": round(float(table["fit_time"][i]), 2),
            "pretrain_time_s": round(float(table["pretrain_time"][i]), 2),
        }
        rows.append(row)
    return {
        "generator": info["name"],
        "seed": seed,
        "rows": rows,
        "sample_time_s": round(sample_time, 2),
        "n_pretrain": int(len(y_pre)),
    }


def run_curves(
    infos: dict[str, dict],
    data: tuple,
    names: Sequence[str],
    args,
    *,
    epochs: int,
    n_pretrain: int,
    head: str,
) -> dict:
    """Real-only and per-generator curves over the seeds, ``args.jobs`` at a time.

    Returns
    -------
    dict
        ``real`` and ``synthetic`` (``{generator: ...}``): per fraction, the mean
        ± sd over seeds of each score, and the runs themselves.
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
    # The first generator's jobs also train the real-only models (same
    # subsets, same seeds); the others skip them.
    jobs = [
        (info, data, names, seed, i == 0, settings)
        for i, info in enumerate(infos.values())
        for seed in args.seeds
    ]
    print(f"   {len(jobs)} learning curves, {args.jobs} at a time")
    runs = M.run_parallel(curve_job, jobs, n_jobs=args.jobs)
    out = {"real": summarise([r["rows"] for r in runs], "real", names)}
    out["synthetic"] = {}
    for name in infos:
        mine = [r for r in runs if r["generator"] == name]
        out["synthetic"][name] = summarise(
            [r["rows"] for r in mine], "synthetic", names
        ) | {"sample_time_s": C.mean_sd(r["sample_time_s"] for r in mine)}
    out["runs"] = runs
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
            "n_train": rows[0]["n_train"],
        }
    return out


def pretraining_goal(curves: dict) -> dict[str, dict]:
    """Per generator: is the synthetic-pretrained model >= real-only everywhere?

    Compared on the mean accuracy and the mean macro-F1 at each fraction.
    """
    real = curves["real"]
    out = {}
    for name, syn in curves["synthetic"].items():
        gaps = {}
        for frac, r in real.items():
            if frac not in syn:
                continue
            gaps[frac] = {
                m: syn[frac][m]["mean"] - r[m]["mean"] for m in ("accuracy", "f1_macro")
            }
        worst = {
            m: min((g[m] for g in gaps.values()), default=float("nan"))
            for m in ("accuracy", "f1_macro")
        }
        met = all(v >= 0 for v in worst.values())
        text = (
            f"{name}: synthetic pretraining >= real-only at every fraction "
            f"(accuracy and macro-F1): {'met' if met else 'NOT met'}; worst gap "
            f"accuracy {worst['accuracy']:+.4f}, macro-F1 {worst['f1_macro']:+.4f}"
        )
        out[name] = {"met": met, "worst_gap": worst, "gaps": gaps, "text": text}
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
    return lines
