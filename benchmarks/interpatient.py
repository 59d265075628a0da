"""Inter-patient arrhythmia classification with rhythm context: DS1 -> DS2.

The honest protocol of de Chazal et al. (2004): train on the 22 DS1 records,
test on the 22 DS2 records (other patients). Every beat is a *context window*
(``load_mitbih(segmentation="context")``: 3.4 s at 100 Hz centred on the R
peak, neighbouring beats included) followed by its 8 RR-interval features
(``rr_features="append"``), and the classifier is
``ResNetClassifier(module__n_tabular=8)``: the residual CNN on the window plus
a small MLP on the RR features, joined before the head.

No DS2 information is used in training or model selection: the epoch is
chosen on held-out DS1 *patients* (``_common.ds1_validation_split``, a
GroupShuffleSplit by record; the pipelines train on the other DS1 records),
by validation macro-F1. The classifier reads the RR features as logarithms
(``ecgaug.datasets.log_rr_transformer`` after any sampler):
with the raw seconds and ratios, which are skewed (a pause doubles
``post_pre_ratio``), S sensitivity on the held-out DS1 patients was 0.48
(3 seeds, class weights, quick budget) and 0.71 with their logarithms, at the
same validation macro-F1 (0.417 vs 0.405). Every arm trains the same network
for the same number of batches (``epochs`` x the batches of one pass over the
*real* training beats, OneCycle learning rate), so oversampling buys no extra
training:

- ``none``: no resampling;
- ``class_weight``: the loss weighted by ``class_weight="balanced"``;
- ``SMOTE``: imbalanced-learn's SMOTE on the whole row (window and RR);
- ``CGANSampler`` and ``DiffusionSampler``: :class:`ecgaug.generators.WithTabular`
  around the sampler (``preset="cpu"``; the diffusion sampler with the demo's
  batch class mix and judge filter): it generates the windows, a per-class
  Gaussian mixture of the log RR features draws their RR vector (independent
  of the generated window given the class). Each is fitted once on the DS1
  training records (at most ``max_per_class`` beats per class) and each seed
  draws its own beats;
- ``<generator>-nnRR`` (only when asked for with ``--arms``): the same fitted
  generator and draws, but each generated window takes the RR features of its
  nearest real window of its class (Euclidean, waveform columns), so that its
  rhythm matches the neighbouring beats the window shows.

Two options change the inputs or the protocol, and each writes its own
results file. With ``--record-difference``, every beat also gets its
difference from the median window of its record
(``ecgaug.datasets.add_record_difference``) as a second lead, for the network
and the generators. With ``--refit``, once the epoch is chosen on the DS1
validation records, each pipeline and each generator is trained again on
all 22 DS1 records for that epoch, and that refitted pipeline is scored.
``interpatient_paired.py`` pairs two such runs by arm and seed.

Oversamplers raise each minority class with enough beats to at least
``target`` beats (never above the majority). Reported per arm, mean ± sd over
the seeds: AAMI per-class sensitivity (Se, recall) and positive predictivity
(+P, precision) for N, S, V, F, macro-F1 over N/S/V/F (Q beats still count as
errors where predicted as another class), accuracy, the average precision of
the S probability (S vs the rest; threshold-free, so it compares arms that
the class mix puts at different Se / +P trade-offs), and times. Each arm is
also scored as one pipeline, the soft vote of its seeds (the mean of their
DS2 class probabilities, what ``VotingClassifier(voting="soft")`` over the
seeds would give): it costs no more training, and the goals are stated for
it too.

Published anchors (DS1 -> DS2, same class mapping): de Chazal et al. 2004
(linear discriminants on RR and morphology features) S Se 0.76 / +P 0.38;
Mondéjar-Guerra et al. 2019 (SVM ensemble) S Se 0.78.

Usage::

    python benchmarks/interpatient.py --budget quick
"""

from __future__ import annotations

import math
import sys
import time

import _common as C
import _models as M
import numpy as np

from ecgaug._demo import DEMO_SAMPLER_PARAMS
from ecgaug.datasets import log_rr_transformer

NAME = "interpatient"
SEEDS = {
    "smoke": [0, 1],
    "quick": [0, 1, 2, 3, 4],
    "standard": [0, 1, 2, 3, 4],
    "full": [0, 1, 2, 3, 4],
}
GENERATOR_ARMS = ("CGANSampler", "DiffusionSampler")
#: Each generator arm also as ``<name>-nnRR``: the same fitted generator and
#: draws, each generated window given the RR features of its nearest real
#: window of its class (so its rhythm matches what the window shows) instead
#: of an independent draw of the RR mixture. Not in the default arms.
NEAREST_RR_ARMS = tuple(f"{name}-nnRR" for name in GENERATOR_ARMS)
ARMS = ("none", "class_weight", "SMOTE", *GENERATOR_ARMS)
KNOWN_ARMS = (*ARMS, *NEAREST_RR_ARMS)


