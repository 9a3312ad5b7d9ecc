"""Presets: every one expands into valid runs, the budget knob scales as documented, published numbers fit."""

import math

import pytest
import yaml

from vaelab.cli import main
from vaelab.config import DATASET_DEFAULTS
from vaelab.errors import ConfigError
from vaelab.experiments.presets import MIN_SAMPLES, NOMINAL_SIZES, PRESETS, get_preset
from vaelab.experiments.published import TABLES
from vaelab.experiments.sweeps import expand, parse_sweep
from vaelab.models import MODELS


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_expands_into_valid_runs(name):
    preset = PRESETS[name]
    for budget in (1.0, 0.01):
        spec = preset.sweep(budget)
        runs = expand(spec)
        grid = math.prod(len(v) for v in spec.grid.values())
        assert len(runs) == len(spec.methods) * len(spec.datasets) * len(spec.seeds) * grid
        assert len({r.name for r in runs}) == len(runs)
    assert all(m in MODELS for m in preset.methods)
    keys = {c.key for c in preset.columns}
    for dataset, methods in preset.published.items():
        assert dataset in preset.datasets or dataset in DATASET_DEFAULTS
        for values in methods.values():
            assert set(values) <= keys


def test_budget_turns_each_cells_epochs_into_steps_and_caps_samples():
    preset = get_preset("ard-table1")
    assert preset.sweep(1.0) is preset.base
    spec = preset.sweep(0.01)
    for run in expand(spec):
        epochs = DATASET_DEFAULTS[run.dataset]["epochs"] * NOMINAL_SIZES[run.dataset]
        assert run.settings["steps"] == math.ceil(0.01 * epochs / 100) and "epochs" not in run.settings
    assert spec.num_samples == max(MIN_SAMPLES, 100) == 500
    mnist = {r.model: r.settings["steps"] for r in expand(get_preset("ard-table2").sweep(0.01)) if r.dataset == "mnist"}
    assert mnist["vae"] == mnist["beta_tcvae"] == 2 * mnist["ard_vae"] == math.ceil(0.01 * 100 * 60_000 / 100)
    thesis = get_preset("thesis-table5.3").sweep(0.01)
    assert thesis.overrides["steps"] == math.ceil(0.01 * 30 * 737_280 / 64) and not thesis.cell_overrides
    assert get_preset("ard-table1").sweep(0.5).num_samples == 5000
    quick = get_preset("quickstart")
    assert quick.sweep(0.5).overrides["steps"] == math.ceil(quick.base.overrides["steps"] / 2)
    with pytest.raises(ConfigError, match="budget must be positive"):
        preset.sweep(0.0)


def test_describe_is_a_sweep_file_of_the_same_runs():
    preset = get_preset("thesis-table5.3")
    text = preset.describe(0.02)
    spec = parse_sweep(yaml.safe_load(text))
    assert [r.name for r in expand(spec)] == [r.name for r in expand(preset.sweep(0.02))]
    assert "published numbers" in text and "beta_vae" in text


def test_published_numbers_come_from_the_transcribed_tables():
    t1 = get_preset("ard-table1").published
    assert t1["dsprites"]["ard_vae"]["latent.active_dims"] == TABLES["ard-table1"]["values"]["dsprites"]["ard_vae"][
        "latent.active_dims"]
    assert get_preset("vcae-table3").published["shapes3d"]["tc_vcae"]["factor_vae.eval_accuracy"] is not None


def test_unknown_preset_and_cli_listing(capsys):
    with pytest.raises(ConfigError, match="unknown preset 'nope'; choose one of: avae-table3"):
        get_preset("nope")
    assert main(["presets", "list"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in PRESETS)
    assert main(["presets", "show", "quickstart", "--budget", "0.5"]) == 0
    assert "steps: 750" in capsys.readouterr().out
    assert main(["sweep", "--preset", "nope", "--out", "x"]) == 2
    assert "unknown preset 'nope'" in capsys.readouterr().err
