"""Claims: the published numbers satisfy every claim; verdicts on synthetic tables; the CLI and page."""

import json

import numpy as np
import pytest
import yaml

from vaelab.cli import main
from vaelab.experiments import claim_report
from vaelab.experiments.claims import CLAIMS, SAME_TRAINING, claims_for, judge_runs
from vaelab.experiments.presets import PRESETS
from vaelab.experiments.sweeps import expand, run_config
from vaelab.experiments.verdicts import (Below, Best, Claim, Greater, MeanGap, Near, Record, ResultTable, Separated,
                                         TopTwo, Within, judge, judge_published, published_table, run_origin, term)

A, B, C = term("vae", "mig"), term("beta_tcvae", "mig"), term("rae", "mig")


def claim(*relations, datasets=("dsprites",), id="synthetic"):
    return Claim(id, "a synthetic claim", "test", "quote", "ard-table1", datasets, relations)


def table(values, dataset="dsprites", key="mig"):
    """``{model: [value per seed]}`` -> a result table of one run per model and seed."""
    return ResultTable([Record(dataset, m, {}, s, {key: v}) for m, vs in values.items() for s, v in enumerate(vs)])


# ----------------------------------------------------------------------------- the claims data


@pytest.mark.parametrize("claim_id", list(CLAIMS))
def test_published_numbers_satisfy_the_claim(claim_id):
    c = CLAIMS[claim_id]
    assert c.quote and c.source and c.text and c.datasets
    assert all(p in PRESETS for p in c.presets)
    verdict = judge_published(c)
    assert verdict.status == "holds", verdict.reason or verdict.margin


def test_claims_cover_every_seed_and_a_few_dozen():
    assert len(CLAIMS) >= 30
    for paper in ("AVAE", "ARD-VAE", "VCAE", "thesis"):
        assert sum(c.source.startswith(paper) for c in CLAIMS.values()) >= 4
    assert {c.preset for c in CLAIMS.values()} >= {"avae-table3", "avae-table5", "avae-table7", "ard-table1",
                                                    "ard-table7", "vcae-toy", "vcae-table3", "thesis-table5.6"}


def test_a_claim_that_the_published_numbers_break_is_caught():
    """Oracle: beta-TCVAE's PCA MIG on dSprites (0.18) is below its MIG (0.22) in AVAE Table VII."""
    broken = Claim("x", "t", "s", "q", "avae-table7", ("dsprites",),
                   (Greater(term("beta_tcvae", "pca_mig"), term("beta_tcvae", "mig")),))
    v = judge_published(broken)
    assert v.status == "fails" and v.margin == pytest.approx(0.18 - 0.22)


def test_published_table_reads_every_printed_metric_in_vaelab_units():
    t = published_table("avae-table7")
    assert t.values("dsprites", term("vae", "factor_vae.eval_accuracy"), published=True) == {None: pytest.approx(0.648)}
    ard = published_table("ard-table7")
    assert ard.values("shapes3d", term("ard_vae", "latent.active_dims", latent_dim=30), published=True) == {None: 6.2}
    kl = term("avae", "latent.kl_gaussian_model_prior", published_key="latent.kl_gaussian")
    assert published_table("avae-table5").values("mnist", kl, published=True) == {None: 0.31}


# ----------------------------------------------------------------------------- relations (closed forms)


def test_relation_margins():
    v = {A: 3.0, B: 1.0, C: 2.0}
    assert Greater(A, B).margin(v, "d") == 2.0
    assert Separated((A, C), (B,)).margin(v, "d") == 1.0
    assert Best(A, (B, C)).margin(v, "d") == 1.0
    assert Best(B, (A, C), higher=False).margin(v, "d") == 1.0
    assert TopTwo(C, (A, B)).margin(v, "d") == 1.0                   # second of 3 -> beats B by 1
    assert TopTwo(B, (A, C)).margin(v, "d") == -1.0                  # third
    assert TopTwo(B, (A, C), higher=False).margin(v, "d") == 2.0     # lowest is within the top two
    assert TopTwo(B, (A, A, C)).margin({A: 3.0, B: 2.0, C: 2.0}, "d") == 0.0   # dense rank: tied second
    assert MeanGap(((A, B), (B, C))).margin(v, "d") == 0.5
    assert Within(A, C, tol=0.5).margin(v, "d") == -0.5
    assert Within(A, C, rel=0.5).margin(v, "d") == pytest.approx(0.25)
    assert Near(A, {"d": 2.5}, 1.0).margin(v, "d") == 0.5
    assert Below(A, 4).margin(v, "d") == 1.0


# ----------------------------------------------------------------------------- verdicts


