import pytest
import yaml

from vaelab.config import RunConfig, apply_overrides, build_config, load_config_file
from vaelab.errors import ConfigError


def test_defaults_are_resolved_from_the_dataset():
    c = build_config(model="vae", dataset="dsprites")
    assert (c.model_config.latent_dim, c.model_config.architecture, c.model_config.likelihood) == (6, "dsprites", "bernoulli")
    assert c.train.epochs == 35 and c.train.batch_size == 100 and c.train.lr == 5e-4
    assert (c.train.plateau_factor, c.train.plateau_patience) == (0.5, 5)
    assert build_config(model="beta_vae", dataset="mnist").model_config.beta == 3.0


def test_round_trip_through_yaml():
    c = build_config(model="beta_vae", dataset="digits", steps=10, overrides=["beta=2.5", "data.options={size: 8}"])
    again = RunConfig.from_dict(yaml.safe_load(c.to_yaml()))
    assert again == c
    assert again.to_yaml() == c.to_yaml()


def test_overrides_bare_dotted_and_coerced():
    c = build_config(model="vae", dataset="dsprites", overrides=["beta=4", "train.lr=1e-3", "subset=500",
                                                                  "latent_dim=10", "tensorboard=no"])
    assert c.model_config.beta == 4.0 and isinstance(c.model_config.beta, float)
    assert c.train.lr == 1e-3
    assert c.data.subset == 500 and c.model_config.latent_dim == 10
    assert c.train.tensorboard is False


def test_steps_override_replaces_an_epoch_budget():
    c = build_config(model="vae", dataset="dsprites", epochs=3, overrides=["steps=7"])
    assert (c.train.epochs, c.train.steps) == (None, 7)


@pytest.mark.parametrize("override,message", [
    ("betta=1", "unknown key 'betta'"),
    ("model.betta=1", "unknown key model.betta"),
    ("seed", "not of the form key=value"),
    ("beta=-1", "invalid beta=-1.0"),
    ("batch_size=0", "invalid batch_size=0"),
    ("train.lr=0", "invalid lr=0.0"),
    ("latent_dim=abc", "must be an integer"),
    ("architecture=resnet", "unknown architecture"),
    ("likelihood=poisson", "unknown likelihood"),
    ("device=tpu", "unknown device"),
    ("val_fraction=1.0", "invalid val_fraction"),
    ("nope.x=1", "unknown config section"),
])
def test_bad_values_are_rejected(override, message):
    with pytest.raises(ConfigError, match=message):
        build_config(model="vae", dataset="dsprites", overrides=[override])


def test_unknown_model_and_dataset():
    with pytest.raises(ConfigError, match="unknown model 'vea'"):
        build_config(model="vea", dataset="dsprites")
    with pytest.raises(ConfigError, match="unknown dataset 'mnits'"):
        build_config(model="vae", dataset="mnits")
    with pytest.raises(ConfigError, match="no model given"):
        build_config(dataset="dsprites")


def test_config_file_and_precedence(tmp_path):
    f = tmp_path / "c.yaml"
    f.write_text("model: {name: beta_vae, beta: 6}\ndata: {name: digits}\ntrain: {epochs: 4, seed: 3}\n")
    c = build_config(file=f, seed=5, overrides=["beta=7"])
    assert c.model == "beta_vae" and c.model_config.beta == 7.0
    assert c.train.seed == 5 and c.train.epochs == 4 and c.data.name == "digits"


def test_config_file_errors(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config_file(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("model: {name: vae\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config_file(bad)
    other = tmp_path / "other.yaml"
    other.write_text("modle: {name: vae}\n")
    with pytest.raises(ConfigError, match="unknown config section"):
        load_config_file(other)
    typo = tmp_path / "typo.yaml"
    typo.write_text("model: {name: vae, bta: 3}\n")
    with pytest.raises(ConfigError, match="unknown key model.bta"):
        build_config(file=typo, dataset="digits")


def test_both_budgets_in_a_file_is_an_error(tmp_path):
    f = tmp_path / "c.yaml"
    f.write_text("model: {name: vae}\ntrain: {epochs: 2, steps: 5}\n")
    with pytest.raises(ConfigError, match="either epochs or steps"):
        build_config(file=f)


def test_data_options_override():
    d = apply_overrides({"model": {"name": "vae"}}, ["data.options.size=16"])
    assert d["data"]["options"] == {"size": 16}


@pytest.mark.parametrize("model,dataset,field,value", [
    ("beta_tcvae", "mnist", "beta", 2.0),  # AVAE Table XI
    ("beta_tcvae", "dsprites", "beta", 5.0),
    ("wae_mmd", "celeba", "beta", 100.0),
    ("rae", "cifar10", "beta", 1e-3),
    ("rae", "mnist", "dec_l2", 1e-7),
    ("ard_vae", "cifar10", "beta", 0.05),  # ARD-VAE supp. Table 6
    ("avae", "celeba", "kde_samples", 20000),
    ("vcae", "celeba", "lambda_var", 0.5),
])
def test_per_dataset_model_defaults(model, dataset, field, value):
    assert getattr(build_config(model=model, dataset=dataset).model_config, field) == value


def test_per_dataset_defaults_yield_to_the_user():
    assert build_config(model="beta_tcvae", dataset="mnist", overrides=["beta=7"]).model_config.beta == 7.0
    stored = build_config(model="beta_tcvae", dataset="dsprites").to_dict()
    resumed = build_config(base=stored, dataset="dsprites")
    assert resumed.model_config.beta == 5.0


@pytest.mark.parametrize("override,message", [
    ("train.lr=.inf", "train.lr must be a finite number, got inf"),
    ("beta=.nan", "model.beta must be a finite number"),
    ("data.cache_gib=-.inf", "data.cache_gib must be a finite number"),
    ("train.seed=4294967296", r"invalid train.seed=4294967296: need an integer in \[0, 4294967295\]"),
    ("data.split_seed=-1", "invalid data.split_seed=-1"),
])
def test_non_finite_numbers_and_out_of_range_seeds_are_refused(override, message):
    with pytest.raises(ConfigError, match=message):
        build_config(model="beta_vae", dataset="digits", overrides=[override])


def test_one_budget_per_source_and_a_later_source_replaces_the_earlier():
    with pytest.raises(ConfigError, match="--epochs and --steps are both given"):
        build_config(model="vae", dataset="digits", epochs=2, steps=5)
    with pytest.raises(ConfigError, match="both given in the KEY=VALUE overrides"):
        build_config(model="vae", dataset="digits", overrides=["train.steps=5", "epochs=2"])
    resumed = build_config(base=build_config(model="vae", dataset="digits", epochs=2).to_dict(), steps=30)
    assert (resumed.train.epochs, resumed.train.steps) == (None, 30)
    flagged = build_config(model="vae", dataset="digits", steps=5, overrides=["train.epochs=2"])
    assert (flagged.train.epochs, flagged.train.steps) == (2, None)


def test_config_files_with_a_byte_order_mark_load(tmp_path):
    text = "model: {name: vae}\ntrain: {steps: 7}\n"
    (tmp_path / "a.yaml").write_bytes(b"\xef\xbb\xbf" + text.encode())
    (tmp_path / "b.yaml").write_text(text, encoding="utf-16")
    assert load_config_file(tmp_path / "a.yaml") == load_config_file(tmp_path / "b.yaml") == yaml.safe_load(text)
