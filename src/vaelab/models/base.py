"""The uniform model interface every method implements.

A model is an ``nn.Module`` holding an encoder, a decoder and a likelihood. It exposes
``encode`` / ``decode``, ``loss(x) -> dict`` (``"loss"`` is the total that the main
optimiser minimises; the other entries are its named parts), generation through
``sample_latent`` / ``sample``, optional training hooks, and ``objectives()``, which
names the optimisers the training loop builds (one per parameter group, e.g. a
discriminator with its own Adam settings).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, ClassVar, Iterator, Protocol

import torch
from torch import Tensor, nn
from torch.distributions import Distribution, Independent, Normal

from vaelab.errors import ConfigError
from vaelab.losses import LIKELIHOODS, make_likelihood
from vaelab.nets import ARCHITECTURES, build_networks

__all__ = ["HookContext", "ModelConfig", "Model", "Objective", "check_range", "check_disc_adam", "adversarial_objectives"]


def check_range(name: str, value: float, low: float | None = None, high: float | None = None,
                strict: bool = False) -> None:
    """Raises :class:`ConfigError` unless ``value`` is finite and ``low <= value <= high`` (``<`` when ``strict``)."""
    bad_low = low is not None and (value <= low if strict else value < low)
    bad_high = high is not None and (value >= high if strict else value > high)
    if bad_low or bad_high or not math.isfinite(value):
        op = "<" if strict else "<="
        lo = f"{low} {op} " if low is not None else ""
        hi = f" {op} {high}" if high is not None else ""
        finite = "" if math.isfinite(value) else " (a finite number)"
        raise ConfigError(f"invalid {name}={value}: need {lo}{name}{hi}{finite}")


def check_disc_adam(config: object) -> None:
    """Checks a config's discriminator Adam settings: ``disc_lr > 0``, ``disc_beta1`` and ``disc_beta2`` in [0, 1)."""
    check_range("disc_lr", config.disc_lr, 0.0, strict=True)
    for name in ("disc_beta1", "disc_beta2"):
        check_range(name, getattr(config, name), 0.0)
        check_range(name, getattr(config, name), high=1.0, strict=True)


class HookContext(Protocol):
    """What the training hooks of a model see (:class:`vaelab.train.TrainContext` is one).

    ``sgd_index`` may be replaced by a hook: the items the current epoch iterates over.
    """

    train_index: Tensor
    val_index: Tensor
    sgd_index: Tensor
    device: torch.device
    generator: torch.Generator
    state: Any

    def images(self, index: Tensor) -> Tensor: ...

    def batches(self, index: Tensor, batch_size: int | None = None) -> Iterator[Tensor]: ...


@dataclass
class ModelConfig:
    """Fields shared by every model.

    Attributes:
        latent_dim: Latent size ``L`` (AVAE Tables VIII-IX per dataset when left unset).
        architecture: Name in :data:`vaelab.nets.ARCHITECTURES` (dataset default when unset).
        likelihood: ``"bernoulli"`` or ``"gaussian"`` (dataset default when unset).

    Subclasses list the seeds' per-dataset values in ``dataset_defaults``
    (``{dataset: {field: value}}``); :func:`vaelab.config.build_config` applies them to the
    fields a user did not set.
    """

    latent_dim: int | None = None
    architecture: str | None = None
    likelihood: str | None = None

    dataset_defaults: ClassVar[dict[str, dict[str, Any]]] = {}
    """Per-dataset values of this model's fields from the seeds' tables, used where the user set none."""

    @classmethod
    def size_defaults(cls, num_train: int) -> dict[str, Any]:
        """Values for own data of ``num_train`` training items where the seeds' sizes assume more
        (e.g. the ARD-VAE's 10K-item X_alpha); used where the user set none."""
        return {}

    def validate(self) -> None:
        if self.latent_dim is None or self.architecture is None or self.likelihood is None:
            raise ConfigError("latent_dim, architecture and likelihood must be resolved before building a model")
        check_range("latent_dim", self.latent_dim, 1)
        if self.architecture not in ARCHITECTURES:
            raise ConfigError(f"unknown architecture {self.architecture!r}; choose one of: {', '.join(ARCHITECTURES)}")
        if self.likelihood not in LIKELIHOODS:
            raise ConfigError(f"unknown likelihood {self.likelihood!r}; choose one of: {', '.join(LIKELIHOODS)}")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class Objective:
    """One optimiser of a model: the parameters it updates and the loss entry it minimises.

    Attributes:
        params: Parameters updated by this optimiser (disjoint across objectives).
        loss_key: Entry of ``model.loss(x)`` whose gradient w.r.t. ``params`` is used.
        lr: Adam learning rate; ``None`` uses the training config's rate.
        betas: Adam betas.
        plateau: Whether ReduceLROnPlateau on the validation loss drives this rate.
        weight_decay: L2 weight decay of the optimiser.
        optimizer: ``"adam"`` (default) or ``"rmsprop"`` (MaskAAE's recipe); see
            :data:`vaelab.train.OPTIMIZERS`.
    """

    params: list[nn.Parameter]
    loss_key: str = "loss"
    lr: float | None = None
    betas: tuple[float, float] = (0.9, 0.999)
    plateau: bool = True
    weight_decay: float = 0.0
    optimizer: str = "adam"


