"""Flow samplers: held-out likelihood, inverse round trip, densities against autograd, save / load, CLI."""

import math

import pytest
import torch

from conftest import tiny_overrides
from vaelab.cli import main
from vaelab.errors import ConfigError
from vaelab.flows import FLOW_KINDS, MAFSampler, RealNVPSampler, flow_kind
from vaelab.models import build_model
from vaelab.samplers import SAMPLERS, GaussianSampler, load_sampler, make_sampler, save_sampler


pytestmark = pytest.mark.usefixtures("one_thread")


SMALL = {"maf": {"transforms": 3, "hidden": [32, 32]}, "realnvp": {"transforms": 4, "hidden": [32, 32]}}


def four_gaussians(n, seed):
    g = torch.Generator().manual_seed(seed)
    centres = torch.tensor([[2.0, 2.0], [-2.0, 2.0], [-2.0, -2.0], [2.0, -2.0]])
    return centres[torch.randint(4, (n,), generator=g)] + 0.4 * torch.randn(n, 2, generator=g)


def model(name="vae", latent_dim=2, architecture="mlp", shape=(1, 8, 8)):
    torch.manual_seed(0)
    return build_model(name, {"latent_dim": latent_dim, "architecture": architecture, "likelihood": "bernoulli"},
                       shape, (0.0, 1.0))


@pytest.fixture(scope="module")
def fitted():
    train = four_gaussians(1500, 0)
    options = {"maf": {}, "realnvp": SMALL["realnvp"]}  # Table 5's MAF; a smaller RealNVP
    early = {"patience": 5, "val_fraction": 0.1}  # the early-stopping option
    return {kind: cls(2, epochs=20, **early, **options[kind]).fit(train, torch.Generator().manual_seed(0))
            for kind, cls in FLOW_KINDS.items()}


def test_registry_and_alias():
    assert SAMPLERS["maf"] is MAFSampler and SAMPLERS["realnvp"] is RealNVPSampler
    assert flow_kind(model(latent_dim=16, architecture="mnist", shape=(1, 32, 32))) == "maf"
    assert flow_kind(model(latent_dim=6)) == "maf"
    assert flow_kind(model(latent_dim=64)) == "realnvp"
    assert type(make_sampler("flow", model())) is MAFSampler
    assert type(make_sampler("flow", model(latent_dim=33))) is RealNVPSampler


def test_table_5_architectures():
    maf, nvp = MAFSampler(16), RealNVPSampler(64)
    assert (maf.transforms, maf.hidden, nvp.transforms, nvp.hidden) == (6, [64, 64], 8, [256, 256, 256])
    kinds = [type(t).__name__ for t in maf.flow.transform.transforms]
    assert kinds.count("MaskedAutoregressiveTransform") == 6 and len(kinds) == 6 + 5 + 1
    kinds = [type(t).__name__ for t in nvp.flow.transform.transforms]
    assert kinds.count("GeneralCouplingTransform") == 8 and len(kinds) == 8 + 7
    assert (maf.lr, maf.batch_size, maf.epochs) == (1e-3, 100, 100)
    # VCAE Algorithm 1 / B.3.1: every epoch, no held-out split (early stopping is an option).
    assert (maf.patience, maf.val_fraction, nvp.patience, nvp.val_fraction) == (0, 0.0, 0, 0.0)


@pytest.mark.parametrize("kind", sorted(FLOW_KINDS))
def test_held_out_likelihood_beats_a_gaussian_on_a_mixture(fitted, kind):
    train, held = four_gaussians(1500, 0), four_gaussians(1000, 1)
    gaussian = GaussianSampler(2).fit(train)
    with torch.no_grad():
        flow_ll = float(fitted[kind].log_prob(held).mean())
    assert flow_ll > float(gaussian.log_prob(held).mean()) + 0.5
    assert 1 <= int(fitted[kind].fit_epochs) <= 20 and math.isfinite(float(fitted[kind].fit_val_nll))


@pytest.mark.parametrize("kind", sorted(FLOW_KINDS))
def test_inverse_round_trip(fitted, kind):
    s = fitted[kind]
    with torch.no_grad():
        w = torch.randn(200, 2, generator=torch.Generator().manual_seed(3))
        assert torch.allclose(s.to_base(s.from_base(w)), w, atol=1e-4)
        z = four_gaussians(200, 4)
        assert torch.allclose(s.from_base(s.to_base(z)), z, atol=1e-4)


