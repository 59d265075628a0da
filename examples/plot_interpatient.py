"""
==========================================================
Inter-patient classification with RR-interval features
==========================================================

A supraventricular (S) beat looks much like a normal one; what gives it away is
its timing: it comes early, and a pause often follows. On new patients (de
Chazal's DS1 → DS2 split) a classifier that sees only the beat's waveform
misses most S beats. This example gives it the rhythm: the eight RR-interval
features of each beat, appended to ``X`` and read by
``ResNetClassifier(module__n_tabular=8)``.

It runs in seconds on the 2,500 beats shipped with ecgaug
(:func:`~ecgaug.datasets.load_sample`): their RR features were computed from
the full records when the sample was built (the sample's beats are not
consecutive). The sample has no context windows (they would make the package
larger); with the full database use ``load_mitbih(split="DS1",
segmentation="context", rr_features="append")``, as
``benchmarks/interpatient.py`` does, and give each beat its difference from
its record's median beat (:func:`~ecgaug.datasets.add_record_difference`,
see the data guide); the sample cannot show that step, as its beats are a
class-stratified subset of each record.
"""

# %%
# The rhythm of each class
# ------------------------
# ``pre_local_ratio`` is the interval from the previous beat divided by the
# mean of the last ten: below 1 for an early beat. ``post_pre_ratio`` is above
# 1 when a pause follows.
import numpy as np
from matplotlib import pyplot as plt
from sklearn.metrics import precision_recall_fscore_support
from sklearn.pipeline import make_pipeline

from ecgaug.classifiers import ResNetClassifier
from ecgaug.datasets import load_sample, log_rr_transformer

beats = load_sample()
names = [str(n) for n in beats.target_names]
pre = beats.rr[:, beats.rr_names.index("pre_local_ratio")]
post = beats.rr[:, beats.rr_names.index("post_pre_ratio")]

fig, ax = plt.subplots(figsize=(5, 4))
for label in (0, 1, 2):
    keep = beats.target == label
    ax.scatter(pre[keep], post[keep], s=4, alpha=0.5, label=names[label])
ax.set(
    xlabel="pre_local_ratio (previous RR / local mean)",
    ylabel="post_pre_ratio (next RR / previous RR)",
    xlim=(0.2, 1.8),
    ylim=(0.2, 3.5),
    title="RR features of the sample's N, S, V beats",
)
ax.legend(markerscale=3)
fig.tight_layout()

# %%
# DS1 patients for training, DS2 patients for testing
# ---------------------------------------------------
# ``X`` is the 187-sample waveform followed by the 8 RR features. The same
# small network is trained twice, on the waveform only and on both; it reads
# the RR features as logarithms (they are skewed: a pause doubles
# ``post_pre_ratio``), through :func:`~ecgaug.datasets.log_rr_transformer`
# (a stateless scikit-learn transformer) in a pipeline.
ds1, ds2 = load_sample(split="DS1"), load_sample(split="DS2")
X_train, y_train = np.hstack([ds1.data, ds1.rr]), ds1.target
X_test, y_test = np.hstack([ds2.data, ds2.rr]), ds2.target
params = {
    "module__n_blocks": 1,
    "max_epochs": 15,
    "class_weight": "balanced",
    "train_split": None,
    "device": "cpu",
    "random_state": 0,
}

wave_only = ResNetClassifier(**params).fit(X_train[:, :187], y_train)
with_rr = make_pipeline(
    log_rr_transformer(n_rr=8), ResNetClassifier(module__n_tabular=8, **params)
)
with_rr.fit(X_train, y_train)
predictions = {
    "waveform only": wave_only.predict(X_test[:, :187]),
    "waveform + RR features": with_rr.predict(X_test),
}

# %%
# Sensitivity and positive predictivity on the DS2 patients
# ---------------------------------------------------------
# The AAMI scores of the literature: Se (recall) and +P (precision) per class.
fig, axes = plt.subplots(1, 2, figsize=(8, 3.5), sharey=True)
labels = [0, 1, 2, 3]
width = 0.38
for k, (model, y_pred) in enumerate(predictions.items()):
    p, r, _, _ = precision_recall_fscore_support(
        y_test, y_pred, labels=labels, zero_division=0
    )
    pos = np.arange(len(labels)) + (k - 0.5) * width
    axes[0].bar(pos, r, width, label=model)
    axes[1].bar(pos, p, width, label=model)
    print(f"{model}: S Se {r[1]:.2f}, S +P {p[1]:.2f}, V Se {r[2]:.2f}")
for ax, title in zip(axes, ("sensitivity (Se)", "positive predictivity (+P)")):
    ax.set_xticks(range(len(labels)), [names[i] for i in labels])
    ax.set_title(title)
axes[0].set_ylim(0, 1)
axes[0].legend(fontsize="small", loc="upper right")
fig.suptitle("Bundled sample, DS1 → DS2 (tiny network, seconds of training)")
fig.tight_layout()
plt.show()

# %%
# A soft vote over seeds
# ----------------------
# On new patients one training run differs from the next by more than most
# choices do: with the full database, the same pipeline trained with five
# seeds ranged from 0.40 to 0.50 in S average precision
# (``benchmarks/interpatient.py``). Averaging the class probabilities of
# a few seeds' pipelines is one scikit-learn estimator,
# :class:`~sklearn.ensemble.VotingClassifier` with ``voting="soft"``; it
# clones, pickles and cross-validates like any other (here each member is an
# ``imblearn`` pipeline with its own SMOTE and network seed).
from imblearn.over_sampling import SMOTE
from imblearn.pipeline import make_pipeline as make_imblearn_pipeline
from sklearn.ensemble import VotingClassifier


def smote_pipeline(seed):
    return make_imblearn_pipeline(
        SMOTE(random_state=seed),
        log_rr_transformer(n_rr=8),
        ResNetClassifier(
            module__n_tabular=8,
            **{**params, "class_weight": None, "random_state": seed},
        ),
    )


seeds = [0, 1, 2]
vote = VotingClassifier(
    [(f"seed {seed}", smote_pipeline(seed)) for seed in seeds], voting="soft"
).fit(X_train, y_train)
# the fitted members are in ``named_estimators_``: score each, then the vote
for name, model in [*vote.named_estimators_.items(), ("vote", vote)]:
    p, r, f1, _ = precision_recall_fscore_support(
        y_test, model.predict(X_test), labels=labels, zero_division=0
    )
    print(f"SMOTE, {name}: S Se {r[1]:.2f}, S +P {p[1]:.2f}, macro-F1 {f1.mean():.2f}")
