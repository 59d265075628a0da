"""
=====================================================
Real and synthetic beats in t-SNE and LLE embeddings
=====================================================

The paper's Figures 2 to 5: fit a 2-D embedding on real and synthetic beats
together and look at where the synthetic beats fall. Synthetic beats that
overlap the real beats of their class were generated well; regions of real
beats with no synthetic ones are modes the generator missed; tight clusters of
synthetic beats apart from the real ones are beats simpler than real ones.

Two generators, trained for about a minute each on the bundled sample, are
compared with the same embedding settings: the 1-D convolutional GAN and the
DiffWave diffusion model. A minute is enough for the GAN and far too little for
the diffusion model, which needs many more epochs: this shows how to read the
figures, not which model is better (``benchmarks/`` trains them fully).
"""

# %%
# Train two generators on the real training beats
# -----------------------------------------------
from ecgaug.datasets import load_sample
from ecgaug.generators import CGANSampler, DiffusionSampler

train = load_sample(split="train")
names = [str(n) for n in train.target_names]
X, y = train.data, train.target

samplers = {
    "1-D conv GAN (CGANSampler)": CGANSampler(n_epochs=20, random_state=0),
    "DiffWave (DiffusionSampler)": DiffusionSampler(n_epochs=6, random_state=0),
}
synthetic = {}
for title, sampler in samplers.items():
    sampler.fit(X, y)
    # as many synthetic beats of each class as there are real ones
    synthetic[title] = sampler.sample(len(y), y=y, random_state=1)
    print(
        f"{title}: {sampler.n_epochs_} epochs in {sampler.history_[-1]['time']:.0f} s"
    )

# %%
# t-SNE and LLE of each generator's beats with the real ones
# -----------------------------------------------------------
# :func:`~ecgaug.plotting.plot_embeddings` draws up to ``max_per_class`` real
# (dots) and synthetic (crosses) beats per class, and fits each method on both.
from ecgaug.plotting import plot_embeddings

for title, (X_syn, y_syn) in synthetic.items():
    fig = plot_embeddings(
        X,
        y,
        X_syn,
        y_syn,
        methods=("tsne", "lle"),
        max_per_class=150,
        target_names=names,
        random_state=0,
    )
    fig.suptitle(title)

# %%
# The beats themselves
# --------------------
# The mean ± sd of each class, real on top, synthetic below (the dashed line
# repeats the real mean).
from ecgaug.plotting import plot_beats

for title, (X_syn, y_syn) in synthetic.items():
    fig = plot_beats(
        X, y, X_syn, y_syn, target_names=names, sampling_rate=train.fs, random_state=0
    )
    fig.suptitle(title)

# %%
# A number for the overlap
# ------------------------
# Precision (synthetic beats that fall among real ones) and coverage (real beats
# with a synthetic neighbour) put numbers on what the figures show.
from ecgaug.evaluation.metrics import precision_recall_density_coverage

for title, (X_syn, y_syn) in synthetic.items():
    pooled = precision_recall_density_coverage(X, y, X_syn, y_syn, random_state=0)
    per_class = precision_recall_density_coverage(
        X, y, X_syn, y_syn, per_class=True, random_state=0
    )
    print(title)
    print("  pooled:", {k: round(float(v), 3) for k, v in pooled.items()})
    coverage = {names[c]: round(float(v), 3) for c, v in per_class["coverage"].items()}
    print("  coverage per class:", coverage)