def generator_of(arm: str) -> str | None:
    """The generator an arm oversamples with (``None`` for the others)."""
    name = arm.partition("-")[0]
    return name if name in GENERATOR_ARMS else None


#: Epochs-worth of batches of the real training beats.
EPOCHS = {"smoke": 1, "quick": 4, "standard": 12, "full": 20}
#: Keep every n-th sample of the context window (the RR columns are kept): the
#: quick budget halves the CNN's cost on a shared CPU (100 -> 50 Hz; 96 % of the
#: MLII power lies below 25 Hz), the full budget keeps the measured 100 Hz.
DECIMATE = {"smoke": 1, "quick": 2, "standard": 1, "full": 1}
#: The network on the window (the RR branch is always 8 -> 16 -> 16).
NETWORK = {
    "smoke": {"n_blocks": 1, "n_filters": 8},
    "quick": {"n_blocks": 1, "n_filters": 8},
    "standard": {"n_blocks": 5, "n_filters": 32},
    "full": {"n_blocks": 5, "n_filters": 32},
}
#: Each minority class is raised to at least this many beats (None: "auto").
TARGET = {"smoke": 300, "quick": 5_000, "standard": None, "full": None}
#: The generators: preset, epochs (None: the preset's) and cap on training
#: beats per class, per budget.
GENERATOR = {
    "smoke": {"preset": "cpu", "n_epochs": 1, "max_per_class": 200},
    "quick": {"preset": "cpu", "n_epochs": 10, "max_per_class": 3_000},
    "standard": {"preset": "cpu", "n_epochs": 100, "max_per_class": 20_000},
    "full": {"preset": "paper", "n_epochs": None, "max_per_class": None},
}
#: DiffusionSampler trains longer per beat than the CGAN (epochs per budget)
#: and uses the demo's other settings (class mix of batches, judge filter).
DIFFUSION_EPOCHS = {"smoke": 1, "quick": 40, "standard": 60, "full": None}
DIFFUSION_PARAMS = {
    k: v for k, v in DEMO_SAMPLER_PARAMS["diffusion"].items() if k != "n_epochs"
}
N_RR = 8
MIN_BEATS = 6  # SMOTE's k_neighbors=5 needs 6 beats of a class
LABELS = (0, 1, 2, 3, 4)
AAMI = ("N", "S", "V", "F")
GOALS = {"S_Se": 0.80, "S_+P": 0.50, "V_Se": 0.90, "f1_without_Q": 0.60}
ANCHORS = {
    "de Chazal et al. 2004": {"S_Se": 0.76, "S_+P": 0.38},
    "Mondéjar-Guerra et al. 2019": {"S_Se": 0.78},
}


# --------------------------------------------------------------------------- #
# data                                                                        #
# --------------------------------------------------------------------------- #
def load_data(args):
    """``(ds1, ds2, source)``: context windows + 8 RR columns, by record."""
    from sklearn.utils import Bunch

    from ecgaug.datasets import load_mitbih, load_sample
    from ecgaug.datasets._splits import DS1, DS2

    if args.budget == "smoke":
        s = load_sample()
        X = np.hstack([s.data, s.rr])
        parts = []
        for records in (DS1, DS2):
            keep = np.isin(s.groups.astype(str), records)
            parts.append(
                Bunch(data=X[keep], target=s.target[keep], groups=s.groups[keep])
            )
        source = (
            "load_sample(): the bundled beats (187 samples, no context window) of "
            "the DS1 / DS2 records, with their RR features appended"
        )
        return parts[0], parts[1], source
    kw = {
        "segmentation": "context",
        "rr_features": "append",
        "data_home": args.data_home,
    }
    ds1 = load_mitbih(split="DS1", **kw)
    ds2 = load_mitbih(split="DS2", **kw)
    step = DECIMATE[args.budget]
    for bunch in (ds1, ds2):
        bunch.data = np.ascontiguousarray(
            np.hstack([bunch.data[:, :-N_RR:step], bunch.data[:, -N_RR:]])
        )
    source = (
        "load_mitbih(split='DS1' / 'DS2', segmentation='context', "
        "rr_features='append'): 340-sample windows at 100 Hz centred on each "
        "annotated beat, then its 8 RR features; de Chazal's inter-patient split"
    )
    if step > 1:
        source += (
            f"; every {step}nd sample of the window kept for this budget "
            f"({bunch.data.shape[1] - N_RR} samples at {100 // step} Hz)"
        )
    return ds1, ds2, source


