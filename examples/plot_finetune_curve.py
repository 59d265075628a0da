"""
==========================================================
Pretraining on synthetic beats, then fine-tuning: a curve
==========================================================

The paper's Table 2 as a figure: for growing fractions of the real training
beats, a classifier trained from scratch on them ("real") against the same
classifier pretrained on synthetic beats and then fine-tuned on them
("finetuned"). :func:`~ecgaug.classifiers.learning_curve_finetune` runs the
protocol: stratified, nested subsets of the real data; the generator is
fitted on the training beats only and the network pretrained once; every
model is scored on the same held-out beats.

A small version on the bundled sample: a few thousand synthetic beats (the
paper drew 550,000) and a few epochs. ``benchmarks/table2_finetune.py`` runs
it on the full database.
"""

# %%
# The estimator: pretrain on synthetic beats, fine-tune on real ones
# -------------------------------------------------------------------
from ecgaug.classifiers import (
    FineTunedClassifier,
    ResNetClassifier,
    learning_curve_finetune,
)
from ecgaug.datasets import load_sample
from ecgaug.generators import CGANSampler

X, y = load_sample(split="train", return_X_y=True)
X_test, y_test = load_sample(split="test", return_X_y=True)
names = [str(n) for n in load_sample().target_names]

classifier = ResNetClassifier(
    module__n_blocks=1, max_epochs=8, batch_size=64, train_split=None, random_state=0
)
finetuned = FineTunedClassifier(
    classifier,
    sampler=CGANSampler(n_epochs=20, random_state=0),
    n_pretrain=5_000,  # balanced over the five classes
    pretrain_epochs=4,
    finetune_epochs=8,
    random_state=0,
)

# %%
# The learning curve
# ------------------
# Pretraining runs once, on the largest fraction (all of ``X``); each fraction
# is then fine-tuned from the pretrained weights, and a fresh network is
# trained on it for comparison.
table = learning_curve_finetune(
    finetuned, X, y, X_test, y_test, fractions=(0.2, 0.5, 1.0), random_state=0
)
columns = ["fraction", "n_train", "model", "accuracy", "f1_macro", "recall_macro"]
print(table[columns + ["fit_time"]].round(3).to_string(index=False))
print(f"one-off pretraining: {table['pretrain_time'].max():.0f} s")

# %%
# As lines, one panel per score
# -----------------------------
from ecgaug.plotting import plot_finetune_curves

fig = plot_finetune_curves(table, metrics=("accuracy", "f1_macro", "recall_macro"))

# %%
# Whether pretraining helps depends on the synthetic beats. Beats that lack the
# variety of real ones (a generator trained for a minute makes such beats; see
# :ref:`sphx_glr_auto_examples_plot_embeddings.py`) can leave the network with
# features that transfer poorly, and fine-tuning for a few epochs may not undo
# that. Read the two lines, not the hope: ``benchmarks/table2_finetune.py``
# gives the full-data answer, with generators trained for longer.

# %%
# The rare classes
# ----------------
# Recall of S (supraventricular) and F (fusion) beats, the hardest classes.
fig = plot_finetune_curves(table, metrics=("recall_1", "recall_3"))
for ax, label in zip(fig.axes, (1, 3)):
    ax.set_title(f"recall of {names[label]} beats")
