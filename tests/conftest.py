import os

import pytest
import torch

os.environ.setdefault("VAELAB_CACHE", "/tmp/vaelab-test-cache")


@pytest.fixture(autouse=True)
def _threads_and_seed():
    torch.manual_seed(0)
    yield


def tiny_overrides() -> list[str]:
    """A fast CPU configuration: 8x8 digits through a small MLP."""
    return ["data.options={size: 8}", "architecture=mlp", "latent_dim=3", "train.tensorboard=false",
            "train.eval_batch_size=256"]
