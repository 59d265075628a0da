"""DiffusionSampler: class-conditional DiffWave as an imbalanced-learn sampler."""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
import torch
from imblearn.utils import Substitution
from sklearn.utils._param_validation import (
    Interval,
    StrOptions,
    validate_parameter_constraints,
)

from ecgaug._utils import init_parameters_
from ecgaug.base import BaseGenerativeSampler, _plain

from .._docstrings import _base_attributes_docstring, _base_params_docstring
from .._nn.layers import EMASchedule, make_ema
from .network import DiffWave, DiffWaveConfig
from .presets import PRESETS
from .process import GaussianDiffusion, make_beta_schedule
from .samplers import SAMPLERS, make_schedule, run_sampler

__all__ = ["DiffusionSampler"]

_ARCHITECTURE = (
    "residual_channels",
    "n_layers",
    "dilation_cycle",
    "patch_size",
    "class_embed_dim",
    "n_class_tokens",
    "n_heads",
    "head_dim",
    "attention_every",
)
# Read at sampling time, so that set_params changes them without refitting.
_SAMPLING = ("sampler", "n_sampling_steps", "guidance_scale", "cpu_bf16")


@Substitution(
    base_params=_base_params_docstring, base_attributes=_base_attributes_docstring
)
class DiffusionSampler(BaseGenerativeSampler):
    """Class-conditional DiffWave diffusion model as an over-sampler.

    The ecgaug paper's diffusion generator, the one it found best at covering
    the data distribution: a DiffWave noise-prediction network (Kong et al.
    2021) on single beats, conditioned on the class by an embedding added to
    the network and a cross-attention to learned class tokens, trained with
    the DDPM objective (Ho et al. 2020). Beyond the paper: classifier-free
    guidance (Ho & Salimans 2021), an exponential moving average of the
    weights for sampling, and three samplers that trade speed for fidelity.

    ==========================  ===============================================
    Notation                    Meaning (paper preset / cpu preset)
    ==========================  ===============================================
    ``n``                       training diffusion steps (50 / 50)
    ``beta_t``, ``abar_t``      noise schedule, ``abar_t = prod (1 - beta_s)``
                                (linear 1e-4 ... 0.05 / linear 1e-4 ... 0.2)
    target                      what the network predicts (``eps`` / ``x_0``)
    ``C``, ``N``                residual channels and layers (64, 30 / 32, 10)
    ``P``                       time steps per network position (1 / 3)
    cross-attention layers      ``N / attention_every`` (1 / 2)
    ``K``, ``H``                class tokens and attention heads (4, 2 / 4, 2)
    sampler, ``S``              reverse process and network evaluations per
                                beat (ancestral DDPM, 50 / DDIM, 10)
    ``w``                       guidance scale: ``eps = eps_0 + w (eps_y -
                                eps_0)``; 1 is the plain conditional model
    ==========================  ===============================================

    The ``"paper"`` preset is DiffWave's base model (Kong et al.; 2.4 M
    parameters here) trained as DiffWave was, a GPU job. The ``"cpu"``
    preset is sized for two CPU cores: on the 87.5 k-beat MIT-BIH training
    split an epoch takes about 90 s, and DDIM with 10 steps samples
    over a thousand beats per second with the TSTR accuracy of 50 ancestral
    steps (see ``benchmarks/diffusion_sampler.py``); ``guidance_scale=2`` to
    ``3`` sharpens the classes at twice the sampling cost.

    Network, process and sampler are separate objects: ``process_`` (a
    ``GaussianDiffusion``: schedule, ``q(x_t | x_0)``, loss) owns the network
    ``process_.network`` (a ``DiffWave``); the reverse process is chosen at
    sampling time by ``sampler`` and ``n_sampling_steps``, which, with
    ``guidance_scale``, can be changed with ``set_params`` after ``fit``
    without refitting (e.g. in a grid search over speed and fidelity).

    Parameters
    ----------
    {base_params}
    residual_channels : int, default=None
        Channels ``C`` of the residual stack.
    n_layers : int, default=None
        Residual layers ``N``.
    dilation_cycle : int, default=None
        Dilations are ``2 ** (i mod cycle)``; the cycle is capped at
        ``1 + floor(log2(S - 1))`` for ``S`` positions (8 on 187-step beats),
        beyond which the taps would read only padding.
    patch_size : int, default=None
        Time steps per network position ``P``: the residual stack runs on
        ``ceil(T / P)`` positions of ``P * n_leads`` values (1: DiffWave).
    class_embed_dim : int, default=None
        Size of a class token.
    n_class_tokens : int, default=None
        Learned tokens per class that the cross-attention attends to.
    n_heads, head_dim : int, default=None
        Attention heads and their size.
    attention_every : int, default=None
        A cross-attention in every this-many-th residual layer (1: all).
    n_diffusion_steps : int, default=None
        Training diffusion steps ``n``.
    noise_schedule : {{"linear", "cosine"}}, default=None
        Shape of ``beta_t`` (see ``make_beta_schedule``).
    beta_start, beta_end : float, default=None
        First and last ``beta`` of the linear schedule; the cosine schedule
        uses them as bounds.
    p_uncond : float, default=None
        Probability of training on the null class instead of the true one
        (classifier-free guidance; 0 disables guidance).
    prediction : {{"eps", "v", "x0"}}, default=None
        What the network predicts: the noise (DDPM, DiffWave), the velocity
        ``sqrt(abar) eps - sqrt(1 - abar) x_0``, or the clean beat (with a
        skip connection from ``x_t``, Karras et al. 2022), which learns
        class-specific beats in the fewest steps.
    lr : float, default=None
        Adam learning rate.
    grad_clip : float, default=None
        Maximum gradient norm.
    ema_kimg : float, default=None
        Half-life of the weight average used for sampling, in thousands of
        beats.
    ema_warmup : float, default=None
        Ramp-up of that half-life: ``min(ema_kimg * 1000, ema_warmup * beats
        seen)``; 0 disables it.
    sampler : {{"ddpm", "fast", "ddim"}}, default=None
        Reverse process: ancestral DDPM (the paper's), DiffWave's fast
        few-step schedule, or deterministic DDIM.
    n_sampling_steps : int, default=None
        Network evaluations per beat, at most ``n_diffusion_steps``. With
        ``"ddpm"``, fewer than ``n_diffusion_steps`` respaces the chain.
    guidance_scale : float or dict, default=None
        ``w >= 0``: 1 samples the conditional model (one network pass per
        step), 0 the unconditional one, ``w > 1`` sharpens the classes
        (conditional and unconditional passes batched together). A dict
        ``{{class label: w}}`` sets it per class (e.g. ``{{1: 3.0, 3: 2.0}}``
        to sharpen two minority classes); classes it leaves out get the
        preset's value.
    sample_batch_size : int, default=None
        Beats generated per forward pass by :meth:`sample`.
    cpu_bf16 : bool, default=None
        Sample on a CPU with the network's state, convolutions and 1x1
        products in bfloat16 (its gate and output stay float32); both presets
        leave it off. On CPUs with
        AMX or AVX-512 BF16 this is faster (measured on a 2-core Xeon with
        AMX: 1.3x at the ``"cpu"`` preset, 2.1x at DiffWave's size; see
        ``benchmarks/results/diffusion_sampler.md``); elsewhere it can be
        slower. The beats differ from float32 ones at bfloat16's precision.
        Can be changed after ``fit``; training and CUDA (which samples
        under bfloat16 autocast) ignore it.

    Attributes
    ----------
    process_ : GaussianDiffusion
        The diffusion process; ``process_.network`` is the trained network.
    ema_ : torch.optim.swa_utils.AveragedModel
        The moving average of ``process_.network`` that :meth:`sample` uses.
    optimizer_ : torch.optim.Adam
        The optimiser.
    history_ : list of dict
        Mean ``loss`` per epoch, ``loss_by_class`` (``{{class: loss}}``, the
        denoising loss of each class's beats), with ``epoch`` and ``time``.
    {base_attributes}

    See Also
    --------
    TTSCGANSampler : The transformer conditional GAN.
    imblearn.over_sampling.SMOTE : Interpolation-based over-sampling.

    References
    ----------
    .. [1] Z. Kong, W. Ping, J. Huang, K. Zhao and B. Catanzaro, "DiffWave: A
       Versatile Diffusion Model for Audio Synthesis", ICLR 2021.
       Code: https://github.com/lmnt-com/diffwave
    .. [2] J. Ho, A. Jain and P. Abbeel, "Denoising Diffusion Probabilistic
       Models", NeurIPS 2020.
    .. [3] J. Song, C. Meng and S. Ermon, "Denoising Diffusion Implicit
       Models", ICLR 2021.
    .. [4] J. Ho and T. Salimans, "Classifier-Free Diffusion Guidance",
       arXiv:2207.12598, 2022.
    .. [5] J. F. Núñez, J. Arjona, A. Tormos, D. García and J. Béjar,
       "Applying Generative Models and Transfer Learning to Physiological
       Data Classification", 2023.

    Examples
    --------
    >>> from ecgaug.datasets import load_sample
    >>> from ecgaug.generators import DiffusionSampler
    >>> X, y = load_sample(return_X_y=True)
    >>> sampler = DiffusionSampler(n_epochs=1, random_state=0).fit(X, y)
    >>> X_new, y_new = sampler.sample(10, y=2)
    >>> X_new.shape
    (10, 187)
    >>> X_ddim, _ = sampler.set_params(sampler="ddim", n_sampling_steps=10).sample(10)
    """

    _presets: ClassVar[dict[str, dict[str, Any]]] = PRESETS
    _module_names: ClassVar[tuple[str, ...]] = ("process_", "ema_")
    _warm_start_settings: ClassVar[frozenset[str]] = (
        BaseGenerativeSampler._warm_start_settings
        | {"lr", "grad_clip", "p_uncond", *_SAMPLING}
    )

    _parameter_constraints: ClassVar[dict] = {
        **BaseGenerativeSampler._parameter_constraints,
        **{
            k: [Interval(Integral, 1, None, closed="left"), None]
            for k in (*_ARCHITECTURE, "n_diffusion_steps", "sample_batch_size")
        },
        "noise_schedule": [StrOptions({"linear", "cosine"}), None],
        "beta_start": [Interval(Real, 0, 1, closed="neither"), None],
        "beta_end": [Interval(Real, 0, 1, closed="neither"), None],
        "p_uncond": [Interval(Real, 0, 1, closed="left"), None],
        "prediction": [StrOptions({"eps", "v", "x0"}), None],
        "lr": [Interval(Real, 0, None, closed="neither"), None],
        "grad_clip": [Interval(Real, 0, None, closed="neither"), None],
        "ema_kimg": [Interval(Real, 0, None, closed="neither"), None],
        "ema_warmup": [Interval(Real, 0, None, closed="left"), None],
        "sampler": [StrOptions(set(SAMPLERS)), None],
        "n_sampling_steps": [Interval(Integral, 1, None, closed="left"), None],
        "guidance_scale": [Interval(Real, 0, None, closed="left"), dict, None],
        "cpu_bf16": ["boolean", None],
    }

    def __init__(
        self,
        *,
        sampling_strategy="auto",
        preset="cpu",
        n_epochs=None,
        batch_size=None,
        n_leads=1,
        device="auto",
        warm_start=False,
        random_state=None,
        verbose=0,
        callbacks=None,
        batch_class_power=0.5,
        filter_threshold=None,
        judge="auto",
        filter_max_tries=20,
        residual_channels=None,
        n_layers=None,
        dilation_cycle=None,
        patch_size=None,
        class_embed_dim=None,
        n_class_tokens=None,
        n_heads=None,
        head_dim=None,
        attention_every=None,
        n_diffusion_steps=None,
        noise_schedule=None,
        beta_start=None,
        beta_end=None,
        p_uncond=None,
        prediction=None,
        lr=None,
        grad_clip=None,
        ema_kimg=None,
        ema_warmup=None,
        sampler=None,
        n_sampling_steps=None,
        guidance_scale=None,
        sample_batch_size=None,
        cpu_bf16=None,
    ):
        super().__init__(sampling_strategy=sampling_strategy)
        self.preset = preset
        self.n_epochs = n_epochs
        self.batch_size = batch_size
        self.n_leads = n_leads
        self.device = device
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks
        self.batch_class_power = batch_class_power
        self.filter_threshold = filter_threshold
        self.judge = judge
        self.filter_max_tries = filter_max_tries
        self.residual_channels = residual_channels
        self.n_layers = n_layers
        self.dilation_cycle = dilation_cycle
        self.patch_size = patch_size
        self.class_embed_dim = class_embed_dim
        self.n_class_tokens = n_class_tokens
        self.n_heads = n_heads
        self.head_dim = head_dim
        self.attention_every = attention_every
        self.n_diffusion_steps = n_diffusion_steps
        self.noise_schedule = noise_schedule
        self.beta_start = beta_start
        self.beta_end = beta_end
        self.p_uncond = p_uncond
        self.prediction = prediction
        self.lr = lr
        self.grad_clip = grad_clip
        self.ema_kimg = ema_kimg
        self.ema_warmup = ema_warmup
        self.sampler = sampler
        self.n_sampling_steps = n_sampling_steps
        self.guidance_scale = guidance_scale
        self.sample_batch_size = sample_batch_size
        self.cpu_bf16 = cpu_bf16

    # ------------------------------------------------------------ hooks
    def _build(self, config: dict[str, Any], n_timesteps: int, n_classes: int) -> None:
        network = init_parameters_(
            DiffWave(
                DiffWaveConfig(
                    n_timesteps=n_timesteps,
                    n_classes=n_classes,
                    n_leads=self.n_leads,
                    **{k: int(config[k]) for k in _ARCHITECTURE},
                )
            )
        )
        betas = make_beta_schedule(
            config["noise_schedule"],
            int(config["n_diffusion_steps"]),
            float(config["beta_start"]),
            float(config["beta_end"]),
        )
        self.process_ = GaussianDiffusion(
            network, betas, config["p_uncond"], config["prediction"]
        ).to(self.device_)
        self._sampling_settings()  # n_sampling_steps <= n_diffusion_steps
        self.ema_ = make_ema(
            self.process_.network,
            EMASchedule(
                half_life=1000.0 * config["ema_kimg"],
                warmup=config["ema_warmup"],
                batch_size=config["batch_size"],
            ),
        )
        self.optimizer_ = torch.optim.Adam(
            self.process_.network.parameters(), lr=config["lr"]
        )

    def _apply_settings(self, config: dict[str, Any]) -> None:
        for group in self.optimizer_.param_groups:
            group["lr"] = float(config["lr"])
        self.process_.p_uncond = float(config["p_uncond"])
        self.ema_.multi_avg_fn.batch_size = int(config["batch_size"])

    def _train_step(self, x: torch.Tensor, y: torch.Tensor) -> dict[str, float]:
        network = self.process_.network
        with self._autocast():
            per_beat = self.process_.loss(x, y, reduction="none")  # (B,)
        loss = per_beat.mean()
        self.optimizer_.zero_grad(set_to_none=True)
        self._backward(loss, network)
        torch.nn.utils.clip_grad_norm_(network.parameters(), self.config_["grad_clip"])
        self.optimizer_.step()
        self.ema_.update_parameters(network)
        return {"loss": float(loss.detach()), "per_sample": (y, per_beat.detach())}

    def _generate(self, y: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        sampler, n_steps, w_by_class, cpu_bf16 = self._sampling_settings()
        schedule = make_schedule(sampler, self.process_.alphas_cumprod64, n_steps)
        network = self.ema_.module
        B, L, T = len(y), self.n_leads, self.n_timesteps_
        # One seed per beat, then each beat's draws: a beat does not depend on
        # the batch it is generated in.
        seeds = torch.randint(0, 2**62, (B,), generator=generator)
        noise = torch.empty(B, schedule.n_noise, L, T)  # (B, n_noise, L, T)
        beat_gen = torch.Generator()
        for b, seed in enumerate(seeds.tolist()):
            beat_gen.manual_seed(seed)
            torch.randn(schedule.n_noise, L, T, generator=beat_gen, out=noise[b])
        noise = noise.to(self.device_)
        null = torch.full_like(y, network.null_class)
        to_eps = self.process_.eps_from_output
        bf16 = cpu_bf16 and self.device_.type == "cpu"
        w = torch.from_numpy(w_by_class).to(self.device_)[y]  # (B,)
        if bool((w == 1.0).all()) or bool((w == 0.0).all()):
            context = network.context(y if bool(w[0] == 1.0) else null)

            def denoise(x: torch.Tensor, tau: float, abar: float) -> torch.Tensor:
                out = network(x, _step(tau, x), context=context, bf16=bf16)
                return to_eps(x, out, abar)  # (B, L, T)

        else:
            context = network.context(torch.cat([y, null]))  # conditional, null
            w = w.float()[:, None, None]  # (B, 1, 1)

            def denoise(x: torch.Tensor, tau: float, abar: float) -> torch.Tensor:
                x2 = torch.cat([x, x])
                out = network(x2, _step(tau, x), context=context, bf16=bf16)
                eps_y, eps_0 = to_eps(x2, out, abar).chunk(2)
                return eps_0 + w * (eps_y - eps_0)  # (B, L, T)

        return run_sampler(denoise, schedule, noise)  # (B, L, T)

    # ---------------------------------------------------------- helpers
    def _sampling_settings(self) -> tuple[str, int, np.ndarray, bool]:
        """The sampling knobs as set now (preset as fallback), validated.

        The guidance scale comes back per encoded class, shape ``(K,)``.
        """
        preset = self._presets[self.preset]
        values = {
            k: preset[k] if getattr(self, k) is None else getattr(self, k)
            for k in _SAMPLING
        }
        validate_parameter_constraints(
            {k: self._parameter_constraints[k] for k in _SAMPLING},
            values,
            caller_name=type(self).__name__,
        )
        n_train = int(self.config_["n_diffusion_steps"])
        if values["n_sampling_steps"] > n_train:
            raise ValueError(
                f"n_sampling_steps={values['n_sampling_steps']} is larger than "
                f"the {n_train} diffusion steps this sampler is trained with "
                "(n_diffusion_steps); lower n_sampling_steps or raise "
                "n_diffusion_steps."
            )
        w = self._guidance_by_class(values["guidance_scale"], preset)
        if np.any(w != 1.0) and self.config_["p_uncond"] == 0:
            raise ValueError(
                f"guidance_scale={values['guidance_scale']} needs the unconditional "
                "model, which is not trained when p_uncond=0; use guidance_scale=1 "
                "or refit with p_uncond > 0."
            )
        return (
            values["sampler"],
            int(values["n_sampling_steps"]),
            w,
            bool(values["cpu_bf16"]),
        )

    def _guidance_by_class(self, scale, preset: dict[str, Any]) -> np.ndarray:
        """``guidance_scale`` (a number or ``{class: w}``) as ``(K,)`` floats."""
        n_classes = len(self.classes_)
        if not isinstance(scale, dict):
            return np.full(n_classes, float(scale))
        known = self.classes_.tolist()
        unknown = [k for k in scale if _plain(k) not in known]
        if unknown:
            raise ValueError(
                f"guidance_scale has class(es) {unknown} that this sampler was "
                f"not fitted on; its classes are {known}."
            )
        bad = {
            k: v
            for k, v in scale.items()
            if not isinstance(v, Real) or isinstance(v, bool) or not v >= 0
        }
        if bad:
            raise ValueError(f"guidance_scale values must be numbers >= 0; got {bad}.")
        w = np.full(n_classes, float(preset["guidance_scale"]))
        for k, v in scale.items():
            w[known.index(_plain(k))] = float(v)
        return w


def _step(tau: float, x: torch.Tensor) -> torch.Tensor:
    """The diffusion step ``tau`` as a (1,) tensor on ``x``'s device."""
    return torch.full((1,), tau, device=x.device)
