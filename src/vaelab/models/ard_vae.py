r"""The ARD-VAE: a VAE whose prior variance per latent axis is re-estimated from encoded data.

The prior is hierarchical (ARD-VAE Eq. 4-5): :math:`z_l \mid \alpha_l \sim \mathcal{N}(0, \alpha_l^{-1})`
with a Gamma hyperprior on the precisions. Each epoch a fresh subset :math:`\mathcal{X}_\alpha`
of the training set is encoded and reparameterised into codes :math:`D_z` (supp. Algorithm 2),
which give the Gamma posterior (Eq. 8-9 with :math:`\mu^\alpha = 0`)

.. math:: a_l = a_l^0 + \tfrac{n}{2}, \qquad b_l = b_l^0 + \tfrac12 \textstyle\sum_i (z_l^i)^2,

and the prior variance :math:`\hat\sigma^2 = b / a` (Eq. 18). With :math:`a^0 = b^0 = 0` (the
paper's and the code's setting) this is the uncentred second moment of the sampled codes
(SPEC "Decisions"). Minibatches come from :math:`\mathcal{X}_{sgd} = \mathcal{X}_{train} -
\mathcal{X}_\alpha` (supp. Algorithm 1). The loss is the reconstruction NLL plus
:math:`\beta\,\mathrm{KL}(q(z \mid x) \,\|\, \mathcal{N}(0, \mathrm{diag}\,\hat\sigma^2))` in closed
form (Eq. 17), or, with ``prior_form="student_t"``, a one-sample Monte Carlo KL to the
marginal Student-t prior of Eq. 11 (:math:`\nu = 2a`, scale :math:`\sqrt{b/a}`), as Section 3.3
suggests. The relevance of each axis is :math:`\hat\sigma^2` times the decoder-Jacobian
weight (Eq. 19-20, :func:`vaelab.metrics.latent.relevance_scores`); the active axes explain
99% of the total relevance (Section 3.4), and generation samples
:math:`\mathcal{N}(0, \mathrm{diag}\,\hat\sigma^2)` on the active axes only (0 elsewhere).

Example:
    >>> from vaelab.models import build_model
    >>> model = build_model("ard_vae", {"latent_dim": 4, "architecture": "mlp", "likelihood": "bernoulli",
    ...                                 "alpha_size": 500}, (1, 8, 8), (0.0, 1.0))
    >>> model.update_prior(model.sample_codes([torch.rand(600, 1, 8, 8)], torch.Generator().manual_seed(0)))
    >>> model.prior().event_shape, model.sample_latent(3, torch.Generator().manual_seed(0)).shape
    (torch.Size([4]), torch.Size([3, 4]))
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable

import torch
from torch import Tensor
from torch.distributions import Distribution, Independent, Normal, StudentT

from vaelab.errors import ConfigError
from vaelab.losses import gaussian_kl
from vaelab.models.base import HookContext, check_range
from vaelab.models.vae import GaussianVAE, VAEConfig

__all__ = [
    "TABLE6_BETA",
    "PRIOR_FORMS",
    "KL_ESTIMATORS",
    "ARDVAEConfig",
    "ARDVAE",
    "gamma_posterior",
    "ard_prior",
    "student_t_kl",
    "split_alpha",
]

TABLE6_BETA: dict[str, float] = {
    "dsprites": 5.0,
    "shapes3d": 5.0,
    "mnist": 0.5,
    "celeba": 1.0,
    "cifar10": 0.05,
    "imagenet32": 0.05,
}
"""The ARD-VAE's KL weight per dataset (ARD-VAE supp. Table 6), for presets."""


def gamma_posterior(z: Tensor, a0: float = 0.0, b0: float = 0.0) -> tuple[Tensor, Tensor]:
    r"""Parameters of :math:`p(\alpha \mid D_z)` per axis (ARD-VAE Eq. 8-9, :math:`\mu^\alpha = 0`).

    Args:
        z: ``(n, L)`` codes :math:`D_z` sampled from :math:`q(z \mid x)`, :math:`x \in \mathcal{X}_\alpha`.
        a0: Shape of the Gamma hyperprior (0: uninformative, Section 3.3).
        b0: Rate of the Gamma hyperprior (0: uninformative).

    Returns:
        ``(a, b)``, each ``(L,)`` in float64; the prior variance is ``b / a`` (Eq. 18).
    """
    z = torch.as_tensor(z).double()
    b = b0 + 0.5 * z.square().sum(0)
    return torch.full_like(b, a0 + 0.5 * len(z)), b


