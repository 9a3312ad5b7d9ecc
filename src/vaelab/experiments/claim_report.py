"""Claims where users see them: the terminal table, the report's "Claims" section (Markdown,
LaTeX, HTML), the budget ladder and the reproduction page, all pure functions of verdicts
(:mod:`vaelab.experiments.verdicts`) and run directories.

Example:
    >>> from vaelab.experiments.claims import judge_runs
    >>> verdicts, notes = judge_runs(["runs/ard-t7"], "ard-table7")      # doctest: +SKIP
    >>> print(claims_text(verdicts))                                    # doctest: +SKIP
"""

from __future__ import annotations

import html
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import yaml

from vaelab.experiments.verdicts import LEVEL, STATUSES, Verdict, run_origin

__all__ = ["claims_text", "claims_markdown", "claims_latex", "claims_html", "summary", "latest",
           "ladder_claims", "write_ladder", "RunSet", "run_sets", "reproduction_page", "LEGEND"]

LEGEND = (f"margin: in the metric's units, > 0 when the claim holds; [..]: {LEVEL:.0%} percentile bootstrap "
          "interval over seeds; agree: seeds whose own margin is > 0. holds / fails: the interval is above / "
          "below 0; inconclusive: it covers 0, or one seed only.")


def _budget(v: Verdict) -> str:
    return "-" if v.status == "not run" and v.budget is None and not v.per_seed else \
        ("?" if v.budget is None else f"{v.budget:g}")


def _detail(v: Verdict) -> str:
    return "; ".join(x for x in (v.proxy, v.reason) if x)


def _rows(verdicts: Sequence[Verdict]) -> list[tuple[str, ...]]:
    return [(v.claim.id, v.claim.source, _budget(v), v.status, v.margin_text(), v.agree_text(), _detail(v))
            for v in verdicts]


_HEAD = ("claim", "source", "budget", "verdict", "margin [interval]", "agree", "notes")


def summary(verdicts: Sequence[Verdict]) -> str:
    """``"N claims: a hold, b fail, c inconclusive, d not run"`` over one verdict per claim."""
    counts = Counter(v.status for v in verdicts)
    return f"{len(verdicts)} claims: " + ", ".join(f"{counts.get(s, 0)} {s}" for s in STATUSES)


def latest(verdicts: Sequence[Verdict]) -> list[Verdict]:
    """One verdict per claim: the one at the largest budget that ran (runs outside a sweep last)."""
    out: dict[str, Verdict] = {}
    for v in verdicts:
        if v.claim.id not in out or v.status != "not run":
            out[v.claim.id] = v
    return list(out.values())


def claims_text(verdicts: Sequence[Verdict]) -> str:
    """Plain-text table of verdicts, with the legend and the summary at the largest budget."""
    rows = [_HEAD, *_rows(verdicts)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(_HEAD))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join([*lines, "", LEGEND, summary(latest(verdicts)) + " (each at its largest budget)"])


def _md(s: str) -> str:
    return s.replace("|", "\\|").replace("*", "\\*")


def claims_markdown(verdicts: Sequence[Verdict], level: int = 2) -> str:
    """The "Claims" section: one row per claim and budget, then each claim's quote."""
    out = ["#" * level + " Claims", "", _md(LEGEND), "",
           "| claim | source | budget | verdict | margin [interval] | agree | notes |", "|---|---|---:|---|---:|---:|---|"]
    out += ["| " + " | ".join(_md(c) for c in r) + " |" for r in _rows(verdicts)]
    out += ["", summary(latest(verdicts)) + " (each at its largest budget).", ""]
    for claim in dict.fromkeys(v.claim for v in verdicts):
        note = f" *{_md(claim.note)}.*" if claim.note else ""
        out.append(f"- **{claim.id}**: {_md(claim.text)}. {claim.source}: \"{_md(claim.quote)}\"{note}")
    return "\n".join(out + [""])


