"""The catalogue of bad inputs: each runs through the CLI and must give exactly one ``error:``
line on stderr, exit status 2, no traceback, and leave every file as it was.

Adding a case is one line in ``CASES``: an id, the command line (``{run}`` is a copy of a tiny
trained run, ``{tmp}`` the case's folder holding the files of ``FILES``, ``{new}`` a run
directory that must not come into being, ``{tiny}`` the options of a fast digits run), a piece
of the expected message and, optionally, a function that spoils ``{run}`` first.
"""

import json
import shlex
import shutil
from pathlib import Path

import pytest
from conftest import tiny_overrides

from vaelab.cli import main

TINY = " ".join(shlex.quote(a) for a in ["--dataset", "digits", "--no-progress", "--no-figures", *tiny_overrides()])
HEAD = "methods: [vae]\ndatasets: [digits]\n"


def _idx(magic: int, dims: list[int]) -> bytes:
    return b"".join(x.to_bytes(4, "big") for x in (magic, *dims))


FILES: dict[str, bytes] = {
    "utf16-broken.yaml": b"\xff\xfem\x00o\x00d",  # a UTF-16 byte-order mark, then an odd byte count
    "latin1.yaml": "model: {name: vae}\ndata: {name: d\u00e9j\u00e0}\n".encode("latin-1"),
    "list.yaml": b"- model\n- data\n",
    "mnist0/train-images-idx3-ubyte": _idx(2051, [0, 28, 28]),
    "mnist0/train-labels-idx1-ubyte": _idx(2049, [0]),
    "seed.yaml": (HEAD + "seeds: [18446744073709551616]\n").encode(),
    "size.yaml": (HEAD + "seeds: [0]\noverrides: {data.options.size: big, steps: 2}\n").encode(),
    "budget.yaml": (HEAD + "seeds: [0]\noverrides: {steps: 2, epochs: 1}\n").encode(),
    "inf.yaml": (HEAD + "seeds: [0]\noverrides: {steps: 2, train.lr: .inf}\n").encode(),
}


def metrics_list(run: Path) -> None:
    (run / "metrics.json").write_text("[1, 2]\n")


def metrics_section_list(run: Path) -> None:
    (run / "metrics.json").write_text(json.dumps({"metrics": [1], "seconds": {}}) + "\n")


def config_not_utf8(run: Path) -> None:
    (run / "config.yaml").write_bytes((run / "config.yaml").read_bytes() + b"# \xe9\n")


def no_best(run: Path) -> None:
    (run / "checkpoints" / "best.pt").unlink()


