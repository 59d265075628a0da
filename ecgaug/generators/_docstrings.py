"""Parameter and attribute descriptions shared by every generative sampler,
written once.

Substituted into the samplers' docstrings with
:class:`imblearn.utils.Substitution` (``{base_params}``,
``{base_attributes}``).
"""

from imblearn.over_sampling.base import BaseOverSampler

_base_params_docstring = (
    BaseOverSampler._sampling_strategy_docstring.strip()
    + """

    preset : {"cpu", "paper"}, default="cpu"
        Default sizes and optimisation settings: ``"cpu"`` trains on the full
        MIT-BIH training split in minutes on a laptop CPU; ``"paper"`` is the
        published architecture (a GPU job). Every setting below left to
        ``None`` is taken from the preset; the resolved values are in
        ``config_``.

    n_epochs : int, default=None
        Passes over the training beats in each call of ``fit``: with
        ``warm_start=True`` every further ``fit`` trains ``n_epochs`` more
        (as ``max_iter`` of scikit-learn's warm-started estimators).

    batch_size : int, default=None
        Real beats per training step.

    n_leads : int, default=1
        Leads per beat; ``X`` is ``(n_samples, n_leads * n_timesteps)``,
        lead-major.

    device : str or torch.device, default="auto"
        ``"auto"`` (CUDA when visible, else CPU), ``"cpu"``, ``"cuda"``,
        ``"cuda:1"``... With one CPU thread (``torch.set_num_threads(1)``)
        two fits give bit-identical samples; several threads or CUDA kernels
        may sum in another order and change the last bits of the weights.

    warm_start : bool, default=False
        When True, ``fit`` continues training the fitted networks (same beat
        length, leads and classes) instead of starting anew. Settings changed
        with ``set_params`` since the last fit apply: ``n_epochs`` (epochs of
        this fit), ``batch_size``, ``sample_batch_size``, the learning rates
        and loss weights; one that shapes the networks (an architecture
        setting, ``preset``, ``n_leads``, ``device``) raises a ``ValueError``.
        The beats keep the first fit's scaling (``data_range_``): ``X`` outside
        it raises a ``ValueError`` rather than giving samples clamped to the
        old range.

    random_state : int, RandomState instance or None, default=None
        Seeds the weights, the training noise and the batches, and is the
        default seed of :meth:`sample`: an integer gives the same beats on
        every call.

    verbose : int, default=0
        Show a progress bar with the epoch losses when positive.

    callbacks : list of ecgaug.callbacks.Callback, default=None
        Called at the start and end of training and after every epoch (e.g.
        :class:`~ecgaug.callbacks.Checkpoint`).

    batch_class_power : float in [0, 1], "balanced" or "proportional", \
default=0.5
        Class mix of the training batches: class ``c`` with ``n_c`` beats is
        drawn with probability proportional to ``n_c ** p``. ``1``
        (``"proportional"``) is the data's proportions, ``0``
        (``"balanced"``) as many beats of every class, values in between
        interpolate (beats of a class are then drawn with replacement). An
        epoch is ``n_samples // batch_size`` steps whatever the mix. The
        per-class training loss is in ``history_[i]["loss_by_class"]``. The
        default 0.5 was chosen on the bundled sample
        (``benchmarks/results/class_mix.md``): it gave both the diffusion
        model and the CGAN a higher TSTR macro recall than 1 (0.53 vs 0.49,
        0.49 vs 0.42), as 0 did for the diffusion model (0.54) but not the
        CGAN (0.47).

    filter_threshold : float in (0, 1) or None, default=None
        Judge-filtered sampling: keep a generated beat of class ``c`` only
        when ``judge`` gives it probability ``>= filter_threshold`` of being
        ``c``, and draw again for the others. ``None`` keeps every beat.

    judge : "auto" or classifier, default="auto"
        Who judges the beats when ``filter_threshold`` is set. ``"auto"``: a
        small network trained inside ``fit`` on the same real beats as the
        generator (never on anything else, so it is safe inside
        cross-validation), saved with the sampler. Or a fitted classifier
        with ``predict_proba`` and ``classes_`` covering the sampler's
        classes, given beats in the units of ``X`` (inside ``clone`` or
        ``GridSearchCV``, wrap it in :class:`sklearn.frozen.FrozenEstimator`
        so that it stays fitted; :meth:`save` does not keep it).

    filter_max_tries : int, default=20
        Most candidates generated per requested beat. A beat still rejected
        after them is the most class-like candidate of the last round, and
        :meth:`sample` warns with the class's acceptance rate."""
)

_base_attributes_docstring = """config_ : dict
        The resolved settings (preset overridden by the parameters set).
    classes_ : ndarray of shape (n_classes,)
        Class labels seen in ``fit``.
    class_counts_ : ndarray of shape (n_classes,)
        Beats per class in ``fit``.
    sampling_strategy_ : dict
        Beats to generate per class in :meth:`fit_resample`.
    n_features_in_ : int
        ``n_leads * n_timesteps_``.
    n_timesteps_ : int
        Time steps per lead.
    n_epochs_ : int
        Epochs trained so far.
    device_ : torch.device
        Where the networks live.
    judge_ : torch.nn.Module
        The automatic judge (``judge="auto"``), trained in ``fit`` when
        ``filter_threshold`` is set.
    acceptance_rate_ : dict
        Fraction of generated beats the judge accepted, per class, in the
        last filtered :meth:`sample` (or ``fit_resample``) call."""
