"""The demo job of ``ecgaug demo``: generative oversampling vs SMOTE vs nothing.

On the real MIT-BIH beats shipped with ecgaug (:func:`ecgaug.datasets.load_sample`,
its train and test sides), :func:`run_demo`

1. fits a class-conditional generative sampler on the training beats and lets
   it oversample every minority class up to the majority class
   (``sampling_strategy="auto"``),
2. does the same with :class:`imblearn.over_sampling.SMOTE`,
3. trains the same small :class:`~ecgaug.classifiers.ResNetClassifier` (same
   seed, same epochs) on the real beats alone, on the SMOTE-resampled beats and
   on the generator-resampled beats,
4. scores the three on the held-out test beats (macro-F1, balanced accuracy,
   recall of each AAMI class) and times each step,
5. saves a figure of real vs synthetic beats per class, the table (Markdown)
   and every number with its settings (JSON).

Nothing is hard-coded: every number printed is measured in the run. The sample
is small (about 2,000 training and 500 test beats, 30-40 test beats of the rare
classes S, F and Q), so differences of a few points between the methods are
within the noise of one seed; ``benchmarks/oversampling.py`` answers the
question on the full database with several seeds.
"""

from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "DEFAULT_SAMPLER",
    "DEMO_SAMPLER_PARAMS",
    "DemoResult",
    "format_demo_table",
    "run_demo",
]

#: The sampler ``ecgaug demo`` uses without ``--sampler``.
DEFAULT_SAMPLER = "cgan"

#: Settings of each sampler in the demo (on top of its ``"cpu"`` preset): the
#: settings of ``tests/test_common.py::test_label_adherence``, under a minute
#: and a half of training each on a 2-core CPU. Measured there (the whole
#: sample, 2,500 beats, seed 0; torch's 2 threads), with the label adherence
#: of the synthetic beats (share of beats generated for class c that a
#: classifier trained on real beats assigns to c):
#:
#: ===========  ==================  ========  ==============================
#: sampler      settings            fit time  label adherence (N, S, V, F, Q)
#: ===========  ==================  ========  ==============================
#: cgan         30 epochs           39 s      1.00, 0.72, 0.61, 0.35, 0.74
#: ttscgan      40 epochs, batch    50 s      1.00, 0.19, 0.96, 0.47, 0.97
#:              32, lr 1e-3 / 2e-3
#: diffusion    48 epochs,          81 s      0.98, 0.50, 0.74, 0.61, 1.00
#:              guidance 3
#: ===========  ==================  ========  ==============================
#:
#: The CGAN is the default: the fastest to a usable generator.
DEMO_SAMPLER_PARAMS: dict[str, dict[str, Any]] = {
    "cgan": {"n_epochs": 30},
    "ttscgan": {"n_epochs": 40, "batch_size": 32, "lr_g": 1e-3, "lr_d": 2e-3},
    "diffusion": {"n_epochs": 48, "guidance_scale": 3.0},
}

#: The classifier of the demo: the paper's one-block residual network.
DEMO_CLASSIFIER_PARAMS: dict[str, Any] = {
    "module__n_blocks": 1,
    "max_epochs": 15,
    "batch_size": 64,
    "lr": 1e-3,
    "train_split": None,
}

_FAST_CLASSIFIER_EPOCHS = 1
_FAST_FRACTION = 0.2


@dataclass
class DemoResult:
    """What :func:`run_demo` measured and wrote.

    Attributes
    ----------
    rows : list of dict
        One per method (``"none"``, ``"SMOTE"``, the sampler's name): its
        training-set size, macro-F1, balanced accuracy, recall per class and
        the seconds spent resampling and training the classifier.
    class_names : list of str
        Names of the classes, in label order.
    train_counts, synthetic_counts : dict
        Real training beats per class, and synthetic beats the generator added.
    sampler : str
        Name of the generative sampler's class.
    settings : dict
        Seed, device, sampler and classifier parameters, data sizes, versions.
    figure : pathlib.Path
        PNG of real vs synthetic beats per class.
    table : pathlib.Path
        The table, in Markdown.
    json : pathlib.Path
        Everything above, in JSON.
    """

    rows: list[dict[str, Any]]
    class_names: list[str]
    train_counts: dict[str, int]
    synthetic_counts: dict[str, int]
    sampler: str
    settings: dict[str, Any]
    figure: Path
    table: Path
    json: Path = field(default=Path())


