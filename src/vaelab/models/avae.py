r"""The aggregate variational autoencoder, AVAE (seed 000, Section III-B, Algorithm 1).

A deterministic encoder :math:`z = E_\phi(x)` and a decoder are trained on

.. math:: \mathcal{L} = \mathrm{NLL}(x \mid D_\theta(z))
   + \beta \, \frac{1}{n_b} \sum_{i=1}^{n_b} \big[\log q(z_i) - \log \mathcal{N}(z_i; 0, I)\big],

where :math:`q` is a Gaussian KDE of the aggregate posterior (Eq. 4) centred on the codes of
``m`` training items (the KDE set, disjoint from the items the minibatches come from), with
the bandwidth :math:`h = \alpha h_{opt}` of Eq. 10-11 (:func:`vaelab.kde.bandwidth`). The KDE
centres are constants in the gradient (SPEC "Decisions"); they are re-encoded every
:math:`k_b` steps and the KDE set is redrawn every :math:`k_e` epochs. :math:`\beta` is set
from the validation reconstruction error at the start and after every epoch (Eq. 9). A
converged AVAE's codes follow :math:`\mathcal{N}(0, (1 - h^2) I)` (Section III-B3), which is
the generative prior.

Where the authors' released code differs from the paper (SPEC "Decisions"), both are offered
and the code's choice is the default: :math:`\beta = \sqrt{\text{mean validation NLL}}`
rather than the mean L2 error norm of Eq. 9, the KL term in :math:`\log_{10}` units, and a
floor :math:`\epsilon` on :math:`q(z)` (:func:`kde_log_floor`). ``docs/avae.md`` gives the details.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Iterable

import torch
from torch import Tensor
from torch.distributions import Distribution, Independent, Normal

from vaelab.errors import ConfigError
from vaelab.kde import bandwidth as search_bandwidth
from vaelab.kde import kde_log_floor, kde_log_prob, silverman_bandwidth
from vaelab.models.autoencoder import Autoencoder, AutoencoderConfig
from vaelab.models.base import HookContext, Model, check_range

__all__ = [
    "BETA_ESTIMATORS",
    "KL_LOGS",
    "BANDWIDTH_SEARCHES",
    "ReconstructionErrors",
    "reconstruction_errors",
    "kde_log_floor",
    "aggregate_kl",
    "AVAEConfig",
    "AVAE",
]


@dataclass(frozen=True)
class ReconstructionErrors:
    """Reconstruction statistics of a set of items.

    Attributes:
        nll: Mean over items of the reconstruction NLL summed over pixels (the squared error
            for the Gaussian likelihood, the binary cross-entropy for the Bernoulli one).
        l2: Mean over items of the L2 norm :math:`\\|x - \\hat x\\|_2` with :math:`\\hat x` the
            decoded mean.
        codes: ``(N, L)`` codes of the items.
    """

    nll: float
    l2: float
    codes: Tensor


@torch.no_grad()
def reconstruction_errors(model: Model, batches: Iterable[Tensor]) -> ReconstructionErrors:
    """Reconstruction statistics of the items in ``batches``, computed in evaluation mode."""
    was_training = model.training
    model.eval()
    nll = l2 = 0.0
    n = 0
    codes = []
    for x in batches:
        z = model.encode(x)
        raw = model.decoder(z)
        nll += float(model.likelihood.nll(raw, x)) * len(x)
        l2 += float((model.likelihood.mean(raw) - x).flatten(1).norm(dim=1).sum())
        n += len(x)
        codes.append(z)
    model.train(was_training)
    if n == 0:
        raise ConfigError("the reconstruction error needs at least one item")
    return ReconstructionErrors(nll / n, l2 / n, torch.cat(codes))


#: How :math:`\beta` follows from the validation reconstruction errors.
#: ``"code"``: the authors' code, :math:`\sqrt{\text{mean NLL}}` (the square root of the mean
#: sum of squared errors for Gaussian data; of the mean binary cross-entropy for Bernoulli
#: data such as dSprites). ``"paper"``: AVAE Eq. 9, the mean L2 norm of the error.
BETA_ESTIMATORS: dict[str, Callable[[ReconstructionErrors], float]] = {
    "code": lambda e: math.sqrt(max(e.nll, 0.0)),
    "paper": lambda e: e.l2,
}

#: Units of the KL term: the base of the logarithm. ``"log10"`` is the authors' code (the
#: term in natural units divided by :math:`\ln 10`), ``"ln"`` the paper's Eq. 6.
KL_LOGS: dict[str, float] = {"log10": 10.0, "ln": math.e}

BANDWIDTH_SEARCHES = ("root", "adam")


def aggregate_kl(
    z: Tensor,
    centres: Tensor,
    h: Tensor | float,
    log_floor: float | None = None,
    log_base: float = math.e,
) -> Tensor:
    r"""The AVAE KL term, :math:`\frac{1}{B} \sum_i [\log(q(z_i) + \epsilon) - \log \mathcal{N}(z_i; 0, I)] / \ln b`.

    A Monte Carlo estimate of :math:`\mathrm{KL}(q \,\|\, p)` on the minibatch codes (AVAE
    Eq. 6 and Algorithm 1, line 19), with :math:`q` the KDE of Eq. 4 over ``centres``
    computed stably in log space (:func:`vaelab.kde.kde_log_prob`).

    Args:
        z: ``(B, L)`` minibatch codes (carry the gradient).
        centres: ``(m, L)`` KDE centres (constants: pass them detached).
        h: Kernel bandwidth.
        log_floor: :math:`\log \epsilon` (:func:`kde_log_floor`), or ``None`` for no floor.
        log_base: Base :math:`b` of the logarithm (``math.e`` or 10).

    Returns:
        The scalar term.
    """
    log_q = kde_log_prob(z, centres, h)
    if log_floor is not None:
        log_q = torch.logaddexp(log_q, torch.as_tensor(log_floor, dtype=log_q.dtype, device=log_q.device))
    log_p = -0.5 * (z.square().sum(1) + z.shape[1] * math.log(2.0 * math.pi))
    return (log_q - log_p).mean() / math.log(log_base)


@dataclass
class AVAEConfig(AutoencoderConfig):
    """AVAE settings (AVAE Section IV, Table XI; SPEC "Decisions" for the code's variants).

    Attributes:
        recon_scale: Factor on the reconstruction NLL (1; the AVAE has no RECONS-SCALAR).
        kde_samples: ``m``, the size of the KDE set. Default 10,000 (MNIST, CIFAR10,
            dSprites, 3D Shapes; Section IV); 20,000 for CelebA. Must be below the number of
            training items.
        kde_resample_epochs: ``k_e``, epochs between draws of a new KDE set (1, Table XI).
        kde_refresh_steps: ``k_b``, optimisation steps between re-encodings of the KDE set
            (10, Table XI).
        beta_estimator: ``"code"`` (default; authors' code): :math:`\\beta = \\sqrt{\\text{mean
            validation NLL}}`; ``"paper"``: Eq. 9, the mean validation L2 error norm.
        kl_log: ``"log10"`` (default; authors' code) or ``"ln"`` (paper): units of the KL term.
        kde_floor_tail: ``t`` of the floor :math:`\\epsilon` on :math:`q(z)`
            (:func:`kde_log_floor`); 0 disables it (paper). Default 1e-6, the authors'
            value for dSprites and 3D Shapes; their configs use 1e-4 for MNIST, 1e-2 for
            CelebA and 1e-1 for CIFAR10.
        bandwidth: Fixed kernel bandwidth ``h`` in (0, 1); ``None`` (default) uses
            :math:`\\alpha h_{opt}` of Eq. 10-11 for ``(latent_dim, kde_samples)``.
        bandwidth_search: How Eq. 10 is solved: ``"root"`` (default; exact maximiser on a
            fixed Monte Carlo sample, the values of ``vaelab bandwidth``) or ``"adam"`` (the
            authors' procedure); see :func:`vaelab.kde.optimal_bandwidth`.
    """

    kde_samples: int = 10_000
    dataset_defaults = {
        "celeba": {"kde_samples": 20_000, "kde_floor_tail": 1e-2},  # Section IV; the authors' configs
        "mnist": {"kde_floor_tail": 1e-4},
        "cifar10": {"kde_floor_tail": 1e-1},
        "digits": {"kde_samples": 500, "kde_floor_tail": 1e-4},  # 1,350 training items
        "mog": {"kde_samples": 2_000},
    }
    kde_resample_epochs: int = 1
    kde_refresh_steps: int = 10
    beta_estimator: str = "code"
    kl_log: str = "log10"
    kde_floor_tail: float = 1e-6
    bandwidth: float | None = None
    bandwidth_search: str = "root"

    @classmethod
    def size_defaults(cls, num_train: int) -> dict[str, Any]:
        """A KDE set of 10K items, or a quarter of a smaller training set (SGD runs on the rest)."""
        return {"kde_samples": max(2, min(10_000, num_train // 4))}

    def validate(self) -> None:
        super().validate()
        check_range("kde_samples", self.kde_samples, 2)
        check_range("kde_resample_epochs", self.kde_resample_epochs, 1)
        check_range("kde_refresh_steps", self.kde_refresh_steps, 1)
        for name, value, choices in (("beta_estimator", self.beta_estimator, BETA_ESTIMATORS),
                                     ("kl_log", self.kl_log, KL_LOGS),
                                     ("bandwidth_search", self.bandwidth_search, BANDWIDTH_SEARCHES)):
            if value not in choices:
                raise ConfigError(f"unknown {name} {value!r}; choose one of: {', '.join(choices)}")
        check_range("kde_floor_tail", self.kde_floor_tail, 0.0)
        check_range("kde_floor_tail", self.kde_floor_tail, high=1.0, strict=True)
        if self.bandwidth is not None:
            check_range("bandwidth", self.bandwidth, 0.0, 1.0, strict=True)


class AVAE(Autoencoder):
    r"""Aggregate VAE (AVAE Algorithm 1): NLL + beta * KL(KDE of the codes || N(0, I)); prior N(0, (1 - h^2) I).

    The training state lives in buffers, so checkpoints resume exactly: ``h`` (bandwidth),
    ``beta``, ``kde_index`` (dataset indices of the KDE set), ``kde_codes`` (their codes),
    ``kde_step`` (step of the last encoding, -1 before training) and ``kde_epoch`` (epoch
    of the last draw).

    Before :meth:`on_train_start` (a model built outside training) there is no KDE set yet:
    :meth:`loss` then uses the detached codes of the batch itself as KDE centres, ``beta`` is
    1 and ``h`` is Silverman's rule for ``(latent_dim, kde_samples)`` scaled by Eq. 11 (or
    the configured ``bandwidth``); training replaces all three.

    Example:
        >>> from vaelab.models import build_model
        >>> cfg = {"latent_dim": 4, "architecture": "mlp", "likelihood": "bernoulli", "kde_samples": 100}
        >>> model = build_model("avae", cfg, (1, 8, 8), (0.0, 1.0))
        >>> sorted(model.loss(torch.rand(5, 1, 8, 8)))
        ['kl', 'loss', 'recon']
    """

    Config = AVAEConfig

    def __init__(self, config: AVAEConfig, shape: tuple[int, ...], value_range: tuple[float, float] | None):
        super().__init__(config, shape, value_range)
        m, l = config.kde_samples, config.latent_dim
        if config.bandwidth is not None:
            h = config.bandwidth
        else:
            s = silverman_bandwidth(l, m)
            h = s / math.sqrt(1.0 + s * s)
        self.register_buffer("h", torch.tensor(float(h)))
        self.register_buffer("beta", torch.tensor(1.0))
        self.register_buffer("kde_index", torch.zeros(m, dtype=torch.long))
        self.register_buffer("kde_codes", torch.zeros(m, l))
        self.register_buffer("kde_step", torch.tensor(-1))
        self.register_buffer("kde_epoch", torch.tensor(-1))

    # ----------------------------------------------------------------- generation

    @property
    def generation_variance(self) -> Tensor:
        """Per-axis variance :math:`1 - h^2` of a converged AVAE's codes (Section III-B3)."""
        return 1.0 - self.h.square()

    def prior(self) -> Distribution:
        """The generative prior :math:`\\mathcal{N}(0, (1 - h^2) I)`."""
        zeros = torch.zeros(self.latent_dim, device=self.h.device, dtype=self.h.dtype)
        return Independent(Normal(zeros, self.generation_variance.sqrt().expand_as(zeros)), 1)

    def sample_latent(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        return super().sample_latent(n, generator) * self.generation_variance.sqrt()

    # ----------------------------------------------------------------- loss

    def kde_centres(self, z: Tensor) -> Tensor:
        """The KDE centres: the KDE set's codes, or the batch's own detached codes before training."""
        return self.kde_codes if int(self.kde_step) >= 0 else z.detach()

    def regularizer(self, z: Tensor) -> tuple[Tensor, dict[str, Tensor]]:
        c = self.config
        log_floor = kde_log_floor(float(self.h), self.latent_dim, c.kde_floor_tail) if c.kde_floor_tail > 0 else None
        kl = aggregate_kl(z, self.kde_centres(z), self.h, log_floor, KL_LOGS[c.kl_log])
        return self.beta * kl, {"kl": kl}

    # ----------------------------------------------------------------- training hooks

    def summary(self) -> dict[str, float]:
        """The bandwidth ``h`` the run trains with and the generation variance :math:`1 - h^2`, for
        ``status.json``: searched (and cached per machine) at the start, so the run records it."""
        return {"avae_bandwidth": float(self.h), "avae_generation_variance": float(self.generation_variance)}

    def on_train_start(self, ctx: HookContext) -> None:
        """Algorithm 1, lines 1-7: bandwidth, first KDE set, its codes and the initial beta.

        The bandwidth is ``config.bandwidth`` when set; else the one a resumed run recorded in its
        status (:meth:`summary`); else :math:`\alpha h_{opt}` searched for ``(latent_dim, kde_samples)``.
        """
        n, m = len(ctx.train_index), self.config.kde_samples
        if m >= n:
            raise ConfigError(
                f"avae draws kde_samples={m} KDE items from the training split, which holds only {n} items; "
                f"set kde_samples below {n} (e.g. kde_samples={max(2, n // 4)}) or train on more data")
        if len(ctx.val_index) == 0:
            raise ConfigError("avae sets beta from the validation set (AVAE Eq. 9); use data.val_fraction > 0")
        if self.config.bandwidth is None:
            recorded = ctx.recorded.get("avae_bandwidth")
            self.h.fill_(recorded if recorded is not None else
                         search_bandwidth(self.latent_dim, m, method=self.config.bandwidth_search).h)
        self.draw_kde_set(ctx)
        self.update_beta(ctx)

    def on_epoch_start(self, ctx: HookContext) -> None:
        """Algorithm 1, lines 11-15: a new KDE set every ``kde_resample_epochs`` epochs."""
        epoch = ctx.state.epoch
        if epoch % self.config.kde_resample_epochs == 0 and int(self.kde_epoch) != epoch:
            self.draw_kde_set(ctx)

    def on_step_start(self, ctx: HookContext) -> None:
        """Algorithm 1, lines 22-25: re-encode the KDE set once its codes are ``kde_refresh_steps`` steps old."""
        if ctx.state.step - int(self.kde_step) >= self.config.kde_refresh_steps:
            self.encode_kde_set(ctx)

    def on_epoch_end(self, ctx: HookContext) -> dict[str, float]:
        """Algorithm 1, line 30: the new beta, with the validation statistics behind it."""
        errors = self.update_beta(ctx)
        codes = errors.codes.double()
        return {
            "avae/beta": float(self.beta),
            "avae/val_nll": errors.nll,
            "avae/val_l2": errors.l2,
            "avae/code_mean_norm": float(codes.mean(0).norm()),
            "avae/code_total_var": float(codes.var(0, unbiased=False).sum()),
        }

    # ----------------------------------------------------------------- the steps of Algorithm 1

    def draw_kde_set(self, ctx: HookContext) -> None:
        """Draws ``m`` training items as the KDE set (``ctx.generator``), makes the rest the SGD set, encodes them."""
        n, m = len(ctx.train_index), self.config.kde_samples
        pos = torch.randperm(n, generator=ctx.generator)[:m].sort().values
        keep = torch.ones(n, dtype=torch.bool)
        keep[pos] = False
        self.kde_index.copy_(ctx.train_index[pos])
        self.kde_epoch.fill_(ctx.state.epoch)
        ctx.sgd_index = ctx.train_index[keep]
        self.encode_kde_set(ctx)

    @torch.no_grad()
    def encode_kde_set(self, ctx: HookContext) -> None:
        """Encodes the KDE set in evaluation mode, without gradient, in batches of ``train.eval_batch_size``
        (through ``ctx.batches``, in the training layout: channels-last by default)."""
        was_training = self.training
        self.eval()
        codes = [self.encode(x) for x in ctx.batches(self.kde_index.cpu())]
        self.kde_codes.copy_(torch.cat(codes))
        self.kde_step.fill_(ctx.state.step)
        self.train(was_training)

    def update_beta(self, ctx: HookContext) -> ReconstructionErrors:
        """Sets ``beta`` from the validation reconstruction errors with the configured estimator."""
        errors = reconstruction_errors(self, ctx.batches(ctx.val_index))
        self.beta.fill_(BETA_ESTIMATORS[self.config.beta_estimator](errors))
        return errors
