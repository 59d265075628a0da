"""The two GAN samplers on MIT-BIH: speed, TSTR, label adherence, TTS-CGAN vs its code.

Fits :class:`~ecgaug.generators.CGANSampler` and
:class:`~ecgaug.generators.TTSCGANSampler` on the whole intra-patient MIT-BIH
training split (``load_mitbih(split="train")``, 87,554 beats) and reports, for
each:

- train time per epoch and training throughput (real beats per second);
- sampling throughput (beats per second, ``sample`` with its default batch);
- TSTR: the benchmarks' residual classifier (:func:`_models.make_classifier`,
  :class:`ecgaug.classifiers.ResNetClassifier`) trained on synthetic beats only,
  the same number per class, tested on the real test split (21,892 beats):
  accuracy and macro recall (paper, TTS-CGAN: accuracy .551, recall .753);
- label adherence per class: the share of beats generated for class c that a
  classifier trained on the real training beats (scikit-learn's
  ``HistGradientBoostingClassifier``) assigns to c; its recall on the real test
  beats is given beside it as the ceiling.

and times TTS-CGAN at the paper's size against the reference code
(https://github.com/imics-lab/tts-cgan; see ``_ttscgan_reference.py``), training
step and sampling, interleaved in this process on the same threads. The
reference is not part of ecgaug: pass a checkout with ``--reference`` (and
``--reference-pythonpath`` for its ``einops``); without it only ecgaug is timed
and issue 5's measurement of the reference on this 2-core CPU (10-16 beats/s
training, ~380 beats/s sampling) is quoted as the baseline.

Budgets
-------
smoke   seconds: the bundled sample, tiny networks, one epoch (for tests).
quick   <= 30 min on a 2-core CPU: CPU presets (CGAN 5 epochs, TTS-CGAN 4),
        the two GANs fitted in parallel (one thread each), 4,000 synthetic
        beats per class for TSTR, the classifier for 3 epochs.
full    a GPU: paper presets (their epochs), 20,000 synthetic beats per class.

Usage::

    python benchmarks/gan_samplers.py --budget quick --reference /tmp/tts-cgan \\
        --reference-pythonpath /tmp/refdeps

writes ``benchmarks/results/gan_samplers.json`` and ``.md`` (``--out``). The
script re-executes itself once with glibc's ``MALLOC_MMAP_THRESHOLD_`` and
``MALLOC_TRIM_THRESHOLD_`` raised (1.4-4.4x faster conv nets here) and says so.
"""

from __future__ import annotations

import math
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    CLASS_NAMES,
    Report,
    ensure_malloc_tuning,
    finish_args,
    fmt,
    header_markdown,
    load_intra,
    make_parser,
    md_table,
    scores,
)

NAME = "gan_samplers"
SEEDS = {"smoke": (0,), "quick": (0,), "standard": (0,), "full": (0,)}
SAMPLERS = ("CGANSampler", "TTSCGANSampler")
PAPER_TSTR = {"accuracy": 0.551, "recall_macro": 0.753}
ISSUE_BASELINE = {"train_beats_per_s": (10, 16), "sample_beats_per_s": 380}
BUDGETS = {
    "smoke": {
        "preset": "cpu",
        "overrides": {
            "CGANSampler": {"n_epochs": 1, "g_width": 8, "d_width": 8},
            "TTSCGANSampler": {"n_epochs": 1, "g_depth": 1, "d_depth": 1},
        },
        "synthetic_per_class": 200,
        "timing_beats": 1000,
        "reference": {"batch_sizes": (16,), "n_steps": 1, "sample_batch": 128},
    },
    "quick": {
        "preset": "cpu",
        "overrides": {
            "CGANSampler": {"n_epochs": 5},
            "TTSCGANSampler": {"n_epochs": 4},
        },
        "synthetic_per_class": 4000,
        "timing_beats": 20_000,
        "reference": {"batch_sizes": (16, 64), "n_steps": 4, "sample_batch": 1024},
    },
    "full": {
        "preset": "paper",
        "overrides": {},
        "synthetic_per_class": 20_000,
        "timing_beats": 100_000,
        "reference": {"batch_sizes": (16, 64), "n_steps": 5, "sample_batch": 1024},
    },
}
#: This script times samplers and compares implementations: at the standard
#: budget its own settings are the quick ones; only the classifier of its TSTR
#: is the standard budget's (benchmarks/_models.py).
BUDGETS["standard"] = BUDGETS["quick"]


