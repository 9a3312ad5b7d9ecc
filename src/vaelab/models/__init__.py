"""The model registry: every method behind the interface of :class:`vaelab.models.base.Model`."""

from __future__ import annotations

from typing import Any

from vaelab.errors import ConfigError
from vaelab.models.base import Model, ModelConfig, Objective
from vaelab.models.vae import VAE, BetaVAE, BetaVAEConfig, GaussianVAE, VAEConfig

__all__ = [
    "MODELS",
    "Model",
    "ModelConfig",
    "Objective",
    "VAE",
    "BetaVAE",
    "VAEConfig",
    "BetaVAEConfig",
    "GaussianVAE",
    "model_class",
    "build_model",
]

MODELS: dict[str, type[Model]] = {
    "vae": VAE,
    "beta_vae": BetaVAE,
}


def model_class(name: str) -> type[Model]:
    """Returns the registered model class ``name``."""
    if name not in MODELS:
        raise ConfigError(f"unknown model {name!r}; choose one of: {', '.join(MODELS)}")
    return MODELS[name]


def build_model(name: str, config: ModelConfig | dict[str, Any], shape: tuple[int, ...],
                value_range: tuple[float, float] | None) -> Model:
    """Builds model ``name`` from its config (dataclass or dict of its fields)."""
    cls = model_class(name)
    if isinstance(config, dict):
        config = cls.Config(**config)
    return cls(config, shape, value_range)