@pytest.mark.parametrize("kind", sorted(FLOW_KINDS))
def test_samples_are_seeded_and_cover_the_modes(fitted, kind):
    s = fitted[kind]
    a, b = (s.sample(2000, torch.Generator().manual_seed(5)) for _ in range(2))
    assert torch.equal(a, b) and a.shape == (2000, 2) and a.dtype == torch.float32
    centres = torch.tensor([[2.0, 2.0], [-2.0, 2.0], [-2.0, -2.0], [2.0, -2.0]])
    assert torch.bincount(torch.cdist(a, centres).argmin(1), minlength=4).min() > 300


@pytest.mark.parametrize("kind", sorted(FLOW_KINDS))
def test_density_matches_the_change_of_variables_in_float64(kind):
    s = FLOW_KINDS[kind](3, **SMALL[kind]).double()
    with torch.no_grad():
        s.shift.copy_(torch.tensor([0.5, -1.0, 2.0]))
        s.scale.copy_(torch.tensor([2.0, 0.5, 1.5]))
        for p in s.flow.parameters():
            p.add_(0.1 * torch.randn_like(p))
    s.fitted.fill_(True)
    z = torch.randn(4, 3, dtype=torch.float64)
    for zi, lp in zip(z, s.log_prob(z).detach()):
        jac = torch.autograd.functional.jacobian(lambda v: s.to_base(v[None])[0], zi)
        w = s.to_base(zi[None])[0]
        expected = -0.5 * (w.square().sum() + 3 * math.log(2 * math.pi)) + torch.linalg.slogdet(jac)[1]
        assert float(lp) == pytest.approx(float(expected.detach()), abs=1e-8)


@pytest.mark.parametrize("kind", sorted(FLOW_KINDS))
def test_every_parameter_gets_a_gradient(kind):
    s = FLOW_KINDS[kind](3, **SMALL[kind])
    s.fitted.fill_(True)
    s.log_prob(torch.randn(16, 3)).mean().backward()
    for name, p in s.flow.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name


@pytest.mark.parametrize("kind", sorted(FLOW_KINDS))
def test_save_load_round_trip(tmp_path, fitted, kind):
    m = model()
    s = fitted[kind]
    save_sampler(tmp_path / "f.pt", s, {"note": 1})
    t, meta = load_sampler(tmp_path / "f.pt", m)
    assert meta == {"note": 1} and type(t) is type(s) and t.options() == s.options()
    g = lambda: torch.Generator().manual_seed(7)
    assert torch.equal(t.sample(5, g()), s.sample(5, g()))
    z = four_gaussians(5, 8)
    assert torch.equal(t.log_prob(z), s.log_prob(z))


def test_construction_is_seeded():
    a, b, c = MAFSampler(4, seed=1), MAFSampler(4, seed=1), MAFSampler(4, seed=2)
    sa, sb, sc = (x.flow.state_dict() for x in (a, b, c))
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert not all(torch.equal(sa[k], sc[k]) for k in sa)


def test_noise_is_taken_from_the_model():
    assert make_sampler("maf", model("vcae")).noise_var == 0.05
    assert make_sampler("maf", model("cwae")).noise_var == 0.05
    assert make_sampler("maf", model("vae")).noise_var == 0.0
    assert make_sampler("maf", model("vcae"), noise_var=0.0).noise_var == 0.0


def test_bad_kinds_and_options_are_one_line_errors():
    with pytest.raises(ConfigError, match="unknown sampler 'flows'") as e:
        make_sampler("flows", model())
    assert "\n" not in str(e.value) and "flow" in str(e.value)
    for options in ({"epochs": 0}, {"lr": -1.0}, {"val_fraction": 1.0}, {"hidden": []}, {"noise_var": -1.0}):
        with pytest.raises(ConfigError, match="invalid maf sampler option"):
            MAFSampler(2, **options)


def test_noise_is_drawn_afresh_for_every_minibatch():
    s = MAFSampler(2, epochs=3, batch_size=200, noise_var=0.25, **SMALL["maf"])
    seen = []
    nll = s._nll
    s._nll = lambda x: seen.append(x.detach().clone()) or nll(x)
    codes = torch.zeros(200, 2)
    s.fit(codes, torch.Generator().manual_seed(0))
    assert len(seen) == 3  # one minibatch per epoch, no held-out scoring
    # Standardised by the moments of the noisy codes: var(codes) + noise_var.
    assert torch.allclose(s.shift, torch.zeros(2)) and torch.allclose(s.scale, torch.full((2,), 0.5))
    for a, b in ((seen[0], seen[1]), (seen[1], seen[2])):
        assert not torch.equal(a.flatten().sort().values, b.flatten().sort().values)
    assert all(0.8 < float(x.std()) < 1.2 for x in seen)


def test_early_stopping_needs_held_out_codes():
    with pytest.raises(ConfigError, match="val_fraction above 0"):
        MAFSampler(2, patience=3)
    s = MAFSampler(2, epochs=50, patience=1, val_fraction=0.2, **SMALL["maf"]).fit(torch.randn(300, 2))
    assert 1 <= int(s.fit_epochs) < 50 and math.isfinite(float(s.fit_val_nll))