def _sampler(name: str, *, seed: int, device: str, fast: bool, verbose: int):
    from ecgaug.cli._common import resolve_sampler_class

    cls = resolve_sampler_class(name)
    key = cls.__name__[: -len("Sampler")].lower()
    params = dict(DEMO_SAMPLER_PARAMS.get(key, {}))
    if fast:
        params["n_epochs"] = 1
    return cls(
        sampling_strategy="auto",
        random_state=seed,
        device=device,
        verbose=verbose,
        **params,
    )


def _classifier(seed: int, device: str, fast: bool, verbose: int = 0, desc: str = ""):
    from ecgaug.classifiers import ResNetClassifier
    from ecgaug.classifiers._progress import EpochProgressBar

    params = dict(DEMO_CLASSIFIER_PARAMS)
    if fast:
        params["max_epochs"] = _FAST_CLASSIFIER_EPOCHS
    if verbose:  # an epoch bar, like the sampler's
        params["callbacks"] = [
            ("progress", EpochProgressBar(desc or "ResNetClassifier"))
        ]
    return ResNetClassifier(random_state=seed, device=device, **params)


def _scores(y_true, y_pred, labels) -> dict[str, Any]:
    from sklearn.metrics import balanced_accuracy_score, f1_score, recall_score

    recall = recall_score(y_true, y_pred, labels=labels, average=None, zero_division=0)
    return {
        "macro_f1": float(
            f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)
        ),
        "balanced_accuracy": float(balanced_accuracy_score(y_true, y_pred)),
        "recall": [float(r) for r in recall],
    }


