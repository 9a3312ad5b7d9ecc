r"""The variational autoencoder and the beta-VAE.

Both use a Gaussian encoder :math:`q(z \mid x) = \mathcal{N}(\mu(x), \mathrm{diag}\,\sigma^2(x))`,
the reparameterisation trick and the closed-form KL to :math:`\mathcal{N}(0, I)` (Kingma &
Welling 2014); the beta-VAE weights the KL by :math:`\beta` (Higgins et al. 2017; thesis
Eq. 4.1). Variants of this family change only :meth:`GaussianVAE.regularizer`.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor
from torch.distributions import Distribution, Independent, Normal

from vaelab.losses import gaussian_kl, reparameterize
from vaelab.models.base import Model, ModelConfig, check_range

__all__ = ["VAEConfig", "BetaVAEConfig", "GaussianVAE", "VAE", "BetaVAE"]


@dataclass
class VAEConfig(ModelConfig):
    """VAE settings.

    Attributes:
        beta: Weight of the KL term; 1 gives the evidence lower bound.
    """

    beta: float = 1.0

    def validate(self) -> None:
        super().validate()
        check_range("beta", self.beta, 0.0)


@dataclass
class BetaVAEConfig(VAEConfig):
    """beta-VAE settings; the default beta = 3 is the value the thesis (Table 5.3) finds
    consistently good across the beta-VAE, FactorVAE and MIG metrics on dSprites."""

    beta: float = 3.0


class GaussianVAE(Model):
    """A model with a Gaussian encoder trained on reconstruction NLL plus a regulariser."""

    head = 2

    def posterior_params(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """Returns the ``(B, L)`` mean and log-variance of :math:`q(z \\mid x)`."""
        mu, logvar = self.encoder(x).chunk(2, dim=1)
        return mu, logvar

    def posterior(self, x: Tensor) -> Distribution:
        mu, logvar = self.posterior_params(x)
        return Independent(Normal(mu, (0.5 * logvar).exp()), 1)

    def encode(self, x: Tensor) -> Tensor:
        return self.posterior_params(x)[0]

    def regularizer(self, mu: Tensor, logvar: Tensor, z: Tensor) -> tuple[Tensor, dict[str, Tensor]]:
        """Returns the weighted penalty added to the reconstruction NLL and its named parts."""
        kl = gaussian_kl(mu, logvar)
        return self.config.beta * kl, {"kl": kl}

    def loss(self, x: Tensor) -> dict[str, Tensor]:
        mu, logvar = self.posterior_params(x)
        z = reparameterize(mu, logvar)
        recon = self.likelihood.nll(self.decoder(z), x)
        penalty, parts = self.regularizer(mu, logvar, z)
        return {"loss": recon + penalty, "recon": recon, **parts}


class VAE(GaussianVAE):
    """The VAE of Kingma & Welling (2014): reconstruction NLL + beta * KL, beta = 1 by default."""

    Config = VAEConfig


class BetaVAE(GaussianVAE):
    """The beta-VAE of Higgins et al. (2017), beta = 3 by default (thesis Table 5.3)."""

    Config = BetaVAEConfig
