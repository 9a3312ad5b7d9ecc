r"""The variance-constrained autoencoder (VCAE) and its total-correlation variant (TC-VCAE).

VCAE (Braithwaite, O'Connor & Kleijn; VCAE Section 4) encodes through a fixed Gaussian
channel, :math:`z = \mu_\phi(x) + \epsilon`, :math:`\epsilon \sim \mathcal{N}(0, \sigma_\epsilon^2 I)`,
the same fixed-noise stochastic encoder as the cWAE, but constrains only the total
variance of the aggregate posterior instead of its shape (VCAE Eq. 7):

.. math:: \mathcal{L} = \mathrm{NLL}(x \mid \mathrm{dec}(z))
   + \lambda \,\Big|\sum_d \widehat{\mathrm{Var}}_B[z_d] - v\Big|,

with the variance estimated on each batch of noisy codes (VCAE Algorithm 1) and
:math:`v = L` by default. With :math:`v = L` the channel carries at most
:math:`\tfrac{L}{2} \log_2(1 / \sigma_\epsilon^2)` bits (VCAE Section 4). Generation goes through a
density fitted to the codes after training: a normalising flow (VCAE Table 5;
:mod:`vaelab.samplers.flows`), the ``"flow"`` sampler.

TC-VCAE (VCAE Sections 4 and 6.4) adds :math:`\gamma\,\mathrm{TC}(z)` estimated by the
FactorVAE discriminator (Kim & Mnih 2018; :func:`vaelab.losses.discriminator_tc`), trained
as a second objective.

Example:
    >>> model = build_model("vcae", {"latent_dim": 16, "architecture": "mnist", "likelihood": "gaussian"},
    ...                     (1, 32, 32), (0.0, 1.0))
    >>> model.information_rate_bound  # 8 * log2(20) bits
    34.575...
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from typing import ClassVar

import torch
from torch import Tensor

from vaelab.errors import ConfigError
from vaelab.losses import discriminator_tc, discriminator_tc_loss, permute_dims
from vaelab.models.autoencoder import Autoencoder, AutoencoderConfig
from vaelab.models.base import HookContext, Objective, adversarial_objectives, check_range
from vaelab.models.factor_vae import FactorVAEConfig
from vaelab.nets import discriminator

__all__ = [
    "VCAE_SETTINGS",
    "total_variance",
    "variance_penalty",
    "information_rate_bound",
    "VCAEConfig",
    "VCAE",
    "TCVCAEConfig",
    "TCVCAE",
]

# lambda and sigma_eps^2 of the seed's experiments, by dataset (VCAE appendix B).
VCAE_SETTINGS: dict[str, dict[str, float]] = {
    "mnist": {"lambda_var": 0.1, "noise_var": 0.05},  # B.3.1, B.3.2 (Table 6), L = 16
    "celeba": {"lambda_var": 0.5, "noise_var": 0.05},  # B.4.1, B.4.2 (Table 8), L = 64
    "shapes3d": {"lambda_var": 1.0, "noise_var": 0.1},  # B.5 (TC-VCAE, gamma = 7), L = 6
    "reduced_mnist": {"lambda_var": 2.0, "noise_var": 0.2},  # B.1 (also 0.1; Table 1), L = v = 2
    "mnist_2d": {"lambda_var": 1.0, "noise_var": 0.01},  # B.2 latent space analysis, L = v = 2
}


def total_variance(z: Tensor) -> Tensor:
    r"""Total variance of a batch of ``(B, L)`` codes, :math:`\sum_d \frac1B \sum_i (z_{id} - \bar z_d)^2`.

    The trace of the batch covariance with the population (``1 / B``) normalisation, so a
    single code has variance 0 rather than NaN.
    """
    return (z - z.mean(0)).square().sum(1).mean()


def variance_penalty(z: Tensor, target: float) -> Tensor:
    r"""The VCAE constraint penalty :math:`|\mathrm{tr}\,\widehat{\mathrm{Cov}}_B[z] - v|` (VCAE Eq. 7).

    Args:
        z: ``(B, L)`` codes, noise included.
        target: The total variance ``v``.
    """
    return (total_variance(z) - target).abs()


def information_rate_bound(latent_dim: int, noise_var: float, target: float | None = None) -> float:
    r"""Upper bound in bits on :math:`I(X; Z)` through the channel :math:`z = \mu(x) + \epsilon`.

    With the total variance of :math:`z` fixed at :math:`v`, the entropy of :math:`z` is at
    most that of :math:`\mathcal{N}(0, \tfrac{v}{L} I)`, so
    :math:`I \le \tfrac{L}{2} \log_2\big(\tfrac{v}{L \sigma_\epsilon^2}\big)`; with :math:`v = L`
    (the default) this is :math:`\tfrac{L}{2} \log_2(1 / \sigma_\epsilon^2)` of VCAE Section 4.
    Infinite without noise; 0 when the noise alone fills the variance.

    Args:
        latent_dim: ``L``.
        noise_var: :math:`\sigma_\epsilon^2`.
        target: The total variance ``v`` (``None``: ``L``).
    """
    v = float(latent_dim if target is None else target)
    if noise_var <= 0.0:
        return math.inf
    return max(0.0, latent_dim / 2 * math.log2(v / (latent_dim * noise_var)))


@dataclass
class VCAEConfig(AutoencoderConfig):
    """VCAE settings; defaults are the MNIST setup of VCAE B.3 (see :data:`VCAE_SETTINGS`).

    Attributes:
        recon_scale: Factor on the reconstruction NLL (1; VCAE Algorithm 1 adds the penalty
            to the plain reconstruction error).
        lambda_var: :math:`\\lambda`, weight of the variance penalty. Default 0.1 (MNIST,
            B.3.2 / Table 6); 0.5 for CelebA (B.4.2), 1 for 3D Shapes (B.5) and for the 2-D
            MNIST analysis (B.2), 2 for ReducedMNIST (B.1).
        noise_var: :math:`\\sigma_\\epsilon^2`, variance of the fixed latent noise. Default 0.05
            (MNIST and CelebA, B.3.1 / B.4.1); 0.1 for 3D Shapes (B.5); 0.01 in B.2; 0 gives the
            deterministic dVCAE of Table 1.
        target_variance: ``v``, the total variance of the noisy codes. ``None`` means the
            latent size ``L``, the choice of every experiment in the seed (Section 4).
    """

    recon_scale: float = 1.0
    lambda_var: float = 0.1
    noise_var: float = 0.05
    dataset_defaults = {d: VCAE_SETTINGS[s] for d, s in
                        (("mnist", "mnist"), ("digits", "mnist"), ("celeba", "celeba"), ("shapes3d", "shapes3d"))}
    target_variance: float | None = None

    @property
    def total_variance_target(self) -> float:
        return float(self.latent_dim if self.target_variance is None else self.target_variance)

    def validate(self) -> None:
        super().validate()
        check_range("lambda_var", self.lambda_var, 0.0)
        check_range("noise_var", self.noise_var, 0.0)
        if self.target_variance is not None:
            check_range("target_variance", self.target_variance, 0.0, strict=True)
        if self.noise_var * self.latent_dim > self.total_variance_target:
            raise ConfigError(f"noise_var={self.noise_var} is too large: the noise alone has total variance "
                              f"{self.noise_var * self.latent_dim:g} > target_variance={self.total_variance_target:g}")


class VCAE(Autoencoder):
    """VCAE (VCAE Eq. 7): NLL of codes with fixed noise + lambda |total variance - v|; flow sampler."""

    Config = VCAEConfig
    default_sampler: ClassVar[str] = "flow"

    @property
    def information_rate_bound(self) -> float:
        """The channel's bound on :math:`I(X; Z)` in bits (:func:`information_rate_bound`)."""
        c = self.config
        return information_rate_bound(c.latent_dim, c.noise_var, c.total_variance_target)

    def summary(self) -> dict[str, float]:
        """Constants worth recording with a run: the information-rate bound in bits."""
        return {"info_rate_bound_bits": self.information_rate_bound}

    def add_noise(self, z: Tensor) -> Tensor:
        """The channel :math:`z + \\epsilon`; drawn in every loss evaluation, never in :meth:`encode`."""
        if self.config.noise_var == 0.0:
            return z
        return z + math.sqrt(self.config.noise_var) * torch.randn_like(z)

    def regularizer(self, z: Tensor) -> tuple[Tensor, dict[str, Tensor]]:
        c = self.config
        variance = total_variance(z)
        penalty = (variance - c.total_variance_target).abs()
        return c.lambda_var * penalty, {"variance": variance.detach(), "var_penalty": penalty}

    def on_train_start(self, ctx: HookContext) -> None:
        c = self.config
        print(f"{type(self).__name__}: information-rate bound {self.information_rate_bound:.2f} bits "
              f"(L={c.latent_dim}, noise_var={c.noise_var:g}, v={c.total_variance_target:g})", file=sys.stderr)

    def on_epoch_end(self, ctx: HookContext) -> dict[str, float]:
        return self.summary()


