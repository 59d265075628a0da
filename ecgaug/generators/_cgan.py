"""The paper's 1-D convolutional conditional GAN with a PatchGAN discriminator."""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from imblearn.utils import Substitution
from sklearn.utils._param_validation import Interval
from torch import nn

from ecgaug._utils import init_parameters_

from ._docstrings import _base_attributes_docstring, _base_params_docstring
from ._gan import BaseConditionalGAN
from ._nn.layers import EMASchedule, LabelConditionedLatent, SNConv1d, make_ema

__all__ = ["CGANSampler", "ConvGenerator", "PatchDiscriminator"]


class ConvGenerator(nn.Module):
    """1-D convolutional generator: ``(z, y) -> (B, n_leads, T)`` in ``[-1, 1]``.

    ``[z, embed(y)]`` is projected to ``C_0`` channels over ``L_0 =
    ceil(T / 2**n_up)`` steps; ``n_up`` stages of nearest-neighbour
    upsampling x2, convolution, batch norm and LeakyReLU halve the channels
    while doubling the length; a last convolution maps to the leads, ``tanh``
    bounds them, and the ``L_0 * 2**n_up >= T`` steps are cropped to ``T``.
    """

    def __init__(
        self,
        *,
        n_timesteps: int,
        n_leads: int,
        n_classes: int,
        latent_dim: int,
        label_embed_dim: int,
        width: int,
        n_up: int,
        kernel_size: int,
    ):
        super().__init__()
        self.n_timesteps = n_timesteps
        self.length0 = math.ceil(n_timesteps / 2**n_up)
        self.channels0 = width * 2**n_up
        self.latent = LabelConditionedLatent(n_classes, label_embed_dim)
        self.project = nn.Linear(
            latent_dim + label_embed_dim, self.channels0 * self.length0
        )
        pad = kernel_size // 2
        layers: list[nn.Module] = [nn.BatchNorm1d(self.channels0), nn.LeakyReLU(0.2)]
        for i in range(n_up):
            c_in, c_out = width * 2 ** (n_up - i), width * 2 ** (n_up - i - 1)
            layers += [
                nn.Upsample(scale_factor=2, mode="nearest"),
                nn.Conv1d(c_in, c_out, kernel_size, padding=pad, bias=False),
                nn.BatchNorm1d(c_out),
                nn.LeakyReLU(0.2),
            ]
        layers += [nn.Conv1d(width, n_leads, kernel_size, padding=pad), nn.Tanh()]
        self.body = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        h = self.project(self.latent(z, y))  # (B, C_0 * L_0)
        h = h.view(len(z), self.channels0, self.length0)  # (B, C_0, L_0)
        x = self.body(h)  # (B, C, L_0 * 2**n_up)
        return x[..., : self.n_timesteps]  # (B, C, T)


