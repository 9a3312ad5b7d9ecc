r"""Normalising-flow samplers: densities fitted to a trained model's codes (VCAE Section 4).

A flow is an invertible map :math:`f` from codes :math:`z` to a standard normal :math:`w`,
so :math:`\log q(z) = \log \mathcal{N}(f(z); 0, I) + \log |\det \partial f / \partial z|`; it is
fitted after training by maximum likelihood on the encoded training set (VCAE Eq. 9,
Algorithm 1) and sampled as :math:`z = f^{-1}(w)`. The two architectures of VCAE Table 5,
built from zuko's transformations:

- ``"maf"`` (MNIST): MAF[64, 64], 5 x {Permutation, MAF[64, 64]}, LinearScale, LinearShift;
  masked autoregressive affine layers (Papamakarios et al. 2017) with fixed random
  permutations between them and a learned element-wise affine map at the end.
- ``"realnvp"`` (CelebA): RealNVP[256, 256, 256], 7 x {Permutation, RealNVP[256, 256, 256]};
  affine coupling layers (Dinh et al. 2017) with alternating masks and fixed random
  permutations between them.

Two additions to Table 5: the codes are standardised per dimension (a fixed affine map
whose mean and scale are the moments of the noisy fitting codes), so that the default
learning rate suits codes of any scale; and, for models with fixed latent noise (cWAE,
VCAE), the codes are fitted with that noise added, :math:`z = \mu(x) + \epsilon` with a fresh
:math:`\epsilon` in every minibatch, as VCAE Algorithm 1 does (``noise_var``, read from the
model's config when the sampler is attached).

The fit follows VCAE Algorithm 1 and B.3.1 / B.4.1: Adam, learning rate 1e-3 without a
schedule, batch 100, 100 epochs over all the codes it is given (:func:`vaelab.samplers.fit_run_sampler`
gives it every training code). Early stopping is an option (``patience > 0``): a held-out
``val_fraction`` of the codes (with one fixed noise draw) is scored after each epoch,
training stops after ``patience`` epochs without a better held-out likelihood and the best
parameters are kept.

The ``"flow"`` sampler name resolves to the kind of Table 5 that fits the model
(:func:`flow_kind`): RealNVP for the natural-image networks (CelebA, CIFAR10 and
ImageNet32) and for latents larger than 32, whose MAF inverse would need one pass per
dimension; MAF otherwise (MNIST, digits, dSprites, 3D Shapes, toy data).

Example:
    >>> sampler = MAFSampler(2, epochs=20).fit(codes, torch.Generator().manual_seed(0))
    >>> z = sampler.sample(100, torch.Generator().manual_seed(1))
    >>> sampler.log_prob(z).shape
    torch.Size([100])
"""

from __future__ import annotations

import copy
import math
from typing import TYPE_CHECKING, Any, ClassVar, Sequence

import torch
from torch import Tensor
from zuko.distributions import DiagNormal
from zuko.flows.autoregressive import MaskedAutoregressiveTransform
from zuko.flows.coupling import GeneralCouplingTransform
from zuko.lazy import Flow, LazyTransform, UnconditionalDistribution, UnconditionalTransform
from zuko.transforms import MonotonicAffineTransform, PermutationTransform

from vaelab.errors import ConfigError, RunError
from vaelab.samplers.base import Sampler

if TYPE_CHECKING:
    from vaelab.models.base import Model

__all__ = [
    "FLOW_KINDS",
    "REALNVP_ARCHITECTURES",
    "MAX_MAF_DIM",
    "FlowSampler",
    "MAFSampler",
    "RealNVPSampler",
    "maf_flow",
    "realnvp_flow",
    "flow_kind",
]

REALNVP_ARCHITECTURES = ("celeba", "cifar10")
MAX_MAF_DIM = 32


def _permutation(features: int) -> LazyTransform:
    return UnconditionalTransform(PermutationTransform, torch.randperm(features), buffer=True)


def _standard_normal(features: int) -> UnconditionalDistribution:
    return UnconditionalDistribution(DiagNormal, torch.zeros(features), torch.ones(features), buffer=True)


def maf_flow(features: int, transforms: int = 6, hidden: Sequence[int] = (64, 64)) -> Flow:
    """VCAE Table 5 (MNIST): ``transforms`` MAF layers with random permutations between them,
    then a learned element-wise scale and shift, onto :math:`\\mathcal{N}(0, I)`.

    Permutations are drawn from the global generator; seed it for a reproducible flow.
    """
    layers: list[LazyTransform] = []
    for i in range(transforms):
        if i:
            layers.append(_permutation(features))
        layers.append(MaskedAutoregressiveTransform(features, hidden_features=tuple(hidden)))
    layers.append(UnconditionalTransform(MonotonicAffineTransform, torch.zeros(features), torch.zeros(features)))
    return Flow(layers, _standard_normal(features))


