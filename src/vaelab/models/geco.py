r"""GECO-L0-ARM-VAE (De Boom et al. 2021): a VAE whose latent axes pass through boolean gates.

One gate per latent axis, shared by every item, :math:`g_l \sim \mathrm{Bernoulli}(\sigma(\phi_l))`,
multiplies the sampled code before decoding, :math:`\hat x = \mathrm{dec}(g \odot z)`. The
objective is GECO's constrained form of the ELBO (Rezende and Viola 2018) plus an
:math:`L_0` penalty on the gates,

.. math:: \mathcal{L} = \beta\,\mathrm{KL}(q(z \mid x) \,\|\, \mathcal{N}(0, I))
          + \lambda\, C(g) + \gamma \sum_l \sigma(\phi_l), \qquad
          C(g) = \mathbb{E}\,\lVert x - \hat x \rVert^2 - \tau,

where the Lagrange multiplier :math:`\lambda` grows while the moving average of the
constraint is positive and shrinks while it is negative (:func:`geco_update`). The
expected :math:`L_0` norm :math:`\sum_l \sigma(\phi_l)` has an analytic gradient; the
gradient of the constraint term through the discrete gates is the ARM estimator
(Yin and Zhou 2019), as :math:`L_0`-ARM does (Li and Ji 2019): :func:`arm_gates` draws the
two antithetic gate vectors from one uniform draw and :func:`arm_gradient` merges them.
Gates stay open and untrained until the moving average of the constraint first falls
below zero (the target reconstruction error is reached; ARD-VAE Section 2); from then on
all parameters are trained jointly. At test time a gate is open when
:math:`\sigma(\phi_l) > 1/2`; the open gates are the model's active axes.

The ARD-VAE's supplement (Table 6) sets only :math:`\tau` (10 / 300 / 25 / 15 for MNIST /
CelebA / CIFAR10 / ImageNet32), the squared-error budget per image. The remaining
settings (:math:`\gamma`, the multiplier's rate and moving-average factor, the gates'
initial logit) are our reading of the two method papers; the authors' code, which the
ARD-VAE used, was not available to us (see ``docs/ard_vae.md``).

Example:
    >>> from vaelab.models import build_model
    >>> model = build_model("geco_l0_arm_vae", {"latent_dim": 4, "architecture": "mlp",
    ...                                         "likelihood": "bernoulli"}, (1, 8, 8), (0.0, 1.0))
    >>> sorted(model.loss(torch.rand(5, 1, 8, 8)))[:3], len(model.active_axes())
    (['constraint', 'kl', 'l0'], 4)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from vaelab.errors import ConfigError
from vaelab.losses import gaussian_kl, reparameterize
from vaelab.models.base import HookContext, Objective, check_range
from vaelab.models.vae import GaussianVAE, VAEConfig

__all__ = ["TABLE6_TAU", "GECOL0ARMVAEConfig", "GECOL0ARMVAE", "arm_gates", "arm_gradient", "geco_update",
           "squared_error"]

TABLE6_TAU: dict[str, float] = {"mnist": 10.0, "celeba": 300.0, "cifar10": 25.0, "imagenet32": 15.0}
"""GECO's target squared reconstruction error per image, :math:`\\tau` (ARD-VAE supp. Table 6)."""


def arm_gates(logits: Tensor, u: Tensor) -> tuple[Tensor, Tensor]:
    r"""The two antithetic gate vectors of the ARM estimator from one uniform draw ``u``.

    :math:`g^{+} = \mathbb{1}[u > \sigma(-\phi)]` and :math:`g^{-} = \mathbb{1}[u < \sigma(\phi)]`
    (Yin and Zhou 2019, Theorem 1); each is marginally :math:`\mathrm{Bernoulli}(\sigma(\phi))`.

    Args:
        logits: ``(L,)`` gate logits :math:`\phi`.
        u: ``(L,)`` draws from :math:`U(0, 1)`.
    """
    return (u > torch.sigmoid(-logits)).to(logits.dtype), (u < torch.sigmoid(logits)).to(logits.dtype)


def arm_gradient(f_plus: Tensor, f_minus: Tensor, u: Tensor) -> Tensor:
    r"""ARM estimate of :math:`\nabla_\phi\, \mathbb{E}_{g \sim \mathrm{Bern}(\sigma(\phi))} f(g)` from one draw.

    :math:`(f(g^{+}) - f(g^{-}))(u - \tfrac12)` (Yin and Zhou 2019, Eq. 5), unbiased for every
    ``f``; ``f_plus`` and ``f_minus`` are scalars :math:`f(g^{\pm})` for the gates of
    :func:`arm_gates`.

    Returns:
        ``(L,)`` gradient estimate with respect to the logits.
    """
    return (f_plus - f_minus) * (u - 0.5)


