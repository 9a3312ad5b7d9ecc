r"""Encoder and decoder networks from the seeds' architecture tables, selectable by name.

Every builder takes the observation shape, the latent size and the encoder head
multiplier ``k`` (2 for Gaussian encoders that output a mean and a log-variance, 1 for
deterministic encoders -- the :math:`\mathrm{FC}_{k \times n}` of AVAE Tables VIII-IX) and
returns ``(encoder, decoder)``. The encoder maps ``(B, *shape)`` to ``(B, k * latent_dim)``;
the decoder maps ``(B, latent_dim)`` to ``(B, *shape)`` *before* the output activation,
which belongs to the likelihood (logits for Bernoulli, sigmoid / tanh means for Gaussian;
the tables' SIGMOID / TANH / NONE rows).

All convolutions are 4x4; stride-2 layers use padding 1 so each halves (or doubles) the
spatial size. The last decoder layer of the CelebA and CIFAR10 networks has stride 1
(AVAE appendix); it is a 4x4 convolution padded by (1, 2) pixels so the size is kept.

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

from vaelab.errors import ConfigError

__all__ = ["ARCHITECTURES", "build_networks", "ConvEncoder", "ConvDecoder", "mlp", "discriminator"]

Shape = tuple[int, ...]


class Reshape(nn.Module):
    def __init__(self, *shape: int):
        super().__init__()
        self.shape = shape

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape(x.shape[0], *self.shape)

    def extra_repr(self) -> str:
        return f"shape={self.shape}"


def _conv_block(cin: int, cout: int, bn: bool, transpose: bool = False) -> list[nn.Module]:
    layer = (nn.ConvTranspose2d if transpose else nn.Conv2d)(cin, cout, 4, stride=2, padding=1, bias=not bn)
    return [layer, nn.BatchNorm2d(cout), nn.ReLU()] if bn else [layer, nn.ReLU()]


class ConvEncoder(nn.Sequential):
    """Stride-2 4x4 convolutions, flatten, optional hidden FC layers, FC head.

    Args:
        shape: Input ``(C, H, W)``.
        channels: Output channels of each convolution.
        out_features: Head width (``k * latent_dim``).
        bn: Batch normalisation after each convolution.
        hidden: Widths of ReLU fully connected layers between flatten and head.
    """

    def __init__(
        self,
        shape: Shape,
        channels: Sequence[int],
        out_features: int,
        bn: bool = False,
        hidden: Sequence[int] = (),
    ):
        c, h, w = shape
        layers: list[nn.Module] = []
        for cout in channels:
            layers += _conv_block(c, cout, bn)
            c, h, w = cout, h // 2, w // 2
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
        last_stride: 2 for a final upsampling layer, 1 for a same-size 4x4 convolution.
        start_activation: ReLU after the FC layer producing the first map.
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
            layers += _conv_block(c, cout, bn, transpose=True)
            c = cout
        if last_stride == 2:
            layers.append(nn.ConvTranspose2d(c, out_channels, 4, stride=2, padding=1))
        else:
            layers += [nn.ZeroPad2d((1, 2, 1, 2)), nn.Conv2d(c, out_channels, 4)]
        super().__init__(*layers)


def _require(shape: Shape, name: str, sizes: Sequence[int]) -> tuple[int, int, int]:
    if len(shape) != 3 or shape[1] != shape[2] or shape[1] not in sizes:
        want = " or ".join(f"(C, {s}, {s})" for s in sizes)
        raise ConfigError(f"architecture {name!r} needs images of shape {want}, got {tuple(shape)}; "
                          f"choose another architecture (e.g. architecture=mlp)")
    return shape  # type: ignore[return-value]


def dsprites_net(shape: Shape, latent_dim: int, head: int) -> tuple[nn.Module, nn.Module]:
    """AVAE Table IX (also ARD-VAE supp. Table 5): dSprites / 3D Shapes, 64x64xC."""
    c, s, _ = _require(shape, "dsprites", (64,))
    enc = ConvEncoder(shape, (32, 32, 64, 64), head * latent_dim)
    dec = ConvDecoder(latent_dim, (64, 4, 4), (64, 32, 32), c)
    return enc, dec


def thesis_net(shape: Shape, latent_dim: int, head: int) -> tuple[nn.Module, nn.Module]:
    """Thesis Table 5.2: four 32-channel convolutions with FC 256 in both directions.

    Read as: encoder conv x4 -> flatten (512) -> FC 256 -> FC k*L; decoder FC 256 -> FC 512
    -> reshape (32, 4, 4) -> three 32-channel transposed convolutions -> output layer.
    """
    c, _, _ = _require(shape, "thesis", (64,))
    enc = ConvEncoder(shape, (32, 32, 32, 32), head * latent_dim, hidden=(256,))
    dec = ConvDecoder(latent_dim, (32, 4, 4), (32, 32, 32), c, hidden=(256,), start_activation=True)
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


ARCHITECTURES: dict[str, Callable[[Shape, int, int], tuple[nn.Module, nn.Module]]] = {
    "dsprites": dsprites_net,
    "thesis": thesis_net,
    "mnist": mnist_net,
    "celeba": celeba_net,
    "cifar10": cifar10_net,
    "mlp": mlp_net,
}


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
