"""
===============================================================
Cross-task transfer: pretrain on one task, fine-tune on another
===============================================================

The paper's Table 4 pretrains the classifier on synthetic MIT-BIH beats (five
arrhythmia classes) and fine-tunes it on PTB (myocardial infarction vs
healthy), a different task with different classes: the output layer is
replaced, the convolutional features are kept.

PTB's records are not bundled with ecgaug, so this example builds a stand-in
second task from the bundled MIT-BIH sample, **on other patients**: the
records are split in two groups; on the first, a generator learns the five
AAMI classes and draws the pretraining set; on the second, the task is binary,
normal (N) vs any ectopic beat (S, V, F, Q), with few labelled beats. With PTB's
records in ``data_home``, put :func:`~ecgaug.datasets.load_ptb` in place of
task B (``benchmarks/table4_cross_task.py`` does).
"""

# %%
# Two tasks, two groups of patients
# ---------------------------------
import numpy as np
from sklearn.model_selection import GroupShuffleSplit, train_test_split

from ecgaug.datasets import load_sample

beats = load_sample()
split = GroupShuffleSplit(n_splits=1, test_size=0.5, random_state=1)
a, b = next(split.split(beats.data, beats.target, groups=beats.groups))
assert not set(beats.groups[a]) & set(beats.groups[b])  # no patient in both

X_a, y_a = beats.data[a], beats.target[a]  # task A: 5 AAMI classes
X_b, y_b = beats.data[b], (beats.target[b] != 0).astype(np.int64)  # task B: N vs not
X_b_train, X_b_test, y_b_train, y_b_test = train_test_split(
    X_b, y_b, test_size=0.5, stratify=y_b, random_state=0
)
print(
    f"task A: {len(y_a)} beats of {len(set(beats.groups[a]))} records, classes "
    f"{np.bincount(y_a).tolist()}"
)
print(
    f"task B: {len(y_b_train)} training / {len(y_b_test)} test beats of "
    f"{len(set(beats.groups[b]))} other records, normal/ectopic "
    f"{np.bincount(y_b_train).tolist()}"
)

# %%
# Synthetic pretraining beats of task A
# -------------------------------------
# A generator trained on task A's real beats draws a balanced synthetic set.
from ecgaug.generators import CGANSampler

sampler = CGANSampler(n_epochs=20, random_state=0).fit(X_a, y_a)
X_pre, y_pre = sampler.sample(5_000, y=np.repeat(np.arange(5), 1_000))

# %%
# Learning curve on task B
# ------------------------
# :class:`~ecgaug.classifiers.FineTunedClassifier` pretrains on the 5-class
# synthetic beats, replaces the output layer by a 2-class one
# (``head="reinit"``), and fine-tunes on growing fractions of task B's
# training beats; "real" trains the same network on task B alone.
from ecgaug.classifiers import (
    FineTunedClassifier,
    ResNetClassifier,
    learning_curve_finetune,
)
from ecgaug.plotting import plot_finetune_curves

classifier = ResNetClassifier(
    module__n_blocks=1, max_epochs=8, batch_size=64, train_split=None, random_state=0
)
transfer = FineTunedClassifier(
    classifier, pretrain_epochs=4, finetune_epochs=8, head="reinit", random_state=0
)
table = learning_curve_finetune(
    transfer,
    X_b_train,
    y_b_train,
    X_b_test,
    y_b_test,
    X_pretrain=X_pre,
    y_pretrain=y_pre,
    fractions=(0.1, 0.3, 1.0),
    random_state=0,
)
print(table[["fraction", "n_train", "model", "accuracy", "f1_macro"]].round(3))
fig = plot_finetune_curves(table, metrics=("accuracy", "f1_macro", "recall_1"))
fig.axes[-1].set_title("recall of ectopic beats")
