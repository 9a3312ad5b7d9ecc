r"""The adversarial autoencoder (Makhzani et al. 2016).

A deterministic encoder is trained on a scaled reconstruction NLL plus an adversarial
loss: a latent discriminator learns to tell prior draws :math:`z \sim \mathcal{N}(0, I)`
from codes, and the encoder learns to fool it, which matches the aggregate of the codes to
the prior in the Jensen-Shannon sense (thesis Section 4.3). The discriminator is a second
objective with its own Adam.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from vaelab.errors import ConfigError
from vaelab.losses import adversarial_discriminator_loss, adversarial_generator_loss
from vaelab.models.autoencoder import Autoencoder, AutoencoderConfig
from vaelab.models.base import Objective, adversarial_objectives, check_disc_adam, check_range
from vaelab.nets import discriminator

__all__ = ["AAE_DISCRIMINATORS", "AAEConfig", "AAE"]

AAE_DISCRIMINATORS: dict[str, list[int]] = {
    "mnist": [100, 100, 100],
    "celeba": [1024, 4096, 1024],
    "cifar10": [1024, 4096, 1024],
    "dsprites": [1024, 1024, 1024],
    "dsprites_fc": [1024, 1024, 1024],
    "vcae_shapes3d": [1024, 1024, 1024],
    "thesis": [1024, 1024, 1024],
    "vcae_mnist": [100, 100, 100],
    "vcae_celeba": [1024, 4096, 1024],
    "mlp": [100, 100, 100],
}
"""Hidden widths of the AAE discriminator by encoder architecture (AVAE Table X; the
``thesis``, ``dsprites_fc`` and ``vcae_shapes3d`` networks share the dSprites column, ``mlp``
and ``vcae_mnist`` the MNIST one, ``vcae_celeba`` the CelebA one)."""


@dataclass
class AAEConfig(AutoencoderConfig):
    """AAE settings (AVAE Tables X-XI).

    Attributes:
        recon_scale: Factor on the reconstruction NLL (0.05 for every dataset, Table XI).
        beta: Weight of the encoder's adversarial loss (1 for every dataset, Table XI).
        disc_hidden: Hidden widths of the LeakyReLU discriminator; ``None`` takes the
            column of Table X that matches the architecture (:data:`AAE_DISCRIMINATORS`).
        disc_lr: Learning rate of the discriminator's Adam. The seeds do not state it; 1e-4
            is the latent discriminator's rate of thesis Table 5.5 (FactorVAE). At the
            autoencoder's 5e-4 the discriminator overpowers the encoder and the codes
            collapse (measured on 32x32 digits).
        disc_beta1: Adam beta1 of the discriminator (0.9, Adam's default as in the AVAE appendix).
        disc_beta2: Adam beta2 of the discriminator (0.999, Adam's default).
    """

    recon_scale: float = 0.05
    beta: float = 1.0
    disc_hidden: list[int] | None = None
    disc_lr: float = 1e-4
    disc_beta1: float = 0.9
    disc_beta2: float = 0.999

    def validate(self) -> None:
        super().validate()
        check_range("beta", self.beta, 0.0)
        if self.disc_hidden is None and self.architecture not in AAE_DISCRIMINATORS:
            raise ConfigError(f"AVAE Table X has no AAE discriminator for architecture {self.architecture!r}; "
                              "set disc_hidden=[...] (hidden widths)")
        for w in self.disc_hidden or []:
            check_range("disc_hidden", w, 1)
        check_disc_adam(self)


class AAE(Autoencoder):
    """Adversarial autoencoder (Makhzani et al. 2016): recon_scale * NLL + beta * (-log D(codes)).

    The encoder minimises the non-saturating loss :math:`-\\log D(z)`; the discriminator loss
    (``"disc_loss"``) is the binary cross-entropy of prior draws (label 1) against the
    detached codes (label 0).
    """

    Config = AAEConfig
    monitor = "recon"

    def __init__(self, config: AAEConfig, shape: tuple[int, ...], value_range: tuple[float, float] | None):
        super().__init__(config, shape, value_range)
        hidden = config.disc_hidden if config.disc_hidden is not None else AAE_DISCRIMINATORS[config.architecture]
        self.discriminator = discriminator(config.latent_dim, hidden, 1)

    def regularizer(self, z: Tensor) -> tuple[Tensor, dict[str, Tensor]]:
        adversarial = adversarial_generator_loss(self.discriminator(z))
        prior, codes = self.discriminator(torch.cat([torch.randn_like(z), z.detach()])).chunk(2)
        disc_loss = adversarial_discriminator_loss(prior, codes)
        return self.config.beta * adversarial, {"adversarial": adversarial, "disc_loss": disc_loss}

    def objectives(self) -> dict[str, Objective]:
        c = self.config
        return adversarial_objectives(self, self.discriminator, c.disc_lr, (c.disc_beta1, c.disc_beta2))