def realnvp_flow(features: int, transforms: int = 8, hidden: Sequence[int] = (256, 256, 256)) -> Flow:
    """VCAE Table 5 (CelebA): ``transforms`` affine coupling layers (alternating masks) with
    random permutations between them, onto :math:`\\mathcal{N}(0, I)`.

    Permutations are drawn from the global generator; seed it for a reproducible flow.
    """
    layers: list[LazyTransform] = []
    for i in range(transforms):
        if i:
            layers.append(_permutation(features))
        mask = torch.arange(features) % 2 == i % 2
        layers.append(GeneralCouplingTransform(features, mask=mask, hidden_features=tuple(hidden)))
    return Flow(layers, _standard_normal(features))


class FlowSampler(Sampler):
    """A normalising flow fitted to codes; subclasses set ``kind`` and the Table 5 defaults.

    Args:
        latent_dim: Code size ``L``.
        transforms: Number of MAF / coupling layers.
        hidden: Widths of each layer's hidden network.
        epochs: Most passes over the fitting codes (100; VCAE B.3.1).
        batch_size: Minibatch size (100; VCAE B.3.1).
        lr: Adam learning rate, constant (1e-3; VCAE B.3.1).
        patience: Early stopping (an option; VCAE trains every epoch): stop after this many
            epochs without a better held-out likelihood (``0``, default: run every epoch).
        val_fraction: Fraction of the codes held out to score each epoch (``0``, default:
            none; the last epoch's parameters are kept); needed for early stopping.
        noise_var: Variance of the Gaussian noise added to the codes, drawn afresh for every
            minibatch (the model's ``noise_var`` when ``None`` and attached to a model; else 0).
        seed: Seed of the initial parameters and permutations.
    """

    kind: ClassVar[str] = ""
    default_transforms: ClassVar[int] = 1
    default_hidden: ClassVar[tuple[int, ...]] = (64,)

    def __init__(self, latent_dim: int, transforms: int | None = None, hidden: Sequence[int] | None = None,
                 epochs: int = 100, batch_size: int = 100, lr: float = 1e-3, patience: int = 0,
                 val_fraction: float = 0.0, noise_var: float | None = None, seed: int = 0):
        super().__init__(latent_dim)
        self.transforms = self.default_transforms if transforms is None else int(transforms)
        self.hidden = list(self.default_hidden if hidden is None else hidden)
        self.epochs, self.batch_size, self.lr = int(epochs), int(batch_size), float(lr)
        self.patience, self.val_fraction, self.seed = int(patience), float(val_fraction), int(seed)
        self.noise_var = None if noise_var is None else float(noise_var)
        self._validate()
        self.register_buffer("shift", torch.zeros(latent_dim))
        self.register_buffer("scale", torch.ones(latent_dim))
        self.register_buffer("fit_epochs", torch.tensor(0))
        self.register_buffer("fit_val_nll", torch.tensor(math.nan))
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            self.flow = self.build(latent_dim, self.transforms, self.hidden)

    @staticmethod
    def build(features: int, transforms: int, hidden: Sequence[int]) -> Flow:
        raise NotImplementedError

    def _validate(self) -> None:
        name = f"{self.kind} sampler"
        checks = [("transforms", self.transforms >= 1), ("hidden", len(self.hidden) >= 1 and min(self.hidden) >= 1),
                  ("epochs", self.epochs >= 1), ("batch_size", self.batch_size >= 1), ("lr", self.lr > 0),
                  ("patience", self.patience >= 0), ("val_fraction", 0.0 <= self.val_fraction < 1.0),
                  ("noise_var", self.noise_var is None or self.noise_var >= 0.0)]
        for field, ok in checks:
            if not ok:
                raise ConfigError(f"invalid {name} option {field}={getattr(self, field)!r}")
        if self.patience and not self.val_fraction:
            raise ConfigError(f"{name}: early stopping (patience={self.patience}) scores held-out codes; "
                              f"set val_fraction above 0 (e.g. 0.1)")

    def options(self) -> dict[str, Any]:
        return {"transforms": self.transforms, "hidden": list(self.hidden), "epochs": self.epochs,
                "batch_size": self.batch_size, "lr": self.lr, "patience": self.patience,
                "val_fraction": self.val_fraction, "noise_var": self.noise_var, "seed": self.seed}

    def attach(self, model: "Model") -> "FlowSampler":
        if self.noise_var is None:
            self.noise_var = float(getattr(model.config, "noise_var", 0.0) or 0.0)
        return self

    def to_base(self, z: Tensor) -> Tensor:
        """Maps ``(B, L)`` codes to the flow's standard-normal space, :math:`w = f(z)`."""
        return self.flow().transform((z.to(self.shift) - self.shift) / self.scale)

    def from_base(self, w: Tensor) -> Tensor:
        """Maps standard-normal ``(B, L)`` points back to codes, :math:`z = f^{-1}(w)`."""
        return self.flow().transform.inv(w.to(self.shift)) * self.scale + self.shift

    def log_prob(self, z: Tensor) -> Tensor:
        self._check_fitted()
        x = (z.to(self.shift) - self.shift) / self.scale
        return (self.flow().log_prob(x) - self.scale.log().sum()).to(z.dtype)

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        self._check_fitted()
        device = generator.device if generator is not None else self.shift.device
        return self.from_base(torch.randn(n, self.latent_dim, generator=generator, device=device))

    def _nll(self, x: Tensor) -> Tensor:
        return -self.flow().log_prob(x).mean()

    def fit(self, codes: Tensor, generator: torch.Generator | None = None) -> "FlowSampler":
        """Fits the flow to ``(N, L)`` codes by maximum likelihood (VCAE Eq. 9, Algorithm 1) and returns ``self``."""
        z = self._check_codes(codes, 2).float()
        g = generator if generator is not None else torch.Generator().manual_seed(self.seed)
        if self.noise_var is None:
            self.noise_var = 0.0
        noise_std = math.sqrt(self.noise_var)
        order = torch.randperm(len(z), generator=g)
        n_val = int(self.val_fraction * len(z))
        train, val = z[order[n_val:]], z[order[:n_val]]
        if noise_std > 0.0 and n_val:
            val = val + noise_std * torch.randn(val.shape, generator=g)
        device = self.shift.device
        self.shift.copy_(train.mean(0))
        spread = train.var(0, unbiased=False) if len(train) > 1 else torch.ones_like(self.scale)
        self.scale.copy_((spread + self.noise_var).sqrt().clamp_min(1e-6))
        train, val = train.to(device), (val.to(device) - self.shift) / self.scale

        def batch(idx: Tensor) -> Tensor:
            x = train[idx.to(device)]
            if noise_std > 0.0:
                x = x + noise_std * torch.randn(x.shape, generator=g).to(x)
            return (x - self.shift) / self.scale

        opt = torch.optim.Adam(self.flow.parameters(), lr=self.lr)
        best, best_state, best_epoch, stale = math.inf, None, 0, 0
        for epoch in range(self.epochs):
            self.flow.train()
            for idx in torch.randperm(len(train), generator=g).split(self.batch_size):
                loss = self._nll(batch(idx))
                if not bool(torch.isfinite(loss)):
                    break
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
            self.flow.eval()
            with torch.no_grad():
                score = float(self._nll(val)) if len(val) else float(loss)
            if not math.isfinite(score):
                break
            if score < best or not len(val):
                best, best_state, best_epoch, stale = score, copy.deepcopy(self.flow.state_dict()), epoch, 0
            else:
                stale += 1
                if self.patience and stale >= self.patience:
                    break
        if best_state is None:
            raise RunError(f"the {self.kind} flow diverged in its first epoch; lower its learning rate (lr=...)")
        self.flow.load_state_dict(best_state)
        self.fit_epochs.fill_(best_epoch + 1)
        self.fit_val_nll.fill_(best + float(self.scale.log().sum()) if len(val) else math.nan)
        self.fitted.fill_(True)
        return self


class MAFSampler(FlowSampler):
    """MAF of VCAE Table 5 (MNIST): 6 MAF[64, 64] layers with permutations, then LinearScale / LinearShift."""

    kind = "maf"
    default_transforms = 6
    default_hidden = (64, 64)
    build = staticmethod(maf_flow)


class RealNVPSampler(FlowSampler):
    """RealNVP of VCAE Table 5 (CelebA): 8 coupling layers RealNVP[256, 256, 256] with permutations."""

    kind = "realnvp"
    default_transforms = 8
    default_hidden = (256, 256, 256)
    build = staticmethod(realnvp_flow)


FLOW_KINDS: dict[str, type[FlowSampler]] = {"maf": MAFSampler, "realnvp": RealNVPSampler}


def flow_kind(model: "Model") -> str:
    """The Table 5 flow for a model: ``"realnvp"`` for natural-image networks or ``L > 32``, else ``"maf"``."""
    arch = getattr(model.config, "architecture", None)
    return "realnvp" if arch in REALNVP_ARCHITECTURES or model.latent_dim > MAX_MAF_DIM else "maf"

