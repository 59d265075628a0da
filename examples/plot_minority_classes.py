"""
=======================================================================
Minority classes: class mix, judge-filtered sampling, guidance by class
=======================================================================

Three options of every ecgaug sampler aim at the classes users need synthetic
beats for, the small ones (S and F in MIT-BIH):

- ``batch_class_power`` sets the class mix of the training batches, from the
  data's proportions (1) to balanced batches (0), without shortening training;
  ``history_`` reports the training loss of each class;
- ``filter_threshold`` keeps only the generated beats that a judge, trained in
  ``fit`` on the same real beats, recognises as the class they were asked for;
- :class:`~ecgaug.generators.DiffusionSampler` takes ``guidance_scale`` per
  class.

The diffusion model trains for a few epochs on the real beats shipped with
ecgaug, enough to show the mechanics (about a minute on a laptop CPU), not to
rank the options: ``benchmarks/class_mix.py`` measures them.
"""

# %%
# Train on balanced batches, with the automatic judge
# ---------------------------------------------------
# ``filter_threshold`` set at ``fit`` trains the judge too (a small network,
# seconds); the generator is the same as without it.
import numpy as np
from matplotlib import pyplot as plt
from sklearn.ensemble import HistGradientBoostingClassifier

from ecgaug.datasets import load_sample
from ecgaug.generators import DiffusionSampler

train, test = load_sample(split="train"), load_sample(split="test")
names = [str(n) for n in train.target_names]
sampler = DiffusionSampler(
    n_epochs=10,
    batch_class_power="balanced",
    filter_threshold=0.5,
    device="cpu",
    random_state=0,
).fit(train.data, train.target)

# %%
# The training loss of each class
# -------------------------------
# ``history_[i]["loss_by_class"]`` is the mean denoising loss of each class's
# beats in epoch ``i`` (for the GANs: how recognisable the generated beats of
# each class are to the discriminator's classifier).
fig, ax = plt.subplots(figsize=(6, 3.5))
for label, name in enumerate(names):
    ax.plot(
        [h["epoch"] for h in sampler.history_],
        [h["loss_by_class"][label] for h in sampler.history_],
        label=name,
    )
ax.set(xlabel="epoch", ylabel="training loss", title="Loss by class")
ax.legend(ncol=5, fontsize="small")
fig.tight_layout()

# %%
# Filtered and unfiltered beats, judged by an independent classifier
# ------------------------------------------------------------------
# A classifier trained on the real training beats, not the sampler's judge,
# says which class each synthetic beat looks like (label adherence).
referee = HistGradientBoostingClassifier(max_iter=100, random_state=0)
referee.fit(train.data, train.target)
labels = np.repeat(np.arange(5), 100)


def adherence(X, y):
    pred = referee.predict(X)
    return [float(np.mean(pred[y == c] == c)) for c in range(5)]


X_plain, y_plain = sampler.set_params(filter_threshold=None).sample(500, y=labels)
X_filt, y_filt = sampler.set_params(filter_threshold=0.5).sample(500, y=labels)
print("acceptance rate per class:", sampler.acceptance_rate_)

# %%
# Guidance by class: sharpen only the classes that need it.
X_guid, y_guid = sampler.set_params(
    filter_threshold=None, guidance_scale={1: 3.0, 3: 3.0}
).sample(500, y=labels)

fig, ax = plt.subplots(figsize=(6, 3.5))
width = 0.27
for i, (what, X, y) in enumerate(
    [
        ("unfiltered", X_plain, y_plain),
        ("filtered, threshold 0.5", X_filt, y_filt),
        ("guidance 3 for S and F", X_guid, y_guid),
    ]
):
    ax.bar(np.arange(5) + (i - 1) * width, adherence(X, y), width, label=what)
ax.set_xticks(np.arange(5), names)
ax.set(ylim=(0, 1), ylabel="label adherence", title="Synthetic beats per class")
ax.legend(fontsize="small")
fig.tight_layout()