def with_record_difference(ds1, ds2, source):
    """Each window followed by its difference from its record's median window.

    ``ecgaug.datasets.add_record_difference``: a second lead computed from the
    unlabelled beats of each record (DS2 records from their own beats, as
    ``record_rr`` is), so the network sees what is unusual for the patient.
    """
    from ecgaug.datasets import add_record_difference

    for bunch in (ds1, ds2):
        bunch.data = add_record_difference(bunch.data, bunch.groups, n_tabular=N_RR)
    source += (
        "; each window followed by its difference from the median window of its "
        "record (add_record_difference: a second lead, from the record's "
        "unlabelled beats)"
    )
    return ds1, ds2, source


def n_leads(args) -> int:
    """Leads of each beat: the window, and its record difference if asked for."""
    return 2 if args.record_difference else 1


def parse_target(text: str) -> int | str:
    """``--target``: a positive number of beats, or ``"auto"`` (to the majority)."""
    if text == "auto":
        return text
    value = int(text)
    if value < 1:
        raise ValueError("the target must be a positive number of beats or 'auto'")
    return value


def sampling_strategy(y, target: int | None) -> dict[int, int]:
    """Beats wanted per class (:func:`_models.minority_targets`)."""
    return M.minority_targets(y, target, MIN_BEATS)


# --------------------------------------------------------------------------- #
# the generator arms                                                          #
# --------------------------------------------------------------------------- #
def fit_generator(name, X, y, args):
    """``WithTabular(<name>)`` fitted once on the DS1 training beats."""
    import ecgaug.generators as generators

    spec = GENERATOR[args.budget]
    X_fit, y_fit = M.cap_per_class(X, y, spec["max_per_class"])
    keep = np.isin(y_fit, [c for c in LABELS if np.sum(y == c) >= MIN_BEATS])
    X_fit, y_fit = X_fit[keep], y_fit[keep]
    params = {"n_epochs": spec["n_epochs"]}
    if name == "DiffusionSampler":
        params = {"n_epochs": DIFFUSION_EPOCHS[args.budget], **DIFFUSION_PARAMS}
    params = {k: v for k, v in params.items() if v is not None}
    if args.record_difference:
        params["n_leads"] = n_leads(args)
    inner = getattr(generators, name)(
        preset=spec["preset"], device=args.device, random_state=0, **params
    )
    sampler = generators.WithTabular(inner, n_tabular=N_RR, random_state=0)
    start = time.perf_counter()
    sampler.fit(X_fit, y_fit)
    shown = ", ".join(f"{k}={v!r}" for k, v in params.items())
    info = {
        "model": f"WithTabular({name}(preset={spec['preset']!r}, {shown}), "
        f"n_tabular={N_RR})",
        "n_fit": {str(c): int(np.sum(y_fit == c)) for c in np.unique(y_fit)},
        "fit_time_s": round(time.perf_counter() - start, 1),
        "data": C.fingerprint(X, y),
    }
    return sampler, info


class PrefittedOversampler:
    """A Pipeline step that appends beats drawn from a generator fitted on the same X.

    The generator was fitted on exactly the beats this step receives (checked
    by fingerprint), so the pipeline sees nothing it would not see if it fitted
    the generator itself; each seed draws different beats.
    """

    _estimator_type = "sampler"

    def __init__(
        self, sampler, data_fingerprint, strategy, random_state, nearest_rr=False
    ):
        self.sampler = sampler
        self.data_fingerprint = data_fingerprint
        self.strategy = strategy
        self.random_state = random_state
        self.nearest_rr = nearest_rr

    def get_params(self, deep=True):
        return dict(vars(self))

    def set_params(self, **params):
        vars(self).update(params)
        return self

    def fit(self, X, y):
        self.fit_resample(X, y)
        return self

    def fit_resample(self, X, y):
        if C.fingerprint(X, y) != self.data_fingerprint:
            raise ValueError("the generator was fitted on other beats than these")
        counts = np.bincount(y, minlength=len(LABELS))
        labels = np.concatenate(
            [
                np.full(int(n - counts[c]), c, dtype=y.dtype)
                for c, n in self.strategy.items()
            ]
            + [np.empty(0, dtype=y.dtype)]
        )
        start = time.perf_counter()
        X_new, y_new = self.sampler.sample(
            len(labels), y=labels, random_state=self.random_state
        )
        if self.nearest_rr:
            X_new = with_nearest_rr(X, y, X_new, y_new)
        self.sample_time_s_ = round(time.perf_counter() - start, 2)
        return np.vstack([X, X_new.astype(X.dtype)]), np.concatenate([y, y_new])


