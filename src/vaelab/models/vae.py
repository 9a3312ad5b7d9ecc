r"""The Gaussian-encoder family: VAE, beta-VAE, beta-TCVAE, DIP-VAE-I / II.

All use a Gaussian encoder :math:`q(z \mid x) = \mathcal{N}(\mu(x), \mathrm{diag}\,\sigma^2(x))`,
the reparameterisation trick and the closed-form KL to :math:`\mathcal{N}(0, I)` (Kingma &
Welling 2014); the beta-VAE weights the KL by :math:`\beta` (Higgins et al. 2017; thesis
Eq. 4.1). Variants of this family change only :meth:`GaussianVAE.regularizer`: the
beta-TCVAE reweights the total correlation (Chen et al. 2018), DIP-VAE-I / II penalise the
covariance of the aggregate posterior (Kumar et al. 2018), and FactorVAE
(:mod:`vaelab.models.factor_vae`) estimates the total correlation with a discriminator.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor
from torch.distributions import Distribution, Independent, Normal

from vaelab.losses import dip_covariance, dip_penalty, gaussian_kl, reparameterize, total_correlation_mws
from vaelab.models.base import HookContext, Model, ModelConfig, check_range

__all__ = [
    "VAEConfig",
    "BetaVAEConfig",
    "BetaTCVAEConfig",
    "DIPVAEIConfig",
    "DIPVAEIIConfig",
    "GaussianVAE",
    "VAE",
    "BetaVAE",
    "BetaTCVAE",
    "DIPVAEI",
    "DIPVAEII",
]


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


@dataclass
class BetaTCVAEConfig(VAEConfig):
    """beta-TCVAE settings.

    Attributes:
        beta: Weight of the total correlation term; mutual information and dimension-wise
            KL keep weight 1 (Chen et al. 2018, Eq. 4). Default 5, the dSprites / 3D Shapes
            value of AVAE Table XI and ARD-VAE supp. Table 6; both tables use 2 for MNIST,
            CelebA and CIFAR10 (and ImageNet32).
    """

    beta: float = 5.0
    dataset_defaults = {d: {"beta": 2.0} for d in ("mnist", "digits", "celeba", "cifar10", "imagenet32")}


class BetaTCVAE(GaussianVAE):
    r"""The beta-TCVAE of Chen et al. (2018): KL + (beta - 1) TC, TC by minibatch weighted sampling.

    Since KL = MI + TC + dimension-wise KL (thesis Eq. 4.4), adding :math:`(\beta - 1)`
    times the total correlation weights TC alone by :math:`\beta`, with the KL in closed
    form (as disentanglement_lib does). The estimator needs the number of training items,
    which :meth:`on_train_start` stores in the ``dataset_size`` buffer so checkpoints carry
    it; a model that never saw a training set treats the batch as the whole dataset. The
    estimator's normalisation puts a constant of about :math:`(L - 1) \log N` into the logged
    ``tc`` (and :math:`(\beta - 1)` times it into the loss); it has no gradient.
    """

    Config = BetaTCVAEConfig

    def __init__(self, config: BetaTCVAEConfig, shape: tuple[int, ...], value_range: tuple[float, float] | None):
        super().__init__(config, shape, value_range)
        self.register_buffer("dataset_size", torch.zeros(()))

    def on_train_start(self, ctx: HookContext) -> None:
        self.dataset_size.fill_(len(ctx.train_index))

    def regularizer(self, mu: Tensor, logvar: Tensor, z: Tensor) -> tuple[Tensor, dict[str, Tensor]]:
        kl = gaussian_kl(mu, logvar)
        n = torch.where(self.dataset_size > 0, self.dataset_size, torch.full_like(self.dataset_size, len(z)))
        tc = total_correlation_mws(z, mu, logvar, n)
        return kl + (self.config.beta - 1.0) * tc, {"kl": kl, "tc": tc}


@dataclass
class DIPVAEIConfig(ModelConfig):
    """DIP-VAE-I settings (ARD-VAE supp. Table 6, dSprites and 3D Shapes, after Kumar et al. 2018).

    Attributes:
        lambda_od: Weight of the squared off-diagonal covariance entries (10).
        lambda_d: Weight of the squared deviations of the diagonal from 1 (100).
    """

    lambda_od: float = 10.0
    lambda_d: float = 100.0

    def validate(self) -> None:
        super().validate()
        check_range("lambda_od", self.lambda_od, 0.0)
        check_range("lambda_d", self.lambda_d, 0.0)


@dataclass
class DIPVAEIIConfig(DIPVAEIConfig):
    """DIP-VAE-II settings: lambda_od = lambda_d = 10 (ARD-VAE supp. Table 6, after Kumar et al. 2018)."""

    lambda_d: float = 10.0


class DIPVAEI(GaussianVAE):
    """DIP-VAE-I (Kumar et al. 2018): KL plus a penalty pushing Cov[mu(x)] to the identity."""

    Config = DIPVAEIConfig

    def covariance(self, mu: Tensor, logvar: Tensor) -> Tensor:
        """The ``(L, L)`` covariance the penalty matches to the identity: that of the means."""
        return dip_covariance(mu)

    def regularizer(self, mu: Tensor, logvar: Tensor, z: Tensor) -> tuple[Tensor, dict[str, Tensor]]:
        kl = gaussian_kl(mu, logvar)
        dip = dip_penalty(self.covariance(mu, logvar), self.config.lambda_od, self.config.lambda_d)
        return kl + dip, {"kl": kl, "dip": dip}


class DIPVAEII(DIPVAEI):
    """DIP-VAE-II (Kumar et al. 2018): KL plus a penalty pushing Cov[z] = E[Sigma(x)] + Cov[mu(x)] to the identity."""

    Config = DIPVAEIIConfig

    def covariance(self, mu: Tensor, logvar: Tensor) -> Tensor:
        return dip_covariance(mu, logvar)
