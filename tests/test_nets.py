import pytest
import torch

from vaelab.errors import ConfigError
from vaelab.nets import ARCHITECTURES, build_networks

SHAPES = {
    "dsprites": [(1, 64, 64), (3, 64, 64)],
    "thesis": [(1, 64, 64)],
    "mnist": [(1, 32, 32)],
    "celeba": [(3, 64, 64)],
    "cifar10": [(3, 32, 32)],
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
