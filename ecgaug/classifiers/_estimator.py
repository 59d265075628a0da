"""ResNetClassifier: the residual 1-D CNN as a scikit-learn / skorch classifier."""

from __future__ import annotations

import contextlib
import math
import threading
from collections.abc import Iterator
from numbers import Integral, Number, Real

import numpy as np
import torch
from imblearn.utils import Substitution
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import (
    Interval,
    Options,
    StrOptions,
    validate_parameter_constraints,
)
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data
from skorch import NeuralNetClassifier
from skorch.callbacks import (
    EarlyStopping,
    EpochScoring,
    EpochTimer,
    PassthroughScoring,
    PrintLog,
)
from skorch.dataset import ValidSplit, unpack_data
from skorch.utils import TeeGenerator, is_dataset

from ecgaug._threads import limit_threads
from ecgaug._utils import check_finite, resolve_device
from ecgaug.classifiers._resnet import ResNet1D, SeededDropout

__all__ = ["ResNetClassifier"]

_DEFAULT_PATIENCE = 5
_X_DOC = """X : array-like of shape (n_samples, n_leads * n_timesteps) or \
(n_samples, n_leads, n_timesteps)
            Beats."""


# Held while a block draws from torch's *global* RNG (building a module whose
# layers ecgaug does not know how to re-initialise, or training one with
# dropout layers that take no generator): those blocks fork, seed and restore
# the global RNG, and must not interleave across threads.
_GLOBAL_RNG_LOCK = threading.RLock()

# torch layers whose default initialisation ``_reset_parameters`` redraws
# from the estimator's own generator (all use ``_ConvNd``/``Linear``'s rule).
_KAIMING_LAYERS = (
    torch.nn.Linear,
    torch.nn.Conv1d,
    torch.nn.Conv2d,
    torch.nn.Conv3d,
    torch.nn.ConvTranspose1d,
    torch.nn.ConvTranspose2d,
    torch.nn.ConvTranspose3d,
)


def _generator(seed: int | None, device="cpu") -> torch.Generator:
    """A ``torch.Generator`` seeded with ``seed``, or from the OS when None."""
    gen = torch.Generator(device=device)
    if seed is None:
        gen.seed()
    else:
        gen.manual_seed(seed)
    return gen


def _child_seeds(seed: int | None, n: int) -> list[int | None]:
    """``n`` independent seeds derived from ``seed`` (all None when it is)."""
    if seed is None:
        return [None] * n
    return [int(s) for s in np.random.SeedSequence(seed).generate_state(n)]


def _unwrap(module):
    """The module inside a ``torch.compile`` wrapper (skorch's ``compile=True``)."""
    return getattr(module, "_orig_mod", module)


def _reset_parameters(module: torch.nn.Module, generator: torch.Generator) -> None:
    """Redraw torch's default initialisation of linear and conv layers.

    The same distributions as their ``reset_parameters``, drawn on the CPU
    from ``generator`` (so CPU and CUDA modules start from the same weights)
    instead of torch's global RNG. Other layers keep their initialisation.
    """
    for layer in module.modules():
        if not isinstance(layer, _KAIMING_LAYERS):
            continue
        weight, bias = layer.weight, layer.bias
        if isinstance(weight, torch.nn.parameter.UninitializedParameter):
            continue  # lazy layers are initialised on their first batch
        with torch.no_grad():
            draw = torch.empty(weight.shape)
            torch.nn.init.kaiming_uniform_(draw, a=math.sqrt(5), generator=generator)
            weight.copy_(draw)
            if bias is not None:
                fan_in, _ = torch.nn.init._calculate_fan_in_and_fan_out(draw)
                bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
                draw = torch.empty(bias.shape).uniform_(
                    -bound, bound, generator=generator
                )
                bias.copy_(draw)


def _global_rng_dropout(module: torch.nn.Module) -> list[str]:
    """Names of dropout layers that draw from torch's global RNG (p > 0)."""
    return [
        name
        for name, layer in module.named_modules()
        if isinstance(layer, torch.nn.modules.dropout._DropoutNd)
        and not isinstance(layer, SeededDropout)
        and layer.p > 0
    ]


def _label_kind(value) -> str:
    if isinstance(value, (str, bytes, np.str_, np.bytes_)):
        return "string"
    if isinstance(value, (Number, np.number, np.bool_)):
        return "number"
    return "other"