def _normal(variance: Tensor, dof: Tensor) -> Distribution:
    return Normal(torch.zeros_like(variance), variance.sqrt())


def _student_t(variance: Tensor, dof: Tensor) -> Distribution:
    return StudentT(dof, torch.zeros_like(variance), variance.sqrt())


PRIOR_FORMS: dict[str, Callable[[Tensor, Tensor], Distribution]] = {
    "gaussian": _normal,
    "student_t": _student_t,
}
"""Per-axis prior marginals: the Gaussian approximation of Eq. 17 (default) or the Student-t of Eq. 11."""


def ard_prior(variance: Tensor, dof: Tensor, form: str = "gaussian") -> Distribution:
    r"""The prior :math:`p(z \mid D_z)`: :math:`\mathcal{N}(0, \mathrm{diag}\,\hat\sigma^2)` (Eq. 17) or the
    product of Student-t marginals with :math:`\nu = 2a` and scale :math:`\hat\sigma` (Eq. 11-14).

    Args:
        variance: ``(L,)`` prior variance :math:`\hat\sigma^2 = b / a`.
        dof: ``(L,)`` degrees of freedom :math:`\nu = 2a` (only the Student-t form uses it).
        form: A key of :data:`PRIOR_FORMS`.
    """
    return Independent(PRIOR_FORMS[form](variance, dof), 1)


def student_t_kl(mu: Tensor, logvar: Tensor, z: Tensor, variance: Tensor, dof: Tensor) -> Tensor:
    r"""One-sample Monte Carlo :math:`\mathrm{KL}(q(z \mid x) \,\|\, p(z \mid D_z))` for the Student-t prior (Eq. 11).

    :math:`\log q(z \mid x) - \log p(z \mid D_z)` at the reparameterised draw ``z``, summed over
    the ``L`` axes and averaged over the batch (Section 3.3: "one would use samples from
    :math:`q_\phi(z \mid x)`"); its expectation is the KL.

    Args:
        mu: ``(B, L)`` posterior means.
        logvar: ``(B, L)`` posterior log-variances.
        z: ``(B, L)`` draws from the posterior.
        variance: ``(L,)`` prior scale squared, ``b / a``.
        dof: ``(L,)`` degrees of freedom ``2a``.
    """
    log_q = Normal(mu, (0.5 * logvar).exp()).log_prob(z)
    log_p = _student_t(variance.to(z), dof.to(z)).log_prob(z)
    return (log_q - log_p).sum(1).mean()


def _closed_form_kl(mu: Tensor, logvar: Tensor, z: Tensor, variance: Tensor, dof: Tensor) -> Tensor:
    return gaussian_kl(mu, logvar, variance)


KL_ESTIMATORS: dict[str, Callable[[Tensor, Tensor, Tensor, Tensor, Tensor], Tensor]] = {
    "gaussian": _closed_form_kl,
    "student_t": student_t_kl,
}
"""KL term per prior form ``(mu, logvar, z, variance, dof) -> scalar``: closed form (Eq. 17) or Monte Carlo."""

SAMPLE_AXES = ("active", "all")
READINGS = ("code", "paper")


def split_alpha(n: int, size: int, generator: torch.Generator) -> tuple[Tensor, Tensor]:
    """Random disjoint positions ``(alpha, sgd)`` in ``range(n)``: ``size`` for :math:`\\mathcal{X}_\\alpha`, the rest
    for :math:`\\mathcal{X}_{sgd}` in increasing order (supp. Algorithm 1)."""
    perm = torch.randperm(n, generator=generator)
    keep = torch.ones(n, dtype=torch.bool)
    keep[perm[:size]] = False
    return perm[:size], keep.nonzero().squeeze(1)


