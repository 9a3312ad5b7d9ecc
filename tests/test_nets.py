import pytest
import torch

from vaelab.errors import ConfigError
from vaelab.nets import ARCHITECTURES, build_networks

SHAPES = {
    "dsprites": [(1, 64, 64), (3, 64, 64)],
    "dsprites_fc": [(1, 64, 64), (3, 64, 64)],
    "thesis": [(1, 64, 64)],
    "mnist": [(1, 32, 32)],
    "celeba": [(3, 64, 64)],
    "cifar10": [(3, 32, 32)],
    "vcae_mnist": [(1, 28, 28)],
    "vcae_celeba": [(3, 64, 64)],
    "vcae_shapes3d": [(3, 64, 64)],
    "mlp": [(100,), (1, 8, 8)],
}


def test_every_architecture_is_covered():
    assert set(SHAPES) == set(ARCHITECTURES)


@pytest.mark.parametrize("name,shape", [(n, s) for n, shapes in SHAPES.items() for s in shapes])
@pytest.mark.parametrize("head", [1, 2])
def test_shapes(name, shape, head):
    enc, dec = build_networks(name, shape, latent_dim=5, head=head)
    enc.eval(), dec.eval()
    assert enc(torch.zeros(2, *shape)).shape == (2, head * 5)
    assert dec(torch.zeros(2, 5)).shape == (2, *shape)


def count(m):
    return sum(p.numel() for p in m.parameters())


def test_dsprites_network_matches_avae_table_ix_layer_by_layer():
    enc, dec = build_networks("dsprites", (1, 64, 64), latent_dim=6, head=2)
    conv = lambda cin, cout: cin * cout * 16 + cout
    fc = lambda a, b: a * b + b
    expected_enc = conv(1, 32) + conv(32, 32) + conv(32, 64) + conv(64, 64) + fc(4 * 4 * 64, 12)
    expected_dec = fc(6, 4 * 4 * 64) + conv(64, 64) + conv(64, 32) + conv(32, 32) + conv(32, 1)
    assert count(enc) == expected_enc
    assert count(dec) == expected_dec


def test_thesis_network_has_the_502005_parameters_of_table_5_2():
    enc, dec = build_networks("thesis", (1, 64, 64), latent_dim=10, head=2)
    assert count(enc) + count(dec) == 502_005


def test_fc_layout_adds_the_fc256_layers_of_the_cited_networks():
    enc, dec = build_networks("dsprites_fc", (3, 64, 64), latent_dim=6, head=1)
    conv = lambda cin, cout: cin * cout * 16 + cout
    fc = lambda a, b: a * b + b
    assert count(enc) == conv(3, 32) + conv(32, 32) + conv(32, 64) + conv(64, 64) + fc(1024, 256) + fc(256, 6)
    assert count(dec) == fc(6, 256) + fc(256, 1024) + conv(64, 64) + conv(64, 32) + conv(32, 32) + conv(32, 3)
    assert ARCHITECTURES["vcae_shapes3d"] is ARCHITECTURES["dsprites_fc"]


def test_vcae_table_4_networks():
    enc, dec = build_networks("vcae_mnist", (1, 28, 28), latent_dim=16, head=1)
    assert enc[-1].in_features == 2 * 2 * 1024 and dec[0].out_features == 7 * 7 * 1024
    assert [m.out_channels for m in enc if isinstance(m, torch.nn.Conv2d)] == [128, 256, 512, 1024]
    enc, dec = build_networks("vcae_celeba", (3, 64, 64), latent_dim=64, head=1)
    convs = [m for m in [*enc, *dec] if isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d))]
    assert {m.kernel_size for m in convs} == {(5, 5)} and len(convs) == 8
    assert enc[-1].in_features == 4 * 4 * 1024 and dec[0].out_features == 8 * 8 * 1024


def test_mnist_network_feature_map_is_2x2x512():
    enc, dec = build_networks("mnist", (1, 32, 32), latent_dim=16, head=1)
    assert enc[-1].in_features == 2 * 2 * 512 and enc[-1].out_features == 16
    assert dec[0].out_features == 2 * 2 * 512


def test_celeba_and_cifar_last_decoder_layer_keeps_the_size():
    _, dec = build_networks("celeba", (3, 64, 64), latent_dim=64)
    assert dec[0].out_features == 8 * 8 * 512
    assert isinstance(dec[-1], torch.nn.Conv2d) and dec[-1].stride == (1, 1)
    _, dec = build_networks("cifar10", (3, 32, 32), latent_dim=128)
    assert dec[0].out_features == 8 * 8 * 1024


def test_wrong_input_shape_is_a_config_error():
    with pytest.raises(ConfigError, match="needs images of shape"):
        build_networks("mnist", (1, 28, 28), 16)
    with pytest.raises(ConfigError, match="unknown architecture"):
        build_networks("resnet", (1, 32, 32), 16)


def test_vcae_mnist_network_trains_on_unpadded_28x28_images(tmp_path):
    from vaelab.cli import main

    out = tmp_path / "r"
    assert main(["train", "--model", "vcae", "--dataset", "digits", "--out", str(out), "--steps", "2",
                 "--batch-size", "8", "--no-progress", "--no-figures", "data.options={size: 28}",
                 "architecture=vcae_mnist", "latent_dim=4", "train.tensorboard=false", "train.eval_batch_size=64",
                 "data.subset=64"]) == 0
    import json

    status = json.loads((out / "status.json").read_text())
    assert status["status"] == "finished" and status["steps"] == 2
    enc, dec = build_networks("vcae_mnist", (1, 28, 28), latent_dim=4, head=1)
    assert status["num_parameters"] == count(enc) + count(dec)