class Model(nn.Module):
    """Base class: encoder, decoder, likelihood and the hooks of the training loop.

    Subclasses set ``Config`` (their config dataclass), ``head`` (encoder output
    multiplier: 2 for Gaussian encoders) and implement :meth:`loss`. ``monitor`` names the
    loss entry whose validation mean drives the learning-rate schedule and picks the best
    checkpoint (adversarial models monitor ``"recon"``: their total moves with the
    discriminator); ``default_sampler`` names the generation sampler of
    :mod:`vaelab.samplers` (``"prior"`` unless an ex-post density is fitted, e.g. RAE).

    Args:
        config: A validated config of type ``Config`` with resolved architecture fields.
        shape: Observation shape ``(C, H, W)`` or ``(D,)``.
        value_range: Range of the data, which picks the likelihood's output activation.
    """

    Config: ClassVar[type[ModelConfig]] = ModelConfig
    head: ClassVar[int] = 1
    monitor: ClassVar[str] = "loss"
    default_sampler: ClassVar[str] = "prior"
    select_best: ClassVar[bool] = True
    """Whether the ``best`` checkpoint is the one with the lowest validation ``monitor``;
    ``False``: it is the latest (models whose objective changes its own weights over training)."""

    def __init__(self, config: ModelConfig, shape: tuple[int, ...], value_range: tuple[float, float] | None):
        super().__init__()
        config.validate()
        self.config = config
        self.shape = tuple(shape)
        self.likelihood = make_likelihood(config.likelihood, value_range)
        self.encoder, self.decoder = build_networks(config.architecture, self.shape, config.latent_dim, self.head)

    @property
    def latent_dim(self) -> int:
        return self.config.latent_dim

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    def encode(self, x: Tensor) -> Tensor:
        """Returns the ``(B, L)`` codes used downstream (the posterior mean for stochastic encoders)."""
        return self.encoder(x)

    def decode(self, z: Tensor) -> Tensor:
        """Returns the mean of :math:`p(x \\mid z)` in data space."""
        return self.likelihood.mean(self.decoder(z))

    def reconstruct(self, x: Tensor) -> Tensor:
        return self.decode(self.encode(x))

    def prior(self) -> Distribution:
        """The generative prior :math:`p(z)`, a standard normal unless overridden."""
        zeros = torch.zeros(self.latent_dim, device=self.device)
        return Independent(Normal(zeros, torch.ones_like(zeros)), 1)

    def sample_latent(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """Draws ``n`` codes for generation with an explicit generator (standard normal by default)."""
        z = torch.randn(n, self.latent_dim, generator=generator, device=generator.device if generator else None)
        return z.to(self.device)

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """Generates ``n`` observations by decoding :meth:`sample_latent`."""
        return self.decode(self.sample_latent(n, generator))

    def loss(self, x: Tensor) -> dict[str, Tensor]:
        """Returns ``{"loss": total, <part>: value, ...}`` for a batch ``x`` (scalars)."""
        raise NotImplementedError

    def objectives(self) -> dict[str, Objective]:
        """The optimisers to build, by name; ``"model"`` minimises ``loss["loss"]``."""
        return {"model": Objective(list(self.parameters()))}

    def relevance_variance(self, codes: Tensor) -> Tensor:
        """Per-axis variance that weights the relevance scores (ARD-VAE Eq. 20): the uncentred
        second moment of ``codes`` (the ARD-VAE's estimator, Eq. 18 with a0 = b0 = 0, applied to
        any model, supp. Table 13); the ARD-VAE returns its prior variance b / a."""
        return codes.square().mean(0)

    def active_axes(self) -> Tensor | None:
        """The axes this model's own paper calls active (e.g. open gates, mask entries above a
        threshold); ``None``: the ARD-VAE relevance rule (Eq. 19-20, 99% of the total) decides."""
        return None

    def frozen_parameters(self) -> set[str]:
        """Names of parameters that get no gradient in the current state by design (e.g. gates
        that start training only once a reconstruction target is reached)."""
        return set()

    def evaluation_axes(self) -> Tensor | None:
        """Latent axes the disentanglement metrics see; ``None``: all of them. The ARD-VAE
        returns its active axes (ARD-VAE Table 1: "ACTIVE ... used to compute the metric scores")."""
        return None

    def summary(self) -> dict[str, float]:
        """Constants worth recording in the run's ``status.json`` (e.g. VCAE's information-rate bound)."""
        return {}

    def on_train_start(self, ctx: "HookContext") -> None:
        """Called once before the first step (also when resuming, before state is restored)."""

    def on_epoch_start(self, ctx: "HookContext") -> None:
        """Called at the start of each epoch; may set ``ctx.sgd_index`` for the epoch."""

    def on_step_start(self, ctx: "HookContext") -> None:
        """Called before each optimisation step."""

    def on_step_end(self, ctx: "HookContext", losses: dict[str, Tensor | float]) -> None:
        """Called after each optimisation step with the step's loss entries, detached and on the
        training device (e.g. to update a Lagrange multiplier or project parameters onto their
        constraint set)."""

    def on_epoch_end(self, ctx: "HookContext") -> dict[str, float]:
        """Called after validation at the end of each epoch; returns values to log."""
        return {}


def adversarial_objectives(model: Model, discriminator: nn.Module, lr: float,
                           betas: tuple[float, float]) -> dict[str, Objective]:
    """The two optimisers of a model with a discriminator: everything else minimises ``"loss"``;
    the discriminator minimises ``"disc_loss"`` with its own Adam and a constant rate."""
    disc = list(discriminator.parameters())
    ids = {id(p) for p in disc}
    return {
        "model": Objective([p for p in model.parameters() if id(p) not in ids]),
        "discriminator": Objective(disc, "disc_loss", lr, betas, plateau=False),
    }