def test_clear_hold_clear_fail_and_within_noise():
    c = claim(Greater(A, B))
    holds = judge(c, table({"vae": [1.0, 1.1, 0.9], "beta_tcvae": [0.0, 0.1, -0.1]}))
    assert holds.status == "holds" and holds.margin == pytest.approx(1.0) and holds.agree == 3 and holds.low > 0
    fails = judge(c, table({"vae": [0.0, 0.1, -0.1], "beta_tcvae": [1.0, 1.1, 0.9]}))
    assert fails.status == "fails" and fails.margin == pytest.approx(-1.0) and fails.agree == 0 and fails.high < 0
    noise = judge(c, table({"vae": [1.0, -1.0, 0.3], "beta_tcvae": [0.0, 0.0, 0.0]}))
    assert noise.status == "inconclusive" and noise.low < 0 < noise.high and noise.agree == 2
    assert noise.margin == pytest.approx(0.1)


def test_paired_bootstrap_interval_matches_exact_enumeration():
    """Per-seed differences 1, 2, 3: a resample mean is 1 (or 3) with probability 1/27 > 2.5 %,
    so the 95 % percentile interval is exactly [1, 3]."""
    v = judge(claim(Greater(A, B)), table({"vae": [1.0, 2.0, 3.0], "beta_tcvae": [0.0, 0.0, 0.0]}))
    assert (v.low, v.high) == (pytest.approx(1.0), pytest.approx(3.0))
    assert v.per_seed == ((0, 1.0), (1, 2.0), (2, 3.0))


def test_unpaired_seeds_resample_each_term_alone():
    t = ResultTable([Record("dsprites", "vae", {}, s, {"mig": 1.0 + s}) for s in (0, 1)]
                    + [Record("dsprites", "beta_tcvae", {}, s, {"mig": 0.0}) for s in (5, 6, 7)])
    v = judge(claim(Greater(A, B)), t)
    assert v.status == "holds" and v.per_seed == () and v.seeds == 2
    assert (v.low, v.high) == (pytest.approx(1.0), pytest.approx(2.0))


def test_verdicts_are_deterministic():
    t = table({"vae": [1.0, -1.0, 0.3, 0.5], "beta_tcvae": [0.0, 0.1, 0.0, 0.2]})
    assert judge(claim(Greater(A, B)), t) == judge(claim(Greater(A, B)), t)


def test_one_seed_is_inconclusive_and_missing_data_is_not_run():
    one = judge(claim(Greater(A, B)), table({"vae": [1.0], "beta_tcvae": [0.0]}))
    assert one.status == "inconclusive" and "one seed" in one.reason and one.margin == 1.0
    missing = judge(claim(Greater(A, B)), table({"vae": [1.0, 2.0]}))
    assert missing.status == "not run" and "no beta_tcvae runs on dsprites" in missing.reason
    no_metric = judge(claim(Greater(A, B)), table({"vae": [1.0, 2.0], "beta_tcvae": [0, 1]}, key="sap"))
    assert no_metric.status == "not run" and "metric mig missing" in no_metric.reason


def test_margin_is_the_smallest_over_datasets_and_relations():
    t = ResultTable(table({"vae": [2.0, 2.0], "beta_tcvae": [0.0, 0.0]}).records
                    + table({"vae": [1.0, 1.0], "beta_tcvae": [0.5, 0.5]}, dataset="shapes3d").records)
    v = judge(claim(Greater(A, B), datasets=("dsprites", "shapes3d")), t)
    assert v.margin == pytest.approx(0.5) and v.status == "holds"


def test_where_selects_settings_and_duplicates_are_refused():
    t = ResultTable([Record("dsprites", "ard_vae", {"latent_dim": l}, s, {"latent.active_dims": a})
                     for l, a in ((10, 6.0), (20, 9.0)) for s in (0, 1)])
    c = claim(Near(term("ard_vae", "latent.active_dims", latent_dim=10), 6, 1.0),
              Near(term("ard_vae", "latent.active_dims", latent_dim=20), 6, 1.0))
    v = judge(c, t)
    assert v.margin == -2.0 and v.status == "fails"
    loose = judge(claim(Near(term("ard_vae", "latent.active_dims"), 6, 1.0)), t)
    assert loose.status == "not run" and "several ard_vae runs of seed 0" in loose.reason


def test_digits_stand_in_for_mnist_as_a_labelled_proxy():
    v = judge(claim(Greater(A, B), datasets=("mnist",)), table({"vae": [1.0, 1.2], "beta_tcvae": [0, 0]}, "digits"))
    assert v.status == "holds" and v.proxy == "proxy: digits for mnist"


# ----------------------------------------------------------------------------- run directories, CLI, page