def test_fit_without_held_out_split_and_refuses_bad_codes():
    s = MAFSampler(2, epochs=2, val_fraction=0.0, **SMALL["maf"]).fit(four_gaussians(200, 0))
    assert int(s.fit_epochs) == 2 and math.isnan(float(s.fit_val_nll))
    with pytest.raises(ConfigError, match=r"shape \(N, 2\)"):
        MAFSampler(2).fit(torch.randn(10, 3))


# --------------------------------------------------------------------------- CLI


def run_cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def vcae_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("flows") / "vcae"
    assert main(["train", "--model", "vcae", "--out", str(out), "--dataset", "digits", "--steps", "30",
                 "--no-progress", "--no-figures", *tiny_overrides()]) == 0
    return out


def test_training_fits_the_default_flow(vcae_run):
    saved, meta = load_sampler(vcae_run / "samplers" / "maf.pt")
    # Every training code (digits: 1,350 training items), for the 100 epochs of VCAE B.3.1.
    assert meta["num_codes"] == 1350 and meta["max_codes"] is None
    assert int(saved.fit_epochs) == 100 and saved.noise_var == 0.05


def test_fit_sampler_reports_held_out_likelihoods(vcae_run, capsys):
    code, out, err = run_cli(capsys, "fit-sampler", vcae_run, "--kind", "maf", "--epochs", "3")
    assert code == 0, err
    assert "fitted maf to" in out and "noise N(0, 0.05 I)" in out
    rows = {line.split()[0]: float(line.split()[-1]) for line in out.splitlines()[-2:]}
    assert set(rows) == {"maf", "gaussian"} and all(math.isfinite(v) for v in rows.values())
    saved, meta = load_sampler(vcae_run / "samplers" / "maf.pt")
    assert saved.epochs == 3 and meta["checkpoint"] == "best"
    code, out, err = run_cli(capsys, "fit-sampler", vcae_run, "--kind", "maf", "--epochs", "30", "--patience", "1",
                             "--max-codes", "600")
    assert code == 0, err
    assert "fitted maf to 600 training codes" in out and "held out for early stopping" in out
    saved, meta = load_sampler(vcae_run / "samplers" / "maf.pt")
    assert (saved.patience, saved.val_fraction, meta["max_codes"]) == (1, 0.1, 600)
    code, out, _ = run_cli(capsys, "fit-sampler", vcae_run, "--kind", "gmm")
    assert code == 0 and (vcae_run / "samplers" / "gmm.pt").is_file()


def test_fit_sampler_rejects_bad_input(vcae_run, capsys):
    code, _, err = run_cli(capsys, "fit-sampler", vcae_run, "--kind", "gaussian", "--epochs", "3")
    assert code == 2 and "flow samplers" in err and "Traceback" not in err
    code, _, err = run_cli(capsys, "fit-sampler", vcae_run, "--kind", "nope")
    assert code == 2 and "Traceback" not in err
    code, _, err = run_cli(capsys, "fit-sampler", vcae_run.parent / "missing", "--kind", "maf")
    assert code == 2 and err.startswith("error: ") and len(err.strip().splitlines()) == 1


def test_sample_with_the_flow_alias(vcae_run, tmp_path, capsys):
    from PIL import Image

    code, _, err = run_cli(capsys, "sample", vcae_run, "--sampler", "flow", "-n", "8", "--out", tmp_path / "s.png")
    assert code == 0, err
    assert Image.open(tmp_path / "s.png").size == (2 + 8 * 10, 2 + 1 * 10)
    code, _, err = run_cli(capsys, "sample", vcae_run, "--sampler", "realnvp", "-n", "4", "--out", tmp_path / "r.png")
    assert code == 0, err
    assert (vcae_run / "samplers" / "realnvp.pt").is_file()


def test_histograms_for_any_run(vcae_run, tmp_path, capsys):
    code, out, err = run_cli(capsys, "histograms", vcae_run, "-n", "100", "--out", tmp_path / "h.png")
    assert code == 0 and (tmp_path / "h.png").stat().st_size > 0, err
    other = tmp_path / "vae"
    assert main(["train", "--model", "vae", "--out", str(other), "--dataset", "digits", "--steps", "2",
                 "--no-progress", "--no-figures", *tiny_overrides()]) == 0
    code, _, err = run_cli(capsys, "histograms", other)
    assert code == 0 and (other / "figures" / "histograms.png").is_file(), err
    code, _, err = run_cli(capsys, "histograms", other, "--bins", "0")
    assert code == 2 and "Traceback" not in err
