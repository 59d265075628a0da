"""TRTR baseline: the residual 1-D CNN trained and tested on real MIT-BIH beats.

Trains Kachuee et al.'s 5-block network and the paper's 1-block network
(:class:`ecgaug.classifiers.ResNetClassifier`) on the intra-patient 80/20 split
of MIT-BIH (``load_mitbih(split="train")`` / ``"test"``, the Kaggle CSV beats)
and reports, on the test split: accuracy, macro precision / recall / F1,
per-class recall, the time per epoch and the peak memory. The epoch whose
weights are kept is chosen on a stratified 10 % validation split carved from
the *training* part (skorch ``EarlyStopping(load_best=True)``); the test split
is only used for the final scores.

Budgets
-------
smoke   seconds: 600 beats of the bundled sample, 1 epoch each (for tests).
quick   <= 15 min on a 2-core CPU: full split, 5-block 8 epochs, 1-block 5.
standard  full split, both networks 12 epochs (OneCycle over all 12): the
        classifier length of the other scripts' standard budget, where no
        resampling must reach the anchor (5 blocks, macro-F1 >= 0.90).
full    GPU-sized: full split, up to 60 epochs each, early stopping.

Usage::

    python benchmarks/classifier_trtr.py --budget quick

writes ``benchmarks/results/classifier_trtr.json`` and ``.md`` (``--out``).
Paper (1 block, TRTR): accuracy .980, precision .961, recall .840.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import accuracy_score, precision_recall_fscore_support
from skorch.callbacks import LRScheduler

from ecgaug._utils import atomic_path
from ecgaug.classifiers import ResNetClassifier
from ecgaug.datasets import load_mitbih, load_sample

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
CLASS_NAMES = ["N", "S", "V", "F", "Q"]
TARGETS = {"accuracy": 0.98, "f1_macro": 0.90}  # 5-block, quick and full

BUDGETS = {
    "smoke": {"epochs": {5: 1, 1: 1}, "batch_size": 128, "max_lr": 3e-3},
    "quick": {"epochs": {5: 8, 1: 5}, "batch_size": 128, "max_lr": 3e-3},
    "standard": {"epochs": {5: 12, 1: 12}, "batch_size": 128, "max_lr": 3e-3},
    "full": {"epochs": {5: 60, 1: 60}, "batch_size": 128, "max_lr": 3e-3},
}
VALID_FRACTION = 0.1
SEED = 0


def default_data_home() -> str | None:
    if "ECGAUG_DATA" in os.environ:
        return os.environ["ECGAUG_DATA"]
    shared = REPO.parent / "shared" / "data"
    return str(shared) if (shared / "mitdb").is_dir() else None


def load_split(budget: str, data_home: str | None):
    """``(X_train, y_train, X_test, y_test, source)``."""
    if budget == "smoke":
        X, y = load_sample(split="train", return_X_y=True)
        X_test, y_test = load_sample(split="test", return_X_y=True)
        keep = np.random.default_rng(SEED).permutation(len(y))[:600]
        return X[keep], y[keep], X_test, y_test, "load_sample() train[600]/test"
    train = load_mitbih(data_home=data_home, split="train")
    test = load_mitbih(data_home=data_home, split="test")
    source = "load_mitbih(split='train'/'test'), segmentation='kachuee'"
    return train.data, train.target, test.data, test.target, source


def make_classifier(n_blocks: int, epochs: int, cfg: dict, n_train: int):
    n_fit = n_train - math.ceil(VALID_FRACTION * n_train)
    steps = epochs * math.ceil(n_fit / cfg["batch_size"])
    one_cycle = LRScheduler(
        policy=torch.optim.lr_scheduler.OneCycleLR,
        max_lr=cfg["max_lr"],
        total_steps=steps,
        step_every="batch",
    )
    return ResNetClassifier(
        module__n_blocks=n_blocks,
        max_epochs=epochs,
        batch_size=cfg["batch_size"],
        lr=cfg["max_lr"],
        train_split=VALID_FRACTION,
        early_stopping=10,  # keeps the best validation epoch's weights
        callbacks=[("one_cycle", one_cycle)],
        random_state=SEED,
        verbose=1,
    )


def evaluate(clf, X_test, y_test) -> dict:
    y_pred = clf.predict(X_test)
    p, r, f1, _ = precision_recall_fscore_support(
        y_test, y_pred, labels=range(5), average="macro", zero_division=0
    )
    _, per_class, _, _ = precision_recall_fscore_support(
        y_test, y_pred, labels=range(5), average=None, zero_division=0
    )
    return {
        "accuracy": float(accuracy_score(y_test, y_pred)),
        "precision_macro": float(p),
        "recall_macro": float(r),
        "f1_macro": float(f1),
        "recall_per_class": dict(zip(CLASS_NAMES, map(float, per_class))),
    }


def run_config(n_blocks, epochs, cfg, data) -> dict:
    X, y, X_test, y_test = data
    clf = make_classifier(n_blocks, epochs, cfg, len(y))
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    clf.fit(X, y)
    fit_time = time.perf_counter() - start
    history = clf.history_
    stop = dict(clf.callbacks_)["early_stopping"]
    result = {
        "n_blocks": n_blocks,
        "n_parameters": sum(p.numel() for p in clf.module_.parameters()),
        "max_epochs": epochs,
        "epochs_run": len(history),
        "selected_epoch": int(stop.best_epoch_),
        "best_valid_loss": float(min(history[:, "valid_loss"])),
        "valid_acc_at_selected": float(history[stop.best_epoch_ - 1, "valid_acc"]),
        "epoch_time_s": float(np.mean(history[:, "dur"])),
        "fit_time_s": fit_time,
        "test": evaluate(clf, X_test, y_test),
        "peak_rss_mib": C.peak_rss_mib(),
        "device": clf.device_,
    }
    if torch.cuda.is_available():
        result["peak_cuda_mib"] = torch.cuda.max_memory_allocated() / 2**20
    return result


def markdown(report: dict) -> str:
    git = report["git"]
    lines = [
        f"# TRTR classifier benchmark ({report['budget']})"
        + (" — UNCOMMITTED" if git.get("committed") is False else ""),
        *C.uncommitted_banner(git),
        "",
        f"- command: `{report['command']}`",
        f"- git: {git['commit']} (committed tree: {git.get('committed')})",
        f"- machine: {report['machine']['platform']}, "
        f"{report['machine']['cpu_count']} CPUs, torch {report['machine']['torch']}"
        f" ({report['machine']['torch_threads']} threads), "
        f"GPU: {report['machine']['gpu']}",
        f"- data: {report['data']['source']}: {report['data']['n_train']} train "
        f"(10 % of it held out for epoch selection), {report['data']['n_test']} test",
        f"- seed {report['seed']}, wall time {report['wall_time_s']:.0f} s",
        "",
        "| blocks | acc | P macro | R macro | F1 macro | recall N/S/V/F/Q "
        "| epoch s | epochs (kept) | peak RSS MiB so far |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in report["results"]:
        t = r["test"]
        recalls = "/".join(f"{v:.3f}" for v in t["recall_per_class"].values())
        lines.append(
            f"| {r['n_blocks']} | {t['accuracy']:.4f} | {t['precision_macro']:.4f} "
            f"| {t['recall_macro']:.4f} | {t['f1_macro']:.4f} | {recalls} "
            f"| {r['epoch_time_s']:.1f} | {r['epochs_run']} ({r['selected_epoch']}) "
            f"| {r['peak_rss_mib']:.0f} |"
        )
    lines += [
        "",
        f"Targets (5 blocks): {report['targets']}: "
        f"{ {True: 'met', False: 'NOT met', None: 'n/a'}[report['targets_met']] }",
        "Paper (1 block): accuracy 0.980, precision 0.961, recall 0.840.",
    ]
    return "\n".join(lines) + "\n"


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", choices=BUDGETS, default="quick")
    parser.add_argument("--data-home", default=default_data_home())
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch CPU threads (default: 1 for smoke/quick, torch's for full)",
    )
    parser.add_argument("--out", default=None, help="output path without suffix")
    parser.add_argument(
        "--allow-uncommitted",
        action="store_true",
        help="run --budget standard / full on a tree with uncommitted code "
        "(results stamped UNCOMMITTED)",
    )
    args = parser.parse_args(argv)
    git_start = C.check_tree(args.budget, args.allow_uncommitted)
    threads = args.threads or (None if args.budget == "full" else 1)
    if threads:
        torch.set_num_threads(threads)
    out = Path(
        args.out
        or REPO
        / "benchmarks"
        / "results"
        / ("classifier_trtr" + ("" if args.budget != "smoke" else "_smoke"))
    )
    cfg = BUDGETS[args.budget]
    start = time.perf_counter()
    report = {
        "benchmark": "classifier_trtr",
        "budget": args.budget,
        "command": " ".join([Path(sys.argv[0]).name, *(argv or sys.argv[1:])]),
        "git": git_start,
        "machine": C.machine_info(),
        "seed": SEED,
        "settings": cfg
        | {
            "valid_fraction": VALID_FRACTION,
            "optimizer": "Adam",
            "lr_schedule": "OneCycleLR per batch",
        },
    }
    X, y, X_test, y_test, source = load_split(args.budget, args.data_home)
    report["data"] = {
        "source": source,
        "n_train": len(y),
        "n_test": len(y_test),
        "train_counts": np.bincount(y, minlength=5).tolist(),
        "test_counts": np.bincount(y_test, minlength=5).tolist(),
    }
    results = []
    for n_blocks in (5, 1):
        print(f"\n== {n_blocks} residual block(s), {cfg['epochs'][n_blocks]} epochs")
        result = run_config(
            n_blocks, cfg["epochs"][n_blocks], cfg, (X, y, X_test, y_test)
        )
        results.append(result)
        print(json.dumps(result["test"], indent=1))
    report["results"] = results
    report["wall_time_s"] = time.perf_counter() - start
    report["git"] = C.merge_git(git_start, C.git_info())
    report["targets"] = TARGETS
    five = results[0]["test"]
    met = all(five[k] >= v for k, v in TARGETS.items())
    report["targets_met"] = None if args.budget == "smoke" else met
    text = markdown(report)
    print("\n" + text)
    with atomic_path(out.with_suffix(".json")) as tmp:
        tmp.write_text(json.dumps(report, indent=2) + "\n")
    with atomic_path(out.with_suffix(".md")) as tmp:
        tmp.write_text(text)
    print(f"wrote {out.with_suffix('.json')} and .md")
    return report


if __name__ == "__main__":
    main()
