r"""Transposed convolutions on the CPU: the image layer as one matrix product, the bias gradient as a sum.

oneDNN, PyTorch's CPU convolution library, runs two parts of the seeds' decoders far below
the machine's matrix-product rate (``benchmarks/bench_layers.py``):

1. **The image layer.** The decoder's last transposed convolution (32 -> 1 channels,
   32x32 -> 64x64 in AVAE Table IX) runs at about 9 GFLOP/s forward, a tenth of its other
   layers. With one output channel the layer is a thin product followed by a col2im of 16
   shifted adds, so we compute it that way:

   .. math:: y[n, o, 2r + a - 1, 2s + b - 1] = \sum_{p, q \in \{0, 1\}} \sum_c
             x[n, c, r - p, s - q] \, w[c, o, 2p + a, 2q + b] \quad (+ \text{bias}_o),

   the definition of ``ConvTranspose2d(kernel_size=4, stride=2, padding=1)`` with its 16
   taps split into the four output phases ``(a, b)``. The backward pass is the im2col of the
   output gradient (a strided view) and two products.
2. **The bias gradient of the other transposed convolutions.** oneDNN's backward pass
   computes the weight and bias gradients of a transposed convolution together, and the
   bias part costs more than the weight part (32 -> 32 channels at 16x16 -> 32x32, batch
   64: 2.1 ms for the weight gradient, 5.0 ms with the bias). For layers with at least
   ``SUM_BIAS_MIN_OUT_CHANNELS`` output channels we ask oneDNN for the input and weight
   gradients only, which are the stock layer's, and sum the output gradient for the bias.

Only the order of floating-point sums changes: tests check both forms, their input, weight
and bias gradients against :class:`torch.nn.ConvTranspose2d` in float64. Other devices
(cuDNN), calls without gradients, ``torch.func`` transforms and forward-mode AD (the
decoder Jacobians of ``vaelab.metrics.latent``) use the parent class unchanged, and the
parameters, state-dict keys and initialisation are the parent's.

Example:
    >>> layer = FastConvTranspose2d(32, 1, 4, stride=2, padding=1)
    >>> layer(torch.zeros(2, 32, 8, 8)).shape
    torch.Size([2, 1, 16, 16])
"""

from __future__ import annotations

import torch
import torch.autograd.forward_ad as forward_ad
import torch.nn.functional as F
from torch import nn

__all__ = ["FastConvTranspose2d", "conv_transpose_k4s2"]

MAX_OUT_CHANNELS = 1  # where the product pays (benchmarks/bench_layers.py): 1.65-1.9x at 1 channel, 0.83x at 3
SUM_BIAS_MIN_OUT_CHANNELS = 16  # where summing the bias apart pays: 1.05-1.43x at 16-64 channels, 0.9-1.0x at 3