CASES = [
    # validation gaps
    ("steps-and-epochs", "train --model vae --out {new} --steps 5 --epochs 2 {tiny}", "--epochs and --steps are both"),
    ("steps-and-epochs-overrides", "train --model vae --out {new} {tiny} train.steps=5 epochs=2", "both given"),
    ("lr-inf", "train --model vae --out {new} --steps 2 {tiny} train.lr=.inf", "train.lr must be a finite number"),
    ("beta-nan", "train --model beta_vae --out {new} --steps 2 {tiny} beta=.nan", "model.beta must be a finite"),
    ("huge-model", "train --model vae --out {new} --steps 2 {tiny} latent_dim=100000000", "lower latent_dim"),
    ("unknown-model", "train --model vea --out {new} --steps 2 {tiny}", "unknown model 'vea'"),
    ("unknown-key", "train --model vae --out {new} --steps 2 {tiny} betta=2", "unknown key 'betta'"),
    ("batch-size-0", "train --model vae --out {new} --steps 2 --batch-size 0 {tiny}", "batch_size"),
    ("traverse-limit-nan", "traverse {run} --limit nan", "--limit"),
    ("traverse-limit-inf", "traverse {run} --limit inf", "not a finite number"),
    ("traverse-limit-0", "traverse {run} --limit 0", "--limit"),
    ("traverse-steps-huge", "traverse {run} --steps 100000", "--steps"),
    ("traverse-too-many-dims", "traverse {run} --dims " + ",".join(["0"] * 65), "at most 64 rows"),
    ("preview-n-0", "data preview digits -n 0 --out {tmp}/p.png", "--num"),
    ("preview-n-negative", "data preview digits -n -3 --out {tmp}/p.png", "--num"),
    ("evaluate-no-metrics", "evaluate {run} --metrics ,", "no metric group named"),
    ("evaluate-unknown-metric", "evaluate {run} --metrics mig,nope", "unknown metric"),
    ("evaluate-num-samples-3", "evaluate {run} --metrics reconstruction --num-samples 3", "at least 10"),
    ("interpolate-steps-1", "interpolate {run} --steps 1", "--steps"),
    ("interpolate-pairs-huge", "interpolate {run} -n 1000", "--pairs"),
    ("reconstruct-n-0", "reconstruct {run} -n 0", "--num"),
    ("relevance-fraction-nan", "relevance {run} --fraction nan", "--fraction"),
    ("bandwidth-l-0", "bandwidth -l 0 -m 10", "--latent-dim"),
    ("sweep-budget-nan", "sweep --preset quickstart --budget nan --out {new}", "--budget"),
    ("presets-show-budget-inf", "presets show quickstart --budget inf", "--budget"),
    # exceptions that used to escape as tracebacks
    ("seed-too-large", "train --model vae --out {new} --steps 2 --seed 18446744073709551616 {tiny}", "--seed"),
    ("seed-negative", "sample {run} --seed -1", "--seed"),
    ("seed-override-too-large", "train --model vae --out {new} --steps 2 {tiny} train.seed=99999999999999999999",
     "train.seed"),
    ("sweep-seed-too-large", "sweep {tmp}/seed.yaml --out {new}", "seeds must be non-negative integers up to 4294967295"),
    ("option-type", "train --model vae --out {new} --steps 2 {tiny} data.options.size=big", "data.options.size"),
    ("option-unknown", "train --model vae --out {new} --steps 2 {tiny} data.options.colour=1",
     "unsupported dataset option data.options.colour"),
    ("sweep-option-type", "sweep {tmp}/size.yaml --out {new}", "data.options.size"),
    ("sweep-steps-and-epochs", "sweep {tmp}/budget.yaml --out {new}", "both given"),
    ("sweep-lr-inf", "sweep {tmp}/inf.yaml --out {new}", "train.lr must be a finite number"),
    ("config-utf16-broken", "train --out {new} --steps 2 --config {tmp}/utf16-broken.yaml {tiny}", "save it as UTF-8"),
    ("config-latin1", "train --out {new} --steps 2 --config {tmp}/latin1.yaml {tiny}", "is not UTF-8 text"),
    ("config-list", "train --out {new} --steps 2 --config {tmp}/list.yaml {tiny}", "must be a mapping"),
    ("run-config-not-utf8", "reconstruct {run}", "is not UTF-8 text", config_not_utf8),
    ("mnist-0-images-info", "data info mnist --data-root {tmp}/mnist0", "holds no items"),
    ("mnist-0-images-train", "train --model vae --dataset mnist --data-root {tmp}/mnist0 --out {new} --steps 2 "
     "--no-progress", "holds no items"),
    ("metrics-json-list", "evaluate {run} --metrics reconstruction", "holds an array", metrics_list),
    ("metrics-json-section-list", "evaluate {run} --metrics reconstruction", "'metrics' is not", metrics_section_list),
    # usage errors are one line too
    ("not-an-integer", "sample {run} -n abc", "'abc' is not a valid integer"),
    ("no-such-command", "smaple {run}", "No such command 'smaple'"),
    ("no-such-option", "sample {run} --colour", "No such option '--colour'"),
    ("missing-argument", "sample", "Missing argument 'RUN_DIR'"),
    ("bad-choice", "sample {run} --checkpoint newest", "--checkpoint"),
    # the run is protected
    ("existing-run", "train --model vae --out {run} --steps 2 {tiny}", "already exists; pass --resume"),
    ("no-best-checkpoint", "sample {run}", "has no best checkpoint", no_best),
]


def snapshot(root: Path) -> dict[str, tuple[bytes | None, int]]:
    return {str(p.relative_to(root)): (p.read_bytes() if p.is_file() else None, p.stat().st_mode)
            for p in sorted(root.rglob("*"))}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("catalogue") / "run"
    assert main(["train", "--model", "vae", "--out", str(out), "--steps", "20", *shlex.split(TINY)]) == 0
    return out


def test_the_catalogue_is_large_and_distinct():
    assert len(CASES) >= 40 and len({c[0] for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_one_line_exit_2_and_changes_nothing(case, trained, tmp_path, capsys, monkeypatch):
    name, argv, text, *prepare = case
    monkeypatch.delenv("VAELAB_DEBUG", raising=False)
    run = tmp_path / "run"
    shutil.copytree(trained, run)
    for rel, content in FILES.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(content)
    for spoil in prepare:
        spoil(run)
    before = snapshot(tmp_path)
    args = shlex.split(argv.format(run=run, tmp=tmp_path, new=tmp_path / "new", tiny=TINY))
    code = main(args)
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert code == 2, (code, err)
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert text in lines[0], lines[0]
    assert "Traceback" not in err + out
    assert snapshot(tmp_path) == before