def with_nearest_rr(X, y, X_new, y_new):
    """``X_new`` with the RR columns of each row's nearest real window of its class."""
    from sklearn.neighbors import NearestNeighbors

    out = np.array(X_new, copy=True)
    for c in np.unique(y_new):
        real = X[y == c]
        rows = np.flatnonzero(y_new == c)
        nearest = NearestNeighbors(n_neighbors=1).fit(real[:, :-N_RR])
        idx = nearest.kneighbors(out[rows, :-N_RR], return_distance=False)[:, 0]
        out[rows, -N_RR:] = real[idx, -N_RR:]
    return out


# --------------------------------------------------------------------------- #
# one arm, one seed                                                           #
# --------------------------------------------------------------------------- #
def make_pipeline(arm, seed, args, data, generators, max_epochs=None):
    """One arm's Pipeline for ``data = (X, y, X_val, y_val, ...)``.

    Without validation beats (``X_val`` None) the network trains for
    ``max_epochs`` of the same OneCycle schedule (the refit on all DS1).
    """
    from imblearn.over_sampling import SMOTE
    from imblearn.pipeline import Pipeline

    X, y, X_val, y_val = data[:4]
    steps = math.ceil(len(y) / M.CLASSIFIER[args.budget]["batch_size"])
    net = NETWORK[args.budget]
    clf = M.make_classifier(
        args.budget,
        seed=seed,
        device=args.device,
        steps_per_epoch=steps,
        epochs=EPOCHS[args.budget],
        # the validation beats reach the network directly: log their RR too
        # (the step is stateless, so fitting it on them learns nothing)
        valid=None
        if X_val is None
        else (log_rr_transformer(N_RR).fit_transform(X_val), y_val),
        classes=list(LABELS),
    )
    if max_epochs is not None:  # stop early in the schedule of EPOCHS
        clf.set_params(max_epochs=int(max_epochs))
    clf.set_params(
        module__n_blocks=net["n_blocks"],
        module__n_filters=net["n_filters"],
        module__n_leads=n_leads(args),
        module__n_tabular=N_RR,
    )
    strategy = sampling_strategy(y, args.target)
    tail = [("log_rr", log_rr_transformer(N_RR)), ("clf", clf)]
    if arm == "class_weight":
        clf.set_params(class_weight="balanced")
    if arm in ("none", "class_weight"):
        return Pipeline(tail)
    if arm == "SMOTE":
        sampler = SMOTE(sampling_strategy=strategy, random_state=seed)
    else:
        fitted, info = generators[generator_of(arm)]
        sampler = PrefittedOversampler(
            fitted, info["data"], strategy, seed, nearest_rr=arm.endswith("-nnRR")
        )
    return Pipeline([("sampler", sampler), *tail])


def arm_job(arm, seed, args, data, generators, refit=None) -> dict:
    """Fit one arm's Pipeline with one seed on DS1 and score it on DS2.

    With ``refit = (X_all, y_all, generators_all)`` the epoch chosen on the
    DS1 validation records is then trained again on all DS1 records (the
    same schedule, stopped at that epoch); the refitted pipeline is the one
    scored, the first one's DS2 scores are kept under ``"selection_fit"``.
    """
    M.set_threads(args.threads)
    X, y, X_val, y_val, X_test, y_test = data
    pipe = make_pipeline(arm, seed, args, data, generators)
    start = time.perf_counter()
    pipe.fit(X, y)
    fit_time = time.perf_counter() - start
    clf = pipe.named_steps["clf"]
    history = clf.history_
    f1 = list(history[:, "valid_f1"])
    start = time.perf_counter()
    proba = pipe.predict_proba(X_test)
    predict_s = time.perf_counter() - start
    print(f"{arm} seed {seed}: fit {fit_time:.0f} s, DS2 {predict_s:.0f} s", flush=True)
    out = {
        "arm": arm,
        "seed": seed,
        **ds2_scores(proba, pipe.classes_, y_test),
        "proba": proba,
        "pipeline_fit_s": round(fit_time, 2),
        "predict_s": round(predict_s, 2),
        "selected_epoch": int(np.argmax(f1)) + 1,
        "valid_f1_selected": float(max(f1)),
        "n_train_after_resampling": int(
            len(y)
            + sum(
                max(0, n - np.sum(y == c))
                for c, n in sampling_strategy(y, args.target).items()
            )
            if arm not in ("none", "class_weight")
            else len(y)
        ),
    }
    sampler = pipe.named_steps.get("sampler")
    if sampler is not None and hasattr(sampler, "sample_time_s_"):
        out["sample_time_s"] = sampler.sample_time_s_
    if refit is not None:
        out = refit_job(out, arm, seed, args, refit, X_test, y_test)
    return out


