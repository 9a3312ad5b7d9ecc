r"""InceptionV3 as used for the Frechet Inception Distance, in plain PyTorch.

This is the network of the original TensorFlow FID code (Heusel et al., 2017, "GANs
Trained by a Two Time-Scale Update Rule Converge to a Local Nash Equilibrium"), with the
module and parameter names of the port in ``pytorch-fid``, so that its weights file
``pt_inception-2015-12-05-6726825d.pth`` loads with ``load_state_dict(strict=True)``.
It differs from the ImageNet InceptionV3 of Szegedy et al. (2016) as the TF graph does:
average pools that ignore padding in the A, C and first E blocks, a max pool in the last
E block and a 1008-way classifier (``fc``, unused for features).

Features are the 2048-d global average pool ("pool3") after ``Mixed_7c``. Inputs are
resized to 299x299 bilinearly (``align_corners=False``) and scaled to [-1, 1].

The weights are never downloaded by vaelab. They are looked for, in order, at an explicit
path, at ``$VAELAB_INCEPTION``, and in torch's hub cache
(``$TORCH_HOME/hub/checkpoints/``, by default ``~/.cache/torch/hub/checkpoints/``).

Example:
    >>> net = FIDInceptionV3()  # random weights; see load_inception for the real ones
    >>> net(torch.rand(2, 1, 32, 32)).shape
    torch.Size([2, 2048])
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from vaelab.errors import DataError

__all__ = [
    "INCEPTION_FILENAME",
    "INCEPTION_URL",
    "INCEPTION_SHA256_PREFIX",
    "FIDInceptionV3",
    "find_inception_weights",
    "load_inception",
]

INCEPTION_FILENAME = "pt_inception-2015-12-05-6726825d.pth"
INCEPTION_URL = f"https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/{INCEPTION_FILENAME}"
INCEPTION_SHA256_PREFIX = "6726825d"
_PLACE_IT = f"download {INCEPTION_URL} and place it in ~/.cache/torch/hub/checkpoints/ or point $VAELAB_INCEPTION at it"


class BasicConv2d(nn.Module):
    """Convolution without bias, batch norm (eps 1e-3), ReLU."""

    def __init__(self, cin: int, cout: int, **kwargs):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, bias=False, **kwargs)
        self.bn = nn.BatchNorm2d(cout, eps=0.001)

    def forward(self, x: Tensor) -> Tensor:
        return F.relu(self.bn(self.conv(x)))


def _avg_pool(x: Tensor) -> Tensor:
    return F.avg_pool2d(x, kernel_size=3, stride=1, padding=1, count_include_pad=False)


class InceptionA(nn.Module):
    def __init__(self, cin: int, pool_features: int):
        super().__init__()
        self.branch1x1 = BasicConv2d(cin, 64, kernel_size=1)
        self.branch5x5_1 = BasicConv2d(cin, 48, kernel_size=1)
        self.branch5x5_2 = BasicConv2d(48, 64, kernel_size=5, padding=2)
        self.branch3x3dbl_1 = BasicConv2d(cin, 64, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, kernel_size=3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, kernel_size=3, padding=1)
        self.branch_pool = BasicConv2d(cin, pool_features, kernel_size=1)

    def forward(self, x: Tensor) -> Tensor:
        return torch.cat([
            self.branch1x1(x),
            self.branch5x5_2(self.branch5x5_1(x)),
            self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x))),
            self.branch_pool(_avg_pool(x)),
        ], 1)


class InceptionB(nn.Module):
    def __init__(self, cin: int):
        super().__init__()
        self.branch3x3 = BasicConv2d(cin, 384, kernel_size=3, stride=2)
        self.branch3x3dbl_1 = BasicConv2d(cin, 64, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, kernel_size=3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, kernel_size=3, stride=2)

    def forward(self, x: Tensor) -> Tensor:
        return torch.cat([
            self.branch3x3(x),
            self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x))),
            F.max_pool2d(x, kernel_size=3, stride=2),
        ], 1)


class InceptionC(nn.Module):
    def __init__(self, cin: int, channels_7x7: int):
        super().__init__()
        c7 = channels_7x7
        self.branch1x1 = BasicConv2d(cin, 192, kernel_size=1)
        self.branch7x7_1 = BasicConv2d(cin, c7, kernel_size=1)
        self.branch7x7_2 = BasicConv2d(c7, c7, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7_3 = BasicConv2d(c7, 192, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_1 = BasicConv2d(cin, c7, kernel_size=1)
        self.branch7x7dbl_2 = BasicConv2d(c7, c7, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_3 = BasicConv2d(c7, c7, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7dbl_4 = BasicConv2d(c7, c7, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_5 = BasicConv2d(c7, 192, kernel_size=(1, 7), padding=(0, 3))
        self.branch_pool = BasicConv2d(cin, 192, kernel_size=1)

    def forward(self, x: Tensor) -> Tensor:
        b7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        d7 = self.branch7x7dbl_1(x)
        for layer in (self.branch7x7dbl_2, self.branch7x7dbl_3, self.branch7x7dbl_4, self.branch7x7dbl_5):
            d7 = layer(d7)
        return torch.cat([self.branch1x1(x), b7, d7, self.branch_pool(_avg_pool(x))], 1)


class InceptionD(nn.Module):
    def __init__(self, cin: int):
        super().__init__()
        self.branch3x3_1 = BasicConv2d(cin, 192, kernel_size=1)
        self.branch3x3_2 = BasicConv2d(192, 320, kernel_size=3, stride=2)
        self.branch7x7x3_1 = BasicConv2d(cin, 192, kernel_size=1)
        self.branch7x7x3_2 = BasicConv2d(192, 192, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7x3_3 = BasicConv2d(192, 192, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7x3_4 = BasicConv2d(192, 192, kernel_size=3, stride=2)

    def forward(self, x: Tensor) -> Tensor:
        b7 = x
        for layer in (self.branch7x7x3_1, self.branch7x7x3_2, self.branch7x7x3_3, self.branch7x7x3_4):
            b7 = layer(b7)
        return torch.cat([
            self.branch3x3_2(self.branch3x3_1(x)),
            b7,
            F.max_pool2d(x, kernel_size=3, stride=2),
        ], 1)


class InceptionE(nn.Module):
    """The E block; ``max_pool=True`` is the last block of the FID graph (a max pool branch)."""

    def __init__(self, cin: int, max_pool: bool = False):
        super().__init__()
        self.max_pool = max_pool
        self.branch1x1 = BasicConv2d(cin, 320, kernel_size=1)
        self.branch3x3_1 = BasicConv2d(cin, 384, kernel_size=1)
        self.branch3x3_2a = BasicConv2d(384, 384, kernel_size=(1, 3), padding=(0, 1))
        self.branch3x3_2b = BasicConv2d(384, 384, kernel_size=(3, 1), padding=(1, 0))
        self.branch3x3dbl_1 = BasicConv2d(cin, 448, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(448, 384, kernel_size=3, padding=1)
        self.branch3x3dbl_3a = BasicConv2d(384, 384, kernel_size=(1, 3), padding=(0, 1))
        self.branch3x3dbl_3b = BasicConv2d(384, 384, kernel_size=(3, 1), padding=(1, 0))
        self.branch_pool = BasicConv2d(cin, 192, kernel_size=1)

    def forward(self, x: Tensor) -> Tensor:
        b3 = self.branch3x3_1(x)
        d3 = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        pooled = F.max_pool2d(x, kernel_size=3, stride=1, padding=1) if self.max_pool else _avg_pool(x)
        return torch.cat([
            self.branch1x1(x),
            self.branch3x3_2a(b3), self.branch3x3_2b(b3),
            self.branch3x3dbl_3a(d3), self.branch3x3dbl_3b(d3),
            self.branch_pool(pooled),
        ], 1)


class FIDInceptionV3(nn.Module):
    """InceptionV3 of the TF FID graph returning the 2048-d pool features.

    The module always stays in evaluation mode (batch norm uses its running statistics).

    Args:
        value_range: Range of the input images; it is mapped to [-1, 1]. Images with one
            channel are repeated to three.

    Attributes:
        num_features: 2048, the feature size (read by torchmetrics' FID).
    """

    num_features: int = 2048

    def __init__(self, value_range: tuple[float, float] = (0.0, 1.0)):
        super().__init__()
        self.value_range = tuple(float(v) for v in value_range)
        self.Conv2d_1a_3x3 = BasicConv2d(3, 32, kernel_size=3, stride=2)
        self.Conv2d_2a_3x3 = BasicConv2d(32, 32, kernel_size=3)
        self.Conv2d_2b_3x3 = BasicConv2d(32, 64, kernel_size=3, padding=1)
        self.Conv2d_3b_1x1 = BasicConv2d(64, 80, kernel_size=1)
        self.Conv2d_4a_3x3 = BasicConv2d(80, 192, kernel_size=3)
        self.Mixed_5b = InceptionA(192, pool_features=32)
        self.Mixed_5c = InceptionA(256, pool_features=64)
        self.Mixed_5d = InceptionA(288, pool_features=64)
        self.Mixed_6a = InceptionB(288)
        self.Mixed_6b = InceptionC(768, channels_7x7=128)
        self.Mixed_6c = InceptionC(768, channels_7x7=160)
        self.Mixed_6d = InceptionC(768, channels_7x7=160)
        self.Mixed_6e = InceptionC(768, channels_7x7=192)
        self.Mixed_7a = InceptionD(768)
        self.Mixed_7b = InceptionE(1280)
        self.Mixed_7c = InceptionE(2048, max_pool=True)
        self.fc = nn.Linear(2048, 1008)
        self.eval()

    def train(self, mode: bool = True) -> FIDInceptionV3:
        return super().train(False)

    def preprocess(self, x: Tensor) -> Tensor:
        """Maps ``(B, 1 or 3, H, W)`` images in ``value_range`` to ``(B, 3, 299, 299)`` in [-1, 1]."""
        if x.ndim != 4 or x.shape[1] not in (1, 3):
            raise DataError(f"InceptionV3 needs (B, 1 or 3, H, W) images, got shape {tuple(x.shape)}")
        lo, hi = self.value_range
        x = x.float()
        if x.shape[1] == 1:
            x = x.expand(-1, 3, -1, -1)
        x = F.interpolate(x, size=(299, 299), mode="bilinear", align_corners=False)
        return (x - lo) * (2.0 / (hi - lo)) - 1.0

    def forward(self, x: Tensor) -> Tensor:
        """Returns the ``(B, 2048)`` pool3 features of images in ``value_range``."""
        x = self.preprocess(x)
        x = self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x)))
        x = F.max_pool2d(x, kernel_size=3, stride=2)
        x = self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(x))
        x = F.max_pool2d(x, kernel_size=3, stride=2)
        for block in (self.Mixed_5b, self.Mixed_5c, self.Mixed_5d, self.Mixed_6a, self.Mixed_6b,
                      self.Mixed_6c, self.Mixed_6d, self.Mixed_6e, self.Mixed_7a, self.Mixed_7b, self.Mixed_7c):
            x = block(x)
        return x.mean(dim=(2, 3))


def find_inception_weights(path: str | Path | None = None) -> Path | None:
    """Returns where the FID Inception weights are, or ``None`` when the default place is empty.

    The file is looked for at ``path`` (a file, or a folder holding
    :data:`INCEPTION_FILENAME`), else at ``$VAELAB_INCEPTION`` (same rules), else in
    ``torch.hub.get_dir() / "checkpoints"`` (``$TORCH_HOME/hub/checkpoints`` or
    ``~/.cache/torch/hub/checkpoints``).

    Raises:
        DataError: An explicit ``path`` or ``$VAELAB_INCEPTION`` that holds no such file.
    """
    explicit = path if path is not None else os.environ.get("VAELAB_INCEPTION") or None
    if explicit is not None:
        candidate = Path(explicit).expanduser()
        if candidate.is_dir():
            candidate = candidate / INCEPTION_FILENAME
        if not candidate.is_file():
            source = "" if path is not None else " ($VAELAB_INCEPTION)"
            raise DataError(f"InceptionV3 weights not found at {candidate}{source}; {_PLACE_IT}")
        return candidate
    candidate = Path(torch.hub.get_dir()) / "checkpoints" / INCEPTION_FILENAME
    return candidate if candidate.is_file() else None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def load_inception(
    path: str | Path | None = None,
    value_range: tuple[float, float] = (0.0, 1.0),
) -> tuple[FIDInceptionV3, dict]:
    """Builds :class:`FIDInceptionV3` and loads the pytorch-fid weights strictly.

    The weights file is a ``torch.save``-d state dict (parameter name -> tensor) of the
    TF FID InceptionV3 in pytorch-fid's naming, as found at :data:`INCEPTION_URL`.

    Args:
        path: The weights file or its folder; see :func:`find_inception_weights`.
        value_range: Range of the images the network will be given.

    Returns:
        ``(network, description)``; the description records the path, the SHA-256
        prefix of the file and whether it is the official file (prefix ``6726825d``).

    Raises:
        DataError: The file is missing, unreadable or not a matching state dict.
    """
    found = find_inception_weights(path)
    if found is None:
        raise DataError(f"InceptionV3 weights {INCEPTION_FILENAME} not found; {_PLACE_IT}")
    try:
        state = torch.load(found, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 -- torch.load raises many types on damaged files
        reason = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise DataError(f"cannot read InceptionV3 weights {found} ({reason[:120]}); {_PLACE_IT}") from None
    if not isinstance(state, dict):
        raise DataError(f"InceptionV3 weights {found} hold a {type(state).__name__}, not a state dict; {_PLACE_IT}")
    net = FIDInceptionV3(value_range)
    try:
        net.load_state_dict(state, strict=True)
    except RuntimeError as e:
        reason = " ".join(str(e).split())
        raise DataError(f"InceptionV3 weights {found} do not match the FID network ({reason[:160]}); {_PLACE_IT}") from None
    net.requires_grad_(False)
    sha = _sha256(found)
    description = {
        "kind": "inception",
        "name": "InceptionV3 (TF FID graph, pytorch-fid weights), pool3",
        "dims": FIDInceptionV3.num_features,
        "path": str(found),
        "sha256": sha,
        "official": sha.startswith(INCEPTION_SHA256_PREFIX),
    }
    return net, description
