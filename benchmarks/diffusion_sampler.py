"""DiffusionSampler on MIT-BIH: samplers' speed and fidelity, CPU design, DiffWave.

Fits :class:`~ecgaug.generators.DiffusionSampler` on the intra-patient MIT-BIH
training split (``load_mitbih(split="train")``, 87,554 beats) and reports, for
ancestral DDPM with 50 steps, DiffWave's fast sampler with 6 and DDIM with 10
and 20 (and the fast sampler with classifier-free guidance ``w = 2``):

- sampling throughput, beats per second, on one thread and on every core;
- TSTR: the benchmarks' residual classifier (:func:`_models.make_classifier`,
  :class:`ecgaug.classifiers.ResNetClassifier`) trained on synthetic beats only,
  the same number per class, tested on the real test split (21,892 beats):
  accuracy and macro recall;
- label adherence per class: the share of beats generated for class c that a
  classifier trained on the real training beats (scikit-learn's
  ``HistGradientBoostingClassifier``) assigns to c.

Then it times, in this process and on the same threads, the identical
configuration in ecgaug and in the reference DiffWave code (lmnt-com/diffwave,
unconditional): 64 channels x 30 layers and 32 x 10, 50 ancestral steps and
DiffWave's 6-step schedule. The reference is not part of ecgaug: pass its
``model.py`` (or a checkout) with ``--reference``; without it, issue 6's
measurement of lmnt's 0.1.7 on this 2-core CPU is quoted as the baseline
(64 x 30: 8.6 beats/s at 50 steps, 74 at 6; 32 x 10: 66 and ~550).

It also measures the CPU design choices (eager float32 against bfloat16
autocast and ``torch.compile``, per network evaluation), the FLOP/s reached
against this machine's matmul peak, glibc's malloc thresholds, and the time to
generate the paper's 550 k pretraining beats.

Budgets
-------
smoke   seconds: the bundled sample, a tiny network, one epoch (for tests).
quick   <= 30 min on a 2-core CPU: the CPU preset for 3 epochs on the whole
        training split, 2,000 synthetic beats per class for TSTR, the
        classifier for 3 epochs; 4,096 beats per throughput measurement.
full    a GPU: the paper preset, 20,000 synthetic beats per class.

Usage::

    python benchmarks/diffusion_sampler.py --budget quick \\
        --reference /tmp/lmnt-diffwave/src/diffwave/model.py

writes ``benchmarks/results/diffusion_sampler.json`` and ``.md`` (``--out``).
The script re-executes itself once with glibc's ``MALLOC_MMAP_THRESHOLD_`` and
``MALLOC_TRIM_THRESHOLD_`` raised and says so; it measures their effect on the
sampler in a child process without them.
"""

from __future__ import annotations

import functools
import importlib.util
import math
import os
import subprocess
import sys
import time
import types
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    CLASS_NAMES,
    MALLOC_VARS,
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

NAME = "diffusion_sampler"
SEEDS = {"smoke": (0,), "quick": (0,), "standard": (0,), "full": (0,)}
#: (label, sampler, n_sampling_steps, guidance_scale or None for the preset's,
#: cpu_bf16)
SAMPLERS = (
    ("DDPM-50", "ddpm", 50, None, False),
    ("fast-6", "fast", 6, None, False),
    ("DDIM-10", "ddim", 10, None, False),
    ("DDIM-10, bf16", "ddim", 10, None, True),
    ("DDIM-20", "ddim", 20, None, False),
    ("fast-6, w=2", "fast", 6, 2.0, False),
)
ISSUE_BASELINE = {  # lmnt-com/diffwave 0.1.7 on this CPU, beats/s (issue 6)
    "64x30": {"ddpm50": 8.6, "fast6": 74.0},
    "32x10": {"ddpm50": 66.0, "fast6": 550.0},
}
PRETRAIN_BEATS = 550_000
BUDGETS = {
    "smoke": {
        "preset": "cpu",
        "overrides": {"n_epochs": 1, "residual_channels": 8, "n_layers": 2},
        "synthetic_per_class": 100,
        "timing_beats": 256,
        "reference_beats": 8,
        "design": False,
    },
    "quick": {
        "preset": "cpu",
        "overrides": {"n_epochs": 3},
        "synthetic_per_class": 2000,
        "timing_beats": 4096,
        "reference_beats": 64,
        "design": True,
    },
    "full": {
        "preset": "paper",
        "overrides": {},
        "synthetic_per_class": 20_000,
        "timing_beats": 20_000,
        "reference_beats": 256,
        "design": True,
    },
}
#: This script times samplers and compares implementations: at the standard
#: budget its own settings are the quick ones; only the classifier of its TSTR
#: is the standard budget's (benchmarks/_models.py).
BUDGETS["standard"] = BUDGETS["quick"]