def refit_job(out, arm, seed, args, refit, X_test, y_test) -> dict:
    """``out`` scored by the pipeline refitted on all DS1 for its chosen epoch."""
    X_all, y_all, generators_all = refit
    keys = ("test", "S_average_precision", "confusion", "pipeline_fit_s")
    out["selection_fit"] = {k: out.pop(k) for k in keys}
    pipe = make_pipeline(
        arm,
        seed,
        args,
        (X_all, y_all, None, None),
        generators_all,
        max_epochs=out["selected_epoch"],
    )
    start = time.perf_counter()
    pipe.fit(X_all, y_all)
    out["pipeline_fit_s"] = round(time.perf_counter() - start, 2)
    out["proba"] = pipe.predict_proba(X_test)
    out |= ds2_scores(out["proba"], pipe.classes_, y_test)
    out["n_train_refit"] = len(y_all)
    print(f"{arm} seed {seed}: refit {out['pipeline_fit_s']:.0f} s", flush=True)
    return out


def ds2_scores(proba, classes, y_test) -> dict:
    """The DS2 scores of one pipeline (or ensemble) from its class probabilities.

    ``test`` (:func:`_common.scores` of the most probable class, what
    ``predict`` returns), ``S_average_precision`` and ``confusion``.
    """
    y_pred = np.asarray(classes)[np.argmax(proba, axis=1)]
    return {
        "test": C.scores(y_test, y_pred, LABELS, C.CLASS_NAMES),
        "S_average_precision": s_average_precision(proba, classes, y_test),
        "confusion": confusion(y_test, y_pred),
    }


def s_average_precision(proba, classes, y_test) -> float:
    """Average precision of the S probability for S vs the rest on DS2.

    Threshold-free: it compares how well arms rank S beats, whatever the
    operating point their class mix puts them at (Se and +P move together
    with the mix).
    """
    from sklearn.metrics import average_precision_score

    column = list(classes).index(1)
    return float(average_precision_score(y_test == 1, proba[:, column]))


def seed_ensembles(runs: list[dict], y_test) -> dict:
    """Per arm, the soft vote of its seeds' pipelines on DS2 (no more training).

    The mean of the class probabilities of the arm's pipelines (one per seed,
    each with its epoch chosen on the DS1 validation records), scored like
    one pipeline. What a user gets from
    ``sklearn.ensemble.VotingClassifier(voting="soft")`` over the seeds; it
    costs the seeds' training, already spent, and their predictions. Pops
    the probabilities out of ``runs`` (they are not written).
    """
    out = {}
    for arm, by_seed in C.runs_by_arm(runs).items():
        probas = [r.pop("proba") for r in by_seed.values()]
        if len(probas) > 1:
            mean = np.mean(probas, axis=0)
            out[arm] = {"seeds": sorted(by_seed), **ds2_scores(mean, LABELS, y_test)}
    return out


def confusion(y_true, y_pred) -> list[list[int]]:
    from sklearn.metrics import confusion_matrix

    return confusion_matrix(y_true, y_pred, labels=list(LABELS)).tolist()


# --------------------------------------------------------------------------- #
# summaries                                                                   #
# --------------------------------------------------------------------------- #
def summarise(runs: list[dict]) -> dict:
    t = [r["test"] for r in runs]
    out = {
        "accuracy": C.mean_sd(x["accuracy"] for x in t),
        "f1_without_Q": C.mean_sd(x["f1_macro_without_Q"] for x in t),
        "Se": {c: C.mean_sd(x["recall"][c] for x in t) for c in AAMI},
        "+P": {c: C.mean_sd(x["precision"][c] for x in t) for c in AAMI},
        "S_AP": C.mean_sd(r["S_average_precision"] for r in runs),
        "pipeline_fit_s": C.mean_sd(r["pipeline_fit_s"] for r in runs),
        "selected_epoch": [r["selected_epoch"] for r in runs],
        "n_seeds": len(runs),
    }
    return out


#: Scores compared seed by seed: (label, getter of one run).
PAIRED_SCORES = {
    "S Se": lambda r: r["test"]["recall"]["S"],
    "S +P": lambda r: r["test"]["precision"]["S"],
    "S AP": lambda r: r["S_average_precision"],
    "macro-F1": lambda r: r["test"]["f1_macro_without_Q"],
}


def paired(runs: list[dict]) -> dict:
    """Each generator arm minus none and minus SMOTE, seed by seed, per score.

    The same seed means the same classifier initialisation and batches (and,
    for the generator arms, their own draws), so that the spread of the
    differences, not of the scores, says whether a difference is more than
    seed noise (:func:`_common.paired_difference`).
    """
    by_arm = C.runs_by_arm(runs)
    out = {}
    for arm in filter(generator_of, by_arm):
        for other in ("none", "SMOTE"):
            if other in by_arm:
                out[f"{arm} - {other}"] = C.paired_scores(
                    by_arm[arm], by_arm[other], PAIRED_SCORES
                )
    return out


