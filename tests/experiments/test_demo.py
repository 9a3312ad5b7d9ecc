"""The demo's recipe learns what its report shows: traversal rows that move the sprite."""

import torch

from vaelab.data import DSprites
from vaelab.experiments.presets import get_preset
from vaelab.experiments.sweeps import expand, run_config
from vaelab.models import build_model
from vaelab.runs import Run
from vaelab.train import train
from vaelab.viz import traversal_motion

STEPS = 300  # of the recipe's 1,800: enough for its learning rate and batch to move the sprite
MOVED = 20  # pixels of 4,096 that change between a row's two ends; a dSprites heart moved by 3 px changes ~60


def test_the_demo_recipe_learns_rows_that_move_the_sprite_and_an_untrained_network_does_not(tmp_path):
    preset = get_preset("quickstart")
    spec = preset.sweep(STEPS / preset.base.overrides["steps"])
    runs = {r.model: r for r in expand(spec)}
    data = DSprites()
    x = data.images(torch.tensor([70_000, 250_000, 420_000, 610_000]))
    for method in ("vae", "ard_vae"):
        config = run_config(runs[method])
        assert config.train.steps == STEPS and config.train.lr == preset.base.overrides["train.lr"]
        untrained = build_model(config.model, config.model_config, data.shape, data.value_range)
        assert int((traversal_motion(untrained, x) > MOVED).sum()) == 0, method
        train(config, tmp_path / method, progress=False)
        motion = traversal_motion(Run(tmp_path / method).load_model("latest"), x)
        assert int((motion > MOVED).sum()) >= 2, (method, motion.tolist())
