"""Real training on procedural dSprites through the AVAE Table IX network."""

import pytest
import torch

from vaelab.config import build_config
from vaelab.data import DSprites, split_indices
from vaelab.losses import bernoulli_nll
from vaelab.runs import Run
from vaelab.train import Interrupted, train

SUBSET = 6400


def dsprites_config(steps, **kw):
    return build_config(model=kw.pop("model", "vae"), dataset="dsprites", steps=steps, subset=SUBSET, batch_size=32,
                        overrides=["train.tensorboard=false", *kw.pop("overrides", [])])


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("e2e") / "vae"
    train(dsprites_config(450), out, progress=False)
    return out


def test_vae_beats_the_best_constant_image(trained):
    model = Run(trained).load_model("best")
    data = DSprites()
    train_index, val_index = split_indices(len(data), 0.1, 0, SUBSET)
    x = data.images(val_index[:500])
    p = data.images(train_index).mean(0, keepdim=True).clamp(1e-4, 1 - 1e-4)
    constant = bernoulli_nll(torch.logit(p).expand_as(x), x).item()
    with torch.no_grad():
        recon = bernoulli_nll(model.decoder(model.encode(x)), x).item()
    assert constant == pytest.approx(640, rel=0.1)
    assert recon < 0.5 * constant, (recon, constant)


def test_the_kl_term_is_active(trained):
    rows = (trained / "log.csv").read_text().splitlines()
    header, last = rows[0].split(","), rows[-1].split(",")
    assert float(last[header.index("val/kl")]) > 5.0


def test_resume_is_exact_on_the_conv_network(tmp_path):
    c = dsprites_config(12, overrides=["train.checkpoint_every=4"])
    train(c, tmp_path / "a", progress=False)
    with pytest.raises(Interrupted):
        train(c, tmp_path / "b", progress=False, stop_at_step=7)
    train(c, tmp_path / "b", resume=True, progress=False)
    a = torch.load(Run(tmp_path / "a").checkpoint_path("latest"), weights_only=True)["model"]
    b = torch.load(Run(tmp_path / "b").checkpoint_path("latest"), weights_only=True)["model"]
    assert all(torch.equal(a[k], b[k]) for k in a)
