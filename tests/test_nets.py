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
    "maskaae_mnist": [(1, 28, 28), (1, 32, 32)],
    "geco_mnist": [(1, 32, 32), (3, 32, 32)],
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


def test_maskaae_network_is_four_1024_layers_each_way():
    enc, dec = build_networks("maskaae_mnist", (1, 28, 28), latent_dim=16, head=1)
    fc = lambda a, b: a * b + b
    assert count(enc) == fc(784, 1024) + 3 * fc(1024, 1024) + fc(1024, 16)
    assert count(dec) == fc(16, 1024) + 3 * fc(1024, 1024) + fc(1024, 784)


def test_geco_network_upsamples_without_parameters():
    enc, dec = build_networks("geco_mnist", (1, 32, 32), latent_dim=16, head=2)
    conv4 = lambda cin, cout: cin * cout * 16 + cout
    conv3 = lambda cin, cout: cin * cout * 9 + cout
    fc = lambda a, b: a * b + b
    assert count(enc) == conv4(1, 32) + conv4(32, 64) + conv4(64, 128) + fc(2048, 256) + fc(256, 32)
    assert count(dec) == fc(16, 256) + fc(256, 2048) + conv3(128, 64) + conv3(64, 32) + conv3(32, 32) + conv3(32, 1)
    assert sum(isinstance(m, torch.nn.Upsample) for m in dec) == 3


def test_wrong_input_shape_is_a_config_error():
    with pytest.raises(ConfigError, match="needs images of shape"):
        build_networks("mnist", (1, 28, 28), 16)
    with pytest.raises(ConfigError, match="unknown architecture"):
        build_networks("resnet", (1, 32, 32), 16)


def test_vcae_table2_mnist_cell_builds_and_steps_on_unpadded_28x28_images():
    from vaelab.data import load_dataset
    from vaelab.experiments.presets import get_preset
    from vaelab.experiments.sweeps import expand, run_config
    from vaelab.models import build_model

    run = next(r for r in expand(get_preset("vcae-table2").base) if r.model == "vcae" and r.dataset == "mnist")
    config = run_config(run)
    assert (config.model_config.architecture, config.data.options) == ("vcae_mnist", {"size": 28})
    data = load_dataset("digits", size=config.data.options["size"])
    model = build_model("vcae", config.model_config, data.shape, data.value_range)
    x = data.images([0, 1])
    loss = model.loss(x)["loss"]
    loss.backward()
    assert x.shape == (2, 1, 28, 28) and torch.isfinite(loss)
    assert all(p.grad is not None for p in model.parameters())
