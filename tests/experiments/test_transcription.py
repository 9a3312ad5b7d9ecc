"""Every preset against an independent transcription of the settings its table was produced with.

The transcription below is written from the seeds' text (``shared/seeds``), not from
``presets.py``. A test resolves the config of every run of every preset and compares each
transcribed setting with it; every difference must be listed as a deviation of that preset
(same setting, cell, our value and the source's value), every listed deviation of a
transcribed setting must be a real difference, and every transcribed setting must have a
source that ``vaelab presets show`` prints.

Format: ``TRANSCRIPTION[preset][setting] = spec``. ``setting`` is a resolved config key
(``model.beta``, ``train.lr``, ``data.options.size``) or a sweep key (``sweep.methods``,
``sweep.datasets``, ``sweep.seeds`` = number of seeds, ``sweep.metrics`` = groups that must be
evaluated). ``spec`` is a value every run must have, or ``{"METHOD/DATASET": value}`` with
``*`` wildcards (the most specific pattern wins; runs no pattern matches are not checked). A
``set`` value means "the values over the runs of that cell" (a grid). To add the presets of a
new table, add its entry here; the test covers it automatically.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from vaelab.cli import main
from vaelab.experiments.presets import PRESETS, Deviation
from vaelab.experiments.sweeps import expand, run_config

S = "*/shapes3d"
D = "*/dsprites"

# --- AVAE (seed 000): Sec. IV-A "Implementation details", Appendix A, Tables VIII, IX, XI.
_AVAE_COMMON = {
    "train.batch_size": 100,  # Appendix A: "batch size of 100 for training all the methods"
    "train.lr": 5e-4,  # Appendix A: Adam, learning rate 5e-4
    "train.schedule": "plateau",  # Appendix A: ReduceLROnPlateau
    "train.plateau_factor": 0.5,  # "reduces the learning rate by 0.5"
    "train.plateau_patience": 5,  # "if the validation loss does not improve for 5 epochs"
    "model.kde_resample_epochs": {"avae/*": 1},  # Table XI (k_e, k_b) = (1, 10)
    "model.kde_refresh_steps": {"avae/*": 10},
    "model.kde_samples": {"avae/*": 10_000, "avae/celeba": 20_000},  # Sec. IV-A: m = 10K, 20K, 10K; 10K for dSprites/3D Shapes
}
AVAE_REAL = {
    **_AVAE_COMMON,
    "sweep.methods": ["vae", "beta_tcvae", "rae", "aae", "wae_mmd", "avae"],  # rows of Tables III-VI
    "sweep.datasets": ["mnist", "celeba", "cifar10"],
    "sweep.seeds": 5,  # Sec. IV-A: 5 seeds for MNIST, CelebA, CIFAR10
    "model.latent_dim": {"*/mnist": 16, "*/celeba": 64, "*/cifar10": 128},  # Sec. IV-A
    "model.architecture": {"*/mnist": "mnist", "*/celeba": "celeba", "*/cifar10": "cifar10"},  # Table VIII
    # Appendix A: 50, 50, 100 epochs; VAE and beta-TCVAE 100 on MNIST
    "train.epochs": {"*/mnist": 50, "*/celeba": 50, "*/cifar10": 100, "vae/mnist": 100, "beta_tcvae/mnist": 100},
    # Table XI, MNIST / CelebA / CIFAR10 columns
    "model.beta": {"beta_tcvae/*": 2, "wae_mmd/mnist": 10, "wae_mmd/celeba": 100, "wae_mmd/cifar10": 100, "aae/*": 1,
                   "rae/mnist": 1e-4, "rae/celeba": 1e-4, "rae/cifar10": 1e-3},
    "model.recon_scale": {"wae_mmd/*": 0.05, "aae/*": 0.05},
    "model.dec_l2": {"rae/mnist": 1e-7, "rae/celeba": 1e-7, "rae/cifar10": 1e-6},
}
AVAE_TABLE7 = {
    **_AVAE_COMMON,
    "sweep.methods": ["vae", "beta_tcvae", "rae", "aae", "wae_mmd", "avae"],  # rows of Table VII
    "sweep.datasets": ["dsprites", "shapes3d"],
    "sweep.seeds": 10,  # Sec. IV-A: 10 initialisations for dSprites and 3D Shapes
    # Table VII: PCA metrics for all; the "(baseline)" rows are the FactorVAE metric and MIG (Sec. IV-B3)
    "sweep.metrics": {"pca_factor_vae", "pca_mig", "reconstruction", "factor_vae", "mig"},
    "model.latent_dim": 6,  # Sec. IV-A, Table VII: l = 6
    "model.architecture": "dsprites",  # Table IX as printed (4 convolutions -> FC_{k x 6})
    "train.epochs": {D: 35, S: 60},  # Appendix A: 35 and 60 epochs
    # Table XI, DSprites / 3D Shapes columns
    "model.beta": {"beta_tcvae/*": 5, "wae_mmd/*": 10, "aae/*": 1, "rae/*": 1e-4},
    "model.recon_scale": {"wae_mmd/*": 0.05, "aae/*": 0.05},
    "model.dec_l2": {"rae/*": 1e-6},
}

# --- ARD-VAE (seed 001): Sec. 4, supp. Sec. 2, supp. Tables 4-6.
_ARD_COMMON = {
    "train.batch_size": 100,  # supp. Sec. 2: batch size of 100 (MaskAAE 64)
    "train.lr": 5e-4,  # supp. Sec. 2: Adam 5e-4
    "train.schedule": "plateau",
    "train.plateau_factor": 0.5,
    "train.plateau_patience": 10,  # "does not improve for a maximum of 10 epochs"
    "sweep.seeds": 5,  # Sec. 4: 5 initialisation seeds for every dataset
    "model.alpha_size": {"ard_vae/*": 10_000},  # supp. Sec. 2: |X_alpha| = 10K
    "model.update_every": {"ard_vae/*": 1},  # supp. Sec. 2: u_Dz = 1
}
_ARD_GROUND_TRUTH = {
    **_ARD_COMMON,
    "sweep.datasets": ["dsprites", "shapes3d"],
    "model.architecture": "dsprites",  # supp. Table 5 as printed
    "train.epochs": {D: 35, S: 60},  # supp. Sec. 2: 35 and 60 epochs
}
ARD_TABLE1 = {
    **_ARD_GROUND_TRUTH,
    "sweep.methods": ["vae", "beta_tcvae", "dip_vae_i", "dip_vae_ii", "rae", "ard_vae"],  # Table 1 rows
    "sweep.metrics": {"factor_vae", "mig", "latent"},
    "model.latent_dim": {"*/*": 6, "ard_vae/*": 10},  # Table 1: L = 6, ARD-VAE L = 10
    # supp. Table 6, DSprites / 3D Shapes columns
    "model.beta": {"beta_tcvae/*": 5, "rae/*": 1e-4, "ard_vae/*": 5},
    "model.dec_l2": {"rae/*": 1e-6},
    "model.lambda_od": {"dip_vae_i/*": 10, "dip_vae_ii/*": 10},
    "model.lambda_d": {"dip_vae_i/*": 100, "dip_vae_ii/*": 10},
}
ARD_TABLE2 = {
    **_ARD_COMMON,
    # Table 2 rows (GECO-L0-ARM-VAE and MaskAAE included)
    "sweep.methods": ["vae", "beta_tcvae", "rae", "wae_mmd", "geco_l0_arm_vae", "mask_aae", "ard_vae"],
    "sweep.datasets": ["mnist", "cifar10"],
    "model.latent_dim": {"*/mnist": 16, "*/cifar10": 128},  # Sec. 4.1.2
    "model.architecture": {"*/mnist": "mnist", "*/cifar10": "cifar10"},  # supp. Table 4
    # supp. Sec. 2: 50 / 100 epochs; "The VAE, beta-TCVAE, GECO-L0-ARM-VAE, and MaskAAE are trained for 100
    # epochs for the MNIST dataset"
    "train.epochs": {"*/mnist": 50, "*/cifar10": 100, "vae/mnist": 100, "beta_tcvae/mnist": 100,
                     "geco_l0_arm_vae/mnist": 100, "mask_aae/mnist": 100},
    "train.batch_size": {"*/*": 100, "mask_aae/*": 64},  # supp. Sec. 2: "except the MaskAAE ... 64"
    "model.tau": {"geco_l0_arm_vae/mnist": 10, "geco_l0_arm_vae/cifar10": 25},  # supp. Table 6
    # supp. Table 6, MNIST / CIFAR10 columns
    "model.beta": {"beta_tcvae/*": 2, "rae/mnist": 1e-4, "rae/cifar10": 1e-3, "wae_mmd/mnist": 10,
                   "wae_mmd/cifar10": 100, "ard_vae/mnist": 0.5, "ard_vae/cifar10": 0.05},
    "model.dec_l2": {"rae/mnist": 1e-7, "rae/cifar10": 1e-6},
    "model.recon_scale": {"wae_mmd/*": 0.05},
}
ARD_TABLE3 = {
    **_ARD_COMMON,
    "sweep.methods": ["ard_vae"],
    "sweep.datasets": ["mnist", "cifar10"],  # Table 3: MNIST (L = 16) and CIFAR10 (L = 128)
    "model.latent_dim": {"*/mnist": {32, 64}, "*/cifar10": {256, 512}},  # 2L and 4L
    "model.architecture": {"*/mnist": "mnist", "*/cifar10": "cifar10"},
    "train.epochs": {"*/mnist": 50, "*/cifar10": 100},
    "model.beta": {"ard_vae/mnist": 0.5, "ard_vae/cifar10": 0.05},  # "fixed beta", supp. Table 6
}
ARD_TABLE7 = {
    **_ARD_GROUND_TRUTH,
    "sweep.methods": ["ard_vae"],
    "model.latent_dim": {"*/*": {10, 15, 20, 30}},  # supp. Table 7: INITIAL 10, 15, 20, 30
    "model.beta": {"ard_vae/*": 5},
}

# --- VCAE (seed 004): Sections 6.1-6.4, appendix B.
VCAE_TOY = {
    "sweep.methods": ["vcae", "cwae"],  # Sec. 6.1: VCAE and cWAE on the four-Gaussian mixture
    "sweep.datasets": ["mog"],
    "model.latent_dim": 2,  # the 2-D mixture (Fig. 2b, 2c)
}
VCAE_TABLE2 = {
    "sweep.methods": ["vae", "vae_iaf", "cwae", "vcae"],  # Table 2 rows
    "sweep.datasets": ["mnist", "celeba"],
    "model.latent_dim": {"*/mnist": 16, "*/celeba": 64},  # B.3.1, B.4.1
    "model.architecture": {"*/mnist": "vcae_mnist", "*/celeba": "vcae_celeba"},  # Table 4
    "data.options.size": {"*/mnist": 28},  # Table 4: x in R^{28 x 28}
    "train.batch_size": 100,  # B.3.1, B.4.1
    "train.lr": 1e-3,  # "For VCAE, WAE and VAE ... Adam ... 1e-3"
    "train.schedule": "milestones",  # "after 30 epochs, cut the learning rate in half; after 50 epochs, ... five"
    "train.lr_milestones": [30, 50],
    "train.lr_factors": [0.5, 0.2],
    "train.epochs": {"*/mnist": 100, "*/celeba": 70},  # B.3.1: 100 epochs; B.4.1: 70 epochs
    "model.lambda_var": {"vcae/mnist": 0.1, "vcae/celeba": 0.5},  # B.3.2, B.4.2
    "model.noise_var": {"vcae/*": 0.05, "cwae/*": 0.05},  # B.3.1, B.4.1: P_eps = N(0, 0.05 I)
    "model.beta": {"cwae/mnist": 50, "cwae/celeba": 750},  # B.3.2 lambda_WAE = 50, B.4.2 lambda_WAE = 750
    "model.recon_scale": {"cwae/*": 1, "vcae/*": 1},  # Algorithm 1: plain MSE + lambda * penalty
}
VCAE_TABLE3 = {
    "sweep.methods": ["tc_vcae", "tc_cwae", "factor_vae"],  # Table 3 columns
    "sweep.datasets": ["shapes3d"],
    "sweep.seeds": 5,  # C.5: five runs of each model
    "model.latent_dim": 6,  # B.5: six latent dimensions
    "model.architecture": "vcae_shapes3d",  # Table 4, 3D Shapes
    "train.steps": 500_000,  # B.5: 5 x 10^5 batches
    "train.batch_size": 64,  # B.5
    "model.gamma": {"tc_vcae/*": 7, "factor_vae/*": 7},  # B.5: gamma = 7 for all experiments
    "model.lambda_var": {"tc_vcae/*": 1},  # B.5: lambda_VCAE = 1
    "model.noise_var": {"tc_vcae/*": 0.1},  # B.5: P_eps = N(0, 0.1 I)
    "model.disc_layers": {"*/*": 6},  # B.5: six fully-connected layers of 1000 units, LeakyReLU(0.2)
    "model.disc_width": {"*/*": 1000},
}

# --- Thesis (seed 003): Tables 5.1, 5.2, 5.4, 5.5, 5.6.
_THESIS = {
    "sweep.datasets": ["dsprites"],
    "sweep.seeds": 10,  # Sec. 5.4: "we train each model using ten different random seeds"
    "model.latent_dim": 10,  # Table 5.1
    "model.architecture": "thesis",  # Table 5.2
    "model.likelihood": "bernoulli",  # Sec. 5.1: Bernoulli output, binary cross entropy
    "train.batch_size": 64,  # Table 5.1
    "train.epochs": 30,  # Table 5.1
    "train.lr": 1e-4,  # Table 5.1: Adam, lr 0.0001, betas (0.9, 0.999)
    "train.schedule": "none",  # Table 5.1 lists no schedule
}
THESIS_53 = {
    **_THESIS,
    "sweep.methods": ["beta_vae"],
    "sweep.metrics": {"beta_vae", "factor_vae", "mig"},
    "model.beta": {"beta_vae/*": {1, 3, 10, 30}},  # Table 5.3 rows
}
THESIS_56 = {
    **_THESIS,
    "sweep.methods": ["beta_vae", "factor_vae", "beta_tcvae", "dip_vae"],  # Table 5.6 rows
    "sweep.metrics": {"beta_vae", "factor_vae", "mig"},
    # Table 5.6: the strength in parentheses of each cell (best of the Table 5.4 range per metric)
    "model.beta": {"beta_vae/*": {1, 3, 10}, "beta_tcvae/*": 1},
    "model.gamma": {"factor_vae/*": {10, 25}},
    "model.lambda_od": {"dip_vae_ii/*": 1},  # Table 5.4: lambda' = lambda; Table 5.6: (1)
    "model.lambda_d": {"dip_vae_ii/*": 1},
    # Table 5.5: five hidden LeakyReLU layers of 1000 units, 2 outputs; Adam 1e-4, betas (0.5, 0.9)
    "model.disc_layers": {"factor_vae/*": 5},
    "model.disc_width": {"factor_vae/*": 1000},
    "model.disc_lr": {"factor_vae/*": 1e-4},
    "model.disc_beta1": {"factor_vae/*": 0.5},
    "model.disc_beta2": {"factor_vae/*": 0.9},
}


# --- Issue 17: ARD-VAE Tables 4-5, supp. Tables 1-2, 8-15; VCAE Tables 1, 6-10 (seed text).
_ARD_EPOCHS = {"*/mnist": 50, "*/celeba": 50, "*/cifar10": 100, "*/imagenet32": 50}  # supp. Sec. 2
_ARD_L = {"*/mnist": 16, "*/celeba": 64, "*/cifar10": 128, "*/imagenet32": 256}  # Sec. 4.1.2, supp. Tables 9-13
_ARD_NET = {"*/mnist": "mnist", "*/celeba": "celeba", "*/cifar10": "cifar10", "*/imagenet32": "cifar10"}  # supp. Table 4
_ARD_REAL_ALL = {
    **_ARD_COMMON,
    "sweep.methods": ["vae", "beta_tcvae", "rae", "wae_mmd", "geco_l0_arm_vae", "mask_aae", "ard_vae"],
    "model.latent_dim": _ARD_L,
    "model.architecture": _ARD_NET,
    "train.epochs": {**_ARD_EPOCHS, "vae/mnist": 100, "beta_tcvae/mnist": 100, "geco_l0_arm_vae/mnist": 100,
                     "mask_aae/mnist": 100},
    "train.batch_size": {"*/*": 100, "mask_aae/*": 64},
    # supp. Table 6: MNIST / CelebA / CIFAR10 / ImageNet columns
    "model.beta": {"beta_tcvae/*": 2, "wae_mmd/mnist": 10, "wae_mmd/celeba": 100, "wae_mmd/cifar10": 100,
                   "wae_mmd/imagenet32": 100, "rae/mnist": 1e-4, "rae/celeba": 1e-4, "rae/cifar10": 1e-3,
                   "rae/imagenet32": 1e-3, "ard_vae/mnist": 0.5, "ard_vae/celeba": 1.0, "ard_vae/cifar10": 0.05,
                   "ard_vae/imagenet32": 0.05},
    "model.dec_l2": {"rae/mnist": 1e-7, "rae/celeba": 1e-7, "rae/cifar10": 1e-6, "rae/imagenet32": 1e-6},
    "model.recon_scale": {"wae_mmd/*": 0.05},
    "model.tau": {"geco_l0_arm_vae/mnist": 10, "geco_l0_arm_vae/celeba": 300, "geco_l0_arm_vae/cifar10": 25,
                  "geco_l0_arm_vae/imagenet32": 15},
}
ARD_TABLE4 = {
    **_ARD_COMMON,
    "sweep.methods": ["mask_aae", "ard_vae"],  # Table 4 columns
    "sweep.datasets": ["mnist", "cifar10"],  # rows MNIST (L = 16, 32), CIFAR (L = 256)
    "model.latent_dim": {"*/mnist": {16, 32}},
    "model.architecture": {"*/mnist": "maskaae_mnist"},  # "the neural network architectures used in the MaskAAE"
    "train.epochs": {"ard_vae/mnist": 50, "mask_aae/mnist": 100},
    "train.batch_size": {"ard_vae/*": 100, "mask_aae/*": 64},
    "model.beta": {"ard_vae/mnist": 0.5},
}
ARD_TABLE5 = {
    **_ARD_COMMON,
    "sweep.methods": ["geco_l0_arm_vae", "ard_vae"],  # Table 5 columns
    "sweep.datasets": ["mnist"],
    "model.latent_dim": {"*/mnist": {16, 32}},
    "model.architecture": {"*/mnist": "geco_mnist"},  # "the encoder-decoder architecture reported in [6]"
    "train.epochs": {"ard_vae/mnist": 50, "geco_l0_arm_vae/mnist": 100},
    "model.tau": {"geco_l0_arm_vae/mnist": 10},  # supp. Table 6
    "model.beta": {"ard_vae/mnist": 0.5},
}
ARD_SUPP_TABLE1 = {
    **_ARD_COMMON,
    "sweep.methods": ["ard_vae"],
    "sweep.datasets": ["mnist", "cifar10"],
    "sweep.seeds": 1,  # supp. Sec. 1: "initialized using a single seed"
    "model.alpha_size": {"ard_vae/*": {2000, 5000, 10_000, 20_000}},
    "model.latent_dim": {"*/mnist": 32, "*/cifar10": 256},  # "with L = 32 and L = 256"
    "model.architecture": {"*/mnist": "mnist", "*/cifar10": "cifar10"},
    "train.epochs": {"*/mnist": 50, "*/cifar10": 100},
    "model.beta": {"ard_vae/mnist": 0.5, "ard_vae/cifar10": 0.05},
}
ARD_SUPP_TABLE2 = {
    **{k: v for k, v in _ARD_COMMON.items() if k != "sweep.seeds"},  # seeds not stated
    "sweep.methods": ["ard_vae"],
    "sweep.datasets": ["imagenet32"],
    "model.alpha_size": {"ard_vae/*": {10_000, 20_000}},
    "model.latent_dim": 256,
    "model.architecture": "cifar10",
    "train.epochs": 50,
    "model.beta": {"ard_vae/*": 0.05},
}
ARD_SUPP_TABLE8 = {
    **_ARD_GROUND_TRUTH,
    "sweep.methods": ["beta_tcvae", "ard_vae"],
    "sweep.seeds": 1,  # "initialize the model parameters ... with the same seed"
    "sweep.metrics": {"factor_vae", "mig", "latent"},
    "model.latent_dim": 10,
    "model.beta": {"beta_tcvae/*": 5, "ard_vae/*": 5},
}
ARD_SUPP_TABLE9 = {**_ARD_REAL_ALL, "sweep.datasets": ["celeba", "imagenet32"]}
ARD_SUPP_TABLE10 = {**_ARD_REAL_ALL, "sweep.datasets": ["mnist", "celeba", "cifar10", "imagenet32"],
                    "sweep.metrics": {"reconstruction"}}
ARD_SUPP_TABLE12 = {**_ARD_REAL_ALL, "sweep.methods": ["rae", "geco_l0_arm_vae", "ard_vae"],
                    "sweep.datasets": ["mnist", "celeba", "cifar10", "imagenet32"]}
ARD_SUPP_TABLE13 = {**_ARD_REAL_ALL, "sweep.datasets": ["mnist", "celeba", "cifar10"]}
ARD_SUPP_TABLE14 = {
    **{k: v for k, v in _ARD_COMMON.items() if k != "sweep.seeds"},
    "sweep.methods": ["rae", "ard_vae"],
    "sweep.datasets": ["cifar10"],
    "model.latent_dim": {"*/*": {128, 256, 512}},  # L, 2L, 4L with L = 128
    "model.sample_axes": {"ard_vae/*": "all"},  # "samples generated using all the latent dimensions"
    "model.beta": {"rae/*": 1e-3, "ard_vae/*": 0.05},
    "train.epochs": 100,
}


def _ard_multiples(dataset: str, factors: tuple[float, ...], datasets: list[str], **extra: Any) -> dict[str, Any]:
    base = {"mnist": 16, "cifar10": 128, "imagenet32": 256}[dataset]
    return {**_ARD_COMMON, "sweep.methods": ["ard_vae"], "sweep.datasets": datasets,
            "model.latent_dim": {f"*/{dataset}": {int(base * f) for f in factors}},
            "model.architecture": {"*/mnist": "mnist", "*/cifar10": "cifar10", "*/imagenet32": "cifar10"},
            "train.epochs": _ARD_EPOCHS,
            "model.beta": {"ard_vae/mnist": 0.5, "ard_vae/cifar10": 0.05, "ard_vae/imagenet32": 0.05}, **extra}


_T11_DATA = ["mnist", "cifar10", "imagenet32"]
ARD_SUPP_TABLE11 = {f"ard-supp-table11-{d}": _ard_multiples(d, (1, 2, 4), _T11_DATA,
                                                            **{"model.sample_axes": {"ard_vae/*": {"active", "all"}}})
                    for d in _T11_DATA}
ARD_SUPP_TABLE15 = {f"ard-supp-table15-{d}": _ard_multiples(d, (0.5, 1), ["cifar10", "imagenet32"])
                    for d in ("cifar10", "imagenet32")}
VCAE_TABLE1 = {
    # Table 1 rows: VCAE / cWAE at two noise levels, dVCAE (no noise), WAE (no noise), VAE
    "sweep.methods": ["vcae", "cwae", "wae", "dvcae", "vae"],
    "data.subset": 600,  # Sec. 6.2: "a 600 element subset of the MNIST training data"
    "model.noise_var": {"*/*": {0.2, 0.1, 0.0}},
    "model.latent_dim": 2,  # B.1: N(0, I_2)
    "model.architecture": "vcae_mnist",  # B.1: Table 4, MNIST
    "data.options.size": 28,
    "model.lambda_var": {"vcae/*": 2},  # B.1: lambda_VCAE = 2, v = 2
    "model.beta": {"cwae/*": 100},  # B.1: lambda_WAE = 100
    "train.lr": 1e-4,  # B.1: Adam 1e-4, no schedule, batch 200
    "train.schedule": "none",
    "train.batch_size": 200,
}
_VCAE_LAMBDA = {
    "model.noise_var": 0.05,  # B.3.1 / B.4.1
    "train.batch_size": 100,
    "train.lr": 1e-3,
    "train.schedule": "milestones",
    "train.lr_milestones": [30, 50],
    "train.lr_factors": [0.5, 0.2],
}
VCAE_LAMBDA = {
    "vcae-table6": {**_VCAE_LAMBDA, "sweep.methods": ["vcae"], "sweep.datasets": ["mnist"], "model.latent_dim": 16,
                    "model.architecture": "vcae_mnist", "data.options.size": 28, "train.epochs": 100,
                    "model.lambda_var": {"*/*": {0.05, 0.1, 0.5, 1.0, 1.5}}},
    "vcae-table7": {**_VCAE_LAMBDA, "sweep.methods": ["cwae"], "sweep.datasets": ["mnist"], "model.latent_dim": 16,
                    "model.architecture": "vcae_mnist", "data.options.size": 28, "train.epochs": 100,
                    "model.beta": {"*/*": {5, 10, 25, 50, 75, 100, 150}}},
    "vcae-table8": {**_VCAE_LAMBDA, "sweep.methods": ["vcae"], "sweep.datasets": ["celeba"], "model.latent_dim": 64,
                    "model.architecture": "vcae_celeba", "train.epochs": 70,
                    "model.lambda_var": {"*/*": {0.05, 0.1, 0.5}}},
    "vcae-table9": {**_VCAE_LAMBDA, "sweep.methods": ["cwae"], "sweep.datasets": ["celeba"], "model.latent_dim": 64,
                    "model.architecture": "vcae_celeba", "train.epochs": 70,
                    "model.beta": {"*/*": {100, 250, 500, 750, 1000}}},
}
VCAE_TABLE10 = {
    "sweep.methods": ["factor_vae", "tc_cwae", "tc_vcae"],  # Table 10 blocks (TC-WAE = TC-cWAE)
    "sweep.datasets": ["shapes3d"],
    "sweep.seeds": 5,  # "five runs"
    "model.latent_dim": 6,
    "model.architecture": "vcae_shapes3d",
    "train.steps": 500_000,
    "train.batch_size": 64,
    "model.gamma": {"tc_vcae/*": 7, "factor_vae/*": 7},
}

TRANSCRIPTION: dict[str, dict[str, Any]] = {
    "avae-table3": AVAE_REAL,
    "avae-table4": AVAE_REAL,
    "avae-table5": AVAE_REAL,
    "avae-table6": AVAE_REAL,
    "avae-table7": AVAE_TABLE7,
    "ard-table1": ARD_TABLE1,
    "ard-table2": ARD_TABLE2,
    "ard-table3": ARD_TABLE3,
    "ard-table7": ARD_TABLE7,
    "vcae-toy": VCAE_TOY,
    "vcae-table2": VCAE_TABLE2,
    "vcae-table3": VCAE_TABLE3,
    "thesis-table5.3": THESIS_53,
    "thesis-table5.6": THESIS_56,
    "ard-table4": ARD_TABLE4,
    "ard-table5": ARD_TABLE5,
    "ard-supp-table1": ARD_SUPP_TABLE1,
    "ard-supp-table2": ARD_SUPP_TABLE2,
    "ard-supp-table8": ARD_SUPP_TABLE8,
    "ard-supp-table9": ARD_SUPP_TABLE9,
    "ard-supp-table10": ARD_SUPP_TABLE10,
    **ARD_SUPP_TABLE11,
    "ard-supp-table12": ARD_SUPP_TABLE12,
    "ard-supp-table13": ARD_SUPP_TABLE13,
    "ard-supp-table14": ARD_SUPP_TABLE14,
    **ARD_SUPP_TABLE15,
    "vcae-table1": VCAE_TABLE1,
    **VCAE_LAMBDA,
    "vcae-table10": VCAE_TABLE10,
}
UNTRANSCRIBED = {"quickstart": "vaelab's own CPU demo; no seed table"}
SWEEP_KEYS = ("sweep.methods", "sweep.datasets", "sweep.seeds", "sweep.metrics")


def _match(pattern: str, method: str, dataset: str) -> bool:
    m, d = pattern.split("/")
    return m in ("*", method) and d in ("*", dataset)


def _expected(spec: Any, method: str, dataset: str) -> Any:
    """The transcribed value of one cell, or ``KeyError`` when no pattern covers it."""
    if not isinstance(spec, dict):
        return spec
    hits = [p for p in spec if _match(p, method, dataset)]
    if not hits:
        raise KeyError((method, dataset))
    return spec[max(hits, key=lambda p: sum(part != "*" for part in p.split("/")))]


def _flat(config: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for section, values in config.items():
        for key, value in values.items():
            out[f"{section}.{key}"] = value
            if isinstance(value, dict):
                out.update({f"{section}.{key}.{k}": v for k, v in value.items()})
    return out


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (set, frozenset)) or isinstance(b, (set, frozenset)):
        a, b = (set(x) if isinstance(x, (set, frozenset, list, tuple)) else {x} for x in (a, b))
        return len(a) == len(b) and all(any(_same(x, y) for y in b) for x in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return math.isclose(a, b, rel_tol=1e-9)
    return a == b


def differences(name: str) -> list[tuple[str, str, Any, Any]]:
    """``(setting, "METHOD/DATASET" or "*/*", ours, source)`` for every transcribed setting that differs."""
    preset, transcription = PRESETS[name], TRANSCRIPTION[name]
    spec = preset.sweep(1.0)
    ours_sweep = {"sweep.methods": list(spec.methods), "sweep.datasets": list(spec.datasets),
                  "sweep.seeds": len(spec.seeds), "sweep.metrics": set(spec.metrics or ())}
    out = []
    for key in SWEEP_KEYS:
        if key not in transcription:
            continue
        want, got = transcription[key], ours_sweep[key]
        if key == "sweep.metrics":
            ok = set(want) <= got
        elif isinstance(want, list):
            got, want = set(got), set(want)
            ok = got == want
        else:
            ok = want == got
        if not ok:
            out.append((key, "*/*", got, want))
    cells: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for run in expand(spec):
        if run.seed == spec.seeds[0]:
            cells.setdefault((run.model, run.dataset), []).append(_flat(run_config(run).to_dict()))
    for key, want_spec in transcription.items():
        if key in SWEEP_KEYS:
            continue
        for (method, dataset), configs in cells.items():
            try:
                want = _expected(want_spec, method, dataset)
            except KeyError:
                continue
            values = [c.get(key, "<absent>") for c in configs]
            got = set(values) if isinstance(want, set) else values[0]
            if not isinstance(want, set) and any(not _same(v, values[0]) for v in values):
                got = set(values)
            if not _same(got, want):
                out.append((key, f"{method}/{dataset}", got, want))
    return out


def _covers(deviation: Deviation, setting: str, cell: str, ours: Any, source: Any) -> bool:
    method, dataset = cell.split("/")
    return (deviation.setting == setting and (cell == "*/*" or _match(deviation.where, method, dataset))
            and _same(deviation.ours, ours) and _same(deviation.source_value, source))


def test_every_preset_is_transcribed():
    assert set(TRANSCRIPTION) | set(UNTRANSCRIBED) == set(PRESETS)


@pytest.mark.parametrize("name", sorted(TRANSCRIPTION))
def test_every_difference_from_the_transcription_is_a_listed_deviation(name):
    found = differences(name)
    unlisted = [d for d in found if not any(_covers(dev, *d) for dev in PRESETS[name].deviations)]
    assert not unlisted, f"{name}: settings differ from the seed and are not listed as deviations: {unlisted}"


@pytest.mark.parametrize("name", sorted(TRANSCRIPTION))
def test_every_listed_deviation_of_a_transcribed_setting_is_real(name):
    found = differences(name)
    stale = [dev for dev in PRESETS[name].deviations
             if dev.setting in TRANSCRIPTION[name] and not any(_covers(dev, *d) for d in found)]
    assert not stale, f"{name}: deviations listed but the setting matches the seed: {stale}"
    assert all(dev.reason.strip() for dev in PRESETS[name].deviations)


@pytest.mark.parametrize("name", sorted(TRANSCRIPTION))
def test_every_transcribed_setting_has_a_source(name):
    missing = sorted(set(TRANSCRIPTION[name]) - set(PRESETS[name].sources))
    assert not missing, f"{name}: no source for {missing}"


def test_the_transcription_catches_a_changed_setting(monkeypatch):
    import dataclasses

    preset = PRESETS["thesis-table5.6"]
    base = dataclasses.replace(preset.base, overrides={**preset.base.overrides, "train.lr": 5e-4})
    monkeypatch.setitem(PRESETS, "thesis-table5.6", dataclasses.replace(preset, base=base))
    assert ("train.lr", "beta_vae/dsprites", 5e-4, 1e-4) in differences("thesis-table5.6")


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_presets_show_prints_each_setting_with_its_source_and_each_deviation(name, capsys):
    assert main(["presets", "show", name]) == 0
    out = capsys.readouterr().out
    preset = PRESETS[name]
    for setting, source in preset.sources.items():
        line = next((l for l in out.splitlines() if l.lstrip("# ").startswith(setting + " ")), None)
        assert line is not None and source in line, (setting, source)
    for i, dev in enumerate(preset.deviations, 1):
        assert f"{i}. {dev.setting}" in out and dev.reason in out
    assert "99999" not in out and "00000000" not in out, "float noise in the output"
