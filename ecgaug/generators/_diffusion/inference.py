"""DiffWave's forward pass rewritten for CPU sampling: the same function, fewer passes.

:meth:`DiffWave.forward <ecgaug.generators._diffusion.network.DiffWave.forward>`
calls :func:`fused_forward` when it samples on a CPU in float32 (no gradients,
one diffusion step ``t`` for the whole batch). There the network's
convolutions already run near the machine's matmul peak, and the rest of the
time goes to element-wise passes over the residual state; this form removes
three of a layer's five (notation of the network module; ``M`` classes in the
batch, ``m(b)`` the class of beat ``b``):

- **no per-layer scale.** With ``a_i = 2 ** (-i / 2)`` the residual stream
  ``h_i`` is kept as ``H_i = h_i / a_i``, so ``h_{i+1} = (h_i + r_i) / sqrt 2``
  becomes ``H_{i+1} = H_i + r_i / a_i``: the scale moves into the weights;
- **no bias pass.** The state holds ``V_i = H_i + b_i / a_i`` (``b_i`` the
  layer's diffusion-step and class bias), so the layer input is ``u_i = a_i
  V_i`` exactly, zero padding included, and the dilated convolution (and the
  attention keys) take ``a_i`` in their weights. Since ``t`` is shared, ``b_i``
  depends on the class only: the change of bias between layers, ``delta_i(m) =
  (b^r_i - b_i(m)) / a_i + b_{i+1}(m) / a_{i+1}``, enters the next update
  through ``M`` one-hot columns of the gate matrix, ``[g | onehot(m(b))]``;
- **no separate adds.** Both outputs of the 1x1 projection are accumulated
  by the matrix product itself (``addmm_``): ``V += [g | onehot] [W^r / a_i;
  delta_i]`` and ``skip += g W^s``; the skip biases and ``1 / sqrt N`` are
  folded into the skip projection, and the last layer's residual is skipped.

What is left per layer: the dilated convolution (oneDNN, channels-last), one
``tanh`` and one ``addcmul`` (the gate), two accumulating matrix products.
With ``dtype=torch.bfloat16`` the state, the convolution and the products run
in bfloat16 (the gate stays float32): on CPUs with AMX they are several times
faster, at bfloat16's precision, which is what ecgaug samples with on CUDA.
``benchmarks/diffusion_sampler.py`` measures it; the tests check it against
the layer-by-layer form.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F

if TYPE_CHECKING:
    from .network import ClassContext, DiffWave

__all__ = ["fused_forward"]


def fused_forward(
    net: DiffWave,
    x: torch.Tensor,
    t: torch.Tensor,
    context: ClassContext,
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """``net(x, t, context=context)`` for inference with a single step ``t``.

    Parameters
    ----------
    net : DiffWave
    x : torch.Tensor of shape (B, L, T)
    t : torch.Tensor with one element
        The diffusion step of every beat.
    context : ClassContext
    dtype : torch.dtype, default=torch.float32
        Of the state, the convolutions and the 1x1 products; ``torch.bfloat16``
        runs them on the CPU's bfloat16 units (AMX, AVX-512 BF16) while the
        gate, the embeddings and the output stay float32.

    Returns
    -------
    torch.Tensor of shape (B, L, T), float32
    """
    cfg = net.config
    B, L, T = x.shape
    P, S, C = cfg.patch_size, cfg.n_positions, cfg.residual_channels
    layers = net.layers
    N, M = len(layers), len(context.vector)
    index = context.index
    e = net.diffusion_embedding(t.reshape(1)) + context.vector  # (M, hidden)
    bias = net.step_projection(e).view(M, N, C)  # b_i(m)
    a = [2.0 ** (-i / 2) for i in range(N + 1)]

    # rows (b, s) of channels: the memory of channels-last (B, C, 1, S)
    x = F.pad(x, (0, S * P - T)).view(B, L, S, P)  # (B, L, S, P)
    x = x.permute(0, 2, 1, 3).reshape(B * S, L * P)
    w_in = net.input_projection.weight.view(C, L * P)
    V = torch.addmm(net.input_projection.bias, x, w_in.t()).relu_()  # (B*S, C)
    V.view(B, S, C).add_(bias[index, 0][:, None])  # V_0 = h_0 + b_0
    V = V.to(dtype)
    skip = torch.zeros_like(V)  # (B*S, C)
    gate = V.new_empty(B * S, C + M)  # [g | onehot(m(b))]
    gate[:, C:].view(B, S, M).copy_(F.one_hot(index, M)[:, None])
    g = gate[:, :C]
    skip_bias = torch.zeros(C, dtype=x.dtype, device=x.device)

    for i, layer in enumerate(layers):
        conv = layer.dilated_conv
        u = V.view(B, S, 1, C).permute(0, 3, 2, 1)  # (B, C, 1, S) channels-last
        w_conv, b_conv = (conv.weight * a[i]).to(dtype), conv.bias.to(dtype)
        z = F.conv2d(u, w_conv, b_conv, padding=conv.padding, dilation=conv.dilation)
        if context.folded[i] is not None:
            keys, key_bias, values = context.folded[i]
            folded = tuple(f[index].to(dtype) for f in (keys * a[i], key_bias, values))
            z = layer.cross_attention(z, u, folded)
        # the gate in float32 (bfloat16 tanh is slow on CPUs); a view if float32
        z = z.permute(0, 2, 3, 1).reshape(B * S, 2 * C).float().tanh_()
        torch.addcmul(z[:, C:], z[:, :C], z[:, C:], out=g)  # (1 + tanh) tanh
        w_out = layer.output_projection.weight.view(2 * C, C)
        b_out = layer.output_projection.bias
        skip.addmm_(g, w_out[C:].t().to(dtype))
        skip_bias += b_out[C:]
        if i < N - 1:
            delta = (b_out[:C] - bias[:, i]) / a[i] + bias[:, i + 1] / a[i + 1]
            w_res = torch.cat([w_out[:C].t() / a[i], delta]).to(dtype)
            V.addmm_(gate, w_res)  # (B*S, C)

    w_skip = net.skip_projection.weight.view(C, C) / math.sqrt(N)
    b_skip = torch.addmv(net.skip_projection.bias, w_skip, skip_bias)
    h = torch.addmm(b_skip, skip.float(), w_skip.t()).relu_()  # (B*S, C)
    w_o = net.output_projection.weight.view(L * P, C)
    out = torch.addmm(net.output_projection.bias, h, w_o.t())  # (B*S, L*P)
    out = out.view(B, S, L, P).permute(0, 2, 1, 3).reshape(B, L, S * P)
    return out[..., :T]  # (B, L, T)
