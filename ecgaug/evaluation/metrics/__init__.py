"""Metrics of synthetic beats: fidelity, diversity, label adherence and memorisation.

Every metric is a plain function of ``(X_real, y_real, X_synth, y_synth)``
(real beats first, then synthetic ones, each with its labels) with a
``per_class`` switch that returns one value per class. Bad input is a
``ValueError`` that names the problem: different numbers of features, a class
on one side only, NaN or infinity.

=====================================  ======================================
Question                               Metric
=====================================  ======================================
How far apart are the distributions?   :func:`frechet_distance` (in a
                                       classifier's embedding), :func:`mmd_rbf`
Are synthetic beats realistic?         ``precision`` and ``density`` of
                                       :func:`precision_recall_density_coverage`,
                                       :func:`discriminative_score`
Do they cover the real variety?        ``recall`` and ``coverage``
Do they belong to their class?         :func:`label_adherence`
Do they copy training beats?           :func:`memorisation_score`
=====================================  ======================================
"""

from ._adherence import label_adherence
from ._discriminative import discriminative_score
from ._distribution import frechet_distance, mmd_rbf
from ._embedding import make_embedding
from ._prdc import precision_recall_density_coverage
from ._privacy import memorisation_score

__all__ = [
    "discriminative_score",
    "frechet_distance",
    "label_adherence",
    "make_embedding",
    "memorisation_score",
    "mmd_rbf",
    "precision_recall_density_coverage",
]
