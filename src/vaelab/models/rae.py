r"""The regularised autoencoder with L2 decoder regularisation, RAE-L2 (Ghosh et al. 2020).

A deterministic autoencoder trained on

.. math:: \mathcal{L} = \mathrm{NLL} + \beta \tfrac12 \|z\|_2^2 + \lambda \|\theta\|_2^2

with :math:`\theta` the decoder parameters (Ghosh et al. 2020, Eq. 11; AVAE Section IV
uses the L2 variant). It has no prior to sample from: generation goes through an ex-post
density fitted to the training codes, a full-covariance Gaussian by default or a Gaussian
mixture (:mod:`vaelab.samplers`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from torch import Tensor

from vaelab.losses import l2_penalty, rae_code_penalty
from vaelab.models.autoencoder import Autoencoder, AutoencoderConfig
from vaelab.models.base import check_range

__all__ = ["RAEConfig", "RAE"]


@dataclass
class RAEConfig(AutoencoderConfig):
    """RAE settings (AVAE Table XI; ARD-VAE supp. Table 6 agrees).

    Attributes:
        recon_scale: Factor on the reconstruction NLL (1; Ghosh et al. 2020).
        beta: Weight of :math:`\\tfrac12 \\|z\\|^2`. Default 1e-4 (MNIST, CelebA, dSprites,
            3D Shapes); 1e-3 for CIFAR10 (and ImageNet32).
        dec_l2: Weight of the squared L2 norm of the decoder parameters. Default 1e-6
            (dSprites, 3D Shapes, CIFAR10); 1e-7 for MNIST and CelebA.
    """

    beta: float = 1e-4
    dec_l2: float = 1e-6
    dataset_defaults = {
        **{d: {"dec_l2": 1e-7} for d in ("mnist", "digits", "celeba")},
        **{d: {"beta": 1e-3} for d in ("cifar10", "imagenet32")},
    }

    def validate(self) -> None:
        super().validate()
        check_range("beta", self.beta, 0.0)
        check_range("dec_l2", self.dec_l2, 0.0)


class RAE(Autoencoder):
    """RAE-L2 (Ghosh et al. 2020): NLL + beta ||z||^2 / 2 + dec_l2 ||decoder||^2; ex-post Gaussian sampler."""

    Config = RAEConfig
    default_sampler: ClassVar[str] = "gaussian"

    def regularizer(self, z: Tensor) -> tuple[Tensor, dict[str, Tensor]]:
        code = rae_code_penalty(z)
        decoder = l2_penalty(self.decoder.parameters())
        return self.config.beta * code + self.config.dec_l2 * decoder, {"code_norm": code, "decoder_l2": decoder}
