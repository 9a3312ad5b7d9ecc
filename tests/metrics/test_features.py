import hashlib

import pytest
import torch
import torch.nn.functional as F

from vaelab.data import TensorDataset, load_dataset
from vaelab.errors import ConfigError, DataError
from vaelab.metrics import features as features_module
from vaelab.metrics.features import (
    FeatureNet,
    FeatureNetConfig,
    classification_targets,
    feature_cache_path,
    get_feature_extractor,
)
from vaelab.metrics.inception import (
    INCEPTION_FILENAME,
    FIDInceptionV3,
    find_inception_weights,
    load_inception,
)


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """One intra-op thread: small CPU workloads are faster and robust to a busy machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def inception_file(tmp_path_factory):
    """A file in the format of pytorch-fid's weights (a state dict), holding random weights."""
    torch.manual_seed(0)
    net = FIDInceptionV3()
    path = tmp_path_factory.mktemp("weights") / INCEPTION_FILENAME
    torch.save(net.state_dict(), path)
    return path, net.state_dict()


@pytest.fixture
def no_inception(monkeypatch, tmp_path):
    monkeypatch.delenv("VAELAB_INCEPTION", raising=False)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))


def one_line(e: pytest.ExceptionInfo) -> str:
    message = str(e.value)
    assert "\n" not in message
    return message


def test_inception_state_dict_matches_pytorch_fid_layout():
    sd = FIDInceptionV3().state_dict()
    params = sum(p.numel() for p in FIDInceptionV3().parameters())
    # torchvision inception_v3: 27,161,264 parameters, minus AuxLogits (3,326,696), plus 8 more classes.
    assert params == 27_161_264 - 3_326_696 + 8 * 2049
    assert len(sd) == 566 and not any(k.startswith("AuxLogits") for k in sd)
    assert sd["Conv2d_1a_3x3.conv.weight"].shape == (32, 3, 3, 3)
    assert sd["Conv2d_1a_3x3.bn.running_var"].shape == (32,)
    assert sd["Mixed_5b.branch_pool.conv.weight"].shape == (32, 192, 1, 1)
    assert sd["Mixed_6e.branch7x7dbl_5.conv.weight"].shape == (192, 192, 1, 7)
    assert sd["Mixed_7c.branch3x3dbl_3b.conv.weight"].shape == (384, 384, 3, 1)
    assert sd["fc.weight"].shape == (1008, 2048)


def test_inception_preprocessing():
    x = torch.rand(2, 1, 12, 10, generator=torch.Generator().manual_seed(0))
    expected = 2 * F.interpolate(x.repeat(1, 3, 1, 1), size=(299, 299), mode="bilinear", align_corners=False) - 1
    torch.testing.assert_close(FIDInceptionV3().preprocess(x), expected)
    torch.testing.assert_close(FIDInceptionV3((-1.0, 1.0)).preprocess(2 * x - 1), expected, atol=1e-6, rtol=0)
    with pytest.raises(DataError, match="1 or 3"):
        FIDInceptionV3().preprocess(torch.rand(2, 2, 8, 8))


def test_inception_feature_shapes_and_eval_mode():
    net = FIDInceptionV3().train()
    assert not net.training
    with torch.no_grad():
        assert net(torch.rand(2, 1, 8, 8)).shape == (2, 2048)
        assert net(torch.rand(1, 3, 20, 28)).shape == (1, 2048)


