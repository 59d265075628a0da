"""TTS-CGAN, the transformer time-series conditional GAN (Li, Ngu and Metsis 2022)."""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from imblearn.utils import Substitution
from sklearn.utils._param_validation import Interval, StrOptions

from ecgaug._utils import init_parameters_

from ._docstrings import _base_attributes_docstring, _base_params_docstring
from ._gan import BaseConditionalGAN
from ._nn.layers import EMASchedule, gradient_penalty, make_ema
from ._nn.tts import TTSDiscriminator, TTSGenerator

__all__ = ["TTSCGANSampler"]


@Substitution(
    base_params=_base_params_docstring, base_attributes=_base_attributes_docstring
)
class TTSCGANSampler(BaseConditionalGAN):
    """Transformer time-series conditional GAN (TTS-CGAN) as an over-sampler.

    One class-conditional model of all classes (Li, Ngu and Metsis 2022), the
    generator the ecgaug paper found best for synthetic pretraining data.

    ======================  =====================================================
    Notation                Meaning (paper preset value)
    ======================  =====================================================
    ``z`` (B, Z)            latent noise, N(0, I), ``Z = latent_dim`` (100)
    ``e(y)`` (B, L)         class embedding, ``L = label_embed_dim`` (10)
    ``P_g``, ``P_d``        patch sizes of G and D, in time steps (1, 1;
                            cpu preset: 17, 17)
    ``N = ceil(T/P)``       tokens per beat (187 for T = 187, P = 1)
    ``E_g``, ``E_d``        token sizes of G and D (10, 50; cpu: 32, 32)
    G                       Linear(Z+L, N*E_g) -> (B, N, E_g) -> ``g_depth`` (3)
                            blocks, ``g_heads`` (5) -> Linear(E_g, P*C) ->
                            (B, C, T)
    D                       patches (B, N, P*C) -> Linear -> (B, N, E_d),
                            + class token + positions -> ``d_depth`` (3) blocks,
                            ``d_heads`` (5) -> mean over N+1 tokens ->
                            realness (B, 1) and class logits (B, K)
    block                   ``x + drop(MHA(LN x))``, ``x + drop(FFN(LN x))``,
                            FFN = Linear(E, 4E), GELU, dropout, Linear(4E, E)
    ======================  =====================================================

    ``preset="paper"`` trains as the reference: WGAN loss with gradient
    penalty (``lambda_gp``), auxiliary-classifier cross-entropy on real beats
    for D and on generated beats for G (``lambda_cls``), Adam with two
    time-scale learning rates (``lr_g`` < ``lr_d``), gradient-norm clipping
    (``grad_clip``), and an exponential moving average of G's weights whose
    half-life grows to ``ema_kimg`` thousand beats (warm-up ``ema_warmup``);
    :meth:`sample` draws from the average. Generated beats are conditioned on
    the labels of the real batch (the reference balances the classes of both
    instead).

    ``preset="cpu"`` keeps the architecture but is adapted to learn the classes
    in a few epochs rather than the reference's 500 k steps: 11 tokens of 17
    steps, hinge loss, a projection term that makes the realness score
    class-conditional (``projection``), higher learning rates and no dropout.
    With the reference's unconditional WGAN critic the auxiliary classifier did
    not get below the class-prior cross-entropy within such a budget and the
    beats ignored their labels. Generated beats keep the real batch's labels
    in both presets: with uniformly drawn labels on MIT-BIH's 83 % of N beats
    the discriminator overpowered the generator.

    Faithful to the model, not to the reference's costs: D trains on detached
    generated beats and G's update freezes D's weights; attention runs in fused
    kernels (:func:`torch.nn.functional.scaled_dot_product_attention`) with the
    reference's ``1/sqrt(E)`` logit scale; the dropout on the ``(B, heads,
    N+1, N+1)`` attention maps (0.5 in the reference, the dominant cost of its
    training step) is off by default (``attn_dropout``), the residual and
    feed-forward dropout (0.5) is kept, with masks drawn faster; the gradient
    penalty, which needs second derivatives of attention and so materialised
    attention maps, is applied lazily (``gp_every = 4``: every 4th step with
    4 times the weight, as Karras et al. do for R1); ``gp_every=1`` and
    ``attn_dropout=0.5`` restore the reference's schedule and regularisation.

    Parameters
    ----------
    {base_params}

    latent_dim : int, default=None
        Size of the latent noise ``Z``.
    label_embed_dim : int, default=None
        Size of the class embedding mixed with the noise.
    g_embed_dim, d_embed_dim : int, default=None
        Token sizes of the generator and the discriminator.
    g_depth, d_depth : int, default=None
        Transformer blocks in the generator and the discriminator.
    g_heads, d_heads : int, default=None
        Attention heads (they must divide the token sizes).
    g_patch_size, d_patch_size : int, default=None
        Time steps per token in the generator and per patch in the
        discriminator.
    dropout : float, default=None
        Dropout on the residual branches and in the feed-forward networks.
    attn_dropout : float, default=None
        Dropout on the attention probabilities (slow: it materialises them).
    projection : bool, default=None
        Add a class projection term ``<embed(y), LN(mean token)>`` to the
        realness score (Miyato and Koyama 2018), making it class-conditional.
    adversarial_loss : {{"wgan-gp", "hinge"}}, default=None
        Wasserstein loss with gradient penalty (the reference) or hinge loss.
    lr_g, lr_d : float, default=None
        Adam learning rates of the generator and the discriminator.
    beta1, beta2 : float, default=None
        Adam's moment decays.
    lambda_cls : float, default=None
        Weight of the auxiliary classification losses.
    lambda_gp : float, default=None
        Weight of the gradient penalty (``"wgan-gp"`` only; 0: none).
    gp_every : int, default=None
        Apply the gradient penalty every this many steps.
    grad_clip : float, default=None
        Maximum gradient norm of each network.
    ema_kimg : float, default=None
        Half-life of the generator's weight average, in thousands of beats.
    ema_warmup : float, default=None
        Ramp-up of that half-life: ``min(ema_kimg * 1000, ema_warmup * beats
        seen)``; 0 disables it.
    sample_batch_size : int, default=None
        Beats generated per forward pass by :meth:`sample`.

    Attributes
    ----------
    generator_ : TTSGenerator
        The generator being trained.
    ema_ : torch.optim.swa_utils.AveragedModel
        The moving average of ``generator_`` used by :meth:`sample`.
    discriminator_ : TTSDiscriminator
        The discriminator.
    g_optimizer_, d_optimizer_ : torch.optim.Adam
        Their optimisers.
    history_ : list of dict
        Mean losses per epoch (``d_loss``, ``g_loss``, ``d_cls``, ``g_cls``,
        and with ``"wgan-gp"`` ``gp``, the weighted penalty averaged over all
        steps), ``loss_by_class`` (``{{class: g_cls}}`` of the beats generated
        for each class), ``spread_by_class`` (``{{class: ratio}}``: how varied
        64 beats of the moving average are next to 64 real beats of the
        class, 1 as varied, 0 all one beat; ``fit`` warns with a
        ``ConvergenceWarning`` when a class ends below 0.2, a collapsed
        generator, or above 2, noise), with ``epoch`` and ``time``.
    {base_attributes}

    See Also
    --------
    CGANSampler : The 1-D convolutional conditional GAN with a PatchGAN
        discriminator.
    imblearn.over_sampling.SMOTE : Interpolation-based over-sampling.

    References
    ----------
    .. [1] X. Li, A. H. H. Ngu and V. Metsis, "TTS-CGAN: A Transformer
       Time-Series Conditional GAN for Biosignal Data Augmentation",
       arXiv:2206.13676, 2022. Code: https://github.com/imics-lab/tts-cgan
    .. [2] I. Gulrajani et al., "Improved Training of Wasserstein GANs",
       NeurIPS 2017.
    .. [3] A. Odena, C. Olah and J. Shlens, "Conditional Image Synthesis with
       Auxiliary Classifier GANs", ICML 2017.
    .. [4] T. Karras et al., "Analyzing and Improving the Image Quality of
       StyleGAN", CVPR 2020 (lazy regularisation).

    Examples
    --------
    >>> from ecgaug.datasets import load_sample
    >>> from ecgaug.generators import TTSCGANSampler
    >>> X, y = load_sample(return_X_y=True)
    >>> sampler = TTSCGANSampler(n_epochs=1, random_state=0).fit(X, y)
    >>> X_new, y_new = sampler.sample(10, y=3)
    >>> X_new.shape
    (10, 187)
    """

    _presets: ClassVar[dict[str, dict[str, Any]]] = {
        # Small enough to train on the 87.5 k-beat MIT-BIH training split in
        # minutes on two CPU cores: 11 tokens of 17 steps instead of 187.
        "cpu": {
            "n_epochs": 4,
            "batch_size": 64,
            "latent_dim": 100,
            "label_embed_dim": 10,
            "g_embed_dim": 32,
            "g_depth": 3,
            "g_heads": 4,
            "g_patch_size": 17,
            "d_embed_dim": 32,
            "d_depth": 3,
            "d_heads": 4,
            "d_patch_size": 17,
            "dropout": 0.0,
            "attn_dropout": 0.0,
            "projection": True,
            "adversarial_loss": "hinge",
            "lr_g": 2e-4,
            "lr_d": 5e-4,
            "beta1": 0.0,
            "beta2": 0.9,
            "lambda_cls": 1.0,
            "lambda_gp": 10.0,
            "gp_every": 1,
            "grad_clip": 5.0,
            "ema_kimg": 500.0,
            "ema_warmup": 0.1,
            "sample_batch_size": 1024,
        },
        # The sizes and optimisation of the reference MIT-BIH run
        # (mitbih_Train_CGAN.py): 500 k steps of 16 beats ~ 90 epochs here.
        "paper": {
            "n_epochs": 90,
            "batch_size": 16,
            "latent_dim": 100,
            "label_embed_dim": 10,
            "g_embed_dim": 10,
            "g_depth": 3,
            "g_heads": 5,
            "g_patch_size": 1,
            "d_embed_dim": 50,
            "d_depth": 3,
            "d_heads": 5,
            "d_patch_size": 1,
            "dropout": 0.5,
            "attn_dropout": 0.0,
            "projection": False,
            "adversarial_loss": "wgan-gp",
            "lr_g": 1e-4,
            "lr_d": 3e-4,
            "beta1": 0.9,
            "beta2": 0.999,
            "lambda_cls": 1.0,
            "lambda_gp": 10.0,
            "gp_every": 4,
            "grad_clip": 5.0,
            "ema_kimg": 500.0,
            "ema_warmup": 0.1,
            "sample_batch_size": 1024,
        },
    }

    _warm_start_settings: ClassVar[frozenset[str]] = (
        BaseConditionalGAN._warm_start_settings | {"lambda_gp", "gp_every"}
    )
    _parameter_constraints: ClassVar[dict] = {
        **BaseConditionalGAN._parameter_constraints,
        **{
            k: [Interval(Integral, 1, None, closed="left"), None]
            for k in (
                "latent_dim",
                "label_embed_dim",
                "g_embed_dim",
                "g_depth",
                "g_heads",
                "g_patch_size",
                "d_embed_dim",
                "d_depth",
                "d_heads",
                "d_patch_size",
                "gp_every",
                "sample_batch_size",
            )
        },
        **{
            k: [Interval(Real, 0, 1, closed="left"), None]
            for k in ("dropout", "attn_dropout", "beta1", "beta2")
        },
        "projection": ["boolean", None],
        "adversarial_loss": [StrOptions({"wgan-gp", "hinge"}), None],
        **{
            k: [Interval(Real, 0, None, closed="neither"), None]
            for k in ("lr_g", "lr_d", "grad_clip", "ema_kimg")
        },
        **{
            k: [Interval(Real, 0, None, closed="left"), None]
            for k in ("lambda_cls", "lambda_gp", "ema_warmup")
        },
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
        g_embed_dim=None,
        g_depth=None,
        g_heads=None,
        g_patch_size=None,
        d_embed_dim=None,
        d_depth=None,
        d_heads=None,
        d_patch_size=None,
        dropout=None,
        attn_dropout=None,
        projection=None,
        adversarial_loss=None,
        lr_g=None,
        lr_d=None,
        beta1=None,
        beta2=None,
        lambda_cls=None,
        lambda_gp=None,
        gp_every=None,
        grad_clip=None,
        ema_kimg=None,
        ema_warmup=None,
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
        self.g_embed_dim = g_embed_dim
        self.g_depth = g_depth
        self.g_heads = g_heads
        self.g_patch_size = g_patch_size
        self.d_embed_dim = d_embed_dim
        self.d_depth = d_depth
        self.d_heads = d_heads
        self.d_patch_size = d_patch_size
        self.dropout = dropout
        self.attn_dropout = attn_dropout
        self.projection = projection
        self.adversarial_loss = adversarial_loss
        self.lr_g = lr_g
        self.lr_d = lr_d
        self.beta1 = beta1
        self.beta2 = beta2
        self.lambda_cls = lambda_cls
        self.lambda_gp = lambda_gp
        self.gp_every = gp_every
        self.grad_clip = grad_clip
        self.ema_kimg = ema_kimg
        self.ema_warmup = ema_warmup
        self.sample_batch_size = sample_batch_size

    def _build(self, config: dict[str, Any], n_timesteps: int, n_classes: int) -> None:
        c = config
        for net in ("g", "d"):
            if c[f"{net}_embed_dim"] % c[f"{net}_heads"]:
                raise ValueError(
                    f"{net}_embed_dim={c[f'{net}_embed_dim']} is not a multiple of "
                    f"{net}_heads={c[f'{net}_heads']}; change one of them."
                )
        shared = {
            "n_timesteps": n_timesteps,
            "n_leads": self.n_leads,
            "n_classes": n_classes,
            "dropout": c["dropout"],
            "attn_dropout": c["attn_dropout"],
        }
        self.generator_ = init_parameters_(
            TTSGenerator(
                latent_dim=c["latent_dim"],
                label_embed_dim=c["label_embed_dim"],
                embed_dim=c["g_embed_dim"],
                depth=c["g_depth"],
                n_heads=c["g_heads"],
                patch_size=c["g_patch_size"],
                **shared,
            )
        ).to(self.device_)
        self.discriminator_ = init_parameters_(
            TTSDiscriminator(
                embed_dim=c["d_embed_dim"],
                depth=c["d_depth"],
                n_heads=c["d_heads"],
                patch_size=c["d_patch_size"],
                projection=c["projection"],
                **shared,
            )
        ).to(self.device_)
        schedule = EMASchedule(
            half_life=1000.0 * c["ema_kimg"],
            warmup=c["ema_warmup"],
            batch_size=c["batch_size"],
        )
        self.ema_ = make_ema(self.generator_, schedule)
        self._make_optimizers(c)

    def _d_adversarial_loss(
        self, real: torch.Tensor, fake: torch.Tensor
    ) -> torch.Tensor:
        if self.config_["adversarial_loss"] == "hinge":
            return F.relu(1.0 - real).mean() + F.relu(1.0 + fake).mean()
        return fake.mean() - real.mean()  # Wasserstein critic

    def _g_adversarial_loss(self, fake: torch.Tensor) -> torch.Tensor:
        return -fake.mean()

    def _regularizer(
        self, x: torch.Tensor, fake: torch.Tensor, step: int
    ) -> dict[str, torch.Tensor]:
        c = self.config_
        weight, every = float(c["lambda_gp"]), int(c["gp_every"])
        if c["adversarial_loss"] != "wgan-gp" or weight == 0 or step % every:
            return {}
        D = self.discriminator_
        with self._autocast():
            gp = gradient_penalty(lambda t: D(t, double_backward=True)[0], x, fake)
        return {"gp": weight * every * gp}