def geco_update(multiplier: Tensor, average: Tensor, constraint: Tensor | float, alpha: float, rate: float,
                first: bool = False, bounds: tuple[float, float] = (1e-6, 1e6)) -> tuple[Tensor, Tensor]:
    r"""One GECO step of the Lagrange multiplier (Rezende and Viola 2018, Algorithm 1).

    :math:`\bar C_t = \alpha \bar C_{t-1} + (1 - \alpha) C_t` (:math:`\bar C_1 = C_1` when ``first``),
    then :math:`\lambda_t = \lambda_{t-1} \exp(\nu \bar C_t)`, clipped to ``bounds``.

    Args:
        multiplier: :math:`\lambda_{t-1}`.
        average: :math:`\bar C_{t-1}`, the moving average of the constraint.
        constraint: :math:`C_t`, this step's constraint value (squared error minus :math:`\tau`).
        alpha: Moving-average factor :math:`\alpha`.
        rate: Step size :math:`\nu`.
        first: Whether this is the first step (the average starts at :math:`C_1`).

    Returns:
        ``(multiplier, average)`` after the step.
    """
    c = torch.as_tensor(constraint, dtype=average.dtype, device=average.device)
    average = c.clone() if first else alpha * average + (1.0 - alpha) * c
    multiplier = (multiplier * torch.exp(rate * average)).clamp(*bounds)
    return multiplier, average


def squared_error(mean: Tensor, x: Tensor) -> Tensor:
    """:math:`\\lVert x - \\hat x \\rVert^2` summed per item and averaged over the batch (GECO's constraint)."""
    return (mean - x).square().flatten(1).sum(1).mean()


@dataclass
class GECOL0ARMVAEConfig(VAEConfig):
    """GECO-L0-ARM-VAE settings.

    Attributes:
        beta: KL weight (1: the ELBO's KL, as GECO constrains the ELBO).
        tau: Target squared reconstruction error per image :math:`\\tau` (ARD-VAE supp. Table 6:
            :data:`TABLE6_TAU`; 10, the MNIST value, elsewhere unless set).
        l0_weight: Weight :math:`\\gamma` of the expected :math:`L_0` norm of the gates.
        gate_init: Initial gate logit (3: every gate open with probability 0.95).
        gate_lr: Adam rate of the gate logits (their own optimiser; the network uses the
            training config's rate). At the network's 5e-4 a logit needs at least 6,000 steps
            to go from 3 to 0 (Adam moves a parameter by at most about its rate per step);
            our choice, see ``docs/ard_vae.md``.
        multiplier_init: Initial Lagrange multiplier :math:`\\lambda_0`.
        multiplier_rate: Step size :math:`\\nu` of :func:`geco_update` per unit of constraint.
        multiplier_alpha: Moving-average factor of the constraint (0.99, Rezende and Viola 2018).
    """

    beta: float = 1.0
    tau: float = 10.0
    dataset_defaults = {d: {"tau": t} for d, t in TABLE6_TAU.items()}
    l0_weight: float = 1.0
    gate_init: float = 3.0
    gate_lr: float = 1e-2
    multiplier_init: float = 1.0
    multiplier_rate: float = 1e-3
    multiplier_alpha: float = 0.99

    def validate(self) -> None:
        super().validate()
        check_range("tau", self.tau, 0.0, strict=True)
        check_range("l0_weight", self.l0_weight, 0.0)
        check_range("gate_lr", self.gate_lr, 0.0, strict=True)
        check_range("multiplier_init", self.multiplier_init, 0.0, strict=True)
        check_range("multiplier_rate", self.multiplier_rate, 0.0, strict=True)
        check_range("multiplier_alpha", self.multiplier_alpha, 0.0, 1.0)
        check_range("multiplier_alpha", self.multiplier_alpha, high=1.0, strict=True)
        if not math.isfinite(self.gate_init):
            raise ConfigError(f"invalid gate_init={self.gate_init}: need a finite logit")