def refit_gain(runs: list[dict]) -> dict:
    """Per arm: the refit on all DS1 minus the fit on the training records."""
    refitted = C.runs_by_arm(r for r in runs if "selection_fit" in r)
    return {
        arm: C.paired_scores(
            mine, {s: r["selection_fit"] for s, r in mine.items()}, PAIRED_SCORES
        )
        for arm, mine in refitted.items()
    }


def goals(summary: dict) -> dict:
    """The issue's goals for the best arm (by mean macro-F1) and for the generators.

    Measured on the means over the seeds, and again (under ``"ensemble"``) on the
    soft votes of :func:`seed_ensembles`, each pipeline compared with its kind.
    """
    means = {
        arm: {
            "S_Se": r["Se"]["S"]["mean"],
            "S_+P": r["+P"]["S"]["mean"],
            "V_Se": r["Se"]["V"]["mean"],
            "f1_without_Q": r["f1_without_Q"]["mean"],
        }
        for arm, r in summary["results"].items()
    }
    out = goals_of(means, "")
    beats = generator_comparison(means, summary.get("paired", {}))
    if beats:
        out["generator_beats_none_and_SMOTE"] = beats
    ensembles = {
        arm: {
            "S_Se": e["test"]["recall"]["S"],
            "S_+P": e["test"]["precision"]["S"],
            "V_Se": e["test"]["recall"]["V"],
            "f1_without_Q": e["test"]["f1_macro_without_Q"],
        }
        for arm, e in summary.get("ensembles", {}).items()
    }
    if ensembles:
        kind = " (soft vote of the seeds)"
        out["ensemble"] = goals_of(ensembles, kind)
        beats = generator_comparison(ensembles, {}, kind)
        if beats:
            out["ensemble"]["generator_beats_none_and_SMOTE"] = beats
    return out


def goals_of(arms: dict[str, dict[str, float]], kind: str) -> dict:
    """The four score goals for the arm of ``arms`` with the best macro-F1."""
    best = max(arms, key=lambda a: arms[a]["f1_without_Q"])
    what = {
        "S_Se": "S Se",
        "S_+P": "S +P",
        "V_Se": "V Se",
        "f1_without_Q": "macro-F1 (N/S/V/F)",
    }
    out: dict = {"best_arm": best}
    for key, label in what.items():
        out[key] = C.goal(arms[best][key], GOALS[key], f"{best}{kind}: {label}")
    return out


def generator_comparison(
    arms: dict[str, dict[str, float]], paired: dict, kind: str = ""
) -> dict:
    """Does a generator arm beat none and SMOTE on S Se at equal or better S +P?"""
    texts, any_met = [], False
    for name in filter(generator_of, arms):
        gen, lines, met = arms[name], [], True
        for other in ("none", "SMOTE"):
            o = arms.get(other)
            if o is None:
                continue
            se_better = gen["S_Se"] > o["S_Se"]
            p_ok = gen["S_+P"] >= o["S_+P"]
            met = met and se_better and p_ok
            lines.append(
                f"vs {other}: S Se {gen['S_Se']:.3f} vs {o['S_Se']:.3f} "
                f"({'higher' if se_better else 'not higher'}), "
                f"S +P {gen['S_+P']:.3f} vs {o['S_+P']:.3f} "
                f"({'equal or better' if p_ok else 'worse'})"
            )
        any_met = any_met or met
        vs_smote = paired.get(f"{name} - SMOTE")
        if met and vs_smote is not None:
            shown = vs_smote["S Se"]
            noise = "more than" if shown["verdict"] == "win" else "within"
            lines.append(
                f"paired S Se vs SMOTE {C.fmt_diff(shown)}: {noise} seed noise"
            )
        texts.append(
            f"{name}: {'met' if met else 'NOT met'} (" + "; ".join(lines) + ")"
        )
    if not texts:
        return {}
    return {
        "met": any_met,
        "text": f"generative oversampling{kind} beats none and SMOTE on S Se at "
        f"equal or better S +P: {'met' if any_met else 'NOT met'}: " + "; ".join(texts),
    }


#: Columns of the per-arm tables: the seed means and the seed votes.
TABLE_HEADER = [
    "arm",
    "seeds",
    "macro-F1 (N/S/V/F)",
    "acc",
    *(f"{c} {m}" for c in AAMI for m in ("Se", "+P")),
    "S AP",
]


