"""Judge synthetic beats: train/test protocols, fidelity and privacy metrics, scorers.

- :func:`evaluate_protocols`: the paper's Table 1, TRTR / TSTR / TRTS / TSTS /
  TRSTR, with any scikit-learn classifier, repeats and confidence intervals.
- :mod:`ecgaug.evaluation.metrics`: Fréchet distance in a classifier's
  embedding, RBF MMD, precision / recall / density / coverage, discriminative
  score, label adherence and memorisation (distance to closest record).
- :func:`synthetic_quality_report`: all of it for a fitted sampler, one table.
- :func:`make_fidelity_scorer` and :func:`make_tstr_scorer`: choose a sampler's
  hyperparameters with :class:`~sklearn.model_selection.GridSearchCV`.

The figures (embeddings, beat grids, protocol bars) are in :mod:`ecgaug.plotting`.
"""

from . import metrics
from ._protocols import PROTOCOLS, evaluate_protocols
from ._report import REPORT_METRICS, synthetic_quality_report
from ._scoring import make_fidelity_scorer, make_tstr_scorer

__all__ = [
    "PROTOCOLS",
    "REPORT_METRICS",
    "evaluate_protocols",
    "make_fidelity_scorer",
    "make_tstr_scorer",
    "metrics",
    "synthetic_quality_report",
]