class GECOL0ARMVAE(GaussianVAE):
    """GECO-L0-ARM-VAE (De Boom et al. 2021): gated latent axes, an L0 penalty, a GECO constraint.

    State lives in buffers so checkpoints carry it: ``multiplier`` (:math:`\\lambda`),
    ``constraint_average`` (:math:`\\bar C`), ``geco_steps`` and ``gates_on`` (whether the
    target was reached and the gates train). The multiplier is updated after every training
    step from that step's constraint (:meth:`on_step_end`), never by evaluating the loss.
    In evaluation mode the gates are deterministic (open iff the logit is positive);
    :meth:`encode` returns the gated posterior mean and :meth:`sample_latent` draws
    :math:`\\mathcal{N}(0, I)` on the open axes (0 elsewhere). The learning rate is constant
    (the ARD-VAE trains it without the plateau schedule, supp. Section 2) and the saved
    "best" checkpoint is the last one: the constraint keeps the reconstruction near
    :math:`\\tau` while the gates close, so no loss entry ranks checkpoints.
    """

    Config = GECOL0ARMVAEConfig
    monitor = "loss"
    select_best = False

    def __init__(self, config: GECOL0ARMVAEConfig, shape: tuple[int, ...], value_range: tuple[float, float] | None):
        super().__init__(config, shape, value_range)
        self.gate_logits = nn.Parameter(torch.full((config.latent_dim,), float(config.gate_init)))
        self.register_buffer("multiplier", torch.tensor(float(config.multiplier_init)))
        self.register_buffer("constraint_average", torch.zeros(()))
        self.register_buffer("geco_steps", torch.zeros((), dtype=torch.long))
        self.register_buffer("gates_on", torch.zeros((), dtype=torch.bool))

    def open_gates(self) -> Tensor:
        """The deterministic gates of evaluation: 1 where :math:`\\sigma(\\phi_l) > 1/2`."""
        return (self.gate_logits.detach() > 0).to(self.gate_logits.dtype)

    def active_axes(self) -> Tensor:
        """The open gates (De Boom et al.: the axes the gating vector keeps)."""
        return torch.nonzero(self.gate_logits.detach() > 0).flatten()

    def evaluation_axes(self) -> Tensor:
        return self.active_axes()

    def frozen_parameters(self) -> set[str]:
        return set() if bool(self.gates_on) else {"gate_logits"}

    def encode(self, x: Tensor) -> Tensor:
        return self.posterior_params(x)[0] * self.open_gates()

    def sample_latent(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        return super().sample_latent(n, generator) * self.open_gates()

    def loss(self, x: Tensor) -> dict[str, Tensor]:
        c = self.config
        mu, logvar = self.posterior_params(x)
        z = reparameterize(mu, logvar)
        kl = gaussian_kl(mu, logvar)
        l0 = torch.sigmoid(self.gate_logits).sum()
        lam = self.multiplier
        if self.training and bool(self.gates_on):
            u = torch.rand(self.latent_dim, device=z.device)
            g_plus, g_minus = arm_gates(self.gate_logits.detach(), u)
            raw_plus, raw_minus = self.decoder(z * g_plus), self.decoder(z * g_minus)
            se_plus = squared_error(self.likelihood.mean(raw_plus), x)
            se_minus = squared_error(self.likelihood.mean(raw_minus), x)
            se = 0.5 * (se_plus + se_minus)
            recon = 0.5 * (self.likelihood.nll(raw_plus, x) + self.likelihood.nll(raw_minus, x))
            grad = arm_gradient(lam * se_plus.detach(), lam * se_minus.detach(), u)
            surrogate = (self.gate_logits * grad).sum()
            gate_terms = c.l0_weight * l0 + surrogate - surrogate.detach()
        else:
            gates = torch.ones_like(self.gate_logits) if self.training else self.open_gates()
            raw = self.decoder(z * gates)
            se = squared_error(self.likelihood.mean(raw), x)
            recon = self.likelihood.nll(raw, x)
            gate_terms = c.l0_weight * l0.detach()
        constraint = se - c.tau
        total = c.beta * kl + lam * constraint + gate_terms
        return {"loss": total, "recon": recon, "kl": kl, "sq_error": se, "constraint": constraint,
                "l0": l0.detach(), "multiplier": lam.detach().clone()}

    def objectives(self) -> dict[str, Objective]:
        net = [p for p in self.parameters() if p is not self.gate_logits]
        return {"model": Objective(net, plateau=False),
                "gates": Objective([self.gate_logits], lr=self.config.gate_lr, plateau=False)}

    @torch.no_grad()
    def on_step_end(self, ctx: HookContext, losses: dict[str, Tensor | float]) -> None:
        c = self.config
        first = int(self.geco_steps) == 0
        lam, avg = geco_update(self.multiplier, self.constraint_average, losses["constraint"], c.multiplier_alpha,
                               c.multiplier_rate, first=first)
        self.multiplier.copy_(lam)
        self.constraint_average.copy_(avg)
        self.geco_steps += 1
        if float(avg) < 0:
            self.gates_on.fill_(True)

    def on_epoch_end(self, ctx: HookContext) -> dict[str, float]:
        return {"geco/multiplier": float(self.multiplier), "geco/constraint_average": float(self.constraint_average),
                "geco/gates_on": float(self.gates_on), "geco/open_gates": float(len(self.active_axes()))}