# --------------------------------------------------------------------------- #
# timing helpers                                                              #
# --------------------------------------------------------------------------- #
def _threads_to_try() -> list[int]:
    return sorted({1, os.cpu_count() or 1})


def _best_rate(func, n_items: int, repeats: int = 2) -> float:
    """Items per second of ``func()``, the best of ``repeats`` runs after a warm-up
    (the machine may be shared: the best run is the least disturbed)."""
    func()
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - start)
    return n_items / best


def _throughput(sampler, n: int, seed: int) -> dict[str, float]:
    """Beats per second of ``sampler.sample`` on 1 thread and on every core."""
    import numpy as np
    import torch

    y = np.resize(sampler.classes_, n)
    out = {}
    before = torch.get_num_threads()
    try:
        for threads in _threads_to_try():
            torch.set_num_threads(threads)
            out[f"{threads}_threads"] = _best_rate(
                lambda: sampler.sample(n, y=y, random_state=seed), n, repeats=1
            )
    finally:
        torch.set_num_threads(before)
    out["best"] = max(out.values())
    return out


# --------------------------------------------------------------------------- #
# fit and evaluate                                                            #
# --------------------------------------------------------------------------- #
def _fit(X, y, cfg, args, seed):
    from ecgaug.generators import DiffusionSampler

    sampler = DiffusionSampler(
        preset=cfg["preset"], device=args.device, random_state=seed, **cfg["overrides"]
    )
    start = time.perf_counter()
    sampler.fit(X, y)
    return sampler, time.perf_counter() - start


def _evaluate(sampler, data, judge, args, cfg, seed) -> dict:
    """Throughput, TSTR and adherence of each sampler configuration."""
    import numpy as np
    from _models import classifier_settings, make_classifier

    X, y, X_test, y_test = data
    labels = np.arange(5)
    settings = classifier_settings(args.budget)
    out = {}
    for label, name, steps, w, bf16 in SAMPLERS:
        sampler.set_params(
            sampler=name, n_sampling_steps=steps, guidance_scale=w, cpu_bf16=bf16
        )
        rate = _throughput(sampler, cfg["timing_beats"], seed + 1)
        y_syn = np.repeat(labels, cfg["synthetic_per_class"])
        X_syn, y_syn = sampler.sample(len(y_syn), y=y_syn, random_state=seed + 2)
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
        pred = judge.predict(X_syn)
        adherence = {
            n: float(np.mean(pred[y_syn == c] == c))
            for c, n in zip(labels, CLASS_NAMES)
        }
        out[label] = {
            "sampler": name,
            "n_sampling_steps": steps,
            "guidance_scale": w if w is not None else sampler.config_["guidance_scale"],
            "cpu_bf16": bf16,
            "beats_per_s": rate,
            "tstr": tstr,
            "label_adherence": adherence,
            "label_adherence_mean": float(np.mean(list(adherence.values()))),
        }
        print(
            f"{label}: {rate['best']:.0f} beats/s, TSTR acc "
            f"{tstr['accuracy']:.3f} recall {tstr['recall_macro']:.3f}, "
            f"adherence {out[label]['label_adherence_mean']:.2f}",
            flush=True,
        )
    sampler.set_params(
        sampler=None, n_sampling_steps=None, guidance_scale=None, cpu_bf16=None
    )
    return out