@dataclass
class TCVCAEConfig(VCAEConfig, FactorVAEConfig):
    """TC-VCAE settings: VCAE B.5 (3D Shapes) with the FactorVAE discriminator.

    Attributes:
        lambda_var: Weight of the variance penalty (1; B.5).
        noise_var: Variance of the latent noise (0.1; B.5).
        gamma: Weight of the total correlation (7; B.5 after Kim & Mnih 2018).
        disc_layers: Hidden layers of the discriminator (6; B.5).
        disc_width: Units per hidden layer (1000; B.5).
        disc_lr: Adam learning rate of the discriminator (1e-4; thesis Table 5.5).
        disc_beta1: Adam beta1 of the discriminator (0.5; thesis Table 5.5).
        disc_beta2: Adam beta2 of the discriminator (0.9; thesis Table 5.5).
        target_variance: ``v`` (``None``: ``L``).
        recon_scale: Factor on the reconstruction NLL (1).
    """

    lambda_var: float = 1.0
    noise_var: float = 0.1
    gamma: float = 7.0
    dataset_defaults = {}  # its class defaults are the settings of its only experiment (B.5)


class TCVCAE(VCAE):
    """TC-VCAE (VCAE Section 6.4): VCAE + gamma * TC, TC from the FactorVAE discriminator on noisy codes.

    As in :class:`~vaelab.models.factor_vae.FactorVAE`, each batch serves both players:
    the model's loss uses the discriminator's logits on the codes, and ``"disc_loss"``
    classifies the detached codes against their dimension-wise permutation.
    """

    Config = TCVCAEConfig
    monitor: ClassVar[str] = "recon"

    def __init__(self, config: TCVCAEConfig, shape: tuple[int, ...], value_range: tuple[float, float] | None):
        super().__init__(config, shape, value_range)
        self.discriminator = discriminator(config.latent_dim, [config.disc_width] * config.disc_layers, 2)

    def regularizer(self, z: Tensor) -> tuple[Tensor, dict[str, Tensor]]:
        penalty, parts = super().regularizer(z)
        tc = discriminator_tc(self.discriminator(z))
        codes = z.detach()
        joint, permuted = self.discriminator(torch.cat([codes, permute_dims(codes)])).chunk(2)
        disc_loss = discriminator_tc_loss(joint, permuted)
        return penalty + self.config.gamma * tc, {**parts, "tc": tc, "disc_loss": disc_loss}

    def objectives(self) -> dict[str, Objective]:
        c = self.config
        return adversarial_objectives(self, self.discriminator, c.disc_lr, (c.disc_beta1, c.disc_beta2))
