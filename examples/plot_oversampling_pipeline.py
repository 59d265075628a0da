"""
=============================================================
Oversampling minority classes in an imbalanced-learn pipeline
=============================================================

A generative sampler of ecgaug is an imbalanced-learn sampler, so it is one step
of an :class:`imblearn.pipeline.Pipeline`: it adds synthetic beats to the
minority classes while the pipeline is fitted, and steps aside at prediction
time. In cross-validation it is refit on every training fold, so that no test
beat ever reaches the generator.

Here :class:`~sklearn.model_selection.GridSearchCV` chooses between no
resampling, SMOTE and a generative sampler, with folds that keep each
patient's beats together, then the chosen pipeline is scored on held-out beats.
The generator trains for a few epochs only, to keep the example short: this
shows the mechanics, not which method wins (``benchmarks/oversampling.py``
answers that on the full database).
"""

# %%
# The data: real MIT-BIH beats shipped with ecgaug
# -------------------------------------------------
# 2,020 training and 480 test beats of the five AAMI classes, imbalanced like
# the database. ``groups`` is the record (patient) of each beat.
import numpy as np
from matplotlib import pyplot as plt

from ecgaug.datasets import load_sample

train, test = load_sample(split="train"), load_sample(split="test")
names = [str(n) for n in train.target_names]
print(dict(zip(names, np.bincount(train.target).tolist())))

# %%
# The pipeline and the grid
# -------------------------
# The first step is the sampler; ``"passthrough"`` means no resampling. Every
# parameter of a step is reachable by double underscore
# (``sampler__sampling_strategy``, ``clf__max_epochs``).
from imblearn.over_sampling import SMOTE
from imblearn.pipeline import Pipeline
from sklearn.model_selection import GridSearchCV, StratifiedGroupKFold

from ecgaug.classifiers import ResNetClassifier
from ecgaug.generators import CGANSampler

clf = ResNetClassifier(
    module__n_blocks=1, max_epochs=8, batch_size=64, train_split=None, random_state=0
)
pipe = Pipeline([("sampler", "passthrough"), ("clf", clf)])
# Each minority class up to 600 beats (a dict gives the count after resampling).
target = {1: 600, 2: 600, 3: 600, 4: 600}
param_grid = {
    "sampler": [
        "passthrough",
        SMOTE(sampling_strategy=target, random_state=0),
        CGANSampler(sampling_strategy=target, n_epochs=12, random_state=0),
    ]
}
search = GridSearchCV(
    pipe,
    param_grid,
    cv=StratifiedGroupKFold(n_splits=3),
    scoring={"macro_f1": "f1_macro", "balanced_accuracy": "balanced_accuracy"},
    refit="macro_f1",
)
search.fit(train.data, train.target, groups=train.groups)

# %%
# Cross-validated scores
# ----------------------
# Mean and standard deviation over the three folds. Each fold tests on
# patients the models never saw, which is much harder than the test split
# below (an intra-patient split: its patients also gave training beats), so
# expect lower scores here than there.
labels = ["none", "SMOTE", "CGANSampler"]
results = search.cv_results_
for i, label in enumerate(labels):
    print(
        f"{label:>16}: macro-F1 {results['mean_test_macro_f1'][i]:.3f} "
        f"± {results['std_test_macro_f1'][i]:.3f}, balanced accuracy "
        f"{results['mean_test_balanced_accuracy'][i]:.3f} "
        f"± {results['std_test_balanced_accuracy'][i]:.3f}"
    )

fig, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
x = np.arange(len(labels))
for k, (key, title) in enumerate(
    [("macro_f1", "macro-F1"), ("balanced_accuracy", "balanced accuracy")]
):
    ax.bar(
        x + (k - 0.5) * 0.38,
        results[f"mean_test_{key}"],
        0.38,
        yerr=results[f"std_test_{key}"],
        label=title,
        capsize=3,
    )
ax.set_xticks(x, labels)
ax.set_ylim(0, 1)
ax.set_ylabel("cross-validated score")
ax.set_title("Grid search over the resampling step (3 folds of patients)")
ax.legend(frameon=False)

# %%
# The chosen pipeline on the held-out beats
# -----------------------------------------
# ``GridSearchCV`` refit the best pipeline on all training beats. Its recall
# of each class on the test beats, as a confusion matrix normalised by row:
from sklearn.metrics import classification_report

from ecgaug.plotting import plot_confusion_matrix

print("best:", search.best_params_["sampler"])
y_pred = search.predict(test.data)
print(classification_report(test.target, y_pred, target_names=names, digits=3))
ax = plot_confusion_matrix(test.target, y_pred, target_names=names)