_TEX = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{",
        "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def _tex(s: str) -> str:
    return "".join(_TEX.get(ch, ch) for ch in s)


def claims_latex(verdicts: Sequence[Verdict]) -> str:
    """The "Claims" section as a LaTeX ``longtable``-free ``tabular`` (booktabs)."""
    out = ["\\subsection*{Claims}", _tex(LEGEND), "", "\\begin{tabular}{llrlrrp{6cm}}", "\\toprule",
           " & ".join(_tex(h) for h in _HEAD) + " \\\\", "\\midrule"]
    out += [" & ".join(_tex(c) for c in r) + " \\\\" for r in _rows(verdicts)]
    out += ["\\bottomrule", "\\end{tabular}", "", _tex(summary(latest(verdicts))) + " (each at its largest budget).",
            ""]
    return "\n".join(out)


def claims_html(verdicts: Sequence[Verdict], ladder: str | None = None) -> str:
    """The "Claims" section as HTML (``ladder``: a data URI of the budget-ladder figure)."""
    colour = {"holds": "#d8f0d8", "fails": "#f6d5d5", "inconclusive": "#f5edc8", "not run": "#eee"}
    rows = ["<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in _HEAD) + "</tr>"]
    for v, r in zip(verdicts, _rows(verdicts)):
        cells = [f"<td title='{html.escape(v.claim.text + ': ' + v.claim.quote)}'>{html.escape(r[0])}</td>"]
        cells += [f"<td style='background:{colour[v.status]}'>{html.escape(c)}</td>" if i == 3 else
                  f"<td>{html.escape(c)}</td>" for i, c in enumerate(r) if i > 0]
        rows.append("<tr>" + "".join(cells) + "</tr>")
    out = ["<h2>Claims</h2>", f"<p class='note'>{html.escape(LEGEND)}</p>", "<table>", *rows, "</table>",
           f"<p>{html.escape(summary(latest(verdicts)))} (each at its largest budget).</p>", "<ul>"]
    for claim in dict.fromkeys(v.claim for v in verdicts):
        note = f" <i>{html.escape(claim.note)}.</i>" if claim.note else ""
        out.append(f"<li><b>{html.escape(claim.id)}</b>: {html.escape(claim.text)}. {html.escape(claim.source)}: "
                   f"&ldquo;{html.escape(claim.quote)}&rdquo;{note}</li>")
    out.append("</ul>")
    if ladder:
        out.append(f"<figure><img src='{ladder}' alt='budget ladder'><figcaption>each claim's margin against the "
                   "training budget, one point per seed, the mean as a line; 0 dashed</figcaption></figure>")
    return "\n".join(out)


def ladder_claims(verdicts: Sequence[Verdict]) -> list[list[Verdict]]:
    """Per claim run at two or more budgets, its verdicts with seeds, in ascending budget."""
    by: dict[str, list[Verdict]] = {}
    for v in verdicts:
        if v.budget is not None and v.per_seed:
            by.setdefault(v.claim.id, []).append(v)
    return [sorted(vs, key=lambda v: v.budget) for vs in by.values() if len({v.budget for v in vs}) > 1]


# ----------------------------------------------------------------------------- the reproduction page


@dataclass(frozen=True)
class RunSet:
    """One sweep directory: its preset, budget, what ran and how long it took."""

    name: str
    preset: str | None
    budget: float | None
    sweep: dict
    runs: int
    finished: int
    seconds: float


def _seconds(run: Path) -> float:
    total = 0.0
    for name, key in (("status.json", None), ("metrics.json", "seconds")):
        try:
            data = json.loads((run / name).read_text())
        except (OSError, json.JSONDecodeError):
            continue
        total += float(data.get("seconds", 0.0)) if key is None else sum(map(float, data.get(key, {}).values()))
    return total


def run_sets(paths: Sequence[str | Path]) -> list[RunSet]:
    """The sweep directories (holding ``sweep.yaml``) among ``paths`` and one level below, by name."""
    from vaelab.experiments.results import find_runs

    sweeps: dict[Path, list[Path]] = {}
    for run in find_runs(paths):
        if (run.parent / "sweep.yaml").is_file():
            sweeps.setdefault(run.parent, []).append(run)
    out = []
    for folder, runs in sorted(sweeps.items(), key=lambda kv: kv[0].name):
        preset, budget = run_origin(runs[0])
        spec = yaml.safe_load((folder / "sweep.yaml").read_text()) or {}
        finished = sum(json.loads((r / "status.json").read_text()).get("status") == "finished"
                       for r in runs if (r / "status.json").is_file())
        out.append(RunSet(folder.name, preset, budget, spec, len(runs), finished, sum(_seconds(r) for r in runs)))
    return out


def _what(s: RunSet) -> str:
    spec = s.sweep
    parts = [f"{', '.join(spec.get('methods', []))} on {', '.join(spec.get('datasets', []))}",
             f"seeds {', '.join(map(str, spec.get('seeds', [])))}"]
    if spec.get("grid"):
        parts.append("grid " + ", ".join(f"{k} in {v}" for k, v in spec["grid"].items()))
    if spec.get("overrides"):
        parts.append(", ".join(f"{k}={v}" for k, v in spec["overrides"].items()))
    if spec.get("method_overrides"):
        parts.append("; ".join(f"{m}: " + ", ".join(f"{k}={v}" for k, v in o.items())
                               for m, o in spec["method_overrides"].items()))
    for method, cells in (spec.get("cell_overrides") or {}).items():
        parts += [f"{method} on {d}: " + ", ".join(f"{k}={v}" for k, v in o.items()) for d, o in cells.items()]
    if spec.get("metrics"):
        parts.append("metrics " + ", ".join(spec["metrics"]))
    if spec.get("num_samples"):
        parts.append(f"metric samples {spec['num_samples']}")
    return "; ".join(parts)


def reproduction_page(verdicts: Sequence[Verdict], sets: Sequence[RunSet], command: str, note: str = "",
                      ladder: str | None = None) -> str:
    """The Markdown reproduction page: what ran, the verdict of every claim at each budget, the
    summary, and per preset the one command that reruns it at full budget (a GPU is used when present)."""
    final = latest(verdicts)
    out = ["# Reproduction of the seeds' claims", "",
           "Generated by the command below from the run directories listed under \"What ran\" (paths as given "
           "to it); rerunning it on the same runs gives the same file. Claims and predicates: "
           "`vaelab.experiments.claims`; verdicts: `vaelab.experiments.verdicts`.", "", "```", command, "```", ""]
    if note:
        out += [note, ""]
    out += ["## Summary", "", summary(final) + ", each at the largest budget it ran at.", "",
            "The budgets are small fractions of the published training (`--budget` scales the steps and "
            "the metric sample counts): a verdict here says whether the claim shows at that budget on this CPU, "
            "not whether the paper is right. A claim on MNIST judged on scikit-learn's digits says "
            "`proxy: digits for mnist`: it is a proxy, not MNIST.", "",
            "## What ran", "", "| run set | preset | budget | what | runs finished | wall time (s) |",
            "|---|---|---:|---|---:|---:|"]
    for s in sets:
        budget = "?" if s.budget is None else f"{s.budget:g}"
        out.append(f"| {s.name} | {s.preset or '-'} | {budget} | {_md(_what(s))} | {s.finished}/{s.runs} | "
                   f"{s.seconds:.0f} |")
    out += ["", "Wall time: training plus evaluation seconds recorded in each run's `status.json` and "
            "`metrics.json`, summed over the set's runs (the time of the set with one run at a time; runs trained at "
            "once overlap).",
            "", "## Verdicts", "", _md(LEGEND), "",
            "| claim | source | budget | verdict | margin [interval] | agree | notes |",
            "|---|---|---:|---|---:|---:|---|"]
    out += ["| " + " | ".join(_md(c) for c in r) + " |" for r in _rows(verdicts)]
    if ladder:
        out += ["", f"![budget ladder]({ladder})", "",
                "Budget ladder: each claim's margin against the budget, one point per seed, the mean as a line, "
                "0 dashed."]
    out += ["", "## The claims", ""]
    for claim in dict.fromkeys(v.claim for v in verdicts):
        note_ = f" *{_md(claim.note)}.*" if claim.note else ""
        out.append(f"- **{claim.id}** ({claim.preset}; {', '.join(claim.datasets)}): {_md(claim.text)}. "
                   f"{claim.source}: \"{_md(claim.quote)}\"{note_}")
    presets = list(dict.fromkeys(v.claim.preset for v in verdicts))
    out += ["", "## Full budget on a GPU", "",
            "One command per preset trains and evaluates it at the published settings (budget 1; "
            "`train.device` is `auto`, so a GPU is used when present), then judges its claims:", "", "```"]
    out += [f"vaelab sweep --preset {p} --out runs/{p} && vaelab claims runs/{p} --preset {p}" for p in presets]
    out += ["```", ""]
    return "\n".join(out)


def write_ladder(verdicts: Sequence[Verdict], path: str | Path) -> Path | None:
    """The budget-ladder figure of every claim run at two or more budgets (``None`` when there is none)."""
    from vaelab.viz import plot_claim_ladder

    ladders = ladder_claims(verdicts)
    if not ladders:
        return None
    panels = [(vs[0].claim.id, [v.budget for v in vs], [[m for _, m in v.per_seed] for v in vs]) for vs in ladders]
    return plot_claim_ladder(panels, path)
