"""Figures of real and synthetic heartbeats (matplotlib).

Every function draws on the ``ax`` (or ``fig``) it is given, or on a new
figure, and returns it; none calls ``plt.show()``.

- :func:`plot_embedding`, :func:`plot_embeddings`: t-SNE, LLE, UMAP (with
  ``umap-learn``) or PCA of real and synthetic beats by class (the paper's
  Figures 2-5).
- :func:`plot_beats`: per-class grids of real and synthetic beats with mean ±
  sd bands.
- :func:`plot_finetune_curves`: the Tables 2-4 of the paper as lines, from
  :func:`ecgaug.classifiers.learning_curve_finetune`.
- :func:`plot_confusion_matrix`: a classifier's confusion matrix.
- :func:`plot_protocols`: bars of :func:`ecgaug.evaluation.evaluate_protocols`.
"""

from ._beats import plot_beats
from ._confusion import plot_confusion_matrix
from ._curves import plot_finetune_curves
from ._embedding import EMBEDDING_METHODS, plot_embedding, plot_embeddings
from ._protocols import plot_protocols

__all__ = [
    "EMBEDDING_METHODS",
    "plot_beats",
    "plot_confusion_matrix",
    "plot_embedding",
    "plot_embeddings",
    "plot_finetune_curves",
    "plot_protocols",
]