# --------------------------------------------------------------------------- #
# the reference                                                               #
# --------------------------------------------------------------------------- #
_FAST_BETAS = (1e-4, 1e-3, 1e-2, 0.05, 0.2, 0.5)  # DiffWave's 6-step schedule


def _load_reference(path: Path | None):
    """lmnt-com/diffwave's ``model`` module from a checkout or its model.py."""
    if path is None:
        return None
    path = Path(path)
    if path.is_dir():
        path = path / "src" / "diffwave" / "model.py"
    spec = importlib.util.spec_from_file_location("lmnt_diffwave_model", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _reference_sample(model, n: int, T: int, fast: bool):
    """lmnt's ``inference.predict`` loop (unconditional), re-typed: the same
    schedule alignment, updates, noise and clamping, calling its model."""
    import numpy as np
    import torch

    train = np.linspace(1e-4, 0.05, 50)
    beta = np.array(_FAST_BETAS) if fast else train
    talpha_cum = np.cumprod(1 - train)
    alpha = 1 - beta
    alpha_cum = np.cumprod(alpha)
    steps = []
    for s in range(len(beta)):
        for t in range(len(train) - 1):
            if talpha_cum[t + 1] <= alpha_cum[s] <= talpha_cum[t]:
                steps.append(
                    t
                    + (talpha_cum[t] ** 0.5 - alpha_cum[s] ** 0.5)
                    / (talpha_cum[t] ** 0.5 - talpha_cum[t + 1] ** 0.5)
                )
                break
    steps = np.array(steps, dtype=np.float32) if fast else np.arange(50)
    with torch.no_grad():
        audio = torch.randn(n, T)
        for k in range(len(alpha) - 1, -1, -1):
            c1 = 1 / alpha[k] ** 0.5
            c2 = beta[k] / (1 - alpha_cum[k]) ** 0.5
            eps = model(audio, torch.tensor([steps[k]])).squeeze(1)
            audio = c1 * (audio - c2 * eps)
            if k > 0:
                sigma = ((1 - alpha_cum[k - 1]) / (1 - alpha_cum[k]) * beta[k]) ** 0.5
                audio += sigma * torch.randn_like(audio)
            audio = torch.clamp(audio, -1.0, 1.0)
    return audio


def _ecgaug_at(channels: int, layers: int, X, y, device: str):
    """An ecgaug sampler with the reference's sizes (paper preset, 1 epoch on
    a few beats: its speed does not depend on the weights)."""
    import numpy as np

    from ecgaug.generators import DiffusionSampler

    few = np.concatenate([np.flatnonzero(y == c)[:16] for c in np.unique(y)])
    return DiffusionSampler(
        preset="paper",
        residual_channels=channels,
        n_layers=layers,
        n_epochs=1,
        batch_size=16,
        device=device,
        random_state=0,
    ).fit(X[few], y[few])


def _compare_reference(args, X, y, cfg) -> dict:
    """ecgaug vs lmnt-com/diffwave on identical sizes and samplers."""
    import numpy as np
    import torch

    try:
        module = _load_reference(args.reference)
        error = None
    except (OSError, ImportError, AttributeError) as exc:
        module, error = None, f"{type(exc).__name__}: {exc}"
    n = cfg["reference_beats"]
    rows = {}
    before = torch.get_num_threads()
    torch.set_num_threads(1)  # one thread each: fair on a shared machine
    for channels, layers in ((64, 30), (32, 10)):
        est = _ecgaug_at(channels, layers, X, y, args.device)
        ref_model = None
        if module is not None:
            params = types.SimpleNamespace(
                residual_channels=channels,
                residual_layers=layers,
                dilation_cycle_length=10,
                unconditional=True,
                noise_schedule=np.linspace(1e-4, 0.05, 50).tolist(),
                n_mels=80,
            )
            torch.manual_seed(0)
            ref_model = module.DiffWave(params).eval()
        labels = np.resize(est.classes_, n)
        for sampler, steps, key in (("ddpm", 50, "ddpm50"), ("fast", 6, "fast6")):
            ours = {}
            for bf16 in (False, True):
                est.set_params(sampler=sampler, n_sampling_steps=steps, cpu_bf16=bf16)
                ours[bf16] = _best_rate(lambda: est.sample(n, y=labels), n, repeats=2)
            theirs = None
            if ref_model is not None:
                theirs = _best_rate(
                    lambda: _reference_sample(ref_model, n, X.shape[1], key == "fast6"),
                    n,
                    repeats=2,
                )
            rows[f"{channels}x{layers} {key}"] = {
                "channels": channels,
                "layers": layers,
                "sampler": key,
                "threads": 1,
                "ecgaug_beats_per_s": ours[False],
                "ecgaug_bf16_beats_per_s": ours[True],
                "reference_beats_per_s": theirs,
                "speedup": None if theirs is None else ours[False] / theirs,
                "speedup_bf16": None if theirs is None else ours[True] / theirs,
            }
            print(
                f"identical config {channels}x{layers} {key}, 1 thread: ecgaug "
                f"{ours[False]:.1f} (bf16 {ours[True]:.1f}) beats/s, reference "
                f"{'-' if theirs is None else f'{theirs:.1f}'}",
                flush=True,
            )
    torch.set_num_threads(before)
    out = {
        "reference": str(args.reference) if args.reference else None,
        "measured_reference": module is not None,
        "rows": rows,
        "beats_per_run": n,
        "note": "ecgaug: the paper preset's network (class-conditional, one "
        "cross-attention layer, eps prediction) at these sizes, float32 and with "
        "cpu_bf16=True; reference: lmnt's DiffWave with unconditional=True, "
        "float32, its inference loop re-typed here; one thread each, best of two "
        "runs.",
    }
    if error:
        out["reference_error"] = error
    if module is None:
        out["issue_baseline"] = ISSUE_BASELINE
    return out


# --------------------------------------------------------------------------- #
# design measurements                                                         #
# --------------------------------------------------------------------------- #
def _matmul_peak() -> dict[str, float]:
    """GFLOP/s of a 2048^3 matmul, float32 and bfloat16, on every core."""
    import torch

    out = {}
    for dtype in (torch.float32, torch.bfloat16):
        a = torch.randn(2048, 2048, dtype=dtype)
        b = torch.randn(2048, 2048, dtype=dtype)
        rate = _best_rate(lambda: a @ b, 1, repeats=3)
        out[str(dtype).replace("torch.", "")] = 2 * 2048**3 * rate / 1e9
    return out


def _network_flops(net, x, t, context) -> int:
    """FLOPs of one network call, counted on the layer-by-layer form (the fused
    form's in-place products are not counted by torch's counter)."""
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter:
        net.forward_layers(x, t, context)
    return int(counter.get_total_flops())


def _design(sampler, args) -> dict:
    """Network evaluations per second of the fitted sampler's network: the fused
    form ecgaug samples with (float32, and bfloat16 with ``cpu_bf16``), the
    layer-by-layer form, bfloat16 autocast (layer by layer) and
    ``torch.compile``."""
    import torch

    net = sampler.ema_.module
    B, L, T = 1024, sampler.n_leads, sampler.n_timesteps_
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(B, L, T, generator=gen)
    y = torch.randint(0, len(sampler.classes_), (B,), generator=gen)
    t = torch.full((1,), 10.0)
    out: dict = {"batch": B}
    with torch.inference_mode():
        context = net.context(y)
        flops = _network_flops(net, x, t, context) / B
        out["flop_per_beat_evaluation"] = flops
        variants = {
            "fused float32 (ecgaug's sampling)": (net, False),
            "fused bfloat16 (cpu_bf16)": (functools.partial(net, bf16=True), False),
            "layer-by-layer float32": (net.forward_layers, False),
            "layer-by-layer bfloat16 autocast": (net, True),
        }
        if args.budget != "smoke":
            variants["compiled float32 (fused)"] = (
                torch.compile(net, dynamic=False),
                False,
            )
            variants["compiled bfloat16 autocast"] = (
                torch.compile(net, dynamic=False),
                True,
            )
        for label, (module, bf16) in variants.items():
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                start = time.perf_counter()
                module(x, t, context=context)  # warm-up (compiles)
                first = time.perf_counter() - start
                rate = _best_rate(lambda m=module: m(x, t, context=context), B)
            out[label] = {
                "evaluations_per_s": rate,
                "gflop_per_s": rate * flops / 1e9,
                "first_call_s": first,
            }
            print(f"design {label}: {rate:.0f} beat evaluations/s", flush=True)
    return out


def _malloc_effect(args) -> dict:
    """Sampling throughput of a small fitted sampler with and without the raised
    glibc thresholds, each in a fresh child process."""
    code = (
        "import time, numpy as np, torch\n"
        "from ecgaug.datasets import load_sample\n"
        "from ecgaug.generators import DiffusionSampler\n"
        "X, y = load_sample(return_X_y=True)\n"
        "s = DiffusionSampler(n_epochs=1, device='cpu', random_state=0)"
        ".fit(X[:400], y[:400])\n"
        "s.sample(512)\n"
        "best = 1e9\n"
        "for _ in range(3):\n"
        "    t = time.perf_counter(); s.sample(2048); "
        "best = min(best, time.perf_counter() - t)\n"
        "print(2048 / best)\n"
    )
    out = {}
    for label, tuned in (("with", True), ("without", False)):
        env = dict(os.environ)
        for k in MALLOC_VARS:
            env.pop(k, None)
        if tuned:
            env.update(MALLOC_VARS)
        proc = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True
        )
        out[f"{label}_thresholds_beats_per_s"] = (
            float(proc.stdout.split()[-1]) if proc.returncode == 0 else None
        )
    a, b = out["with_thresholds_beats_per_s"], out["without_thresholds_beats_per_s"]
    out["speedup"] = a / b if a and b else None
    return out