def fake_sweep(root, name, runs):
    """A sweep directory named ``name`` with finished fake runs ``(model, seed, dataset, metrics, settings)``."""
    root.mkdir(parents=True)
    (root / "sweep.yaml").write_text(yaml.safe_dump({"name": name, "methods": sorted({r[0] for r in runs}),
                                                     "datasets": ["mog"], "seeds": [0, 1, 2],
                                                     "overrides": {"steps": 10}}))
    for model, seed, dataset, metrics, settings in runs:
        path = root / f"{model}-{seed}"
        path.mkdir()
        config = {"model": {"name": model, **settings}, "data": {"name": dataset}, "train": {"seed": seed}}
        (path / "config.yaml").write_text(yaml.safe_dump(config))
        (path / "status.json").write_text(json.dumps({"status": "finished", "seconds": 2.0}))
        (path / "metrics.json").write_text(json.dumps({"metrics": metrics, "seconds": {"reconstruction": 0.5}}))


def toy_sweeps(tmp_path):
    """vcae-toy at budgets 0.01 (VCAE worse: fails) and 0.1 (VCAE better: holds), 3 seeds."""
    for budget, vcae in ((0.01, 0.3), (0.1, 0.05)):
        fake_sweep(tmp_path / f"toy-{budget}", f"vcae-toy (budget {budget})",
                   [(m, s, "mog", {"reconstruction.mse": (vcae if m == "vcae" else 0.2) + 0.01 * s}, {})
                    for m in ("vcae", "cwae") for s in range(3)])
    return [tmp_path / "toy-0.01", tmp_path / "toy-0.1"]


@pytest.mark.parametrize("group", SAME_TRAINING)
def test_presets_that_share_runs_train_the_same_runs(group):
    """A claim reads the runs of every preset of its group, so the group's presets must train alike."""
    def runs(name):
        spec = PRESETS[name].sweep(0.01)
        return [(r.name, r.seed, run_config(r)) for r in expand(spec)]

    first = runs(group[0])
    for other in group[1:]:
        assert runs(other) == first, other
    for c in CLAIMS.values():
        if c.preset in group:
            assert set(c.presets) == set(group), c.id


def test_a_run_set_of_one_preset_answers_the_claims_of_its_group(tmp_path):
    """avae-table3 runs that also computed the latent metrics answer Table V's KL claim on digits."""
    kl = {"vae": 3.0, "beta_tcvae": 2.5, "rae": 1.5, "aae": 1.0, "wae_mmd": 0.9, "avae": 0.4}
    runs = [(m, s, "digits", {"latent.kl_gaussian": v + 0.01 * s, "latent.kl_gaussian_model_prior": v - 0.2}, {})
            for m, v in kl.items() for s in range(3)]
    fake_sweep(tmp_path / "t3", "avae-table3 (budget 0.001)", runs)
    verdicts = {v.claim.id: v for v in judge_runs([tmp_path / "t3"])[0]}
    assert verdicts["avae-t5-kl-mnist"].status == "holds" and verdicts["avae-t5-kl-mnist"].budget == 0.001
    assert verdicts["avae-t5-kl-mnist"].proxy == "proxy: digits for mnist"
    assert verdicts["avae-t6-entropy-mnist"].status == "not run"
    assert "latent.entropy missing" in verdicts["avae-t6-entropy-mnist"].reason
    assert verdicts["ard-t7-active-dsprites"].reason.startswith("no runs of ard-table7")
    assert verdicts["avae-t5-kl-cifar10"].reason.endswith("runs on cifar10 (cifar10 needs the dataset files)")


def test_run_origin_reads_the_sweep_name(tmp_path):
    for name, expected in (("ard-table7 (budget 0.02)", ("ard-table7", 0.02)), ("ard-table7", ("ard-table7", 1.0)),
                           ("my sweep", (None, None))):
        folder = tmp_path / name.replace(" ", "_")
        folder.mkdir()
        (folder / "sweep.yaml").write_text(yaml.safe_dump({"name": name}))
        assert run_origin(folder / "run") == expected


