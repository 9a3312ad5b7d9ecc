r"""Deterministic-encoder autoencoders: the shared forward pass of WAE, cWAE, AAE and RAE.

The encoder maps :math:`x` to a code :math:`z = \mu(x)` (the :math:`k = 1` head of AVAE
Tables VIII-IX). The loss is a scaled reconstruction NLL plus a regulariser on the codes:

.. math:: \mathcal{L} = s \cdot \mathrm{NLL}(x \mid \mathrm{dec}(\tilde z)) + R(\tilde z),
   \qquad \tilde z = \mathrm{noise}(z).

Variants change :meth:`Autoencoder.regularizer` (MMD, adversarial, norm penalties) and,
for stochastic encoders with fixed additive noise (cWAE, VCAE), :meth:`Autoencoder.add_noise`.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from vaelab.models.base import Model, ModelConfig, check_range

__all__ = ["AutoencoderConfig", "Autoencoder"]


@dataclass
class AutoencoderConfig(ModelConfig):
    """Settings shared by deterministic-encoder models.

    Attributes:
        recon_scale: Factor on the reconstruction NLL (the RECONS-SCALAR of AVAE Table XI).
    """

    recon_scale: float = 1.0

    def validate(self) -> None:
        super().validate()
        check_range("recon_scale", self.recon_scale, 0.0, strict=True)


class Autoencoder(Model):
    """A deterministic encoder and decoder trained on ``recon_scale * NLL + regularizer``."""

    Config = AutoencoderConfig
    head = 1

    def add_noise(self, z: Tensor) -> Tensor:
        """Maps codes to the latent sample that is decoded and regularised (identity here)."""
        return z

    def regularizer(self, z: Tensor) -> tuple[Tensor, dict[str, Tensor]]:
        """Returns the weighted penalty on the ``(B, L)`` codes and its named parts (none here)."""
        return torch.zeros((), device=z.device), {}

    def loss(self, x: Tensor) -> dict[str, Tensor]:
        z = self.add_noise(self.encoder(x))
        recon = self.likelihood.nll(self.decoder(z), x)
        penalty, parts = self.regularizer(z)
        return {"loss": self.config.recon_scale * recon + penalty, "recon": recon, **parts}
