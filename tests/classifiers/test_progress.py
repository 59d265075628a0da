"""The classifiers' epoch progress bar (the demo's, issue 18)."""

from __future__ import annotations

from ecgaug.classifiers import ResNetClassifier
from ecgaug.classifiers._progress import EpochProgressBar


def test_epoch_bar_counts_epochs_and_shows_the_loss(bundled_sample, capsys):
    X, y = bundled_sample.data[:128], bundled_sample.target[:128]
    clf = ResNetClassifier(
        module__n_blocks=1,
        module__n_filters=4,
        module__n_dense=8,
        max_epochs=3,
        train_split=None,
        device="cpu",
        callbacks=[("progress", EpochProgressBar("Classifier (none)"))],
    )
    clf.fit(X, y)
    err = capsys.readouterr().err
    assert "Classifier (none)" in err and "3/3" in err and "loss=" in err, err
    bar = dict(clf.callbacks_)["progress"].bar_
    assert bar.n == 3
