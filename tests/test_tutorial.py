"""docs/tutorial.md: every Python block runs, in order, in a fresh directory."""

import re
from pathlib import Path

import pytest

TUTORIAL = Path(__file__).resolve().parents[1] / "docs" / "tutorial.md"


def python_blocks(text: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)


def test_the_tutorial_has_its_steps():
    blocks = python_blocks(TUTORIAL.read_text())
    assert len(blocks) == 6
    assert all("vaelab.fit(" in b for b in blocks[1:2]) and "vaelab.export(" in blocks[5]


def test_the_tutorial_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    for i, block in enumerate(python_blocks(TUTORIAL.read_text())):
        try:
            exec(compile(block, f"{TUTORIAL.name} block {i + 1}", "exec"), namespace)
        except Exception as e:  # pragma: no cover - the message names the failing block
            pytest.fail(f"tutorial block {i + 1} failed: {type(e).__name__}: {e}")
    out = capsys.readouterr().out
    assert "1797 images" in out and "active axes:" in out
    assert (tmp_path / "runs" / "digits" / "figures" / "relevance.png").stat().st_size > 0
    assert (tmp_path / "runs" / "digits" / "figures" / "my_samples.png").stat().st_size > 0
    assert (tmp_path / "shared" / "digits_ard" / "model.safetensors").is_file()
    assert namespace["run"].status()["steps"] == 300
    assert len(namespace["model"].active_axes) >= 1