class _ConvTransposeK4S2(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
        n, c, h, w = x.shape
        o = weight.shape[1]
        rows = x.permute(0, 2, 3, 1).reshape(n * h * w, c)  # a view for a channels-last x
        taps = weight.reshape(c, o * 16)
        # t[o, p, a, q, b, n, r, s]: tap (2p + a, 2q + b) of input pixel (r, s)
        t = torch.mm(taps.t(), rows.t()).view(o, 2, 2, 2, 2, n, h, w)
        # full[n, o, r, a, s, b] is output pixel (2r + a - 1, 2s + b - 1), before the crop
        full = x.new_zeros(n, o, h + 1, 2, w + 1, 2)
        for p in (0, 1):
            for q in (0, 1):
                for a in (0, 1):
                    for b in (0, 1):
                        full[:, :, p:p + h, a, q:q + w, b] += t[:, p, a, q, b].transpose(0, 1)
        y = full.view(n, o, 2 * h + 2, 2 * w + 2)[:, :, 1:-1, 1:-1]
        ctx.save_for_backward(x, weight)
        ctx.has_bias = bias is not None
        return y + bias.view(1, o, 1, 1) if bias is not None else y.contiguous()

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        x, weight = ctx.saved_tensors
        (n, c, h, w), o = x.shape, weight.shape[1]
        rows, taps = x.permute(0, 2, 3, 1).reshape(n * h * w, c), weight.reshape(c, o * 16)
        padded = F.pad(grad, (1, 1, 1, 1)).contiguous()
        sn, so, sh, sw = padded.stride()
        # the same tap layout as t in forward, read from the output gradient (im2col)
        grad_t = padded.as_strided((o, 2, 2, 2, 2, n, h, w),
                                   (so, 2 * sh, sh, 2 * sw, sw, sn, 2 * sh, 2 * sw)).reshape(o * 16, n * h * w)
        grad_x = grad_w = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_x = torch.mm(grad_t.t(), taps.t()).view(n, h, w, c).permute(0, 3, 1, 2)
        if ctx.needs_input_grad[1]:
            grad_w = torch.mm(rows.t(), grad_t.t()).view(c, o, 4, 4)
        if ctx.has_bias and ctx.needs_input_grad[2]:
            grad_b = grad.sum((0, 2, 3))
        return grad_x, grad_w, grad_b


class _ConvTransposeSumBias(torch.autograd.Function):
    """``F.conv_transpose2d`` whose backward asks oneDNN for the input and weight gradients only."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, stride: tuple[int, ...],
                padding: tuple[int, ...], output_padding: tuple[int, ...], groups: int,
                dilation: tuple[int, ...]) -> torch.Tensor:
        ctx.save_for_backward(x, weight)
        ctx.conv = (stride, padding, dilation, output_padding, groups)
        return F.conv_transpose2d(x, weight, bias, stride, padding, output_padding, groups, dilation)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        x, weight = ctx.saved_tensors
        stride, padding, dilation, output_padding, groups = ctx.conv
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        grad_x = grad_w = grad_b = None
        if need_x or need_w:
            grad_x, grad_w, _ = torch.ops.aten.convolution_backward(
                grad, x, weight, None, list(stride), list(padding), list(dilation), True, list(output_padding),
                groups, [need_x, need_w, False])
        if need_b:
            grad_b = grad.sum((0, 2, 3))
        return grad_x, grad_w, grad_b, None, None, None, None, None


def conv_transpose_k4s2(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None) -> torch.Tensor:
    """``F.conv_transpose2d(x, weight, bias, stride=2, padding=1)`` for a 4x4 kernel, as one product.

    Args:
        x: ``(N, C, H, W)``; channels-last saves a copy.
        weight: ``(C, O, 4, 4)``.
        bias: ``(O,)`` or None.

    Returns:
        ``(N, O, 2H, 2W)``.
    """
    if x.dim() != 4 or weight.shape[0] != x.shape[1] or weight.shape[2:] != (4, 4):
        raise ValueError(f"conv_transpose_k4s2 needs x (N, C, H, W) and weight (C, O, 4, 4), "
                         f"got {tuple(x.shape)} and {tuple(weight.shape)}")
    return _ConvTransposeK4S2.apply(x, weight, bias)


def _forward_mode_or_transforms() -> bool:
    """Whether ``torch.func`` transforms (vmap, jvp) or forward-mode AD are active: the stock layer serves those.

    Both probes are private to PyTorch; where a build lacks one, the answer is yes (the stock layer).
    """
    transforms = getattr(torch._C, "_are_functorch_transforms_active", None)
    level = getattr(forward_ad, "_current_level", None)
    return transforms is None or level is None or transforms() or level >= 0


class FastConvTranspose2d(nn.ConvTranspose2d):
    """:class:`torch.nn.ConvTranspose2d` with the two CPU forms of the module docstring: the 4x4, stride-2,
    padding-1 case with at most ``MAX_OUT_CHANNELS`` output channels as one product
    (:func:`conv_transpose_k4s2`), and the bias gradient of the others as a sum."""

    def _path(self, x: torch.Tensor, output_size: list[int] | None = None) -> str:
        """``"product"``, ``"sum_bias"`` or ``"stock"``: how a call on ``x`` is computed."""
        if x.device.type != "cpu" or x.dim() != 4 or self.padding_mode != "zeros" or _forward_mode_or_transforms():
            return "stock"
        if (output_size is None and self.out_channels <= MAX_OUT_CHANNELS and self.kernel_size == (4, 4)
                and self.stride == (2, 2) and self.padding == (1, 1) and self.output_padding == (0, 0)
                and self.dilation == (1, 1) and self.groups == 1):
            return "product"
        needs_grad = torch.is_grad_enabled() and (x.requires_grad or any(p.requires_grad for p in self.parameters()))
        wide = self.out_channels >= SUM_BIAS_MIN_OUT_CHANNELS
        return "sum_bias" if self.bias is not None and wide and needs_grad else "stock"

    def forward(self, input: torch.Tensor, output_size: list[int] | None = None) -> torch.Tensor:
        path = self._path(input, output_size)
        if path == "product":
            return conv_transpose_k4s2(input, self.weight, self.bias)
        if path == "stock":
            return super().forward(input, output_size)
        output_padding = self._output_padding(input, output_size, self.stride, self.padding, self.kernel_size,
                                              2, self.dilation)
        return _ConvTransposeSumBias.apply(input, self.weight, self.bias, self.stride, self.padding,
                                           tuple(output_padding), self.groups, self.dilation)
