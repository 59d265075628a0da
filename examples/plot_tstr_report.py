"""
======================================================
Judging a generator: TSTR and the other protocols
======================================================

The paper's Table 1 protocols with
:func:`~ecgaug.evaluation.evaluate_protocols`: a classifier trained on real
(TR) or synthetic (TS) beats, tested on real (TR) or synthetic (TS) ones, and
on real plus synthetic (TRSTR). Then the full
:func:`~ecgaug.evaluation.synthetic_quality_report`: fidelity, diversity,
label adherence and memorisation, each next to the value that real beats
reach.

How to read the protocols: TSTR near TRTR means the synthetic beats carry
what a classifier needs; TSTS far above TSTR means they are easier than real
ones. The generator trains for about a minute on the bundled sample;
``benchmarks/table1_protocols.py`` has the full-data numbers.
"""

# %%
# A generator fitted on the training beats only
# ---------------------------------------------
from ecgaug.classifiers import ResNetClassifier
from ecgaug.datasets import load_sample
from ecgaug.evaluation import evaluate_protocols
from ecgaug.generators import CGANSampler

X_train, y_train = load_sample(split="train", return_X_y=True)
X_test, y_test = load_sample(split="test", return_X_y=True)
names = [str(n) for n in load_sample().target_names]

sampler = CGANSampler(n_epochs=30, random_state=0).fit(X_train, y_train)
classifier = ResNetClassifier(
    module__n_blocks=1, max_epochs=6, batch_size=64, train_split=None
)

# %%
# The five protocols
# ------------------
# ``refit=False`` uses the sampler as fitted (on the training beats only).
# One repeat here; ``n_repeats=3`` or more gives confidence intervals.
results = evaluate_protocols(
    sampler,
    classifier,
    X_train,
    y_train,
    X_test,
    y_test,
    n_repeats=1,
    refit=False,
    random_state=0,
)
pooled = results[results["label"].isna()]
scores = pooled[pooled["metric"].isin(["accuracy", "f1_macro", "recall_macro"])]
print(scores.pivot(index="protocol", columns="metric", values="mean").round(3))

from ecgaug.plotting import plot_protocols

ax = plot_protocols(results, metrics=("accuracy", "f1_macro", "recall_macro"))

# %%
# The quality report
# ------------------
# Every metric, pooled (``label == "all"``) and per class; ``reference`` is
# the same metric for real training beats in place of the synthetic ones.
from ecgaug.evaluation import synthetic_quality_report

report = synthetic_quality_report(
    sampler,
    X_train,
    y_train,
    X_test,
    y_test,
    classifier=classifier,
    metrics=("frechet", "mmd", "prdc", "discriminative", "adherence", "memorisation"),
    target_names=names,
    random_state=0,
)
print(
    report[report["label"] == "all"][["group", "metric", "value", "reference", "goal"]]
    .round(3)
    .to_string(index=False)
)

# %%
# Label adherence per class: the share of synthetic beats of each class that
# a classifier trained on real beats assigns to that class.
adherence = report[report["metric"] == "label_adherence"]
print(adherence[["label", "value", "reference"]].round(3).to_string(index=False))