def ensemble_markdown(ensembles: dict) -> list[str]:
    """The table of :func:`seed_ensembles` (empty without ensembles)."""
    if not ensembles:
        return []
    lines = [
        "",
        "## Soft vote of each arm's seeds (one pipeline per arm)",
        "",
        "The mean of the DS2 class probabilities of the arm's pipelines above "
        "(one per seed), scored as one pipeline: no more training, no DS2 "
        "information in it.",
        "",
    ]
    header = TABLE_HEADER
    rows = []
    for arm, e in ensembles.items():
        t = e["test"]
        row = [arm, len(e["seeds"]), f"{t['f1_macro_without_Q']:.3f}"]
        row += [f"{t['accuracy']:.3f}"]
        row += [f"{t[key][c]:.3f}" for c in AAMI for key in ("recall", "precision")]
        rows.append([*row, f"{e['S_average_precision']:.3f}"])
    return lines + C.md_table(header, rows)


def markdown(rep: dict) -> str:
    lines = C.header_markdown(rep, "Inter-patient DS1 -> DS2 with rhythm context")
    lines += [
        "",
        f"- data: {rep['data']['source']}",
        f"- DS1 training records / validation records (epoch choice): "
        f"{rep['data']['validation']}",
        f"- beats: train {rep['data']['n_train']} {rep['data']['train_counts']}, "
        f"validation {rep['data']['n_valid']}, test (DS2) {rep['data']['n_test']} "
        f"{rep['data']['test_counts']}",
        f"- classifier: {rep['classifier']}",
        f"- oversampling: each minority class raised to {rep['target']}",
    ]
    if rep.get("refit"):
        lines.append(f"- refit: {rep['refit']}")
    for key in ("generators", "generators_refit"):
        for info in rep.get(key, {}).values():
            lines.append(
                f"- generator{' (refit)' if key == 'generators_refit' else ''}: "
                f"{info['model']}, fitted on {info['n_fit']} in "
                f"{info['fit_time_s']} s"
            )
    lines += [
        "",
        "## Per-class sensitivity (Se) and positive predictivity (+P), mean ± sd",
        "",
    ]
    header = TABLE_HEADER
    rows = []
    for arm, s in rep["results"].items():
        row = [arm, s["n_seeds"], C.fmt(s["f1_without_Q"]), C.fmt(s["accuracy"])]
        row += [C.fmt(s[m][c]) for c in AAMI for m in ("Se", "+P")]
        row += [C.fmt(s["S_AP"]) if "S_AP" in s else "–"]
        rows.append(row)
    for ref, vals in ANCHORS.items():
        row = [f"*{ref}*", "–", "–", "–"]
        row += [
            f"{vals[f'{c}_{m}']:.2f}" if f"{c}_{m}" in vals else "–"
            for c in AAMI
            for m in ("Se", "+P")
        ]
        rows.append([*row, "–"])
    lines += C.md_table(header, rows)
    lines += [
        "",
        "S AP: average precision of the S probability, S vs the rest, on DS2 "
        "(threshold-free: it ranks the arms whatever operating point their "
        "class mix gives them).",
    ]
    lines += ensemble_markdown(rep.get("ensembles", {}))
    g = rep["goals"]
    if rep.get("paired"):
        lines += [
            "",
            "## Paired differences (generator arm minus none / SMOTE)",
            "",
            "Mean over the seeds [95 % t-interval]; ✓ / ✗: the interval lies "
            "above / below 0, the only differences that are more than seed noise.",
            "",
        ]
        lines += C.diff_table("pair", rep["paired"], list(PAIRED_SCORES))
    if rep.get("refit_gain"):
        lines += [
            "",
            "## Refit on all DS1 minus the fit on the DS1 training records",
            "",
            "The same arm and seed, the same epoch; mean over the seeds [95 % "
            "t-interval].",
            "",
        ]
        lines += C.diff_table("arm", rep["refit_gain"], list(PAIRED_SCORES))
    lines += ["", "## Goals (issue 15)", ""]
    for part in (g, g.get("ensemble", {})):
        lines += [
            f"- {part[k]['text']}"
            for k in ("S_Se", "S_+P", "V_Se", "f1_without_Q")
            if k in part
        ]
        if "generator_beats_none_and_SMOTE" in part:
            lines.append(f"- {part['generator_beats_none_and_SMOTE']['text']}")
    lines += [
        "",
        "The best arm is the one with the highest mean DS2 macro-F1: a report, "
        "not a model selection (every arm's epoch was chosen on DS1 patients).",
        "",
    ]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = C.make_parser(__doc__, SEEDS)
    parser.add_argument(
        "--arms",
        default=",".join(ARMS),
        help=f"comma-separated, from {KNOWN_ARMS}",
    )
    parser.add_argument(
        "--target",
        type=parse_target,
        default=None,
        help="raise each minority class to at least this many beats, or 'auto' "
        "(to the majority); default: the budget's (quick 5000, standard and "
        "full 'auto'). Another target than the budget's writes "
        "interpatient_target-<target>.{json,md}",
    )
    parser.add_argument(
        "--record-difference",
        action="store_true",
        help="give every beat a second lead, its difference from the median "
        "window of its record (ecgaug.datasets.add_record_difference); writes "
        "interpatient[_target-<target>]_record-difference.{json,md}",
    )
    parser.add_argument(
        "--refit",
        action="store_true",
        help="after choosing the epoch on the DS1 validation records, train "
        "each pipeline again on all DS1 records for that epoch (generators "
        "fitted again on all DS1) and score that one; writes "
        "interpatient[...]_refit.{json,md}",
    )
    args = C.finish_args(parser.parse_args(argv))
    asked, default = args.target, TARGET[args.budget]
    args.target = default if asked is None else None if asked == "auto" else asked
    name = NAME if args.target == default else f"{NAME}_target-{asked}"
    if args.record_difference:
        name += "_record-difference"
    if args.refit:
        name += "_refit"
    arms = [a for a in args.arms.split(",") if a]
    unknown = sorted(set(arms) - set(KNOWN_ARMS))
    if unknown:
        parser.error(f"unknown arms {unknown}; choose from {KNOWN_ARMS}")
    rep = C.Report(name, args, argv, script=NAME)
    ds1, ds2, source = load_data(args)
    if args.record_difference:
        ds1, ds2, source = with_record_difference(ds1, ds2, source)
    tr, va, desc = C.ds1_validation_split(ds1)
    X, y = ds1.data[tr], ds1.target[tr]
    X_val, y_val = ds1.data[va], ds1.target[va]
    data = (X, y, X_val, y_val, ds2.data, ds2.target)
    rep["data"] = {
        "source": source,
        "validation": desc,
        "n_train": len(y),
        "n_valid": len(y_val),
        "n_test": len(ds2.target),
        "train_counts": np.bincount(y, minlength=5).tolist(),
        "test_counts": np.bincount(ds2.target, minlength=5).tolist(),
        "n_features": int(X.shape[1]),
    }
    net = NETWORK[args.budget]
    rep["classifier"] = (
        f"ResNetClassifier(module__n_blocks={net['n_blocks']}, module__n_filters="
        f"{net['n_filters']}, module__n_leads={n_leads(args)}, "
        f"module__n_tabular={N_RR}) on the window and the log "
        f"of the {N_RR} RR features, {EPOCHS[args.budget]} "
        f"epochs-worth of batches of {M.CLASSIFIER[args.budget]['batch_size']}, "
        "OneCycle, epoch chosen by validation macro-F1 on the DS1 validation records"
    )
    rep["target"] = args.target or "the majority ('auto')"
    generators = {}
    for name in dict.fromkeys(filter(None, map(generator_of, arms))):
        M.set_threads(args.threads)
        generators[name] = fit_generator(name, X, y, args)
        info = generators[name][1]
        print(f"{name} fitted in {info['fit_time_s']} s", flush=True)
    rep["generators"] = {
        name: {k: v for k, v in g[1].items() if k != "data"}
        for name, g in generators.items()
    }
    refit = None
    if args.refit:
        generators_all = {}
        for gen in generators:
            M.set_threads(args.threads)
            generators_all[gen] = fit_generator(gen, ds1.data, ds1.target, args)
        rep["generators_refit"] = {
            gen: {k: v for k, v in g[1].items() if k != "data"}
            for gen, g in generators_all.items()
        }
        refit = (ds1.data, ds1.target, generators_all)
        rep["refit"] = (
            f"each pipeline trained again on all {len(ds1.target)} DS1 beats "
            "(training and validation records) for the epoch chosen on the "
            "validation records, the same OneCycle schedule stopped there; the "
            "scores below are the refitted pipelines'"
        )
    jobs = [
        (arm, seed, args, data, generators, refit)
        for arm in arms
        for seed in args.seeds
    ]
    runs = M.run_parallel(arm_job, jobs, n_jobs=args.jobs)
    rep["ensembles"] = seed_ensembles(runs, ds2.target)
    rep["runs"] = runs
    if refit is not None:
        rep["refit_gain"] = refit_gain(runs)
    rep["results"] = {
        arm: summarise([r for r in runs if r["arm"] == arm]) for arm in arms
    }
    rep["anchors"] = ANCHORS
    rep["paired"] = paired(runs)
    rep["goals"] = goals(rep.data)
    rep.write(markdown)
    return 0


if __name__ == "__main__":
    C.ensure_malloc_tuning()
    sys.exit(main())