# --------------------------------------------------------------------------- #
# report                                                                      #
# --------------------------------------------------------------------------- #
def _markdown(rep: dict) -> str:
    lines = header_markdown(rep, "DiffusionSampler: samplers, CPU design, DiffWave")
    fit = rep["fit"]
    lines += [
        "",
        f"- data: {rep['data']}",
        f"- classifier (TSTR): {rep['classifier']}",
        f"- adherence judge: {rep['judge']['what']}",
        f"- sampler: preset {fit['preset']!r} with {fit['overrides']}; "
        f"{fit['n_epochs']} epochs in {fit['fit_s']:.0f} s "
        f"({fit['train_beats_per_s']:.0f} training beats/s), final loss "
        f"{fit['last_loss']:.4f}",
        "",
        "## Samplers",
        "",
    ]
    rows = []
    for label, r in rep["samplers"].items():
        rate = r["beats_per_s"]
        rows.append(
            [
                label,
                " / ".join(
                    f"{rate[k]:.0f}" for k in sorted(rate) if k.endswith("threads")
                ),
                fmt(r["tstr"]["accuracy"]),
                fmt(r["tstr"]["recall_macro"]),
                fmt(r["label_adherence_mean"], 2),
                " ".join(f"{n} {v:.2f}" for n, v in r["label_adherence"].items()),
            ]
        )
    threads = " / ".join(str(t) for t in _threads_to_try())
    lines += md_table(
        [
            "sampler",
            f"beats/s ({threads} threads)",
            "TSTR acc",
            "TSTR macro recall",
            "adherence",
            "per class",
        ],
        rows,
    )
    lines += ["", *(f"- {g}" for g in rep["goals"]), ""]
    lines += ["## Identical configuration vs lmnt-com/diffwave", ""]
    ref = rep["reference_comparison"]
    if not ref["measured_reference"]:
        lines.append(
            "Reference not run here ("
            + ref.get("reference_error", "no --reference")
            + "); baseline: issue 6's measurement of lmnt 0.1.7 on this CPU: "
            "64x30 8.6 / 74 beats/s (50 / 6 steps), 32x10 66 / ~550."
        )
    rows = [
        [
            f"{r['channels']}x{r['layers']}",
            r["sampler"],
            fmt(r["reference_beats_per_s"], 1),
            f"{r['ecgaug_beats_per_s']:.1f}",
            "–" if r["speedup"] is None else f"{r['speedup']:.2f}x",
            f"{r['ecgaug_bf16_beats_per_s']:.1f}",
            "–" if r["speedup_bf16"] is None else f"{r['speedup_bf16']:.2f}x",
        ]
        for r in ref["rows"].values()
    ]
    lines += md_table(
        [
            "sizes",
            "sampler",
            "reference beats/s",
            "ecgaug float32",
            "x",
            "ecgaug cpu_bf16",
            "x",
        ],
        rows,
    )
    lines += ["", ref["note"], ""]
    design = rep.get("design")
    if design:
        lines += [
            "## CPU design measurements (network evaluations, batch "
            f"{design['batch']})",
            "",
            f"{design['flop_per_beat_evaluation'] / 1e6:.1f} MFLOP per beat "
            "evaluation; matmul peak here: "
            + ", ".join(f"{k} {v:.0f} GFLOP/s" for k, v in rep["matmul_peak"].items()),
            "",
        ]
        rows = [
            [
                k,
                f"{v['evaluations_per_s']:.0f}",
                f"{v['gflop_per_s']:.0f}",
                f"{v['first_call_s']:.1f}",
            ]
            for k, v in design.items()
            if isinstance(v, dict)
        ]
        lines += md_table(["variant", "evaluations/s", "GFLOP/s", "first call s"], rows)
        lines.append("")
    malloc = rep.get("malloc_effect")
    if malloc:
        lines += [
            "## glibc malloc thresholds",
            "",
            "sampling with raised thresholds: "
            f"{fmt(malloc['with_thresholds_beats_per_s'], 0)} beats/s, without: "
            f"{fmt(malloc['without_thresholds_beats_per_s'], 0)}"
            f" (x{fmt(malloc['speedup'], 2)})",
            "",
        ]
    lines += [f"Time to generate {PRETRAIN_BEATS:,} beats: {rep['pretrain_time']}", ""]
    return "\n".join(lines)


