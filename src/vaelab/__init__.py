"""vaelab: training, sampling and evaluation of autoencoder-based generative models.

Submodules: :mod:`vaelab.data` (datasets), :mod:`vaelab.nets` (architectures),
:mod:`vaelab.losses` (pure loss functions), :mod:`vaelab.models` (the model registry),
:mod:`vaelab.config`, :mod:`vaelab.train` (the training loop), :mod:`vaelab.runs`
(run directories), :mod:`vaelab.viz` (figures) and :mod:`vaelab.cli` (the command line, one module per group of commands).
"""

from vaelab import config, data, errors, losses, models, nets, runs, train, viz

__all__ = ["config", "data", "errors", "losses", "models", "nets", "runs", "train", "viz"]
__version__ = "0.1.0"