def run_demo(
    *,
    sampler: str = DEFAULT_SAMPLER,
    out_dir: str | os.PathLike = "ecgaug_demo_output",
    seed: int = 0,
    device: str = "cpu",
    fast: bool = False,
    verbose: int = 1,
    log: Callable[[str], None] | None = None,
) -> DemoResult:
    """Compare no resampling, SMOTE and a generative sampler on the bundled sample.

    Parameters
    ----------
    sampler : str, default=DEFAULT_SAMPLER
        Generative sampler, by command-line name (``"ttscgan"``, ``"cgan"``,
        ``"diffusion"``) or class name.
    out_dir : str or path-like, default="ecgaug_demo_output"
        Folder for ``real_vs_synthetic.png``, ``results.md`` and
        ``results.json`` (created; files are replaced atomically).
    seed : int, default=0
        Seed of the sampler, SMOTE and the classifiers.
    device : str, default="cpu"
        Where the networks train (``"auto"``, ``"cpu"``, ``"cuda"``).
    fast : bool, default=False
        A fifth of the training beats, one generator epoch and one classifier
        epoch: a check that everything runs (seconds), not a result.
    verbose : int, default=1
        Progress bars (epochs) of the generator's and the classifiers'
        training when positive.
    log : callable, default=None
        Receives one progress message per step (e.g. ``print``).

    Returns
    -------
    DemoResult
        The measured table, the paths written and the settings.

    Examples
    --------
    >>> from ecgaug._demo import run_demo, format_demo_table
    >>> result = run_demo(fast=True, verbose=0)  # doctest: +SKIP
    >>> print(format_demo_table(result))  # doctest: +SKIP
    """
    from imblearn.over_sampling import SMOTE
    from matplotlib.figure import Figure

    from ecgaug import __version__
    from ecgaug._utils import atomic_path
    from ecgaug.datasets import load_sample
    from ecgaug.plotting import plot_beats

    say = log or (lambda message: None)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    train, test = load_sample(split="train"), load_sample(split="test")
    names = [str(s) for s in train.target_names]
    labels = np.arange(len(names))
    X, y = train.data, train.target
    if fast:  # a stratified fifth of the training beats: a smoke run, not a result
        from sklearn.model_selection import train_test_split

        X, _, y, _ = train_test_split(
            X, y, train_size=_FAST_FRACTION, stratify=y, random_state=seed
        )

    generator = _sampler(sampler, seed=seed, device=device, fast=fast, verbose=verbose)
    gen_name = type(generator).__name__
    methods = [
        ("none", None),
        ("SMOTE", SMOTE(sampling_strategy="auto", random_state=seed)),
        (gen_name, generator),
    ]
    rows = []
    for name, resampler in methods:
        start = time.perf_counter()
        if resampler is None:
            X_fit, y_fit = X, y
        else:
            say(f"Oversampling the minority classes with {name}...")
            X_fit, y_fit = resampler.fit_resample(X, y)
        resample_s = time.perf_counter() - start
        clf = _classifier(seed, device, fast, verbose, f"Classifier ({name})")
        say(f"Training the classifier on {len(y_fit):,} beats ({name})...")
        start = time.perf_counter()
        clf.fit(X_fit, y_fit)
        classifier_s = time.perf_counter() - start
        scores = _scores(test.target, clf.predict(test.data), labels)
        rows.append(
            {
                "method": name,
                "n_train": int(len(y_fit)),
                **scores,
                "resample_s": float(resample_s),
                "classifier_s": float(classifier_s),
            }
        )

    train_counts = {names[k]: int(np.sum(y == k)) for k in labels}
    synthetic_counts = {
        names[int(k)]: int(v) for k, v in generator.sampling_strategy_.items()
    }
    # The figure: as many synthetic beats per class as the class has real ones.
    X_syn, y_syn = generator.sample(len(y), y=y, random_state=seed + 1)
    # A bare Figure, not pyplot: no GUI backend, nothing left open.
    fig = Figure(figsize=(2.6 * len(names) + 1.0, 5.6), layout="constrained")
    plot_beats(
        X,
        y,
        X_syn,
        y_syn,
        n_examples=8,
        target_names=names,
        sampling_rate=train.fs,
        random_state=seed,
        fig=fig,
    )
    fig.suptitle(
        f"Real (top) vs {gen_name} (bottom) beats of the bundled MIT-BIH sample"
    )
    figure = out_dir / "real_vs_synthetic.png"
    with atomic_path(figure) as tmp:
        fig.savefig(tmp, format="png", dpi=110)

    settings = {
        "seed": seed,
        "device": str(generator.device_),
        "fast": fast,
        "sampler": gen_name,
        "sampler_params": {
            k: v
            for k, v in generator.get_params().items()
            if isinstance(v, int | float | str | bool | type(None))
        },
        "sampler_config": _plain(generator.config_),
        "classifier": "ResNetClassifier",
        "classifier_params": _plain(
            {
                **DEMO_CLASSIFIER_PARAMS,
                **({"max_epochs": _FAST_CLASSIFIER_EPOCHS} if fast else {}),
            }
        ),
        "data": "ecgaug.datasets.load_sample(split='train' / 'test')",
        "n_train": int(len(y)),
        "n_test": int(len(test.target)),
        "test_counts": {names[k]: int(np.sum(test.target == k)) for k in labels},
        "ecgaug": __version__,
        "machine": f"{platform.platform()}, {os.cpu_count()} CPUs",
    }
    result = DemoResult(
        rows=rows,
        class_names=names,
        train_counts=train_counts,
        synthetic_counts=synthetic_counts,
        sampler=gen_name,
        settings=settings,
        figure=figure,
        table=out_dir / "results.md",
        json=out_dir / "results.json",
    )
    with atomic_path(result.table) as tmp:
        tmp.write_text(format_demo_table(result, markdown=True) + "\n", "utf-8")
    payload = {k: v for k, v in asdict(result).items() if k not in ("figure", "table")}
    payload["json"] = str(result.json)
    with atomic_path(result.json) as tmp:
        tmp.write_text(json.dumps(_plain(payload), indent=2) + "\n", "utf-8")
    return result


def format_demo_table(result: DemoResult, *, markdown: bool = False) -> str:
    """The demo's table: one row per method, as text or Markdown."""
    from ecgaug.cli._common import format_table

    header = [
        "method",
        "train beats",
        "macro-F1",
        "bal. acc.",
        *[f"recall {n}" for n in result.class_names],
        "resample s",
        "classifier s",
    ]
    rows = [
        [
            r["method"],
            r["n_train"],
            r["macro_f1"],
            r["balanced_accuracy"],
            *r["recall"],
            r["resample_s"],
            r["classifier_s"],
        ]
        for r in result.rows
    ]
    formats = [""] * 2 + [".3f"] * (len(header) - 4) + [".1f"] * 2
    if not markdown:
        return format_table(rows, header, formats)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        cells = [
            format(v, f) if isinstance(v, float) else str(v)
            for v, f in zip(row, formats)
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _plain(value):
    """numpy values -> JSON-able Python values."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    return value