def _check_label_types(y, name: str = "y") -> None:
    """Raise a ``ValueError`` when ``y`` mixes string and numeric labels.

    numpy would turn ``[1, "a"]`` into ``["1", "a"]`` silently and an object
    array of both into an "unknown" label type; neither names the problem.
    """
    if y is None or isinstance(y, (str, bytes)):
        return
    dtype = getattr(y, "dtype", None)
    if dtype is not None and dtype.kind != "O":
        return
    try:
        values = y.tolist() if hasattr(y, "tolist") else list(y)
    except TypeError:
        return  # not a sequence: the usual checks will say what is wrong
    first: dict[str, object] = {}
    for value in values:
        first.setdefault(_label_kind(value), value)
    if "string" in first and "number" in first:
        raise ValueError(
            f"{name} mixes string and numeric labels (e.g. {first['string']!r} and "
            f"{first['number']!r}); give all labels one type, e.g. "
            f"np.asarray({name}).astype(str)."
        )


def _encoded_accuracy(net: ResNetClassifier, X, y) -> float:
    """Validation accuracy on the integer-encoded labels skorch trains on."""
    y_pred = net.predict_proba(X).argmax(axis=1)
    return float(np.mean(y_pred == np.asarray(y)))


class ResNetClassifier(NeuralNetClassifier):
    """Residual 1-D CNN heartbeat classifier with a scikit-learn interface.

    A :class:`skorch.NeuralNetClassifier` around :class:`ResNet1D` whose
    defaults work out of the box: ``X`` of shape ``(n_samples, n_leads *
    n_timesteps)`` (or ``(n_samples, n_leads, n_timesteps)``) of any float or
    int dtype, any label type (strings included) in ``y``, the number of classes
    and time steps read from the data, the device picked for you. Every knob of
    skorch stays reachable: ``module__n_blocks``, ``optimizer__weight_decay``,
    ``callbacks__early_stopping__patience``, ``iterator_train__num_workers``...

    Parameters
    ----------
    module : type or torch.nn.Module, default=ResNet1D
        The network. For a :class:`ResNet1D` subclass, ``n_classes`` and
        ``n_timesteps`` are taken from the data; set the rest with
        ``module__<field>`` (``module__n_blocks=1`` gives the paper's network).
    criterion : type, default=torch.nn.CrossEntropyLoss
        Loss on the module's logits.
    optimizer : type, default=torch.optim.Adam
        Optimizer, configured with ``optimizer__<name>``.
    lr : float, default=1e-3
        Learning rate (Kachuee et al. used Adam with 1e-3).
    max_epochs : int, default=20
        Passes over the training part of ``X``; at least 1.
    batch_size : int, default=128
        Mini-batch size for training and prediction; ``-1`` means all of ``X``.
    train_split : float, callable or None, default=0.1
        What is held out of ``X`` in ``fit`` for validation. A float ``f``:
        a random ``f`` fraction of the beats, stratified by class (plain random
        when a class has too few beats to stratify), drawn from
        ``random_state``; the net never trains on them and reports
        ``valid_loss`` and ``valid_acc`` on them each epoch. ``None``: train on
        all of ``X``, no validation. A callable: skorch semantics (e.g.
        ``skorch.dataset.ValidSplit(5)`` or ``predefined_split(ds)``).
    early_stopping : bool or int, default=False
        Stop when ``valid_loss`` has not improved for this many epochs
        (``True`` means 5) and restore the best epoch's weights. Needs
        ``train_split``.
    class_weight : "balanced", dict or None, default=None
        Weights of the classes in the loss: ``"balanced"`` weighs each class by
        ``n_samples / (n_classes * n_samples_of_class)``; a dict maps labels to
        weights (missing labels weigh 1).
    amp : bool or {"bf16", "fp16"}, default=False
        Automatic mixed precision, only on CUDA (ignored on the CPU): ``True``
        picks bfloat16 where the GPU supports it, else float16; float16 uses a
        gradient scaler. Loss and outputs stay float32.
    device : str or torch.device, default="auto"
        ``"auto"`` trains on CUDA when a GPU is visible, else on the CPU;
        ``"cpu"``, ``"cuda"``, ``"cuda:1"``... A device that is not there
        raises a ``ValueError`` in ``fit``.
    random_state : int, RandomState instance or None, default=None
        Seeds the weight initialisation, the shuffling, dropout and the
        validation split. Every one of these draws comes from generators that
        belong to this fit, never from torch's global RNG, so ``fit`` leaves
        the global RNG as it was and two fits running at once in threads of
        one process (joblib's threading backend, a Dask worker) give the same
        models as one after the other. The same integer on the same CPU gives
        the same predictions; on CUDA, kernels make it only approximately so.
        ``None``: unseeded. Two exceptions, for a custom ``module``: layers
        other than linear and convolutional ones are initialised from the
        global RNG (forked and seeded under a lock), and dropout layers other
        than :class:`~ecgaug.classifiers.ResNet1D`'s (``SeededDropout``) make
        ``fit`` seed the forked global RNG for the whole training, under that
        lock, so such fits run one at a time.
    verbose : int, default=0
        ``0`` is silent; ``1`` prints skorch's table of losses per epoch.
    classes : array-like or None, default=None
        All class labels, in the order of the ``predict_proba`` columns; by
        default the sorted labels of ``y``. Useful when a training fold lacks
        a class.
    **kwargs
        Any other :class:`skorch.NeuralNet` argument (``callbacks``,
        ``warm_start``, ``iterator_train__shuffle`` (default ``True``), ...)
        or a double-underscore parameter of a component. A ``warm_start`` refit
        continues the fitted network, so it needs the same classes and the
        same number of features as the first fit (else a ``ValueError``, as
        in :class:`sklearn.neural_network.MLPClassifier`).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels, as given in ``y``.
    n_features_in_ : int
        ``n_leads * n_timesteps`` seen in ``fit``.
    n_timesteps_ : int
        Time steps per lead seen in ``fit``.
    class_weight_ : ndarray of shape (n_classes,) or None
        The loss weights used, or None.
    device_ : str
        The device the module lives on.
    module_ : ResNet1D
        The fitted network; ``module_.embed`` gives penultimate features.
    history_ : skorch.History
        Per-epoch losses, accuracy and duration (``history_[:, "dur"]``).

    See Also
    --------
    ResNet1D : the network.
    FineTunedClassifier : pretrain this classifier on synthetic beats, then
        fine-tune it on real ones.

    References
    ----------
    .. [1] M. Kachuee, S. Fazeli and M. Sarrafzadeh, "ECG Heartbeat
       Classification: A Deep Transferable Representation", IEEE ICHI 2018.
    .. [2] M. Tietz, T. J. Fan, D. Nouri, B. Bossan and skorch Developers,
       "skorch: A scikit-learn compatible neural network library that wraps
       PyTorch", 2017.

    Examples
    --------
    >>> from ecgaug.classifiers import ResNetClassifier
    >>> from ecgaug.datasets import load_sample
    >>> beats = load_sample()
    >>> clf = ResNetClassifier(module__n_blocks=1, max_epochs=3, random_state=0)
    >>> clf.fit(beats.data, beats.target).predict(beats.data[:3]).shape
    (3,)
    """

    def __init__(
        self,
        module=ResNet1D,
        *,
        criterion=torch.nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr: float = 1e-3,
        max_epochs: int = 20,
        batch_size: int = 128,
        train_split=0.1,
        early_stopping: bool | int = False,
        class_weight=None,
        amp: bool | str = False,
        device="auto",
        random_state=None,
        verbose: int = 0,
        classes=None,
        **kwargs,
    ) -> None:
        super().__init__(
            module,
            criterion=criterion,
            optimizer=optimizer,
            lr=lr,
            max_epochs=max_epochs,
            batch_size=batch_size,
            train_split=train_split,
            classes=classes,
            device=device,
            verbose=verbose,
            **kwargs,
        )
        self.early_stopping = early_stopping
        self.class_weight = class_weight
        self.amp = amp
        self.random_state = random_state

    _parameter_constraints: dict = {
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [
            Interval(Integral, 1, None, closed="left"),
            Options(Integral, {-1}),
        ],
        "lr": [Interval(Real, 0, None, closed="left")],
        "train_split": [Interval(Real, 0, 1, closed="neither"), callable, None],
        "early_stopping": ["boolean", Interval(Integral, 1, None, closed="left")],
        "class_weight": [StrOptions({"balanced"}), dict, None],
        "amp": ["boolean", StrOptions({"bf16", "fp16"})],
        "random_state": ["random_state"],
    }

    @property
    def _default_callbacks(self):
        es = self.early_stopping  # validated in fit
        patience = _DEFAULT_PATIENCE if es is True or es is np.True_ else es
        callbacks = [
            ("epoch_timer", EpochTimer()),
            ("train_loss", PassthroughScoring(name="train_loss", on_train=True)),
            ("valid_loss", PassthroughScoring(name="valid_loss")),
            ("valid_acc", EpochScoring(_encoded_accuracy, False, name="valid_acc")),
        ]
        if isinstance(patience, Integral) and patience > 0:
            stop = EarlyStopping(patience=int(patience), load_best=True)
            callbacks.append(("early_stopping", stop))
        return [*callbacks, ("print_log", PrintLog())]

    def _check_params(self) -> None:
        params = {k: getattr(self, k) for k in self._parameter_constraints}
        validate_parameter_constraints(
            self._parameter_constraints, params, caller_name=type(self).__name__
        )
        if self.early_stopping and self.train_split is None:
            raise ValueError(
                "early_stopping needs held-out data to monitor but train_split=None;"
                " set train_split=0.1 (or another fraction) or early_stopping=False."
            )

    def get_iterator(self, dataset, training: bool = False):
        """Like skorch's, but training batches are shuffled by default.

        A :class:`torch.utils.data.DataLoader` gets a generator of its own
        (unless ``iterator_*__generator`` is set): in ``fit``, the one seeded
        from ``random_state``, so neither the shuffling nor the seed a loader
        gives its workers is drawn from torch's global RNG.
        """
        if training:
            kwargs = self.get_params_for("iterator_train")
            kwargs.setdefault("shuffle", True)
            iterator = self.iterator_train
        else:
            kwargs = self.get_params_for("iterator_valid")
            iterator = self.iterator_valid
        kwargs.setdefault("batch_size", self.batch_size)
        if kwargs["batch_size"] == -1:
            kwargs["batch_size"] = len(dataset)
        is_loader = isinstance(iterator, type) and issubclass(
            iterator, torch.utils.data.DataLoader
        )
        if is_loader and "generator" not in kwargs:
            gen = getattr(self, "_shuffle_generator_", None) if training else None
            kwargs["generator"] = _generator(0) if gen is None else gen
        return iterator(dataset, **kwargs)

    def get_split_datasets(self, X, y=None, **fit_params):
        """Hold out a stratified fraction when ``train_split`` is a float."""
        frac = self.train_split
        if not isinstance(frac, Real) or isinstance(frac, bool):
            return super().get_split_datasets(X, y, **fit_params)
        dataset = self.get_dataset(X, y)
        counts = np.bincount(np.asarray(y))
        counts = counts[counts > 0]
        n_valid = math.ceil(frac * len(y))
        stratified = (
            counts.min() >= 2
            and n_valid >= len(counts)
            and len(y) - n_valid >= len(counts)
        )
        split = ValidSplit(
            frac,
            stratified=bool(stratified),
            random_state=getattr(self, "_fit_seed_", None),
        )
        return split(dataset, y, **fit_params)

    # --- device, seeds, mixed precision ---
    @contextlib.contextmanager
    def _on_device(self, *, check: bool = True) -> Iterator[None]:
        """Let skorch see the concrete device while ``device="auto"``.

        Any other device is checked first (unless ``check=False``, for
        ``set_params``): ``"cuda"`` without a GPU or an unknown name raise a
        ``ValueError`` here, not deep inside torch.
        """
        requested = self.device
        if not (isinstance(requested, str) and requested == "auto"):
            if check and requested is not None:
                resolve_device(requested)
            with limit_threads():  # the CPUs this process may use
                yield
            return
        self.device = str(resolve_device("auto"))
        try:
            with limit_threads():
                yield
        finally:
            self.device = requested

    def _draw_seed(self) -> int | None:
        if self.random_state is None:
            return None
        return int(check_random_state(self.random_state).randint(0, 2**31 - 1))

    def _module_device(self) -> torch.device:
        params = list(_unwrap(self.module_).parameters())
        return params[0].device if params else torch.device("cpu")

    @contextlib.contextmanager
    def _global_rng_seeded(self, seed: int | None, *, cuda: bool) -> Iterator[None]:
        """Fork, seed and afterwards restore torch's global RNG, under a lock.

        Only for what cannot take a generator (see ``random_state``); the
        lock keeps two such blocks of two threads from interleaving.
        """
        device = self._module_device() if cuda else torch.device("cpu")
        cuda_devices = [device.index or 0] if device.type == "cuda" else []
        with _GLOBAL_RNG_LOCK, torch.random.fork_rng(devices=cuda_devices):
            if seed is not None:
                torch.default_generator.manual_seed(seed)
                if cuda_devices:
                    with torch.cuda.device(cuda_devices[0]):
                        torch.cuda.manual_seed(seed)
            yield

    @contextlib.contextmanager
    def _fit_rng(self, seed: int | None) -> Iterator[None]:
        """This fit's generators: shuffling, and the dropout masks."""
        shuffle_seed, dropout_seed = _child_seeds(seed, 2)
        module = _unwrap(self.module_)
        dropouts = [m for m in module.modules() if isinstance(m, SeededDropout)]
        device_gen = _generator(dropout_seed, self._module_device())
        self._shuffle_generator_ = _generator(shuffle_seed)
        for layer in dropouts:
            layer.generator = device_gen
        unseeded = seed is not None and _global_rng_dropout(module)
        try:
            if unseeded:
                with self._global_rng_seeded(dropout_seed, cuda=True):
                    yield
            else:
                yield
        finally:
            del self._shuffle_generator_
            for layer in dropouts:
                layer.generator = None

    def _amp_dtype(self) -> torch.dtype | None:
        if self.amp is False or self.device is None:
            return None
        if torch.device(self.device).type != "cuda":
            return None
        if self.amp == "bf16":
            return torch.bfloat16
        if self.amp == "fp16":
            return torch.float16
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16

    def infer(self, x, **fit_params):
        """Forward pass, under autocast when ``amp`` is on; float32 output."""
        dtype = self._amp_dtype()
        if dtype is None:
            return super().infer(x, **fit_params)
        with torch.autocast(device_type="cuda", dtype=dtype):
            y_pred = super().infer(x, **fit_params)
        return y_pred.float()

    def train_step_single(self, batch, **fit_params):
        """skorch's step, with a scaled backward pass under float16 AMP."""
        scaler = getattr(self, "grad_scaler_", None)
        if scaler is None:
            return super().train_step_single(batch, **fit_params)
        self._set_training(True)
        Xi, yi = unpack_data(batch)
        y_pred = self.infer(Xi, **fit_params)
        loss = self.get_loss(y_pred, yi, X=Xi, training=True)
        scaler.scale(loss).backward()
        return {"loss": loss, "y_pred": y_pred}

    def train_step(self, batch, **fit_params):
        """skorch's step; under float16 AMP the gradient scaler steps instead."""
        scaler = getattr(self, "grad_scaler_", None)
        if scaler is None:
            return super().train_step(batch, **fit_params)
        self._zero_grad_optimizer()
        step = self.train_step_single(batch, **fit_params)
        optimizers = [getattr(self, name + "_") for name in self._optimizers]
        for optimizer in optimizers:
            scaler.unscale_(optimizer)  # callbacks (clipping) see true gradients
        self.notify(
            "on_grad_computed",
            named_parameters=TeeGenerator(self.get_all_learnable_params()),
            batch=batch,
            training=True,
        )
        for optimizer in optimizers:
            scaler.step(optimizer)
        scaler.update()
        return step

    # --- components built from the data ---
    def _n_leads(self) -> int:
        kwargs = self.get_params_for("module")
        if "n_leads" in kwargs:
            return int(kwargs["n_leads"])
        if isinstance(self.module, ResNet1D):
            return self.module.config.n_leads
        return 1

    def _n_tabular(self) -> int:
        """Tabular columns at the end of each row of ``X`` (``module__n_tabular``)."""
        kwargs = self.get_params_for("module")
        if "n_tabular" in kwargs:
            return int(kwargs["n_tabular"])
        if isinstance(self.module, ResNet1D):
            return self.module.config.n_tabular
        return 0

    def initialize_module(self):
        """Build the module; a :class:`ResNet1D` gets its sizes from the data.

        Its linear and convolutional weights are drawn from a generator seeded
        by ``random_state``, not from torch's global RNG.
        """
        kwargs = self.get_params_for("module")
        from_data = {}
        if hasattr(self, "n_timesteps_"):
            from_data = {
                "n_classes": len(self.classes_),
                "n_timesteps": self.n_timesteps_,
            }
        if isinstance(self.module, type) and issubclass(self.module, ResNet1D):
            for key, value in from_data.items():
                if key in kwargs and kwargs[key] != value:
                    raise ValueError(
                        f"module__{key}={kwargs[key]} but the data has {value}; "
                        f"leave module__{key} unset, it is read from X and y."
                    )
                kwargs[key] = value
        seed = self._draw_seed()
        with self._global_rng_seeded(seed, cuda=False):
            module = self.initialized_instance(self.module, kwargs)
        if module is not self.module:  # a given, built module keeps its weights
            _reset_parameters(module, _generator(seed))
        if isinstance(module, ResNet1D):
            for key, value in from_data.items():
                if getattr(module.config, key) != value:
                    raise ValueError(
                        f"The module was built with {key}={getattr(module.config, key)}"
                        f" but the data has {value}."
                    )
        self.module_ = module
        return self

    def initialize_criterion(self):
        """Build the criterion, weighted by ``class_weight_`` when set."""
        kwargs = self.get_params_for("criterion")
        weight = getattr(self, "class_weight_", None)
        if weight is not None and "weight" not in kwargs:
            kwargs["weight"] = torch.as_tensor(weight, dtype=torch.float32)
        self.criterion_ = self.initialized_instance(self.criterion, kwargs)
        return self

    def initialize(self):
        """Initialise callbacks, module, criterion and optimizer (seeded)."""
        with self._on_device():
            super().initialize()
            self.device_ = str(self.device)
            self.grad_scaler_ = (
                torch.amp.GradScaler("cuda")
                if self._amp_dtype() == torch.float16
                else None
            )
        return self

    # --- input validation ---
    def _flatten_leads(self, X, *, fitted: bool):
        """Turn ``(n, n_leads, T)`` into ``(n, n_leads * T)``, checking shapes."""
        if not hasattr(X, "ndim"):
            array = np.asarray(X)
            if array.ndim != 3:
                return X
            X = array
        if X.ndim != 3:
            return X
        if self._n_tabular():
            raise ValueError(
                f"X has shape {tuple(X.shape)} but module__n_tabular="
                f"{self._n_tabular()}: pass 2-D X, each row the flattened leads "
                "followed by the tabular features."
            )
        n_leads = self._n_leads()
        if X.shape[1] != n_leads:
            raise ValueError(
                f"X has shape {tuple(X.shape)}, i.e. {X.shape[1]} leads, but "
                f"module__n_leads={n_leads}; pass (n_samples, {n_leads}, "
                f"n_timesteps) or set module__n_leads={X.shape[1]}."
            )
        if fitted and X.shape[2] != self.n_timesteps_:
            raise ValueError(
                f"X has {X.shape[2]} time steps per lead but this classifier was "
                f"fitted on {self.n_timesteps_}; resample or crop the beats."
            )
        return np.asarray(X).reshape(X.shape[0], -1)

    def _validate_fit_data(self, X, y, *, reset: bool, classes=None):
        _check_label_types(y)
        _check_label_types(self.classes if classes is None else classes, "classes")
        X = self._flatten_leads(X, fitted=not reset)
        X, y = validate_data(
            self,
            X,
            y,
            reset=reset,
            dtype=(np.float32, np.float64),
            ensure_all_finite=False,
        )
        check_finite(X, "X")
        check_classification_targets(y)
        if reset:
            n_leads, n_tab = self._n_leads(), self._n_tabular()
            n_wave = self.n_features_in_ - n_tab
            if n_wave < n_leads or n_wave % n_leads:
                raise ValueError(
                    f"X has {self.n_features_in_} features: minus the "
                    f"module__n_tabular={n_tab} tabular columns, {n_wave} is not a "
                    f"positive multiple of module__n_leads={n_leads}."
                )
            labels = self.classes if classes is None else classes
            labels = np.unique(y) if labels is None else np.asarray(labels)
            if len(labels) < 2:
                raise ValueError(
                    f"y has 1 class ({labels[0]!r}); a classifier needs at least 2 "
                    "classes."
                )
            self.n_timesteps_ = n_wave // n_leads
            self.classes_inferred_ = labels
            self._fitted_classes_ = np.asarray(self.classes_)  # what the head is for
        labels = self.classes_
        order = np.argsort(labels, kind="stable")
        pos = np.searchsorted(labels, y, sorter=order)
        pos = np.clip(pos, 0, len(labels) - 1)
        y_enc = order[pos]
        unknown = labels[y_enc] != y
        if unknown.any():
            raise ValueError(
                f"y contains labels not in classes_ {labels.tolist()}: "
                f"{sorted(set(np.asarray(y)[unknown].tolist()))}."
            )
        if reset:
            self.class_weight_ = self._class_weights(y_enc, labels)
        return _writable_float32(X), y_enc.astype(np.int64)

    def _class_weights(self, y_enc: np.ndarray, labels: np.ndarray):
        cw = self.class_weight
        if cw is None:
            return None
        n_classes = len(labels)
        if isinstance(cw, dict):
            unknown = set(cw) - set(labels.tolist())
            if unknown:
                raise ValueError(
                    f"class_weight has labels not in the data: {sorted(unknown)}."
                )
            return np.array([float(cw.get(c, 1.0)) for c in labels.tolist()])
        counts = np.bincount(y_enc, minlength=n_classes)
        return len(y_enc) / (n_classes * np.maximum(counts, 1))

    def _validate_predict_data(self, X) -> np.ndarray:
        check_is_fitted(self, "n_features_in_")
        X = self._flatten_leads(X, fitted=True)
        shape = getattr(X, "shape", None)
        if shape is not None and len(shape) == 2 and shape[1] != self.n_features_in_:
            n_tab = self._n_tabular()
            n_leads = (self.n_features_in_ - n_tab) // self.n_timesteps_
            raise ValueError(
                f"X has {shape[1]} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input ({n_leads} lead(s) of "
                f"{self.n_timesteps_} time steps, then {n_tab} tabular features); "
                f"got {(shape[1] - n_tab) / n_leads:g} time steps per lead."
            )
        X = validate_data(
            self,
            X,
            reset=False,
            dtype=(np.float32, np.float64),
            ensure_all_finite=False,
        )
        check_finite(X, "X")
        return _writable_float32(X)

    def _get_param_names(self):
        # skorch lists every public-looking attribute, including its private
        # bookkeeping set ``_params_to_validate``, which is not a parameter.
        return [k for k in super()._get_param_names() if k != "_params_to_validate"]

    def check_data(self, X, y):
        """No-op: ``fit`` validates and encodes ``X`` and ``y`` before skorch."""

    # --- public API ---
    # Set by ``_validate_fit_data(reset=True)``; a failed warm-start refit
    # puts them back so that the fitted network stays usable.
    _DATA_ATTRIBUTES = (
        "n_features_in_",
        "feature_names_in_",
        "n_timesteps_",
        "classes_inferred_",
        "class_weight_",
        "_fitted_classes_",
    )

    def _check_warm_start(self, previous: dict, classes) -> None:
        """A warm-start refit continues the network: same classes and width."""
        n_old, n_new = previous["n_features_in_"], self.n_features_in_
        if n_old != n_new:
            raise ValueError(
                f"warm_start=True continues the network fitted on {n_old} features "
                f"per beat, but X has {n_new}; set warm_start=False to train a "
                "new network."
            )
        old, new = np.asarray(classes).tolist(), self.classes_.tolist()
        if len(old) != len(new) or any(a != b for a, b in zip(old, new)):
            raise ValueError(
                f"warm_start=True continues the network fitted on classes {old}, "
                f"but y has classes {new}; set warm_start=False to train a new "
                "network (or pass classes=<all labels> to both fits)."
            )

    def _train(self, X, y, *, reset: bool, init: bool, classes=None, **fit_params):
        self._check_params()
        warm = reset and not init and hasattr(self, "n_features_in_")
        previous = {
            k: getattr(self, k) for k in self._DATA_ATTRIBUTES if hasattr(self, k)
        }
        old_classes = getattr(self, "_fitted_classes_", None) if warm else None
        if warm and old_classes is None:  # fitted before this attribute existed
            old_classes = self.classes_
        with self._on_device():
            try:
                X, y = self._validate_fit_data(X, y, reset=reset, classes=classes)
                if warm:
                    self._check_warm_start(previous, old_classes)
            except (TypeError, ValueError):
                if warm:
                    for key in self._DATA_ATTRIBUTES:
                        self.__dict__.pop(key, None)
                    self.__dict__.update(previous)
                raise
            self._fit_seed_ = self._draw_seed()
            if init:
                self.initialize()
            with self._fit_rng(self._fit_seed_):
                NeuralNetClassifier.partial_fit(self, X, y, **fit_params)
        return self

    @Substitution(X=_X_DOC)
    def fit(self, X, y, **fit_params):
        """Initialise (unless ``warm_start``) and train on ``(X, y)``.

        Parameters
        ----------
        {X}
        y : array-like of shape (n_samples,)
            Class labels of any type, at least two distinct ones.
        **fit_params : dict
            Passed to skorch (the module's ``forward`` and ``train_split``).

        Returns
        -------
        self : ResNetClassifier
            The fitted classifier.
        """
        init = not self.warm_start or not self.initialized_
        fit_params["_routing_method"] = "fit"
        return self._train(X, y, reset=True, init=init, **fit_params)

    @Substitution(X=_X_DOC)
    def partial_fit(self, X, y=None, classes=None, **fit_params):
        """Train for ``max_epochs`` more epochs without re-initialising.

        Parameters
        ----------
        {X}
        y : array-like of shape (n_samples,)
            Class labels, all among ``classes_`` after the first call.
        classes : array-like or None, default=None
            All labels, used on the first call only (as ``classes``).
        **fit_params : dict
            Passed to skorch.

        Returns
        -------
        self : ResNetClassifier
            The updated classifier.
        """
        first = not self.initialized_ or not hasattr(self, "n_features_in_")
        return self._train(X, y, reset=first, init=first, classes=classes, **fit_params)

    def forward_iter(self, X, training: bool = False, device: str = "cpu"):
        """skorch's batched forward pass, on the resolved device."""
        with self._on_device():
            yield from super().forward_iter(X, training=training, device=device)

    @Substitution(X=_X_DOC)
    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities.

        Parameters
        ----------
        {X}

        Returns
        -------
        ndarray of shape (n_samples, n_classes), float32
            Probabilities, columns in the order of ``classes_``.
        """
        if not is_dataset(X):
            X = self._validate_predict_data(X)
        return super().predict_proba(X)

    @Substitution(X=_X_DOC)
    def predict(self, X) -> np.ndarray:
        """Most probable class of each beat.

        Parameters
        ----------
        {X}

        Returns
        -------
        ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        proba = self.predict_proba(X)  # checks that the net is fitted first
        return self.classes_[proba.argmax(axis=1)]

    @Substitution(X=_X_DOC)
    def embed(self, X) -> np.ndarray:
        """Penultimate features of the fitted network (``module_.embed``).

        Parameters
        ----------
        {X}

        Returns
        -------
        ndarray of shape (n_samples, n_dense), float32
            Features, e.g. for Fréchet distances between real and synthetic
            beats.
        """
        X = self._validate_predict_data(X)
        self.module_.eval()
        out = []
        with self._on_device(), torch.no_grad():
            for batch in self.get_iterator(self.get_dataset(X), training=False):
                Xi, _ = unpack_data(batch)
                xi = torch.as_tensor(Xi).to(self.device)
                out.append(self.module_.embed(xi).float().cpu())
        return torch.cat(out).numpy()

    def set_params(self, **kwargs):
        """Set parameters; ``module__...`` on a fitted net re-initialises it.

        Parameters
        ----------
        **kwargs : dict
            Parameter names (with double underscores for components) and values.

        Returns
        -------
        self : ResNetClassifier
            The estimator.
        """
        if "device" in kwargs:
            super().set_params(device=kwargs.pop("device"))
        previous = self.callbacks
        if "callbacks" in kwargs:
            # skorch re-initialises the callbacks *before* storing the new list:
            # a bad list would only fail at the next call, and then at every one.
            self.callbacks = kwargs["callbacks"]
        try:
            with self._on_device(check=False):
                super().set_params(**kwargs)
        except (TypeError, ValueError):
            self.callbacks = previous
            raise
        return self

    def load_params(self, *args, **kwargs):
        """skorch's ``load_params`` (``weights_only`` loading), on the device."""
        with self._on_device():
            return super().load_params(*args, **kwargs)

    def __setstate__(self, state):
        requested = state.get("device")
        if isinstance(requested, str) and requested == "auto":
            state["device"] = str(resolve_device("auto"))
        super().__setstate__(state)
        if isinstance(requested, str) and requested == "auto":
            self.device = requested


def _writable_float32(X: np.ndarray) -> np.ndarray:
    """``X`` as float32, copied only when it is another dtype or read-only.

    torch cannot wrap a read-only array (a memory-mapped cache, a broadcast
    view) without warning that writes would be undefined.
    """
    return np.require(X, dtype=np.float32, requirements=["W"])