def main(argv=None) -> dict:
    import numpy as np
    import torch
    from _models import classifier_settings
    from sklearn.ensemble import HistGradientBoostingClassifier

    parser = make_parser(__doc__, SEEDS)
    parser.add_argument(
        "--reference",
        type=Path,
        default=os.environ.get("ECGAUG_DIFFWAVE_REFERENCE"),
        help="lmnt-com/diffwave checkout or its model.py ($ECGAUG_DIFFWAVE_REFERENCE)",
    )
    args = finish_args(parser.parse_args(argv))
    cfg = BUDGETS[args.budget]
    print(
        "glibc malloc thresholds: "
        + ", ".join(f"{k}={os.environ.get(k)}" for k in MALLOC_VARS)
        + " (set by re-executing this script when absent)",
        flush=True,
    )
    rep = Report(NAME, args, argv)
    X, y, X_test, y_test, source = load_intra(args)
    rep["data"] = f"{source}: {len(X)} training and {len(X_test)} test beats"
    rep["classifier"] = classifier_settings(args.budget)["network"]
    seed = args.seeds[0]
    sampler, fit_s = _fit(X, y, cfg, args, seed)
    hist = sampler.history_
    rep["fit"] = {
        "preset": cfg["preset"],
        "overrides": cfg["overrides"],
        "config": dict(sampler.config_),
        "n_epochs": len(hist),
        "fit_s": fit_s,
        "train_beats_per_s": len(X) * len(hist) / hist[-1]["time"],
        "last_loss": hist[-1]["loss"],
        "torch_threads": torch.get_num_threads(),
    }
    print(f"fitted in {fit_s:.0f} s", flush=True)
    judge = HistGradientBoostingClassifier(max_iter=150, random_state=seed).fit(X, y)
    judge_test = scores(y_test, judge.predict(X_test), list(range(5)), CLASS_NAMES)
    rep["judge"] = {
        "what": "HistGradientBoostingClassifier(max_iter=150) on the real training "
        "beats",
        "recall_on_real_test": judge_test["recall"],
    }
    data = (X, y, X_test, y_test)
    res = rep["samplers"] = _evaluate(sampler, data, judge, args, cfg, seed)
    ddpm = res["DDPM-50"]["tstr"]["accuracy"]
    rep["goals"] = []
    for label, r in res.items():
        if r["n_sampling_steps"] > 10:
            continue
        fast = r["beats_per_s"]["best"] >= 1000
        close = r["tstr"]["accuracy"] >= 0.9 * ddpm
        rep["goals"].append(
            f"{label}: {r['beats_per_s']['best']:.0f} beats/s "
            f"({'>=' if fast else '<'} 1,000), TSTR accuracy "
            f"{r['tstr']['accuracy']:.3f} ({'within' if close else 'NOT within'} "
            f"10 % of DDPM-50's {ddpm:.3f}) -> "
            f"{'both goals met' if fast and close else 'NOT met'}"
        )
    cfg_ = sampler.config_
    default = next(
        (
            label
            for label, r in res.items()
            if r["sampler"] == cfg_["sampler"]
            and r["n_sampling_steps"] == cfg_["n_sampling_steps"]
            and r["guidance_scale"] == cfg_["guidance_scale"]
            and r["cpu_bf16"] == cfg_["cpu_bf16"]
        ),
        None,
    )
    if default is not None:
        best = res[default]["beats_per_s"]["best"]
        rep["pretrain_time"] = (
            f"{PRETRAIN_BEATS / best / 60:.1f} min with the preset's sampler "
            f"({default}) at {best:.0f} beats/s"
        )
    else:
        rep["pretrain_time"] = "the preset's sampler is not among those timed"
    ref = rep["reference_comparison"] = _compare_reference(args, X, y, cfg)
    for key, what in (("speedup", "float32"), ("speedup_bf16", "cpu_bf16=True")):
        ratios = [r[key] for r in ref["rows"].values() if r[key] is not None]
        if ratios:
            met = min(ratios) >= 2.0
            rep["goals"].append(
                f"identical configuration, ecgaug in {what}: {min(ratios):.2f}x to "
                f"{max(ratios):.2f}x the reference's beats/s "
                f"({'all >=' if met else 'NOT all >='} 2x) -> "
                f"{'met' if met else 'NOT met'}"
            )
    if cfg["design"]:
        rep["matmul_peak"] = _matmul_peak()
        rep["design"] = _design(sampler, args)
        rep["malloc_effect"] = _malloc_effect(args)
    rep["note_threads"] = (
        "beats/s measured with torch.set_num_threads(n) for each n shown; "
        f"load average at start {os.getloadavg()[0]:.1f} (the machine is shared)"
    )
    rep["sample_check"] = {
        "finite": bool(np.isfinite(sampler.sample(10)[0]).all()),
    }
    return rep.write(_markdown)


if __name__ == "__main__":
    ensure_malloc_tuning()
    main()
