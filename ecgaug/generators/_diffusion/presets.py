"""DiffusionSampler's presets: every setting, for a laptop CPU and as published."""

from __future__ import annotations

from typing import Any

__all__ = ["PRESETS"]

PRESETS: dict[str, dict[str, Any]] = {
    # Measured for two CPU cores (benchmarks/diffusion_sampler.py): 3 time
    # steps per position (63 positions on a beat), 10 layers of 32
    # channels, one cross-attention every 5 layers; the network predicts
    # x_0, which learns clean, class-specific beats in far fewer steps
    # than eps; DDIM with 10 network calls per beat, which kept DDPM-50's
    # TSTR accuracy where DiffWave's 6-step schedule lost a quarter of it.
    # The weight average's half-life ramps up as 5 % of the beats seen
    # (Karras et al.'s ramp-up): at 50 %, a 40-epoch fit on the bundled
    # sample sampled from weights half a run old, and its beats were pure
    # ripple (mean |second difference| 7.0x the real beats'; 2.0x at 5 %).
    "cpu": {
        "n_epochs": 8,
        "batch_size": 64,
        "residual_channels": 32,
        "n_layers": 10,
        "dilation_cycle": 10,
        "patch_size": 3,
        "class_embed_dim": 64,
        "n_class_tokens": 4,
        "n_heads": 2,
        "head_dim": 32,
        "attention_every": 5,
        "n_diffusion_steps": 50,
        "noise_schedule": "linear",
        "beta_start": 1e-4,
        "beta_end": 0.2,
        "p_uncond": 0.1,
        "prediction": "x0",
        "lr": 2e-3,
        "grad_clip": 1.0,
        "ema_kimg": 20.0,
        "ema_warmup": 0.05,
        "sampler": "ddim",
        "n_sampling_steps": 10,
        "guidance_scale": 1.0,
        "cpu_bf16": False,
        "sample_batch_size": 1024,
    },
    # DiffWave's base model and training (64 channels, 30 layers, 50
    # linear steps from 1e-4 to 0.05, eps prediction, Adam 2e-4, batches
    # of 16: about 1 M steps on the 87.5 k-beat MIT-BIH training split)
    # with the paper's conditioning: the class embedding added to every
    # layer and one cross-attention layer; ancestral sampling, 50 steps.
    "paper": {
        "n_epochs": 180,
        "batch_size": 16,
        "residual_channels": 64,
        "n_layers": 30,
        "dilation_cycle": 10,
        "patch_size": 1,
        "class_embed_dim": 64,
        "n_class_tokens": 4,
        "n_heads": 2,
        "head_dim": 32,
        "attention_every": 30,
        "n_diffusion_steps": 50,
        "noise_schedule": "linear",
        "beta_start": 1e-4,
        "beta_end": 0.05,
        "p_uncond": 0.1,
        "prediction": "eps",
        "lr": 2e-4,
        "grad_clip": 1.0,
        "ema_kimg": 500.0,
        "ema_warmup": 0.1,
        "sampler": "ddpm",
        "n_sampling_steps": 50,
        "guidance_scale": 1.0,
        "cpu_bf16": False,
        "sample_batch_size": 1024,
    },
}
