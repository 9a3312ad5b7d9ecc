r"""Encoder and decoder networks from the seeds' architecture tables, selectable by name.

Every builder takes the observation shape, the latent size and the encoder head
multiplier ``k`` (2 for Gaussian encoders that output a mean and a log-variance, 1 for
deterministic encoders -- the :math:`\mathrm{FC}_{k \times n}` of AVAE Tables VIII-IX) and
returns ``(encoder, decoder)``. The encoder maps ``(B, *shape)`` to ``(B, k * latent_dim)``;
the decoder maps ``(B, latent_dim)`` to ``(B, *shape)`` *before* the output activation,
which belongs to the likelihood (logits for Bernoulli, sigmoid / tanh means for Gaussian;
the tables' SIGMOID / TANH / NONE rows).

Convolutions are 4x4 (5x5 in VCAE's CelebA network); stride-2 layers are padded so each
halves the size, rounding up like TensorFlow's "same" padding (28 -> 14 -> 7 -> 4 -> 2), or
doubles it. The last decoder layer of the CelebA and CIFAR10 networks (and of VCAE's MNIST
and CelebA networks) has stride 1; it is a convolution padded to keep the size.

Example:
    >>> enc, dec = build_networks("dsprites", (1, 64, 64), latent_dim=6, head=2)
    >>> enc(torch.zeros(3, 1, 64, 64)).shape, dec(torch.zeros(3, 6)).shape
    (torch.Size([3, 12]), torch.Size([3, 1, 64, 64]))
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import torch
from torch import nn

from vaelab.convops import FastConv2d, FastConvTranspose2d
from vaelab.errors import ConfigError

__all__ = ["ARCHITECTURES", "build_networks", "memory_layout", "ConvEncoder", "ConvDecoder", "mlp", "discriminator"]

Shape = tuple[int, ...]


class Reshape(nn.Module):
    def __init__(self, *shape: int):
        super().__init__()
        self.shape = shape

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape(x.shape[0], *self.shape)

    def extra_repr(self) -> str:
        return f"shape={self.shape}"


def _same_padding(size: int, kernel: int) -> tuple[int, int]:
    """Left / right padding of a stride-2 convolution whose output is ``ceil(size / 2)`` (TensorFlow "same")."""
    total = max((math.ceil(size / 2) - 1) * 2 + kernel - size, 0)
    return total // 2, total - total // 2


def _conv_block(cin: int, cout: int, bn: bool, transpose: bool = False, kernel: int = 4,
                size: int = 2) -> list[nn.Module]:
    """A stride-2 convolution that halves ``size`` (rounding up), or a transposed one that doubles it."""
    if transpose:
        pad = (kernel - 1) // 2
        layer = FastConvTranspose2d(cin, cout, kernel, stride=2, padding=pad, output_padding=2 * pad + 2 - kernel,
                                    bias=not bn)
        layers: list[nn.Module] = [layer]
    else:
        left, right = _same_padding(size, kernel)
        if left == right:
            layers = [FastConv2d(cin, cout, kernel, stride=2, padding=left, bias=not bn)]
        else:
            layers = [nn.ZeroPad2d((left, right, left, right)), nn.Conv2d(cin, cout, kernel, stride=2, bias=not bn)]
    act = nn.ReLU(inplace=True)  # in place: a feature map less to allocate per layer (same values)
    return layers + [nn.BatchNorm2d(cout), act] if bn else layers + [act]


class ConvEncoder(nn.Sequential):
    """Stride-2 convolutions, flatten, optional hidden FC layers, FC head.

    Args:
        shape: Input ``(C, H, W)``.
        channels: Output channels of each convolution.
        out_features: Head width (``k * latent_dim``).
        bn: Batch normalisation after each convolution.
        hidden: Widths of ReLU fully connected layers between flatten and head.
        kernel: Kernel size; each convolution is padded so the output is ``ceil(H / 2)``.
    """

    def __init__(
        self,
        shape: Shape,
        channels: Sequence[int],
        out_features: int,
        bn: bool = False,
        hidden: Sequence[int] = (),
        kernel: int = 4,
    ):
        c, h, w = shape
        layers: list[nn.Module] = []
        for cout in channels:
            layers += _conv_block(c, cout, bn, kernel=kernel, size=h)
            c, h, w = cout, math.ceil(h / 2), math.ceil(w / 2)
        layers.append(nn.Flatten())
        width = c * h * w
        for n in hidden:
            layers += [nn.Linear(width, n), nn.ReLU()]
            width = n
        layers.append(nn.Linear(width, out_features))
        super().__init__(*layers)


class ConvDecoder(nn.Sequential):
    """FC layers to a ``(C0, H0, W0)`` map, stride-2 transposed convolutions, output layer.

    Args:
        latent_dim: Input size.
        start: Shape ``(C0, H0, W0)`` of the first feature map.
        channels: Output channels of the intermediate transposed convolutions.
        out_channels: Channels of the observation.
        bn: Batch normalisation after each intermediate transposed convolution.
        hidden: Widths of ReLU FC layers before the layer producing the first map.
        last_stride: 2 for a final upsampling layer, 1 for a same-size convolution.
        start_activation: ReLU after the FC layer producing the first map.
        kernel: Kernel size of every (transposed) convolution.
    """

    def __init__(
        self,
        latent_dim: int,
        start: Shape,
        channels: Sequence[int],
        out_channels: int,
        bn: bool = False,
        hidden: Sequence[int] = (),
        last_stride: int = 2,
        start_activation: bool = False,
        kernel: int = 4,
    ):
        layers: list[nn.Module] = []
        width = latent_dim
        for n in hidden:
            layers += [nn.Linear(width, n), nn.ReLU()]
            width = n
        layers += [nn.Linear(width, math.prod(start)), Reshape(*start)]
        if start_activation:
            layers.append(nn.ReLU())
        c = start[0]
        for cout in channels:
            layers += _conv_block(c, cout, bn, transpose=True, kernel=kernel)
            c = cout
        if last_stride == 2:
            layers += _conv_block(c, out_channels, False, transpose=True, kernel=kernel)[:1]
        else:
            left = (kernel - 1) // 2
            layers += [nn.ZeroPad2d((left, kernel - 1 - left, left, kernel - 1 - left)),
                       nn.Conv2d(c, out_channels, kernel)]
        super().__init__(*layers)


def _require(shape: Shape, name: str, sizes: Sequence[int]) -> tuple[int, int, int]:
    if len(shape) != 3 or shape[1] != shape[2] or shape[1] not in sizes:
        want = " or ".join(f"(C, {s}, {s})" for s in sizes)
        raise ConfigError(f"architecture {name!r} needs images of shape {want}, got {tuple(shape)}; "
                          f"choose another architecture (e.g. architecture=mlp)")
    return shape  # type: ignore[return-value]


def dsprites_net(shape: Shape, latent_dim: int, head: int) -> tuple[nn.Module, nn.Module]:
    """AVAE Table IX (also ARD-VAE supp. Table 5) as printed: dSprites / 3D Shapes, 64x64xC.

    Four convolutions, flatten (4x4x64) and the head; the decoder mirrors it from one FC layer.
    :func:`dsprites_fc_net` is the layout with FC 256 layers of the references these tables cite.
    """
    c, s, _ = _require(shape, "dsprites", (64,))
    enc = ConvEncoder(shape, (32, 32, 64, 64), head * latent_dim)
    dec = ConvDecoder(latent_dim, (64, 4, 4), (64, 32, 32), c)
    return enc, dec


def dsprites_fc_net(shape: Shape, latent_dim: int, head: int) -> tuple[nn.Module, nn.Module]:
    """dSprites / 3D Shapes, 64x64xC, with FC 256 layers (Kim & Mnih 2018; VCAE Table 4, 3D Shapes).

    Encoder: the convolutions of AVAE Table IX -> flatten -> FC 256 -> head; decoder: FC 256 ->
    FC 4x4x64 (ReLU) -> the transposed convolutions of Table IX. AVAE Table IX and ARD-VAE supp.
    Table 5 print no FC 256 layers, but the networks of the references they cite ([17], [47])
    and of VCAE Table 4 have them.
    """
    c, _, _ = _require(shape, "dsprites_fc", (64,))
    enc = ConvEncoder(shape, (32, 32, 64, 64), head * latent_dim, hidden=(256,))
    dec = ConvDecoder(latent_dim, (64, 4, 4), (64, 32, 32), c, hidden=(256,), start_activation=True)
    return enc, dec


def thesis_net(shape: Shape, latent_dim: int, head: int) -> tuple[nn.Module, nn.Module]:
    """Thesis Table 5.2: four 32-channel convolutions and three FC layers each way (502,005 parameters at L = 10).

    Encoder conv x4 -> flatten (512) -> FC 256 -> FC 256 -> FC k*L; decoder FC 256 -> FC 256 ->
    FC 512 -> reshape (32, 4, 4) -> three 32-channel transposed convolutions -> output layer.
    The table's text ("four convolutional layers and three linear fully connected layers") and
    its parameter count (502,005 for L = 10, k = 2) fix this reading of the garbled table.
    """
    c, _, _ = _require(shape, "thesis", (64,))
    enc = ConvEncoder(shape, (32, 32, 32, 32), head * latent_dim, hidden=(256, 256))
    dec = ConvDecoder(latent_dim, (32, 4, 4), (32, 32, 32), c, hidden=(256, 256), start_activation=True)
    return enc, dec


def mnist_net(shape: Shape, latent_dim: int, head: int) -> tuple[nn.Module, nn.Module]:
    """AVAE Table VIII, MNIST column (32x32x1; also used for resized digits)."""
    c, _, _ = _require(shape, "mnist", (32,))
    enc = ConvEncoder(shape, (64, 128, 256, 512), head * latent_dim, bn=True)
    dec = ConvDecoder(latent_dim, (512, 2, 2), (256, 128, 64), c, bn=True)
    return enc, dec


def celeba_net(shape: Shape, latent_dim: int, head: int) -> tuple[nn.Module, nn.Module]:
    """AVAE Table VIII, CelebA column (64x64x3, last decoder layer stride 1)."""
    c, _, _ = _require(shape, "celeba", (64,))
    enc = ConvEncoder(shape, (64, 128, 256, 512), head * latent_dim, bn=True)
    dec = ConvDecoder(latent_dim, (512, 8, 8), (256, 128, 64), c, bn=True, last_stride=1)
    return enc, dec


def cifar10_net(shape: Shape, latent_dim: int, head: int) -> tuple[nn.Module, nn.Module]:
    """AVAE Table VIII, CIFAR10 column (32x32x3; ARD-VAE uses it for ImageNet32 too)."""
    c, _, _ = _require(shape, "cifar10", (32,))
    enc = ConvEncoder(shape, (128, 256, 512, 1024), head * latent_dim, bn=True)
    dec = ConvDecoder(latent_dim, (1024, 8, 8), (512, 256), c, bn=True, last_stride=1)
    return enc, dec


def vcae_mnist_net(shape: Shape, latent_dim: int, head: int) -> tuple[nn.Module, nn.Module]:
    """VCAE Table 4, MNIST (28x28x1, after Tolstikhin et al. 2018).

    Encoder: Conv 128, 256, 512, 1024 (4x4, stride 2, "same" padding: 14, 7, 4, 2), BN, ReLU ->
    flatten -> FC k*L. Decoder: FC 7x7x1024 -> TConv 512, 256 (BN, ReLU) -> a 4x4 stride-1 layer.
    """
    c, _, _ = _require(shape, "vcae_mnist", (28,))
    enc = ConvEncoder(shape, (128, 256, 512, 1024), head * latent_dim, bn=True)
    dec = ConvDecoder(latent_dim, (1024, 7, 7), (512, 256), c, bn=True, last_stride=1)
    return enc, dec


def vcae_celeba_net(shape: Shape, latent_dim: int, head: int) -> tuple[nn.Module, nn.Module]:
    """VCAE Table 4, CelebA (64x64x3, 5x5 kernels, after Tolstikhin et al. 2018).

    Encoder: Conv 128, 256, 512, 1024 (5x5, stride 2), BN, ReLU -> flatten (4x4x1024) -> FC k*L.
    Decoder: FC 8x8x1024 -> TConv 512, 256, 128 (5x5, stride 2, BN, ReLU) -> a 5x5 stride-1 layer.
    """
    c, _, _ = _require(shape, "vcae_celeba", (64,))
    enc = ConvEncoder(shape, (128, 256, 512, 1024), head * latent_dim, bn=True, kernel=5)
    dec = ConvDecoder(latent_dim, (1024, 8, 8), (512, 256, 128), c, bn=True, last_stride=1, kernel=5)
    return enc, dec


def mlp(sizes: Sequence[int]) -> nn.Sequential:
    """ReLU multilayer perceptron through ``sizes`` (no activation after the last layer)."""
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def mlp_net(shape: Shape, latent_dim: int, head: int, hidden: Sequence[int] = (256, 256)) -> tuple[nn.Module, nn.Module]:
    """Fully connected encoder / decoder for vectors or small images (toy data)."""
    d = math.prod(shape)
    enc = nn.Sequential(nn.Flatten(), mlp((d, *hidden, head * latent_dim)))
    dec = nn.Sequential(mlp((latent_dim, *reversed(hidden), d)), Reshape(*shape))
    return enc, dec


# -- Networks of the ARD-VAE's competitors (ARD-VAE Tables 4-5) --------------------------------


def maskaae_mnist_net(shape: Shape, latent_dim: int, head: int) -> tuple[nn.Module, nn.Module]:
    """The MaskAAE's MNIST network (ARD-VAE Table 4; Mondal et al. 2020, released code):
    fully connected, four hidden ReLU layers of 1024 units in the encoder and in the decoder.
    Any input shape (the code trains on 28x28 MNIST; vaelab's MNIST is padded to 32x32)."""
    return mlp_net(shape, latent_dim, head, hidden=(1024,) * 4)


class _UpsampleDecoder(nn.Sequential):
    def __init__(self, latent_dim: int, start: Shape, channels: Sequence[int], out_channels: int, hidden: int):
        layers: list[nn.Module] = [nn.Linear(latent_dim, hidden), nn.ReLU(), nn.Linear(hidden, math.prod(start)),
                                   nn.ReLU(), Reshape(*start)]
        c = start[0]
        for cout in channels:
            layers += [nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(c, cout, 3, padding=1), nn.ReLU()]
            c = cout
        layers.append(nn.Conv2d(c, out_channels, 3, padding=1))
        super().__init__(*layers)


def geco_mnist_net(shape: Shape, latent_dim: int, head: int) -> tuple[nn.Module, nn.Module]:
    """A GECO-L0-ARM-VAE-style network for 32x32 images (ARD-VAE Table 5), vaelab's reading.

    The ARD-VAE describes the network of De Boom et al. (2021) only as having "non-trainable
    upsampling layers in the decoder"; the layer widths here are ours: encoder three
    stride-2 4x4 convolutions (32, 64, 128), FC 256, head; decoder FC 256, FC 128x4x4, three
    nearest-neighbour x2 upsamplings each followed by a 3x3 convolution (64, 32, 32) and
    ReLU, and a 3x3 output convolution.
    """
    c, _, _ = _require(shape, "geco_mnist", (32,))
    enc = ConvEncoder(shape, (32, 64, 128), head * latent_dim, hidden=(256,))
    dec = _UpsampleDecoder(latent_dim, (128, 4, 4), (64, 32, 32), c, hidden=256)
    return enc, dec


ARCHITECTURES: dict[str, Callable[[Shape, int, int], tuple[nn.Module, nn.Module]]] = {
    "dsprites": dsprites_net,
    "dsprites_fc": dsprites_fc_net,
    "thesis": thesis_net,
    "mnist": mnist_net,
    "celeba": celeba_net,
    "cifar10": cifar10_net,
    "vcae_mnist": vcae_mnist_net,
    "vcae_celeba": vcae_celeba_net,
    "vcae_shapes3d": dsprites_fc_net,
    "mlp": mlp_net,
    "maskaae_mnist": maskaae_mnist_net,
    "geco_mnist": geco_mnist_net,
}
"""Architectures by name; ``vcae_shapes3d`` (VCAE Table 4) is the same network as ``dsprites_fc``."""


def build_networks(name: str, shape: Shape, latent_dim: int, head: int = 1) -> tuple[nn.Module, nn.Module]:
    """Builds the ``(encoder, decoder)`` pair registered as ``name``.

    Args:
        name: One of :data:`ARCHITECTURES`.
        shape: Observation shape.
        latent_dim: Latent size ``L``.
        head: Encoder output multiplier ``k`` (output width ``k * L``).
    """
    if name not in ARCHITECTURES:
        raise ConfigError(f"unknown architecture {name!r}; choose one of: {', '.join(ARCHITECTURES)}")
    if latent_dim < 1 or head < 1:
        raise ConfigError(f"latent_dim and head must be positive, got {latent_dim} and {head}")
    return ARCHITECTURES[name](tuple(shape), latent_dim, head)


def discriminator(in_features: int, hidden: Sequence[int], out_features: int, slope: float = 0.2) -> nn.Sequential:
    """Fully connected LeakyReLU classifier on codes, ending in raw logits.

    FactorVAE uses six hidden layers of 1000 units with slope 0.2 and two logits (Kim &
    Mnih 2018, appendix; thesis Table 5.5; VCAE B.5); the AAE uses one logit and the
    widths of AVAE Table X.

    Args:
        in_features: Code size ``L``.
        hidden: Widths of the hidden layers (each followed by a LeakyReLU).
        out_features: Number of logits.
        slope: Negative slope of the LeakyReLU.
    """
    if any(w < 1 for w in hidden) or out_features < 1 or in_features < 1:
        raise ConfigError(f"discriminator widths must be positive, got {in_features} -> {list(hidden)} -> {out_features}")
    layers: list[nn.Module] = []
    width = in_features
    for n in hidden:
        layers += [nn.Linear(width, n), nn.LeakyReLU(slope)]
        width = n
    layers.append(nn.Linear(width, out_features))
    return nn.Sequential(*layers)


def memory_layout(model: nn.Module, shape: Sequence[int], channels_last: bool = True) -> torch.memory_format:
    """Channels-last for a model with 2-D convolutions on ``(C, H, W)`` images when asked, else contiguous.

    The layout changes how feature maps are stored, not what is computed; oneDNN and cuDNN
    convolutions run faster in it (``benchmarks/bench_foundation.py``).
    """
    convolutional = any(isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)) for m in model.modules())
    return torch.channels_last if channels_last and convolutional and len(shape) == 3 else torch.contiguous_format