@dataclass
class ARDVAEConfig(VAEConfig):
    """ARD-VAE settings (ARD-VAE paper and supp.; SPEC "Decisions" where the code differs).

    Attributes:
        beta: KL weight; 5 is supp. Table 6's value for dSprites and 3D Shapes (MNIST 0.5,
            CelebA 1, CIFAR10 and ImageNet 0.05: :data:`TABLE6_BETA`). Must be positive.
        alpha_size: :math:`|\\mathcal{X}_\\alpha|`, training items encoded per prior update
            (10K, Section 3.3 and supp. Table 1-2 ablations); must be smaller than the training set.
        update_every: :math:`u_{D_z}`, epochs between prior updates (1, supp. Section 2); the
            update runs at the start of epochs 0, u, 2u, ...
        prior_form: ``"gaussian"`` (closed-form KL of Eq. 17, what the paper trains with) or
            ``"student_t"`` (Monte Carlo KL to the Student-t marginal of Eq. 11).
        a0: Gamma hyperprior shape :math:`a^0` (0, Section 3.3).
        b0: Gamma hyperprior rate :math:`b^0` (0, Section 3.3).
        relevance_reading: Decoder-Jacobian weight, ``"code"`` (the released code, default) or
            ``"paper"`` (Eq. 19 as printed); see :func:`vaelab.metrics.latent.decoder_jacobian_weights`.
        relevance_samples: Held-out items whose Jacobians give the weights (100, Section 3.4).
        active_fraction: Share of the total relevance the active axes explain (0.99, Section 3.4).
        sample_axes: ``"active"`` samples the prior on the active axes only (the ARD-VAE rows of
            supp. Table 11); ``"all"`` on every axis (ARD-VAE-ALL).
    """

    beta: float = 5.0
    alpha_size: int = 10_000
    dataset_defaults = {
        **{d: {"beta": b} for d, b in TABLE6_BETA.items()},
        "digits": {"beta": 0.5, "alpha_size": 500},  # the MNIST value; 1,350 training items
        "mog": {"alpha_size": 2_000},
    }
    update_every: int = 1
    prior_form: str = "gaussian"
    a0: float = 0.0
    b0: float = 0.0
    relevance_reading: str = "code"
    relevance_samples: int = 100
    active_fraction: float = 0.99
    sample_axes: str = "active"

    @classmethod
    def size_defaults(cls, num_train: int) -> dict[str, Any]:
        """X_alpha of 10K items, or a fifth of a smaller training set (SGD runs on the rest)."""
        return {"alpha_size": max(1, min(10_000, num_train // 5))}

    def validate(self) -> None:
        super().validate()
        check_range("beta", self.beta, 0.0, strict=True)
        check_range("alpha_size", self.alpha_size, 1)
        check_range("update_every", self.update_every, 1)
        check_range("a0", self.a0, 0.0)
        check_range("b0", self.b0, 0.0)
        check_range("relevance_samples", self.relevance_samples, 1)
        check_range("active_fraction", self.active_fraction, 0.0, 1.0)
        check_range("active_fraction", self.active_fraction, 0.0, strict=True)
        for name, value, choices in (("prior_form", self.prior_form, tuple(PRIOR_FORMS)),
                                     ("relevance_reading", self.relevance_reading, READINGS),
                                     ("sample_axes", self.sample_axes, SAMPLE_AXES)):
            if value not in choices:
                raise ConfigError(f"unknown {name} {value!r}; choose one of: {', '.join(choices)}")


class ARDVAE(GaussianVAE):
    r"""The ARD-VAE (Saha and Joshi): a VAE with a relevance-aware prior re-estimated every epoch.

    State lives in buffers, so checkpoints carry it and a resumed run is exact:
    ``prior_variance`` (:math:`b / a`, 1 before the first update), ``prior_dof``
    (:math:`\nu = 2a`; :math:`2a^0 + |\mathcal{X}_\alpha|` before the first update, as if the
    codes had unit second moment), ``relevance`` (Eq. 20 scores, 0 before the first epoch
    end) and ``active_mask`` (every axis before the first epoch end). The first update runs
    at the start of epoch 0, from the freshly initialised encoder, as the released code does.
    The active set is recomputed at the end of every complete epoch from the first
    ``relevance_samples`` validation items; a run stopped mid-epoch keeps the last one.

    :meth:`prior` is the training prior on every axis; :meth:`sample_latent` (the ``"prior"``
    sampler) zeroes the inactive axes unless ``config.sample_axes == "all"``. The
    Student-t form still generates from the Gaussian, which it approaches for
    :math:`\nu = |\mathcal{X}_\alpha| = 10^4`.
    """

    Config = ARDVAEConfig

    def __init__(self, config: ARDVAEConfig, shape: tuple[int, ...], value_range: tuple[float, float] | None):
        super().__init__(config, shape, value_range)
        l = config.latent_dim
        self.register_buffer("prior_variance", torch.ones(l))
        self.register_buffer("prior_dof", torch.full((l,), 2.0 * config.a0 + config.alpha_size))
        self.register_buffer("relevance", torch.zeros(l))
        self.register_buffer("active_mask", torch.ones(l, dtype=torch.bool))

    def relevance_variance(self, codes: Tensor) -> Tensor:
        return self.prior_variance

    def prior(self) -> Distribution:
        return ard_prior(self.prior_variance, self.prior_dof, self.config.prior_form)

    def sample_latent(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """Draws from :math:`\\mathcal{N}(0, \\mathrm{diag}\\,b/a)`, inactive axes 0 unless ``sample_axes="all"``."""
        eps = torch.randn(n, self.latent_dim, generator=generator, device=generator.device if generator else None)
        std = self.prior_variance.sqrt()
        if self.config.sample_axes == "active":
            std = std * self.active_mask
        return eps.to(self.device) * std

    def regularizer(self, mu: Tensor, logvar: Tensor, z: Tensor) -> tuple[Tensor, dict[str, Tensor]]:
        kl = KL_ESTIMATORS[self.config.prior_form](mu, logvar, z, self.prior_variance, self.prior_dof)
        return self.config.beta * kl, {"kl": kl}

    @torch.no_grad()
    def sample_codes(self, batches: Iterable[Tensor], generator: torch.Generator) -> Tensor:
        """:math:`D_z` (supp. Algorithm 2): posterior means and variances in evaluation mode,
        then one reparameterised draw per item with noise from ``generator`` (one ``(n, L)`` call)."""
        was_training = self.training
        self.eval()
        params = [self.posterior_params(x) for x in batches]
        self.train(was_training)
        mu = torch.cat([p[0] for p in params])
        logvar = torch.cat([p[1] for p in params])
        eps = torch.randn(mu.shape, generator=generator, device=generator.device).to(mu)
        return mu + (0.5 * logvar).exp() * eps

    @torch.no_grad()
    def update_prior(self, codes: Tensor) -> None:
        """Sets ``prior_variance = b / a`` and ``prior_dof = 2a`` from codes :math:`D_z` (Eq. 8-9, 12, 18)."""
        a, b = gamma_posterior(codes, self.config.a0, self.config.b0)
        self.prior_variance.copy_(b / a)
        self.prior_dof.copy_(2.0 * a)

    def axis_relevance(self, codes: Tensor, reading: str | None = None) -> Tensor:
        """Relevance scores (Eq. 20) of posterior-mean ``codes``: Jacobian weights times ``b / a``."""
        from vaelab.metrics.latent import relevance_scores

        was_training = self.training
        self.eval()
        try:
            return relevance_scores(self.decode, codes, variance=self.prior_variance,
                                    reading=reading or self.config.relevance_reading,
                                    num_jacobian=self.config.relevance_samples)
        finally:
            self.train(was_training)

    @torch.no_grad()
    def evaluation_axes(self) -> Tensor:
        """The active axes: ARD-VAE Table 1 computes the disentanglement metrics on them."""
        return torch.nonzero(self.active_mask).flatten()

    def update_active(self, codes: Tensor) -> Tensor:
        """Recomputes ``relevance`` and ``active_mask`` from posterior-mean ``codes``; returns the active axes."""
        from vaelab.metrics.latent import active_dimensions

        scores = self.axis_relevance(codes)
        active = active_dimensions(scores.cpu(), self.config.active_fraction)
        self.relevance.copy_(scores)
        self.active_mask.zero_()
        self.active_mask[active.to(self.active_mask.device)] = True
        return active

    def on_train_start(self, ctx: HookContext) -> None:
        n = len(ctx.train_index)
        if self.config.alpha_size >= n:
            raise ConfigError(f"alpha_size={self.config.alpha_size} must be smaller than the training set ({n} items): "
                              f"the prior is estimated on X_alpha and SGD runs on the rest; "
                              f"set e.g. alpha_size={max(1, n // 5)} or train on more data")

    def on_epoch_start(self, ctx: HookContext) -> None:
        if ctx.state.epoch % self.config.update_every:
            return
        alpha, sgd = split_alpha(len(ctx.train_index), self.config.alpha_size, ctx.generator)
        ctx.sgd_index = ctx.train_index[sgd]
        self.update_prior(self.sample_codes(ctx.batches(ctx.train_index[alpha]), ctx.generator))

    def on_epoch_end(self, ctx: HookContext) -> dict[str, float]:
        pool = ctx.val_index if len(ctx.val_index) else ctx.train_index
        x = ctx.images(pool[: self.config.relevance_samples])
        was_training = self.training
        self.eval()
        with torch.no_grad():
            codes = self.encode(x)
        self.train(was_training)
        active = self.update_active(codes)
        return {"ard/prior_var_min": float(self.prior_variance.min()),
                "ard/prior_var_max": float(self.prior_variance.max()),
                "ard/active_dims": float(len(active))}