def _fit(name: str, X, y, budget: str, device: str, threads: int | None, seed: int):
    """Fit one sampler (in a worker process when run in parallel)."""
    import torch

    import ecgaug.generators as generators

    if threads:
        torch.set_num_threads(threads)
    cfg = BUDGETS[budget]
    sampler = getattr(generators, name)(
        preset=cfg["preset"], device=device, random_state=seed, **cfg["overrides"][name]
    )
    start = time.perf_counter()
    sampler.fit(X, y)
    return sampler, time.perf_counter() - start


def _evaluate(name, sampler, fit_s, data, judge, args, cfg, seed) -> dict:
    """Speed, TSTR and label adherence of one fitted sampler."""
    import numpy as np
    from _models import classifier_settings, make_classifier

    X, y, X_test, y_test = data
    hist = sampler.history_
    per_epoch = hist[-1]["time"] / len(hist)
    labels = np.arange(5)
    # sampling throughput
    y_time = np.resize(labels, cfg["timing_beats"])
    start = time.perf_counter()
    sampler.sample(len(y_time), y=y_time, random_state=seed + 1)
    sample_s = time.perf_counter() - start
    # TSTR on a balanced synthetic set
    y_syn = np.repeat(labels, cfg["synthetic_per_class"])
    X_syn, y_syn = sampler.sample(len(y_syn), y=y_syn, random_state=seed + 2)
    settings = classifier_settings(args.budget)
    clf = make_classifier(
        args.budget,
        seed=seed,
        device=args.device,
        steps_per_epoch=math.ceil(len(y_syn) / settings["batch_size"]),
        classes=list(labels),
    )
    start = time.perf_counter()
    clf.fit(X_syn, y_syn)
    tstr = scores(y_test, clf.predict(X_test), list(labels), CLASS_NAMES)
    tstr["classifier_fit_s"] = time.perf_counter() - start
    # label adherence: the real-data judge on the synthetic beats
    pred = judge.predict(X_syn)
    adherence = {
        n: float(np.mean(pred[y_syn == c] == c)) for c, n in zip(labels, CLASS_NAMES)
    }
    return {
        "config": dict(sampler.config_.items()),
        "n_train": len(X),
        "n_epochs": len(hist),
        "fit_s": fit_s,
        "train_s_per_epoch": per_epoch,
        "train_beats_per_s": len(X) / per_epoch,
        "sample_beats_per_s": len(y_time) / sample_s,
        "last_epoch_losses": {
            k: v for k, v in hist[-1].items() if k not in ("epoch", "time")
        },
        "tstr": tstr,
        "tstr_synthetic_per_class": cfg["synthetic_per_class"],
        "label_adherence": adherence,
        "label_adherence_mean": float(np.mean(list(adherence.values()))),
    }


def _reference(args, X, y, cfg) -> dict:
    """TTS-CGAN at the paper's size, ecgaug vs the reference code."""
    from _ttscgan_reference import compare

    ref_cfg = cfg["reference"]
    path = args.reference
    kw = {
        "batch_sizes": ref_cfg["batch_sizes"],
        "n_steps": ref_cfg["n_steps"],
        "sample_batch": ref_cfg["sample_batch"],
        "n_sample_rounds": 3 if args.budget != "smoke" else 1,
        "extra_sys_path": args.reference_pythonpath or [],
    }
    out: dict = {"reference_path": str(path) if path else None}
    try:
        out["default"] = compare(path, X, y, **kw)
    except (ImportError, FileNotFoundError) as exc:
        out["reference_error"] = f"{type(exc).__name__}: {exc}"
        out["default"] = compare(None, X, y, **kw)
        path = None
    # the reference's exact schedule: gradient penalty at every step
    exact = {**kw, "batch_sizes": ref_cfg["batch_sizes"][:1], "n_sample_rounds": 1}
    out["gp_every_1"] = compare(path, X, y, ecgaug_params={"gp_every": 1}, **exact)
    out["measured_reference"] = path is not None
    if path is None:
        out["issue_baseline"] = ISSUE_BASELINE
    return out


