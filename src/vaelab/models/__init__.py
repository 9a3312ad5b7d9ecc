"""The model registry: every method behind the interface of :class:`vaelab.models.base.Model`."""

from __future__ import annotations

from typing import Any

from vaelab.errors import ConfigError
from vaelab.models.aae import AAE, AAEConfig
from vaelab.models.ard_vae import ARDVAE, ARDVAEConfig
from vaelab.models.avae import AVAE, AVAEConfig
from vaelab.models.autoencoder import Autoencoder, AutoencoderConfig
from vaelab.models.base import Model, ModelConfig, Objective
from vaelab.models.factor_vae import FactorVAE, FactorVAEConfig
from vaelab.models.geco import GECOL0ARMVAE, GECOL0ARMVAEConfig
from vaelab.models.mask_aae import MaskAAE, MaskAAEConfig
from vaelab.models.rae import RAE, RAEConfig
from vaelab.models.vcae import TCVCAE, VCAE, TCVCAEConfig, VCAEConfig
from vaelab.models.vae import (
    VAE,
    BetaTCVAE,
    BetaTCVAEConfig,
    BetaVAE,
    BetaVAEConfig,
    DIPVAEI,
    DIPVAEIConfig,
    DIPVAEII,
    DIPVAEIIConfig,
    GaussianVAE,
    VAEConfig,
)
from vaelab.models.wae import CWAE, WAE, CWAEConfig, WAEConfig

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
    "BetaTCVAE",
    "BetaTCVAEConfig",
    "FactorVAE",
    "FactorVAEConfig",
    "DIPVAEI",
    "DIPVAEIConfig",
    "DIPVAEII",
    "DIPVAEIIConfig",
    "Autoencoder",
    "AutoencoderConfig",
    "WAE",
    "WAEConfig",
    "CWAE",
    "CWAEConfig",
    "AAE",
    "AAEConfig",
    "RAE",
    "RAEConfig",
    "VCAE",
    "VCAEConfig",
    "TCVCAE",
    "TCVCAEConfig",
    "AVAE",
    "AVAEConfig",
    "ARDVAE",
    "ARDVAEConfig",
    "GECOL0ARMVAE",
    "GECOL0ARMVAEConfig",
    "MaskAAE",
    "MaskAAEConfig",
    "model_class",
    "build_model",
]

MODELS: dict[str, type[Model]] = {
    "vae": VAE,
    "beta_vae": BetaVAE,
    "beta_tcvae": BetaTCVAE,
    "factor_vae": FactorVAE,
    "dip_vae_i": DIPVAEI,
    "dip_vae_ii": DIPVAEII,
    "wae_mmd": WAE,
    "cwae": CWAE,
    "aae": AAE,
    "rae": RAE,
    "ard_vae": ARDVAE,
    "avae": AVAE,
    "vcae": VCAE,
    "tc_vcae": TCVCAE,
    "geco_l0_arm_vae": GECOL0ARMVAE,
    "mask_aae": MaskAAE,
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
