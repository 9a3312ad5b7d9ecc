r"""MaskAAE (Mondal et al. 2020): an adversarial autoencoder with a trainable mask on its codes.

A global mask :math:`\alpha = 1 - e^{-m}` with :math:`m \ge 0` (initialised uniformly on
[0, 5]) multiplies every code before it is decoded or shown to the critic, and multiplies
the prior draws the critic compares them with. As in the released code
(github.com/arnabkmondal/MaskAAE, which the ARD-VAE supplement follows), the latent
matching is a Wasserstein critic with a gradient penalty (Gulrajani et al. 2017), and three
losses train four parameter groups:

- autoencoder (encoder and decoder): mean per-pixel reconstruction NLL plus a variance
  penalty that drives the codes of masked-out axes to a constant,
  :math:`\omega_v \cdot \mathrm{mean}\,[(z - \bar z)^2 e^{-10 \alpha^2}]`
  (:func:`masked_variance_penalty`), plus the encoder's adversarial loss
  :math:`-\mathrm{mean}\, D(\alpha \odot z)`;
- critic: :math:`\mathrm{mean}\,D(\alpha \odot z) - \mathrm{mean}\,D(\alpha \odot \epsilon)`
  plus :math:`\omega_{gp}` times the gradient penalty (:func:`gradient_penalty`);
- mask: the masking loss :math:`\omega_r \cdot \mathrm{recon} + (1 - W)^2 + c_t \sum_l |\alpha_l (1 - \alpha_l)|`
  with :math:`W` the critic's difference above and :math:`c_t` the polarisation weight,
  doubled on a schedule of steps up to 2048 (:func:`polarisation_weight`), which pushes
  each mask entry to 0 or 1 (:func:`masking_loss`).

The active axes are the mask entries :math:`\alpha_l \ge 0.1` (the code's ``active_dim``).
Generation decodes :math:`\alpha \odot \epsilon`, :math:`\epsilon \sim \mathcal{N}(0, I)`.
Optimisers follow the code: RMSprop with the base rate 1e-4 for the critic and five times
it (5e-4, the training config's rate) for the autoencoder and the mask; batch size 64 and
no plateau schedule. Deviations (the note lists them): one critic step per autoencoder step
(the code takes five), and the encoder's adversarial step is merged into the autoencoder's
optimiser (the code steps it separately at 1e-4).

Example:
    >>> from vaelab.models import build_model
    >>> model = build_model("mask_aae", {"latent_dim": 4, "architecture": "mlp", "likelihood": "bernoulli",
    ...                                  "critic_hidden": [16]}, (1, 8, 8), (0.0, 1.0))
    >>> sorted(model.objectives())
    ['critic', 'mask', 'model']
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from torch import Tensor, nn

from vaelab.models.autoencoder import Autoencoder, AutoencoderConfig
from vaelab.models.base import HookContext, Objective, check_range
from vaelab.nets import discriminator

__all__ = ["MaskAAEConfig", "MaskAAE", "mask_values", "masked_variance_penalty", "gradient_penalty",
           "masking_loss", "polarisation_weight", "schedule_interval"]


def mask_values(raw: Tensor) -> Tensor:
    """The mask :math:`\\alpha = 1 - e^{-m}` of non-negative raw values ``m`` (entries in [0, 1))."""
    return -torch.expm1(-raw)


def masked_variance_penalty(z: Tensor, alpha: Tensor) -> Tensor:
    r""":math:`\frac{1}{BL}\sum_{i,l} (z_{il} - \bar z_l)^2 e^{-10 \alpha_l^2}`: the spread of each
    axis's codes, weighted towards the axes the mask closes.

    Args:
        z: ``(B, L)`` unmasked codes.
        alpha: ``(L,)`` mask (treated as a constant by the autoencoder's optimiser).
    """
    return ((z - z.mean(0)).square() * torch.exp(-10.0 * alpha.square())).mean()


def gradient_penalty(critic: nn.Module, real: Tensor, fake: Tensor, eps: Tensor) -> Tensor:
    r"""WGAN-GP penalty :math:`\mathbb{E}(\lVert \nabla_{\hat z} D(\hat z) \rVert - 1)^2` at
    :math:`\hat z = f + \epsilon (r - f)` (Gulrajani et al. 2017, Eq. 3; ``eps`` is ``(B, 1)`` uniform).

    The gradient is built with ``create_graph`` so the penalty trains the critic.
    """
    point = (fake + eps * (real - fake)).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(point).sum(), point, create_graph=True)
    return (grad.norm(dim=1) - 1.0).square().mean()


def masking_loss(recon: Tensor, critic_gap: Tensor, alpha: Tensor, weight: Tensor | float,
                 recon_weight: float = 1000.0) -> Tensor:
    r"""The MaskAAE masking loss :math:`\omega_r\,\mathrm{recon} + (1 - W)^2 + c \sum_l |\alpha_l (1 - \alpha_l)|`.

    Args:
        recon: Mean per-pixel reconstruction NLL of masked codes.
        critic_gap: :math:`W = \mathrm{mean}\,D(\alpha \odot z) - \mathrm{mean}\,D(\alpha \odot \epsilon)`.
        alpha: ``(L,)`` mask.
        weight: Polarisation weight :math:`c`.
        recon_weight: :math:`\omega_r` (1000 in the released code).
    """
    return recon_weight * recon + (1.0 - critic_gap).square() + weight * (alpha * (1.0 - alpha)).abs().sum()


def schedule_interval(latent_dim: int) -> int:
    """The code's schedule unit in steps: 75 for ``L <= 20``, else ``min(10000, floor(112.5 L))``."""
    return 75 if latent_dim <= 20 else min(10_000, math.floor(1125 * latent_dim / 10))


def polarisation_weight(step: int, latent_dim: int, interval: int, start: float | None = None,
                        cap: float = 2048.0) -> float:
    """Weight :math:`c_t` of the polarisation term at (0-based) step ``step``: ``start`` (``2 / L``)
    doubled at every positive multiple of ``4 * interval`` steps, at most ``cap``."""
    start = 2.0 / latent_dim if start is None else start
    doublings = step // (4 * interval)
    if start <= 0 or doublings > math.log2(max(cap, 1e-300) / start) + 1:
        return cap if start > 0 else start
    return min(cap, start * 2.0**doublings)


@dataclass
class MaskAAEConfig(AutoencoderConfig):
    """MaskAAE settings, the released code's (``MaskAAE_MNIST.py``) unless stated.

    Attributes:
        variance_weight: :math:`\\omega_v` of the masked variance penalty (100).
        gp_weight: :math:`\\omega_{gp}` of the gradient penalty (10).
        mask_recon_weight: :math:`\\omega_r`, the reconstruction weight in the masking loss (1000).
        adversarial_weight: Weight of the encoder's adversarial loss (1).
        mask_threshold: Mask value from which an axis counts as active (0.1).
        mask_init_max: Raw mask values start uniform on ``[0, mask_init_max]`` (5).
        poly_start: First polarisation weight; ``None``: ``2 / L``.
        poly_cap: Largest polarisation weight (2048).
        interval: Schedule unit in steps; ``None``: :func:`schedule_interval` of ``L``.
        critic_hidden: Hidden widths of the ReLU critic (four of 1024).
        critic_lr: RMSprop rate of the critic (1e-4, the code's base rate).
        optimizer: ``"rmsprop"`` (the code's) or ``"adam"``, for all three optimisers.
    """

    variance_weight: float = 100.0
    gp_weight: float = 10.0
    mask_recon_weight: float = 1000.0
    adversarial_weight: float = 1.0
    mask_threshold: float = 0.1
    mask_init_max: float = 5.0
    poly_start: float | None = None
    poly_cap: float = 2048.0
    interval: int | None = None
    critic_hidden: list[int] = field(default_factory=lambda: [1024] * 4)
    critic_lr: float = 1e-4
    optimizer: str = "rmsprop"

    def validate(self) -> None:
        from vaelab.errors import ConfigError

        super().validate()
        for name in ("variance_weight", "gp_weight", "mask_recon_weight", "adversarial_weight"):
            check_range(name, getattr(self, name), 0.0)
        check_range("mask_threshold", self.mask_threshold, 0.0, 1.0, strict=True)
        check_range("mask_init_max", self.mask_init_max, 0.0, strict=True)
        if self.poly_start is not None:
            check_range("poly_start", self.poly_start, 0.0)
        check_range("poly_cap", self.poly_cap, 0.0)
        if self.interval is not None:
            check_range("interval", self.interval, 1)
        for w in self.critic_hidden:
            check_range("critic_hidden", w, 1)
        check_range("critic_lr", self.critic_lr, 0.0, strict=True)
        if self.optimizer not in ("rmsprop", "adam"):
            raise ConfigError(f"unknown optimizer {self.optimizer!r}; choose one of: rmsprop, adam")


class MaskAAE(Autoencoder):
    """MaskAAE (Mondal et al. 2020): a WGAN-GP adversarial autoencoder with a trainable latent mask.

    :meth:`encode` returns the masked codes :math:`\\alpha \\odot z` (what the decoder sees);
    the raw mask ``mask_raw`` is projected onto :math:`m \\ge 0` after every step
    (:meth:`on_step_end`, the code's non-negativity constraint) and the polarisation weight
    of the step is set from the step counter (:meth:`on_step_start`), so a resumed run is
    exact. The gradient penalty needs autograd, so under ``torch.no_grad`` (validation)
    ``disc_loss`` omits it. The saved "best" checkpoint is the last one: the masking loss's
    schedule changes over training, so no loss entry ranks checkpoints.
    """

    Config = MaskAAEConfig
    monitor = "recon"
    select_best = False

    def __init__(self, config: MaskAAEConfig, shape: tuple[int, ...], value_range: tuple[float, float] | None):
        super().__init__(config, shape, value_range)
        self.critic = discriminator(config.latent_dim, config.critic_hidden, 1, slope=0.0)
        self.critic[-1].register_parameter("bias", None)  # cancels in every critic difference and in the penalty
        self.mask_raw = nn.Parameter(torch.rand(config.latent_dim) * config.mask_init_max)
        interval = config.interval or schedule_interval(config.latent_dim)
        self.register_buffer("poly_weight", torch.tensor(polarisation_weight(0, config.latent_dim, interval,
                                                                             config.poly_start, config.poly_cap)))
        self.pixels = math.prod(self.shape)

    def mask(self) -> Tensor:
        return mask_values(self.mask_raw)

    def active_axes(self) -> Tensor:
        """Axes whose mask value is at least ``mask_threshold`` (the released code's active dimensions)."""
        return torch.nonzero(self.mask().detach() >= self.config.mask_threshold).flatten()

    def evaluation_axes(self) -> Tensor:
        return self.active_axes()

    def encode(self, x: Tensor) -> Tensor:
        return self.encoder(x) * self.mask().detach()

    def sample_latent(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        return super().sample_latent(n, generator) * self.mask().detach()

    def loss(self, x: Tensor) -> dict[str, Tensor]:
        c = self.config
        alpha = self.mask()
        z = self.encoder(x)
        prior = torch.randn_like(z)
        # autoencoder and encoder: the mask is a constant here
        a = alpha.detach()
        recon = self.likelihood.nll(self.decoder(z * a), x)
        variance = masked_variance_penalty(z, a)
        adversarial = -self.critic(z * a).mean()
        total = recon / self.pixels + c.variance_weight * variance + c.adversarial_weight * adversarial
        # critic: codes and prior draws as constants
        real, fake = (z * a).detach(), prior * a
        disc_loss = self.critic(real).mean() - self.critic(fake).mean()
        if torch.is_grad_enabled():
            eps = torch.rand(len(z), 1, device=z.device)
            disc_loss = disc_loss + c.gp_weight * gradient_penalty(self.critic, real, fake, eps)
        # mask: gradients reach only mask_raw through alpha
        zd = z.detach()
        mask_recon = self.likelihood.nll(self.decoder(zd * alpha), x) / self.pixels
        gap = self.critic(zd * alpha).mean() - self.critic(prior * alpha).mean()
        mask_loss = masking_loss(mask_recon, gap, alpha, self.poly_weight, c.mask_recon_weight)
        return {"loss": total, "recon": recon, "variance": variance, "adversarial": adversarial,
                "disc_loss": disc_loss, "mask_loss": mask_loss, "active": (alpha.detach() >= c.mask_threshold).sum().float()}

    def objectives(self) -> dict[str, Objective]:
        c = self.config
        critic = list(self.critic.parameters())
        skip = {id(p) for p in critic} | {id(self.mask_raw)}
        return {
            "model": Objective([p for p in self.parameters() if id(p) not in skip], plateau=False,
                               optimizer=c.optimizer),
            "critic": Objective(critic, "disc_loss", c.critic_lr, plateau=False, optimizer=c.optimizer),
            "mask": Objective([self.mask_raw], "mask_loss", plateau=False, optimizer=c.optimizer),
        }

    def on_step_start(self, ctx: HookContext) -> None:
        c = self.config
        interval = c.interval or schedule_interval(c.latent_dim)
        self.poly_weight.fill_(polarisation_weight(ctx.state.step, c.latent_dim, interval, c.poly_start, c.poly_cap))

    @torch.no_grad()
    def on_step_end(self, ctx: HookContext, losses: dict[str, Tensor | float]) -> None:
        self.mask_raw.clamp_(min=0.0)

    def on_epoch_end(self, ctx: HookContext) -> dict[str, float]:
        alpha = self.mask().detach()
        return {"mask/active_dims": float(len(self.active_axes())), "mask/min": float(alpha.min()),
                "mask/max": float(alpha.max()), "mask/poly_weight": float(self.poly_weight)}