def test_judge_runs_gives_a_verdict_per_budget(tmp_path):
    verdicts, notes = judge_runs(toy_sweeps(tmp_path), "vcae-toy")
    mse = [v for v in verdicts if v.claim.id == "vcae-toy-mse"]
    assert [(v.budget, v.status) for v in mse] == [(0.01, "fails"), (0.1, "holds")]
    assert mse[1].margin == pytest.approx(0.15) and mse[1].agree == 3
    other = [v for v in verdicts if v.claim.id == "vcae-toy-mnist"]
    assert [v.status for v in other] == ["not run", "not run"] and "no cwae runs on mnist" in other[0].reason
    assert [c.id for c in claims_for("vcae-toy")] == ["vcae-toy-mse", "vcae-toy-mnist"]
    everything, _ = judge_runs(toy_sweeps(tmp_path / "all"))
    assert {v.claim.id for v in everything if v.status != "not run"} == {"vcae-toy-mse"}
    assert len({v.claim.id for v in everything}) == len(CLAIMS)
    reasons = {v.claim.id: v.reason for v in everything}
    assert reasons["avae-t3-cifar-all"] == ("no runs of avae-table3 / avae-table4 / avae-table5 / avae-table6 "
                                            "(cifar10 needs the dataset files)")
    assert reasons["avae-t5-kl-mnist"] == ("no runs of avae-table5 / avae-table3 / avae-table4 / avae-table6 "
                                           "(offline: digits for mnist, as a proxy)")
    assert reasons["ard-t7-active-dsprites"] == "no runs of ard-table7 (offline data)"


def test_claims_cli_page_and_ladder(tmp_path, capsys):
    paths = [str(p) for p in toy_sweeps(tmp_path)]
    page, ladder = tmp_path / "docs" / "reproduction.md", tmp_path / "docs" / "ladder.png"
    args = ["claims", *paths, "--preset", "vcae-toy", "--page", str(page), "--ladder", str(ladder), "--note", "v1"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "vcae-toy-mse" in out and "fails" in out and "holds" in out
    assert "2 claims: 1 holds, 0 fails, 0 inconclusive, 1 not run" in out
    text = page.read_text()
    assert "![budget ladder](ladder.png)" in text and "| toy-0.01 | vcae-toy | 0.01 |" in text
    assert "| 6/6 | 15 |" in text   # 6 runs x (2 s train + 0.5 s eval)
    assert "vaelab sweep --preset vcae-toy --out runs/vcae-toy" in text and "\nv1\n" in text
    first, image = text, ladder.read_bytes()
    assert main(args) == 0
    assert page.read_text() == first and ladder.read_bytes() == image
    assert image[:8] == b"\x89PNG\r\n\x1a\n"


def test_claims_cli_bad_input(tmp_path, capsys):
    assert main(["claims", str(tmp_path / "absent")]) == 2
    assert main(["claims", str(tmp_path), "--preset", "nope"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all(line.startswith("error: ") for line in err)
    assert "unknown preset 'nope'" in err[1] or "no run directories" in err[1]


def test_sections_render_every_verdict(tmp_path):
    verdicts, _ = judge_runs(toy_sweeps(tmp_path), "vcae-toy")
    md, tex, page = (claim_report.claims_markdown(verdicts), claim_report.claims_latex(verdicts),
                     claim_report.claims_html(verdicts))
    for text in (md, tex, page):
        assert "Claims" in text and text.count("vcae") >= 4
    assert md.count("| vcae-toy-mse |") == 2 and "95\\%" in tex and "<table>" in page
    assert np.isclose(claim_report.latest(verdicts)[0].margin, 0.15)


def test_report_with_a_preset_has_a_claims_section_in_every_format(tmp_path):
    from vaelab.experiments.report import write_report

    written = write_report(toy_sweeps(tmp_path), tmp_path / "report", preset=PRESETS["vcae-toy"])
    md, tex, page = (written[f].read_text() for f in ("md", "tex", "html"))
    assert "## Claims" in md and md.count("| vcae-toy-mse | VCAE Sec. 6.1 |") == 2
    assert "![budget ladder](figures/claims-ladder.png)" in md
    assert "\\subsection*{Claims}" in tex and "vcae-toy-mse & VCAE Sec. 6.1 & 0.1 & holds" in tex
    assert "<h2>Claims</h2>" in page and "data:image/png;base64," in page.split("<h2>Claims</h2>")[1]
    plain = write_report(toy_sweeps(tmp_path / "plain"), tmp_path / "plain-report")
    assert "Claims" not in plain["md"].read_text()


def test_page_says_exactly_what_ran():
    spec = {"name": "ard-table7 (budget 0.0003)", "methods": ["ard_vae"], "datasets": ["dsprites"], "seeds": [0, 1],
            "overrides": {"subset": 10000}, "grid": {"latent_dim": [10, 20]},
            "cell_overrides": {"ard_vae": {"dsprites": {"steps": 78}}}, "metrics": ["latent"], "num_samples": 500}
    sets = [claim_report.RunSet("ard7", "ard-table7", 0.0003, spec, 4, 3, 1234.4)]
    page = claim_report.reproduction_page([], sets, "vaelab claims x")
    assert ("| ard7 | ard-table7 | 0.0003 | ard_vae on dsprites; seeds 0, 1; grid latent_dim in [10, 20]; "
            "subset=10000; ard_vae on dsprites: steps=78; metrics latent; metric samples 500 | 3/4 | 1234 |") in page