class PatchDiscriminator(nn.Module):
    """PatchGAN discriminator with an auxiliary classifier.

    ``n_layers`` spectrally normalised stride-2 convolutions (``width * 2**i``
    channels, LeakyReLU) give features ``(B, C_L, T_L)``, ``T_L =
    ceil(T / 2**n_layers)``. A spectrally normalised convolution maps them to
    one realness score per patch, ``(B, T_L)``: each judges the part of the beat
    in its receptive field rather than the whole beat at once (Isola et al.
    2017). Given the labels ``y``, each patch score also gets the projection
    term ``<embed(y), h_p>`` (Miyato and Koyama 2018), so that realness is
    judged per class; without ``y`` the score is unconditional. The flattened
    features feed a linear class head ``(B, K)`` (AC-GAN, Odena et al. 2017);
    flattening keeps where in the beat a feature lies,
    which time-averaging would lose (a class head on averaged features
    learned the classes several times slower in our tests).
    """

    def __init__(
        self,
        *,
        n_timesteps: int,
        n_leads: int,
        n_classes: int,
        width: int,
        n_layers: int,
        kernel_size: int,
    ):
        super().__init__()
        pad = kernel_size // 2
        layers: list[nn.Module] = []
        c_in = n_leads
        for i in range(n_layers):
            c_out = width * 2**i
            layers += [
                SNConv1d(c_in, c_out, kernel_size, stride=2, padding=pad),
                nn.LeakyReLU(0.2),
            ]
            c_in = c_out
        self.features = nn.Sequential(*layers)
        self.patch_head = SNConv1d(c_in, 1, 3, padding=1)
        n_patches = n_timesteps
        for _ in range(n_layers):
            n_patches = (n_patches + 2 * pad - kernel_size) // 2 + 1
        self.cls_head = nn.Linear(c_in * n_patches, n_classes)
        self.projection = nn.Embedding(n_classes, c_in)

    def forward(
        self, x: torch.Tensor, y: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.features(x)  # (B, C_L, T_L)
        patches = self.patch_head(h).squeeze(1)  # (B, T_L)
        if y is not None:
            # class-conditional realness: + <embed(y), h_p> at every patch p
            patches = patches + torch.einsum("bc,bct->bt", self.projection(y), h)
        return patches, self.cls_head(h.flatten(1))  # (B, T_L), (B, K)


@Substitution(
    base_params=_base_params_docstring, base_attributes=_base_attributes_docstring
)
class CGANSampler(BaseConditionalGAN):
    """1-D convolutional conditional GAN with a PatchGAN discriminator (AC-GAN).

    The ecgaug paper's convolutional GAN, in the spirit of TSA-GAN [1]_: the
    class label is mixed with the latent noise in the generator, and the
    discriminator scores every part of the beat (PatchGAN [2]_) and predicts
    its class (auxiliary classifier, AC-GAN [3]_). One model of all classes.

    ======================  =====================================================
    Notation                Meaning (cpu / paper preset)
    ======================  =====================================================
    ``z`` (B, Z)            latent noise, N(0, I), ``Z = latent_dim`` (64 / 100)
    ``e(y)`` (B, L)         class embedding, ``L = label_embed_dim`` (16 / 16)
    ``n_up``                upsampling stages of G, ``g_n_up`` (3 / 3)
    ``C_i``                 G channels, ``g_width * 2**(n_up-i)``:
                            (128, 64, 32, 16) / (512, 256, 128, 64)
    G                       Linear(Z+L, C_0*L_0) -> (B, C_0, L_0), BN, LReLU ->
                            ``n_up`` x [up x2, Conv1d(k), BN, LReLU] ->
                            Conv1d(C_n, n_leads, k), tanh -> crop to (B, C, T)
    D trunk                 ``d_layers`` (4 / 4) x [SN-Conv1d(k, stride 2),
                            LReLU], ``d_width * 2**i`` channels
                            (16..128 / 64..512) -> h (B, C_L, T_L)
    D realness              SN-Conv1d(C_L, 1, 3)(h) + <embed(y), h_p>: one
                            score per patch (B, T_L), 12 patches for T = 187
    D classifier            Linear(flatten(h)) -> class logits (B, K)
    ``k``                   ``kernel_size`` (5 / 5)
    ======================  =====================================================

    Stabilisers: spectral normalisation of the discriminator's convolutions
    [4]_; hinge loss averaged over the patch scores; a projection term that
    makes realness class-conditional [5]_ (without it the auxiliary classifier
    dominated and each class collapsed to a few beats a classifier trained on
    real beats did not recognise); generated beats conditioned on uniformly
    drawn classes, so that minority classes train as often as the majority;
    two time-scale Adam (``lr_d`` > ``lr_g``, ``beta1 = 0``); batch norm in
    the generator; an exponential moving average of the generator's weights
    (``ema_decay``, with a warm-up) from which :meth:`sample` draws; the
    auxiliary classification loss (``lambda_cls``) on real beats for D and on
    generated beats for G. The paper does not publish this network's sizes:
    ``preset="paper"`` is a full-size DCGAN-like configuration, ``"cpu"`` a
    small one.

    Parameters
    ----------
    {base_params}

    latent_dim : int, default=None
        Size of the latent noise ``Z``.
    label_embed_dim : int, default=None
        Size of the class embedding mixed with the noise.
    g_width : int, default=None
        Channels of the generator's last stage (doubling towards its input).
    g_n_up : int, default=None
        Upsampling stages of the generator.
    d_width : int, default=None
        Channels of the discriminator's first convolution (doubling).
    d_layers : int, default=None
        Stride-2 convolutions of the discriminator; the patch count is
        ``ceil(T / 2**d_layers)``.
    kernel_size : int, default=None
        Kernel size of the convolutions.
    lr_g, lr_d : float, default=None
        Adam learning rates of the generator and the discriminator.
    beta1, beta2 : float, default=None
        Adam's moment decays.
    lambda_cls : float, default=None
        Weight of the auxiliary classification losses.
    ema_decay : float, default=None
        Decay of the generator's weight average after its warm-up.
    grad_clip : float, default=None
        Maximum gradient norm of each network (``None``: no clipping).
    sample_batch_size : int, default=None
        Beats generated per forward pass by :meth:`sample`.

    Attributes
    ----------
    generator_ : ConvGenerator
        The generator being trained.
    ema_ : torch.optim.swa_utils.AveragedModel
        The moving average of ``generator_`` used by :meth:`sample`.
    discriminator_ : PatchDiscriminator
        The discriminator.
    g_optimizer_, d_optimizer_ : torch.optim.Adam
        Their optimisers.
    history_ : list of dict
        Mean losses per epoch (``d_loss``, ``g_loss``, ``d_cls``, ``g_cls``),
        ``loss_by_class`` (``{{class: g_cls}}`` of the beats generated for each
        class), ``spread_by_class`` (``{{class: ratio}}``: how varied 64 beats of
        the moving average are next to 64 real beats of the class, 1 as
        varied, 0 all one beat; ``fit`` warns with a ``ConvergenceWarning``
        when a class ends below 0.2, a collapsed generator, or above 2,
        noise), with ``epoch`` and ``time``.
    {base_attributes}

    See Also
    --------
    TTSCGANSampler : The transformer conditional GAN.
    imblearn.over_sampling.SMOTE : Interpolation-based over-sampling.

    References
    ----------
    .. [1] Z. Li et al., "TSA-GAN: A Robust Generative Adversarial Networks for
       Time Series Augmentation", IJCNN 2021.
    .. [2] P. Isola, J.-Y. Zhu, T. Zhou and A. A. Efros, "Image-to-Image
       Translation with Conditional Adversarial Networks", CVPR 2017.
    .. [3] A. Odena, C. Olah and J. Shlens, "Conditional Image Synthesis with
       Auxiliary Classifier GANs", ICML 2017.
    .. [4] T. Miyato et al., "Spectral Normalization for Generative Adversarial
       Networks", ICLR 2018.
    .. [5] T. Miyato and M. Koyama, "cGANs with Projection Discriminator",
       ICLR 2018.

    Examples
    --------
    >>> from ecgaug.datasets import load_sample
    >>> from ecgaug.generators import CGANSampler
    >>> X, y = load_sample(return_X_y=True)
    >>> sampler = CGANSampler(n_epochs=1, random_state=0)
    >>> X_res, y_res = sampler.fit_resample(X, y)
    >>> X_res.shape
    (7500, 187)
    """

    _presets: ClassVar[dict[str, dict[str, Any]]] = {
        "cpu": {
            "n_epochs": 6,
            "batch_size": 128,
            "latent_dim": 64,
            "label_embed_dim": 16,
            "g_width": 16,
            "g_n_up": 3,
            "d_width": 16,
            "d_layers": 4,
            "kernel_size": 5,
            "lr_g": 2e-4,
            "lr_d": 4e-4,
            "beta1": 0.0,
            "beta2": 0.9,
            "lambda_cls": 1.0,
            "ema_decay": 0.999,
            "grad_clip": None,
            "sample_batch_size": 2048,
        },
        "paper": {
            "n_epochs": 100,
            "batch_size": 64,
            "latent_dim": 100,
            "label_embed_dim": 16,
            "g_width": 64,
            "g_n_up": 3,
            "d_width": 64,
            "d_layers": 4,
            "kernel_size": 5,
            "lr_g": 1e-4,
            "lr_d": 4e-4,
            "beta1": 0.0,
            "beta2": 0.9,
            "lambda_cls": 1.0,
            "ema_decay": 0.999,
            "grad_clip": None,
            "sample_batch_size": 2048,
        },
    }

    _conditional_realness: ClassVar[bool] = True

    _parameter_constraints: ClassVar[dict] = {
        **BaseConditionalGAN._parameter_constraints,
        **{
            k: [Interval(Integral, 1, None, closed="left"), None]
            for k in (
                "latent_dim",
                "label_embed_dim",
                "g_width",
                "d_width",
                "kernel_size",
                "sample_batch_size",
            )
        },
        **{
            k: [Interval(Integral, 0, None, closed="left"), None]
            for k in ("g_n_up", "d_layers")
        },
        **{
            k: [Interval(Real, 0, 1, closed="left"), None]
            for k in ("beta1", "beta2", "ema_decay")
        },
        **{
            k: [Interval(Real, 0, None, closed="neither"), None]
            for k in ("lr_g", "lr_d", "grad_clip")
        },
        "lambda_cls": [Interval(Real, 0, None, closed="left"), None],
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
        latent_dim=None,
        label_embed_dim=None,
        g_width=None,
        g_n_up=None,
        d_width=None,
        d_layers=None,
        kernel_size=None,
        lr_g=None,
        lr_d=None,
        beta1=None,
        beta2=None,
        lambda_cls=None,
        ema_decay=None,
        grad_clip=None,
        sample_batch_size=None,
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
        self.latent_dim = latent_dim
        self.label_embed_dim = label_embed_dim
        self.g_width = g_width
        self.g_n_up = g_n_up
        self.d_width = d_width
        self.d_layers = d_layers
        self.kernel_size = kernel_size
        self.lr_g = lr_g
        self.lr_d = lr_d
        self.beta1 = beta1
        self.beta2 = beta2
        self.lambda_cls = lambda_cls
        self.ema_decay = ema_decay
        self.grad_clip = grad_clip
        self.sample_batch_size = sample_batch_size

    def _build(self, config: dict[str, Any], n_timesteps: int, n_classes: int) -> None:
        c = config
        shared = {
            "n_timesteps": n_timesteps,
            "n_leads": self.n_leads,
            "n_classes": n_classes,
        }
        self.generator_ = init_parameters_(
            ConvGenerator(
                latent_dim=c["latent_dim"],
                label_embed_dim=c["label_embed_dim"],
                width=c["g_width"],
                n_up=c["g_n_up"],
                kernel_size=c["kernel_size"],
                **shared,
            )
        ).to(self.device_)
        self.discriminator_ = init_parameters_(
            PatchDiscriminator(
                width=c["d_width"],
                n_layers=c["d_layers"],
                kernel_size=c["kernel_size"],
                **shared,
            )
        ).to(self.device_)
        self.ema_ = make_ema(self.generator_, EMASchedule(decay=c["ema_decay"]))
        self._make_optimizers(c)

    def _d_adversarial_loss(
        self, real: torch.Tensor, fake: torch.Tensor
    ) -> torch.Tensor:
        # hinge loss, averaged over the patches
        return F.relu(1.0 - real).mean() + F.relu(1.0 + fake).mean()

    def _g_adversarial_loss(self, fake: torch.Tensor) -> torch.Tensor:
        return -fake.mean()
