r"""Convolutions on the CPU where oneDNN is slow: matrix products, and the bias gradient as a sum.

oneDNN, PyTorch's CPU convolution library, runs three kinds of layer of the seeds'
networks far below the machine's matrix-product rate (``benchmarks/bench_layers.py``):

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
3. **Layers with a 2x2 side.** 4x4, stride-2 convolutions and transposed convolutions
   whose low-resolution side has at most ``GEMM_MAX_PIXELS`` pixels (the MNIST network of
   AVAE Table VIII: 256 -> 512 channels at 4x4 -> 2x2 and back) run at about 80 GFLOP/s.
   With channels innermost each is one large product and an im2col (a strided view of the
   padded input) or a col2im (16 shifted adds); the backward pass of each is the other's
   forward plus one product for the weight gradient.

Only the order of floating-point sums changes: tests check every form, its input, weight
and bias gradients against :class:`torch.nn.Conv2d` / :class:`torch.nn.ConvTranspose2d` in
float64. Other devices (cuDNN), autocast (``train.amp``), empty batches, ``torch.func``
transforms and forward-mode AD (the decoder Jacobians of ``vaelab.metrics.latent``) use the
parent class unchanged, as do calls without a gradient where only the bias form would
apply; the parameters, state-dict keys and initialisation are the parent's, and
:func:`use_stock_layers` turns a network back into stock layers.

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

__all__ = ["FastConv2d", "FastConvTranspose2d", "conv_transpose_k4s2", "use_stock_layers"]

MAX_OUT_CHANNELS = 1  # where the product pays (benchmarks/bench_layers.py): 1.65-1.9x at 1 channel, 0.83x at 3
SUM_BIAS_MIN_OUT_CHANNELS = 16  # where summing the bias apart pays: 1.05-1.43x at 16-64 channels, 0.9-1.0x at 3
GEMM_MAX_PIXELS = 4  # where im2col + one product pays: 2.6-2.9x with a 2x2 low-resolution side, +-4 % at 4x4


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


def _rows(x: torch.Tensor) -> torch.Tensor:
    """``(N, C, h, w)`` -> ``(N h w, C)``; a view for a channels-last ``x``."""
    return x.permute(0, 2, 3, 1).reshape(-1, x.shape[1])


def _taps(weight: torch.Tensor) -> torch.Tensor:
    """``(A, B, 4, 4)`` -> ``(A, 16 B)`` with columns in ``(kh, kw, b)`` order; a view for a channels-last weight."""
    return weight.permute(0, 2, 3, 1).reshape(weight.shape[0], -1)


def _untaps(m: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """The inverse of :func:`_taps`, in the channels-last layout of the weight."""
    return m.view(weight.shape[0], 4, 4, weight.shape[1]).permute(0, 3, 1, 2)


def _im2col(x: torch.Tensor) -> torch.Tensor:
    """``(N, C, 2h, 2w)`` -> ``(N h w, 16 C)``: row ``(n, r, s)`` holds the 4x4 window at ``(2r - 1, 2s - 1)``."""
    n, c, hh, ww = x.shape
    padded = F.pad(x.permute(0, 2, 3, 1), (0, 0, 1, 1, 1, 1)).contiguous()
    sn, sh, sw, sc = padded.stride()
    return padded.as_strided((n, hh // 2, ww // 2, 4, 4, c), (sn, 2 * sh, 2 * sw, sh, sw, sc)).reshape(-1, 16 * c)


def _col2im(cols: torch.Tensor, n: int, h: int, w: int) -> torch.Tensor:
    """The adjoint of :func:`_im2col`: ``(N h w, 16 C)`` -> ``(N, C, 2h, 2w)`` (channels-last), overlaps summed."""
    c = cols.shape[1] // 16
    t = cols.view(n, h, w, 2, 2, 2, 2, c)  # taps (kh, kw) = (2p + a, 2q + b)
    full = cols.new_zeros(n, h + 1, 2, w + 1, 2, c)  # full[n, r, a, s, b] is pixel (2r + a - 1, 2s + b - 1)
    for p in (0, 1):
        for q in (0, 1):
            full[:, p:p + h, :, q:q + w] += t[:, :, :, p, :, q].permute(0, 1, 3, 2, 4, 5)
    return full.view(n, 2 * h + 2, 2 * w + 2, c)[:, 1:-1, 1:-1].permute(0, 3, 1, 2)


def _plus_bias(y: torch.Tensor, bias: torch.Tensor | None, like: torch.Tensor) -> torch.Tensor:
    """``y`` plus the bias, in the memory layout the stock layer gives for input ``like``."""
    y = y if bias is None else y + bias.view(1, -1, 1, 1)
    channels_last = like.is_contiguous(memory_format=torch.channels_last) and not like.is_contiguous()
    return y.contiguous(memory_format=torch.channels_last if channels_last else torch.contiguous_format)


class _ConvK4S2Gemm(torch.autograd.Function):
    """``F.conv2d(x, weight, bias, stride=2, padding=1)``, 4x4 kernel: im2col and one product; its input
    gradient is the transposed convolution's forward (col2im), its weight gradient one product."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
        n, _, hh, ww = x.shape
        ctx.save_for_backward(x, weight)
        ctx.has_bias = bias is not None
        y = torch.mm(_im2col(x), _taps(weight).t()).view(n, hh // 2, ww // 2, weight.shape[0]).permute(0, 3, 1, 2)
        return _plus_bias(y, bias, x)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        x, weight = ctx.saved_tensors
        n, _, h, w = grad.shape
        grad_rows = _rows(grad)
        grad_x = grad_w = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_x = _col2im(torch.mm(grad_rows, _taps(weight)), n, h, w)
        if ctx.needs_input_grad[1]:
            grad_w = _untaps(torch.mm(grad_rows.t(), _im2col(x)), weight)
        if ctx.has_bias and ctx.needs_input_grad[2]:
            grad_b = grad_rows.sum(0)
        return grad_x, grad_w, grad_b


class _ConvTransposeK4S2Gemm(torch.autograd.Function):
    """``F.conv_transpose2d(x, weight, bias, stride=2, padding=1)``, 4x4 kernel, with channels innermost: one
    product and col2im; its input gradient is the convolution's forward (im2col and a product)."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
        n, _, h, w = x.shape
        ctx.save_for_backward(x, weight)
        ctx.has_bias = bias is not None
        return _plus_bias(_col2im(torch.mm(_rows(x), _taps(weight)), n, h, w), bias, x)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        x, weight = ctx.saved_tensors
        n, c, h, w = x.shape
        grad_cols = _im2col(grad)
        grad_x = grad_w = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_x = torch.mm(grad_cols, _taps(weight).t()).view(n, h, w, c).permute(0, 3, 1, 2)
        if ctx.needs_input_grad[1]:
            grad_w = _untaps(torch.mm(_rows(x).t(), grad_cols), weight)
        if ctx.has_bias and ctx.needs_input_grad[2]:
            grad_b = grad.sum((0, 2, 3))
        return grad_x, grad_w, grad_b


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


def _k4s2p1(layer: nn.Module) -> bool:
    return (layer.kernel_size == (4, 4) and layer.stride == (2, 2) and layer.padding == (1, 1)
            and layer.dilation == (1, 1) and layer.groups == 1 and layer.padding_mode == "zeros")


def _cpu_autograd(x: torch.Tensor) -> bool:
    """Whether a call on ``x`` may take a custom CPU form: a non-empty 4-D CPU tensor, outside autocast (whose
    dtype rules are the stock layer's), ``torch.func`` transforms and forward-mode AD."""
    return (x.device.type == "cpu" and x.dim() == 4 and x.numel() > 0 and not torch.is_autocast_enabled("cpu")
            and not _forward_mode_or_transforms())


class FastConvTranspose2d(nn.ConvTranspose2d):
    """:class:`torch.nn.ConvTranspose2d` with the CPU forms of the module docstring: for the 4x4, stride-2,
    padding-1 case, one product with at most ``MAX_OUT_CHANNELS`` output channels
    (:func:`conv_transpose_k4s2`) or an input of at most ``GEMM_MAX_PIXELS`` pixels; the bias
    gradient of the others as a sum."""

    def _path(self, x: torch.Tensor, output_size: list[int] | None = None) -> str:
        """``"product"``, ``"gemm"``, ``"sum_bias"`` or ``"stock"``: how a call on ``x`` is computed."""
        if not _cpu_autograd(x):  # padding_mode: ConvTranspose2d accepts only "zeros"
            return "stock"
        if output_size is None and _k4s2p1(self) and self.output_padding == (0, 0):
            if self.out_channels <= MAX_OUT_CHANNELS:
                return "product"
            if x.shape[2] * x.shape[3] <= GEMM_MAX_PIXELS:
                return "gemm"
        needs_grad = torch.is_grad_enabled() and (x.requires_grad or any(p.requires_grad for p in self.parameters()))
        wide = self.out_channels >= SUM_BIAS_MIN_OUT_CHANNELS
        return "sum_bias" if self.bias is not None and wide and needs_grad else "stock"

    def forward(self, input: torch.Tensor, output_size: list[int] | None = None) -> torch.Tensor:
        path = self._path(input, output_size)
        if path == "product":
            return conv_transpose_k4s2(input, self.weight, self.bias)
        if path == "gemm":
            return _ConvTransposeK4S2Gemm.apply(input, self.weight, self.bias)
        if path == "stock":
            return super().forward(input, output_size)
        output_padding = self._output_padding(input, output_size, self.stride, self.padding, self.kernel_size,
                                              2, self.dilation)
        return _ConvTransposeSumBias.apply(input, self.weight, self.bias, self.stride, self.padding,
                                           tuple(output_padding), self.groups, self.dilation)


class FastConv2d(nn.Conv2d):
    """:class:`torch.nn.Conv2d` that computes the 4x4, stride-2, padding-1 case with an output of at most
    ``GEMM_MAX_PIXELS`` pixels (even input sizes) on the CPU as im2col and one product."""

    def _path(self, x: torch.Tensor) -> str:
        """``"gemm"`` or ``"stock"``: how a call on ``x`` is computed."""
        if not (_cpu_autograd(x) and _k4s2p1(self)):
            return "stock"
        h, w = x.shape[2:]
        return "gemm" if h % 2 == 0 and w % 2 == 0 and h * w <= 4 * GEMM_MAX_PIXELS else "stock"

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        if self._path(input) == "gemm":
            return _ConvK4S2Gemm.apply(input, self.weight, self.bias)
        return super().forward(input)


def use_stock_layers(module: nn.Module) -> nn.Module:
    """Turns every :class:`FastConv2d` / :class:`FastConvTranspose2d` in ``module`` into its ``torch.nn`` parent,
    in place (same parameters and state-dict keys): the stock oneDNN / cuDNN computation, e.g. for benchmarks."""
    for layer in module.modules():
        if isinstance(layer, (FastConv2d, FastConvTranspose2d)):
            layer.__class__ = layer.__class__.__mro__[1]
    return module
