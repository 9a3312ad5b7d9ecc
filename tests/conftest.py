import os

import pytest
import torch

os.environ.setdefault("VAELAB_CACHE", "/tmp/vaelab-test-cache")


@pytest.fixture(autouse=True)
def _threads_and_seed():
    torch.manual_seed(0)
    yield


@pytest.fixture(scope="module")
def one_thread():
    """One torch thread for a module (small flows and MLPs run faster without thread overhead)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def tiny_overrides() -> list[str]:
    """A fast CPU configuration: 8x8 digits through a small MLP."""
    return ["data.options={size: 8}", "architecture=mlp", "latent_dim=3", "train.tensorboard=false",
            "train.eval_batch_size=256"]
