"""vaelab: training, sampling and evaluation of autoencoder-based generative models.

The Python API (:mod:`vaelab.api`): :func:`fit`, :func:`load`, :func:`evaluate`, :func:`export`.

Submodules: :mod:`vaelab.data` (datasets, your own data in :mod:`vaelab.data.own`),
:mod:`vaelab.nets` (architectures), :mod:`vaelab.losses` (pure loss functions),
:mod:`vaelab.models` (the model registry), :mod:`vaelab.config`, :mod:`vaelab.train` (the
training loop), :mod:`vaelab.runs` (run directories), :mod:`vaelab.tracking` (wandb / mlflow),
:mod:`vaelab.viz` (figures) and :mod:`vaelab.cli` (the command line, one module per group of commands).
The module :mod:`vaelab.evaluate` stays importable (``from vaelab.evaluate import evaluate_run``);
the package attribute ``vaelab.evaluate`` is the API function.
"""

import vaelab.evaluate  # noqa: F401  (loaded first, so that the name below stays the API function)
from vaelab import config, data, errors, losses, models, nets, runs, train, viz
from vaelab.api import TrainedModel, evaluate, export, fit, load

__all__ = ["TrainedModel", "config", "data", "errors", "evaluate", "export", "fit", "load", "losses", "models",
           "nets", "runs", "train", "viz"]
__version__ = "0.1.0"
