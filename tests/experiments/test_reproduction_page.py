"""docs/reproduction.md is what its own command makes from the run files committed beside it."""

import re
import shlex
import shutil
from pathlib import Path

from vaelab.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_the_reproduction_page_is_regenerated_byte_for_byte_from_its_runs(tmp_path, monkeypatch, capsys):
    page = (ROOT / "docs" / "reproduction.md").read_text()
    command = re.search(r"^```\n(vaelab claims .+)\n```$", page, re.MULTILINE).group(1)
    words = shlex.split(command)[2:]
    assert "--page" in words and all(not w.startswith("/") for w in words)
    shutil.copytree(ROOT / "docs" / "reproduction", tmp_path / "docs" / "reproduction")
    monkeypatch.chdir(tmp_path)
    paths = [w for w in words if w.startswith("docs/reproduction/runs/")]
    assert paths and all(Path(p, "sweep.yaml").is_file() for p in paths)
    assert main(["claims", *words]) == 0
    capsys.readouterr()
    assert (tmp_path / "docs" / "reproduction.md").read_text() == page
