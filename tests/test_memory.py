"""The up-front memory check: parameter counts without storage, refusal and warning thresholds."""

import pytest
import torch

from vaelab.config import build_config
from vaelab.errors import ConfigError, VaelabWarning
from vaelab.memory import BYTES_PER_PARAMETER, check_training_memory, count_parameters
from vaelab.models import build_model


@pytest.mark.parametrize("model,dataset,shape", [("vae", "dsprites", (1, 64, 64)),
                                                 ("factor_vae", "digits", (1, 32, 32)), ("avae", "mog", (100,))])
def test_the_meta_count_equals_the_real_model(model, dataset, shape):
    cfg = build_config(model=model, dataset=dataset)
    real = build_model(cfg.model, cfg.model_config, shape, (0.0, 1.0))
    assert count_parameters(cfg.model, cfg.model_config, shape, (0.0, 1.0)) == sum(p.numel() for p in real.parameters())


def test_a_model_too_large_for_memory_is_refused_and_a_large_one_warned():
    cfg = build_config(model="vae", dataset="digits", overrides=["architecture=mlp", "latent_dim=3"])
    shape, cpu = (1, 8, 8), torch.device("cpu")
    n = count_parameters(cfg.model, cfg.model_config, shape, (0.0, 1.0))
    need = n * BYTES_PER_PARAMETER
    with pytest.raises(ConfigError, match=f"{n:,} parameters .* more than the"):
        check_training_memory(cfg.model, cfg.model_config, shape, (0.0, 1.0), cpu, available=need - 1)
    with pytest.warns(VaelabWarning, match=f"{n:,} parameters"):
        assert check_training_memory(cfg.model, cfg.model_config, shape, (0.0, 1.0), cpu, available=2 * need) == n
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert check_training_memory(cfg.model, cfg.model_config, shape, (0.0, 1.0), cpu, available=5 * need) == n


def test_the_cli_refuses_a_huge_latent_size_before_making_the_run(tmp_path, capsys):
    from conftest import tiny_overrides

    from vaelab.cli import main

    code = main(["train", "--model", "vae", "--dataset", "digits", "--out", str(tmp_path / "r"), "--steps", "2",
                 "--no-progress", *tiny_overrides(), "latent_dim=100000000"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: model vae has ") and "lower latent_dim" in err
    assert not (tmp_path / "r").exists()