def test_inception_weights_round_trip(inception_file, no_inception, monkeypatch):
    path, state = inception_file
    net, info = load_inception(path, value_range=(-1.0, 1.0))
    for key, value in net.state_dict().items():
        assert torch.equal(value, state[key]), key
    assert net.value_range == (-1.0, 1.0) and not any(p.requires_grad for p in net.parameters())
    assert info["kind"] == "inception" and info["dims"] == 2048 and info["path"] == str(path)
    assert info["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest() and info["official"] is False

    assert find_inception_weights() is None
    assert find_inception_weights(path.parent) == path
    monkeypatch.setenv("VAELAB_INCEPTION", str(path))
    assert find_inception_weights() == path
    monkeypatch.delenv("VAELAB_INCEPTION")
    hub = path.parents[1] / "torch" / "hub" / "checkpoints"
    monkeypatch.setenv("TORCH_HOME", str(path.parents[1] / "torch"))
    hub.mkdir(parents=True)
    (hub / INCEPTION_FILENAME).symlink_to(path)
    assert find_inception_weights() == hub / INCEPTION_FILENAME


def test_inception_missing_and_corrupt_files(tmp_path, inception_file, no_inception, monkeypatch):
    with pytest.raises(DataError, match="not found") as e:
        load_inception(tmp_path / INCEPTION_FILENAME)
    assert "pytorch-fid" in one_line(e)
    with pytest.raises(DataError, match="not found"):
        load_inception()
    monkeypatch.setenv("VAELAB_INCEPTION", str(tmp_path / "nowhere.pth"))
    with pytest.raises(DataError, match=r"VAELAB_INCEPTION"):
        find_inception_weights()
    monkeypatch.delenv("VAELAB_INCEPTION")

    bad = tmp_path / "garbage.pth"
    bad.write_bytes(b"not a checkpoint at all")
    with pytest.raises(DataError, match="cannot read") as e:
        load_inception(bad)
    one_line(e)
    whole = inception_file[0].read_bytes()
    bad.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(DataError, match="cannot read") as e:
        load_inception(bad)
    one_line(e)
    torch.save(torch.zeros(3), bad)
    with pytest.raises(DataError, match="not a state dict"):
        load_inception(bad)
    state = dict(inception_file[1])
    state.pop("fc.bias")
    torch.save(state, bad)
    with pytest.raises(DataError, match="do not match") as e:
        load_inception(bad)
    one_line(e)


def test_auto_picks_inception_when_weights_exist(inception_file, no_inception, monkeypatch):
    data = load_dataset("digits", size=8, split="test")
    monkeypatch.setenv("VAELAB_INCEPTION", str(inception_file[0]))
    extractor, info = get_feature_extractor(data)
    assert info["kind"] == "inception" and isinstance(extractor, FIDInceptionV3)
    with pytest.raises(DataError, match="1- or 3-channel"):
        get_feature_extractor(load_dataset("mog", n=100), kind="inception")


def test_no_labels_and_no_weights_is_a_clear_error(no_inception):
    celeba_like = TensorDataset(torch.rand(20, 3, 8, 8), "celeba", (-1.0, 1.0))
    with pytest.raises(DataError, match=INCEPTION_FILENAME) as e:
        get_feature_extractor(celeba_like)
    assert "VAELAB_INCEPTION" in one_line(e)
    with pytest.raises(DataError, match="InceptionV3 weights"):
        get_feature_extractor(celeba_like, kind="inception")
    with pytest.raises(DataError, match="no labels"):
        get_feature_extractor(celeba_like, kind="trained")
    with pytest.raises(ConfigError, match="unknown feature kind"):
        get_feature_extractor(celeba_like, kind="vgg")


@pytest.mark.parametrize("shape", [(1, 8, 8), (1, 32, 32), (3, 64, 64), (3, 32, 48), (100,)])
def test_feature_net_shapes(shape):
    net = FeatureNet(shape, [10, 3], feature_dim=24).eval()
    x = torch.rand(5, *shape)
    assert net(x).shape == (5, 24)
    assert [t.shape for t in net.logits(x)] == [(5, 10), (5, 3)]


def test_classification_targets():
    assert classification_targets(load_dataset("digits", size=8)) == ("labels", ["label"], [10])
    source, names, sizes = classification_targets(load_dataset("dsprites"))
    assert source == "factors" and sizes == [3, 6, 40, 32, 32] and "color" not in names and len(names) == 5


def test_trained_features_are_accurate_and_cached(tmp_path, no_inception, monkeypatch):
    data = load_dataset("digits", size=32)
    config = FeatureNetConfig(steps=60, eval_items=300)
    extractor, info = get_feature_extractor(data, config=config, cache_dir=tmp_path, progress=False)
    assert info["kind"] == "trained" and info["cached"] is False and info["dims"] == 128
    assert info["target"] == "labels" and info["chance"] == pytest.approx(0.1)
    assert info["accuracy"] > 0.8  # measured 0.99 at 60 steps
    assert info["eval_items"] == 300 and info["train_items"] == 1200
    path = feature_cache_path(data, config, tmp_path)
    assert info["path"] == str(path) and path.is_file()
    mtime = path.stat().st_mtime_ns
    x = data.images(torch.arange(7))
    with torch.no_grad():
        expected = extractor(x)

    def no_training(*args, **kwargs):
        raise AssertionError("retrained although cached")

    monkeypatch.setattr(features_module, "train_feature_net", no_training)
    again, info2 = get_feature_extractor(data, config=config, cache_dir=tmp_path, progress=False)
    assert info2["cached"] is True and info2["accuracy"] == info["accuracy"] and path.stat().st_mtime_ns == mtime
    with torch.no_grad():
        torch.testing.assert_close(again(x), expected)
    with pytest.raises(AssertionError, match="retrained"):
        get_feature_extractor(data, config=config, cache_dir=tmp_path, retrain=True)


def test_cache_key_depends_on_data_and_options(tmp_path):
    small, large = load_dataset("digits", size=8), load_dataset("digits", size=32)
    config = FeatureNetConfig()
    paths = {feature_cache_path(small, config, tmp_path), feature_cache_path(large, config, tmp_path),
             feature_cache_path(small, FeatureNetConfig(steps=10), tmp_path),
             feature_cache_path(load_dataset("digits", size=8, split="test"), config, tmp_path)}
    assert len(paths) == 4
    assert feature_cache_path(small, FeatureNetConfig(), tmp_path) in paths


def test_corrupt_cache_is_retrained(tmp_path, no_inception):
    data = load_dataset("digits", size=8, split="test")
    config = FeatureNetConfig(steps=5, eval_items=50)
    path = feature_cache_path(data, config, tmp_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"truncated")
    _, info = get_feature_extractor(data, config=config, cache_dir=tmp_path, progress=False)
    assert info["cached"] is False and torch.load(path, weights_only=True)["description"]["kind"] == "trained"


def test_factor_heads_and_vector_data(tmp_path):
    data = load_dataset("dsprites")
    _, info = get_feature_extractor(data, kind="trained", config=FeatureNetConfig(steps=3, batch_size=8, eval_items=16),
                                    cache_dir=tmp_path, progress=False)
    assert info["target"] == "factors" and list(info["heads"].values()) == [3, 6, 40, 32, 32]
    assert set(info["head_accuracy"]) == set(info["heads"])
    mog = load_dataset("mog", n=1000)
    extractor, info = get_feature_extractor(mog, config=FeatureNetConfig(steps=100, eval_items=200),
                                            cache_dir=tmp_path, progress=False)
    assert extractor(mog.images([0, 1, 2])).shape == (3, 128)
    assert info["accuracy"] > 0.9  # four well separated components; measured 0.99


def test_bad_config():
    with pytest.raises(ConfigError, match="steps"):
        FeatureNetConfig(steps=0).validate()