def _markdown(rep: dict) -> str:
    lines = header_markdown(rep, "GAN samplers: speed, TSTR, label adherence")
    lines += ["", f"- data: {rep['data']}", f"- classifier: {rep['classifier']}"]
    lines += [f"- adherence judge: {rep['judge']['what']}", ""]
    rows = []
    for name, r in rep["samplers"].items():
        t = r["tstr"]
        rows.append(
            [
                name,
                f"{r['n_epochs']}",
                f"{r['train_s_per_epoch']:.0f}",
                f"{r['train_beats_per_s']:.0f}",
                f"{r['sample_beats_per_s']:.0f}",
                fmt(t["accuracy"]),
                fmt(t["recall_macro"]),
                fmt(r["label_adherence_mean"], 2),
                " ".join(f"{n} {v:.2f}" for n, v in r["label_adherence"].items()),
            ]
        )
    lines += md_table(
        [
            "sampler",
            "epochs",
            "s/epoch",
            "train beats/s",
            "sample beats/s",
            "TSTR acc",
            "TSTR recall",
            "adherence",
            "per class",
        ],
        rows,
    )
    ceiling = rep["judge"]["recall_on_real_test"]
    lines += [
        "",
        f"Paper TSTR (TTS-CGAN): accuracy {PAPER_TSTR['accuracy']}, recall "
        f"{PAPER_TSTR['recall_macro']}. Judge's recall on real test beats: "
        + " ".join(f"{n} {v:.2f}" for n, v in ceiling.items()),
        "",
        "## TTS-CGAN at the paper's size vs the reference code",
        "",
    ]
    ref = rep["reference_comparison"]
    if not ref["measured_reference"]:
        lines.append(
            "Reference not run here ("
            + ref.get("reference_error", "no --reference")
            + "); baseline: issue 5's measurement on this CPU, 10-16 beats/s "
            "training, ~380 beats/s sampling."
        )
    rows = []
    for label, res in (
        ("paper preset", ref["default"]),
        ("gp_every=1", ref["gp_every_1"]),
    ):
        for B, r in res["train"].items():
            rows.append(_ref_row(f"train step, batch {B}, {label}", r))
        if label == "paper preset":
            rows.append(
                _ref_row(
                    f"sampling, batch {res['sample']['batch_size']}", res["sample"]
                )
            )
    lines += md_table(["what", "reference beats/s", "ecgaug beats/s", "speed-up"], rows)
    lines += ["", f"torch threads: {ref['default']['threads']}", ""]
    return "\n".join(lines)


def _ref_row(what: str, r: dict) -> list[str]:
    ref = r["reference_beats_per_s"]
    return [
        what,
        "–" if ref is None else f"{ref:.1f}",
        f"{r['ecgaug_beats_per_s']:.1f}",
        "–" if r["speedup"] is None else f"{r['speedup']:.1f}x",
    ]


def main(argv=None) -> dict:
    import numpy as np
    from _models import classifier_settings, run_parallel
    from sklearn.ensemble import HistGradientBoostingClassifier

    parser = make_parser(__doc__, SEEDS)
    parser.add_argument(
        "--reference",
        type=Path,
        default=os.environ.get("ECGAUG_TTSCGAN_REFERENCE"),
        help="checkout of imics-lab/tts-cgan ($ECGAUG_TTSCGAN_REFERENCE)",
    )
    parser.add_argument(
        "--reference-pythonpath",
        action="append",
        help="extra import path for the reference's einops (repeatable)",
    )
    args = finish_args(parser.parse_args(argv))
    cfg = BUDGETS[args.budget]
    print(
        "glibc malloc thresholds: "
        + ", ".join(f"{k}={os.environ.get(k)}" for k in ("MALLOC_MMAP_THRESHOLD_",))
        + " (set by re-executing this script when absent)",
        flush=True,
    )
    rep = Report(NAME, args, argv)
    X, y, X_test, y_test, source = load_intra(args)
    rep["data"] = f"{source}: {len(X)} training and {len(X_test)} test beats"
    rep["classifier"] = classifier_settings(args.budget)["network"]
    seed = args.seeds[0]
    jobs = [(n, X, y, args.budget, args.device, args.threads, seed) for n in SAMPLERS]
    fitted = run_parallel(_fit, jobs, n_jobs=args.jobs)
    print("fitted:", {n: f"{s:.0f} s" for n, (_, s) in zip(SAMPLERS, fitted)})
    judge = HistGradientBoostingClassifier(max_iter=150, random_state=seed).fit(X, y)
    judge_test = scores(y_test, judge.predict(X_test), list(range(5)), CLASS_NAMES)
    rep["judge"] = {
        "what": "HistGradientBoostingClassifier(max_iter=150) on the real training "
        "beats",
        "recall_on_real_test": judge_test["recall"],
        "accuracy_on_real_test": judge_test["accuracy"],
    }
    data = (X, y, X_test, y_test)
    rep["samplers"] = {
        name: _evaluate(name, sampler, fit_s, data, judge, args, cfg, seed)
        for name, (sampler, fit_s) in zip(SAMPLERS, fitted)
    }
    rep["paper_tstr"] = PAPER_TSTR
    rng = np.random.RandomState(seed)
    idx = rng.choice(len(X), min(len(X), 5000), replace=False)
    rep["reference_comparison"] = _reference(args, X[idx], y[idx], cfg)
    return rep.write(_markdown)


if __name__ == "__main__":
    ensure_malloc_tuning()
    main()
