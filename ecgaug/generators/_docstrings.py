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
        :class:`~ecgaug.callbacks.Checkpoint`)."""
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
        Where the networks live."""
