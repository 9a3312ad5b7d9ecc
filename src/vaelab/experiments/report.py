r"""Reports: tables and figures over a set of run directories (a pure function of them).

A report reads every run directory (a directory holding ``config.yaml``) given in ``paths``
or up to two levels below them, keeps the finished runs and groups them into table rows by
dataset and *method*: the model name plus every config value that differs between the runs
of that model on that dataset, the seed aside (``beta_vae beta=4``). A cell is the mean
:math:`\pm` the sample standard deviation (:math:`n - 1`; 0 for one seed) over the row's
seeds, with ``(n=k)`` when only ``k`` of them have the value. Per column the best mean is
bold and the second best underlined, as the papers print them: "best" is the highest or
lowest mean (``Column.higher_is_better``), or the closest to ``Column.target``, or to the
runs' own ``<key>_ground_truth`` (the KDE entropy's :math:`l / 2`, AVAE Table VI);
``higher_is_better=None`` marks nothing. Means are compared as printed.

Figures of each method come from its first seed's run, on the CPU with fixed seeds, so that
equal run directories give byte-identical reports.

Example:
    >>> print(terminal_table(["runs/sweep"]))                  # doctest: +SKIP
    >>> write_report(["runs/sweep"], "runs/sweep/report")      # doctest: +SKIP
"""

from __future__ import annotations

import base64
import html
import json
import math
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from vaelab.errors import VaelabError
from vaelab.experiments import claim_report
from vaelab.experiments.figures import MethodFigures, write_figures
from vaelab.experiments.presets import Column
from vaelab.experiments.results import _BOOKKEEPING, Row, RunResult, find_runs, load_results  # noqa: F401
from vaelab.io import write_text
from vaelab.runs import Run

if TYPE_CHECKING:
    from vaelab.experiments.presets import Preset

__all__ = [
    "DEFAULT_COLUMNS",
    "FORMATS",
    "REPORT_FILES",
    "RunResult",
    "Row",
    "Cell",
    "Line",
    "Table",
    "find_runs",
    "load_results",
    "group_rows",
    "mean_std",
    "build_tables",
    "terminal_table",
    "write_report",
]

FORMATS = ("md", "tex", "html")
REPORT_FILES = tuple(f"report.{f}" for f in FORMATS)

DEFAULT_COLUMNS: tuple[Column, ...] = (
    Column("mig", "MIG"),
    Column("factor_vae.eval_accuracy", "FactorVAE"),
    Column("beta_vae.eval_accuracy", "beta-VAE"),
    Column("dci.disentanglement", "DCI"),
    Column("sap", "SAP"),
    Column("pca_factor_vae.eval_accuracy", "PCA FactorVAE"),
    Column("pca_mig", "PCA MIG"),
    Column("directions.mean_angle", "mean angle", target=90.0, fmt=".1f"),
    Column("downstream.accuracy_1000", "GBT acc. (1000)"),
    Column("reconstruction.mse", "MSE", False, fmt=".4f"),
    Column("latent.kl_gaussian", "KL", False),
    Column("latent.kl_gaussian_model_prior", "KL (model prior)", False),
    Column("latent.entropy", "entropy (vaelab)"),
    Column("latent.entropy_code", "entropy (authors' code)"),
    Column("latent.entropy_ground_truth", "entropy l/2", None, fmt=".1f"),
    Column("latent.entropy_on_normal", "vaelab on N(0, I)", None),
    Column("latent.entropy_code_on_normal", "code on N(0, I)", None),
    Column("latent.mmd", "MMD", False, fmt=".4f"),
    Column("latent.active_dims", "active dims", None, fmt=".1f"),
    Column("generative.prior_fd", "FD (samples)", False, fmt=".2f"),
    Column("generative.reconstruction_fd", "FD (rec.)", False, fmt=".2f"),
    Column("generative.prior_precision", "precision"),
    Column("generative.prior_recall", "recall"),
    Column("train.best_val_loss", "val. loss", None, fmt=".2f"),
)
"""Columns of a report without a preset: those that some run of the dataset has. The validation
loss is unranked: it is each model's own objective, so values of different models (or of one model
with different weights) do not compare."""



# ----------------------------------------------------------------------------- runs and rows


def _value_text(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, (dict, list)):
        return json.dumps(v, sort_keys=True, separators=(",", ":"))
    return str(v)


def group_rows(results: Sequence[RunResult]) -> list[Row]:
    """Groups runs by dataset and method, in order of first appearance; each row sorted by seed."""
    by_model: dict[tuple[str, str], list[RunResult]] = {}
    for r in results:
        by_model.setdefault((r.dataset, r.model), []).append(r)
    rows: dict[tuple[str, str], Row] = {}
    for (dataset, model), runs in by_model.items():
        keys = sorted({k for r in runs for k in r.settings})
        varying = [k for k in keys if len({_value_text(r.settings.get(k)) for r in runs}) > 1]
        short = {k: k.rsplit(".", 1)[-1] for k in varying}
        names = {k: s if list(short.values()).count(s) == 1 else k for k, s in short.items()}
        for r in runs:
            method = " ".join([model, *(f"{names[k]}={_value_text(r.settings.get(k))}" for k in varying)])
            rows.setdefault((dataset, method), Row(dataset, model, method, [])).runs.append(r)
    for row in rows.values():
        row.runs.sort(key=lambda r: (r.seed, str(r.path)))
    return list(rows.values())


# ----------------------------------------------------------------------------- cells and tables


def mean_std(values: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (``n - 1``; 0 for one value)."""
    v = np.asarray(values, dtype=np.float64)
    with np.errstate(all="ignore"):
        return float(v.mean()), float(v.std(ddof=1)) if len(v) > 1 else 0.0


@dataclass(frozen=True)
class Cell:
    """A table cell: mean +- std over ``n`` of ``of`` seeds (published: ``n = 0``), and its mark."""

    mean: float | None = None
    std: float | None = None
    n: int = 0
    of: int = 0
    mark: str = ""
    raw: str | None = None

    def text(self, fmt: str, pm: str = " +- ") -> str:
        if self.raw is not None:
            return self.raw
        if self.mean is None:
            return "-"
        out = _fmt(self.mean, fmt)
        if self.std is not None and math.isfinite(self.std):
            out += pm + _fmt(self.std, fmt)
        return out + (f" (n={self.n})" if 0 < self.n < self.of else "")


def _fmt(x: float, fmt: str) -> str:
    try:
        return format(x, fmt)
    except ValueError:
        return f"{x:.3g}"


@dataclass(frozen=True)
class Line:
    """A table line: our method (``seeds`` runs) or a published one (``seeds=None``)."""

    label: str
    seeds: int | None
    cells: tuple[Cell, ...]
    method: str = ""

    published = property(lambda self: self.seeds is None)


@dataclass(frozen=True)
class Table:
    """One dataset's table: our lines and the published ones (``after[i]``: the index of the
    line of ours a published line belongs to, ``None`` when we have no such method)."""

    dataset: str
    columns: tuple[Column, ...]
    ours: tuple[Line, ...]
    published: tuple[Line, ...] = ()
    after: tuple[int | None, ...] = ()
    constants: tuple[tuple[str, str], ...] = ()

    def interleaved(self) -> list[Line]:
        """Our lines, each followed by its published line; published-only lines last."""
        out = []
        for i, line in enumerate(self.ours):
            out += [line, *(p for p, a in zip(self.published, self.after) if a == i)]
        return out + [p for p, a in zip(self.published, self.after) if a is None]


def _score(mean: float | None, column: Column, target: float | None) -> float | None:
    if mean is None or not math.isfinite(mean):
        return None
    try:
        shown = float(format(mean, column.fmt))
    except ValueError:
        shown = mean
    if target is not None:
        return -round(abs(shown - target), 9)
    return shown if column.higher_is_better else -shown


def _marks(cells: list[Cell], column: Column, targets: list[float | None]) -> list[str]:
    """``"best"`` / ``"second"`` / ``""`` for each of our cells in a column."""
    if column.higher_is_better is None:
        return [""] * len(cells)
    relative = any(t is not None for t in targets)
    scores = [None if relative and t is None else _score(c.mean, column, t) for c, t in zip(cells, targets)]
    ranked = sorted({s for s in scores if s is not None}, reverse=True)
    if sum(s is not None for s in scores) < 2:
        return [""] * len(cells)
    second = ranked[1] if len(ranked) > 1 else None
    return ["best" if s == ranked[0] else "second" if s is not None and s == second else "" for s in scores]


def _target(row: Row, column: Column) -> float | None:
    if column.target is not None:
        return column.target
    truth = row.values(f"{column.key}_ground_truth")
    return mean_std(truth)[0] if truth else None


def _published_cell(value: Any) -> Cell:
    if value is None:
        return Cell()
    if isinstance(value, (int, float)):
        return Cell(float(value))
    if isinstance(value, (tuple, list)) and len(value) == 2 and all(isinstance(v, (int, float)) for v in value):
        return Cell(float(value[0]), float(value[1]))
    return Cell(raw=str(value))


def _columns(rows: list[Row], preset: "Preset | None") -> tuple[Column, ...]:
    if preset is not None:
        return tuple(preset.columns)
    return tuple(c for c in DEFAULT_COLUMNS if any(row.values(c.key) for row in rows))


def build_tables(rows: Sequence[Row], preset: "Preset | None" = None) -> list[Table]:
    """One :class:`Table` per dataset (in order of first appearance) with marks and published lines."""
    datasets = list(dict.fromkeys(r.dataset for r in rows))
    tables = []
    for dataset in datasets:
        mine = [r for r in rows if r.dataset == dataset]
        columns = _columns(mine, preset)
        grid = []
        for column in columns:
            cells = []
            for row in mine:
                values = row.values(column.key, column.fallback)
                mean, std = mean_std(values) if values else (None, None)
                cells.append(Cell(mean, std, len(values), len(row.runs)))
            marks = _marks(cells, column, [_target(row, column) for row in mine])
            grid.append([replace(c, mark=m) for c, m in zip(cells, marks)])
        ours = tuple(Line(row.method, len(row.runs), tuple(col[i] for col in grid), row.method)
                     for i, row in enumerate(mine))
        published, after = [], []
        for method, values in (preset.published.get(dataset, {}) if preset is not None else {}).items():
            matches = [i for i, row in enumerate(mine) if row.method == method]
            if not matches:
                matches = [i for i, row in enumerate(mine) if row.model == method][:1]
            cells = tuple(_published_cell(values[c.key]) if c.key in values else Cell() for c in columns)
            published.append(Line(f"{method} (published)", None, cells, method))
            after.append(matches[0] if matches else None)
        tables.append(_without_constants(Table(dataset, columns, ours, tuple(published), tuple(after))))
    return tables


def _without_constants(table: Table) -> Table:
    """Moves unranked columns that print the same value with zero spread in every line of ours (and
    have no published value) out of the table into ``constants`` (``label = value``), e.g. the
    entropy's ground truth l / 2. With one line only ``*_ground_truth`` columns are moved."""
    keep, constants = [], []
    for i, column in enumerate(table.columns):
        cells = [line.cells[i] for line in table.ours]
        texts = {c.text(column.fmt) for c in cells}
        constant = (column.higher_is_better is None and cells and len(texts) == 1
                    and all(c.mean is not None and c.std == 0.0 for c in cells)
                    and all(p.cells[i].mean is None and p.cells[i].raw is None for p in table.published)
                    and (len(cells) > 1 or column.key.endswith("_ground_truth")))
        if constant:
            constants.append((column.label, _fmt(cells[0].mean, column.fmt)))
        else:
            keep.append(i)
    if not constants:
        return table
    pick = lambda line: replace(line, cells=tuple(line.cells[i] for i in keep))
    return replace(table, columns=tuple(table.columns[i] for i in keep), ours=tuple(map(pick, table.ours)),
                   published=tuple(map(pick, table.published)), constants=tuple(constants))


# ----------------------------------------------------------------------------- text formats


@dataclass
class _Report:
    tables: list[Table]
    rows: list[Row]
    notes: list[str]
    preset: "Preset | None"
    paths: list[str]
    claims: list = field(default_factory=list)
    ladder: Path | None = None


def _collect(paths: Sequence[str | Path], preset: "Preset | None") -> _Report:
    results, notes = load_results(paths)
    rows = group_rows(results)
    features = {(r.dataset, json.dumps(r.features, sort_keys=True)) for r in results if r.features}
    notes += [f"{dataset}: generative metrics on features {f}" for dataset, f in sorted(features)]
    report = _Report(build_tables(rows, preset), rows, notes, preset, [str(p) for p in paths])
    if preset is not None:
        from vaelab.experiments.claims import judge_runs

        report.claims = judge_runs(paths, preset.name)[0]
    return report


def _title(report: _Report) -> str:
    p = report.preset
    return f"vaelab report: {p.name}" if p is not None else "vaelab report"


def _plain(table: Table) -> str:
    lines = table.interleaved()
    body = [[l.label, "" if l.seeds is None else str(l.seeds),
             *(c.text(col.fmt) for c, col in zip(l.cells, table.columns))] for l in lines]
    head = ["method", "seeds", *(c.label for c in table.columns)]
    widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head))]
    fmt = lambda r: "  ".join(v.ljust(w) if i == 0 else v.rjust(w) for i, (v, w) in enumerate(zip(r, widths)))
    return "\n".join([fmt(head), "  ".join("-" * w for w in widths), *map(fmt, body)])


def terminal_table(paths: list[str | Path], preset: "Preset | None" = None) -> str:
    """Plain-text tables, one per dataset: methods x columns, mean +- std over seeds.

    Published numbers of ``preset`` follow each method as a ``METHOD (published)`` line.
    """
    report = _collect(paths, preset)
    out = [_title(report) + (f" ({preset.source})" if preset is not None else "")]
    for table in report.tables:
        runs = sum(l.seeds for l in table.ours)
        methods = f"{len(table.ours)} method{'s' * (len(table.ours) != 1)}, {runs} run{'s' * (runs != 1)}"
        out += ["", f"{table.dataset}: {methods} (mean +- std over seeds)",
                _plain(table)]
        out += [_same(table)] if table.constants else []
    if not report.tables:
        out.append("no finished runs")
    out += ["", *report.notes] if report.notes else []
    return "\n".join(out)


_MD_MARK = {"best": "**{}**", "second": "<u>{}</u>", "": "{}"}
_TEX_MARK = {"best": "\\textbf{{{}}}", "second": "\\underline{{{}}}", "": "{}"}
_HTML_MARK = {"best": "<b>{}</b>", "second": "<u>{}</u>", "": "{}"}
_TEX_ESCAPES = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def _tex(s: str) -> str:
    return "".join(_TEX_ESCAPES.get(ch, ch) for ch in s)


def _md(s: str) -> str:
    return s.replace("|", "\\|").replace("*", "\\*")


def _markdown_table(table: Table) -> str:
    head = ["method", "seeds", *(_md(c.label) for c in table.columns)]
    out = ["| " + " | ".join(head) + " |", "|---|---:|" + "---:|" * len(table.columns)]
    for line in table.interleaved():
        label = f"*{_md(line.label)}*" if line.published else _md(line.label)
        cells = [_MD_MARK[c.mark].format(c.text(col.fmt, " ± ")) for c, col in zip(line.cells, table.columns)]
        out.append("| " + " | ".join([label, "" if line.seeds is None else str(line.seeds), *cells]) + " |")
    return "\n".join(out)


def _latex_table(table: Table, caption: str) -> str:
    spec = "lr" + "c" * len(table.columns)
    head = " & ".join(["method", "seeds", *(_tex(c.label) for c in table.columns)])
    out = ["\\begin{table}[ht]", "\\centering", "\\small", f"\\begin{{tabular}}{{{spec}}}", "\\toprule",
           head + " \\\\", "\\midrule"]
    for line in table.interleaved():
        label = f"\\textit{{{_tex(line.label)}}}" if line.published else _tex(line.label)
        cells = [_TEX_MARK[c.mark].format(_tex(c.text(col.fmt, "\0")).replace("\0", " $\\pm$ "))
                 for c, col in zip(line.cells, table.columns)]
        out.append(" & ".join([label, "" if line.seeds is None else str(line.seeds), *cells]) + " \\\\")
    out += ["\\bottomrule", "\\end{tabular}", "\\caption{" + _tex(caption).replace("±", "$\\pm$") + "}",
            f"\\label{{tab:{re.sub(r'[^A-Za-z0-9]+', '-', table.dataset)}}}", "\\end{table}"]
    return "\n".join(out)


def _same(table: Table) -> str:
    return "The same in every row: " + "; ".join(f"{label} = {value}" for label, value in table.constants) + "."


def _caption(table: Table, preset: "Preset | None", pm: str = "±") -> str:
    text = f"{table.dataset}: mean {pm} std over seeds; best in bold, second best underlined."
    if table.constants:
        text += " " + _same(table)
    if table.published and preset is not None:
        text += f" Published numbers: {preset.source}."
    return text


# ----------------------------------------------------------------------------- documents


def _which(m: MethodFigures) -> str:
    return f"run of the first seed ({m.run.seed}) of {len(m.row.runs)}: {m.run.path}"


def _markdown(report: _Report, methods: list[MethodFigures], out: Path) -> str:
    p = report.preset
    text = [f"# {_title(report)}", ""]
    if p is not None:
        text += [f"{p.description}", "", f"Source: {p.source}", ""]
    text += [f"Runs from: {', '.join(report.paths)}", ""]
    for table in report.tables:
        text += [f"## {table.dataset}", "", _markdown_table(table), "", _caption(table, p), ""]
    if report.claims:
        text.append(claim_report.claims_markdown(report.claims))
        if report.ladder is not None:
            text += [f"![budget ladder]({report.ladder.relative_to(out).as_posix()})", ""]
    if methods:
        text += ["## Figures", ""]
    for m in methods:
        text += [f"### {m.row.dataset} / {m.row.method}", "", _which(m), ""]
        text += [f"![{f.title}]({f.path.relative_to(out).as_posix()})" for f in m.figures] + [""]
    if report.notes:
        text += ["## Notes", "", *(f"- {n}" for n in report.notes), ""]
    return "\n".join(text)


def _latex(report: _Report) -> str:
    p = report.preset
    text = ["\\documentclass{article}", "\\usepackage{booktabs}", "\\usepackage[margin=2cm,landscape]{geometry}",
            "\\begin{document}", f"\\section*{{{_tex(_title(report))}}}"]
    if p is not None:
        text += [f"{_tex(p.description)} Source: {_tex(p.source)}.", ""]
    for table in report.tables:
        text += [_latex_table(table, _caption(table, p)), ""]
    if report.claims:
        text.append(claim_report.claims_latex(report.claims))
    return "\n".join(text + ["\\end{document}", ""])


_CSS = """
body { font-family: sans-serif; margin: 1.5em; color: #222; max-width: 1400px; }
h1 { font-size: 1.5em; } h2 { font-size: 1.25em; border-bottom: 1px solid #ccc; } h3 { font-size: 1.05em; }
.pair { display: flex; flex-wrap: wrap; gap: 1.5em; align-items: flex-start; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.4em 0; }
th, td { border: 1px solid #bbb; padding: 0.2em 0.5em; text-align: right; white-space: nowrap; }
th { background: #eef; } td:first-child, th:first-child { text-align: left; }
caption { caption-side: top; font-weight: bold; text-align: left; padding: 0.2em 0; }
.note { font-size: 0.85em; color: #555; }
.figs { display: flex; flex-wrap: wrap; gap: 1em; align-items: flex-start; }
figure { margin: 0; max-width: 100%; }
figure img { max-width: 640px; width: auto; height: auto; border: 1px solid #ddd; }
img.grid { image-rendering: pixelated; }
figcaption { font-size: 0.8em; color: #444; max-width: 520px; }
"""


def _html_table(table: Table, lines: Sequence[Line], caption: str) -> str:
    rows = ["<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in
                             ["method", "seeds", *(c.label for c in table.columns)]) + "</tr>"]
    for line in lines:
        cells = [_HTML_MARK[c.mark].format(html.escape(c.text(col.fmt, " ± "))) for c, col in
                 zip(line.cells, table.columns)]
        seeds = "" if line.seeds is None else str(line.seeds)
        rows.append("<tr>" + "".join(f"<td>{v}</td>" for v in [html.escape(line.label), seeds, *cells]) + "</tr>")
    return f"<table><caption>{html.escape(caption)}</caption>\n" + "\n".join(rows) + "\n</table>"


def _data_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _html(report: _Report, methods: list[MethodFigures]) -> str:
    p = report.preset
    body = [f"<h1>{html.escape(_title(report))}</h1>"]
    if p is not None:
        body += [f"<p>{html.escape(p.description)}</p>", f"<p class='note'>Source: {html.escape(p.source)}</p>"]
    body.append(f"<p class='note'>Runs from: {html.escape(', '.join(report.paths))}</p>")
    body.append("<h2>Tables</h2>")
    for table in report.tables:
        body.append(f"<h3>{html.escape(table.dataset)}</h3><div class='pair'>")
        body.append(_html_table(table, table.ours, "ours"))
        if table.published:
            body.append(_html_table(table, table.published, f"published ({p.source})"))
        body.append(f"</div><p class='note'>{html.escape(_caption(table, p))}</p>")
    if report.claims:
        body.append(claim_report.claims_html(report.claims, report.ladder and _data_uri(report.ladder)))
    if methods:
        body.append("<h2>Figures</h2>")
    for m in methods:
        body.append(f"<h3>{html.escape(m.row.dataset)} / {html.escape(m.row.method)}</h3>")
        body.append(f"<p class='note'>{html.escape(_which(m))}</p>")
        body.append("<div class='figs'>")
        for f in m.figures:
            kind = " class='grid'" if f.title in ("reconstructions", "samples", "traversal", "direction traversal") else ""
            body.append(f"<figure><img{kind} src='{_data_uri(f.path)}' alt='{html.escape(f.title)}'>"
                        f"<figcaption><b>{html.escape(f.title)}</b>: {html.escape(f.caption)}</figcaption></figure>")
        body.append("</div>")
    if report.notes:
        body += ["<h2>Notes</h2><ul>", *(f"<li>{html.escape(n)}</li>" for n in report.notes), "</ul>"]
    return ("<!DOCTYPE html>\n<html lang='en'>\n<head>\n<meta charset='utf-8'>\n"
            f"<title>{html.escape(_title(report))}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
            + "\n".join(body) + "\n</body>\n</html>\n")


def _check_out(out: Path) -> None:
    """Refuses a report directory that holds anything a report does not write (e.g. a run directory)."""
    if not out.exists():
        return
    if not out.is_dir():
        raise VaelabError(f"report directory {out} is a file; choose another --out")
    foreign = sorted(p.name for p in out.iterdir()
                     if not (p.is_file() and p.name in REPORT_FILES)
                     and not (p.is_dir() and p.name == "figures"
                              and all(f.is_file() and f.suffix == ".png" for f in p.iterdir())))
    if foreign:
        raise VaelabError(f"report directory {out} holds files a report does not write ({', '.join(foreign[:3])}"
                          f"{', ...' if len(foreign) > 3 else ''}); a report writes only {', '.join(REPORT_FILES)} "
                          "and figures/*.png -- choose another --out")


def write_report(paths: list[str | Path], out: str | Path, preset: "Preset | None" = None,
                 formats: list[str] | None = None) -> dict[str, Path]:
    """Writes ``OUT/report.{md,tex,html}`` and ``OUT/figures/*.png`` for the runs under ``paths``.

    Markdown and LaTeX hold the tables (Markdown links the figures); the HTML page is one
    self-contained file: tables (ours beside the published ones) and every method's figures as
    embedded PNGs. With a preset, every format gets a "Claims" section: the verdict of each of
    the preset's claims (:mod:`vaelab.experiments.claims`) at each budget, and Markdown / HTML the
    budget ladder (``figures/claims-ladder.png``) when the runs hold two budgets or more. Nothing
    outside ``out`` is written. Writing again into the same ``out`` regenerates these files (a
    report is a pure function of its runs); an ``out`` holding anything else, such as a run
    directory, is refused before anything is written.

    Args:
        paths: Run directories or directories holding them.
        out: Report directory.
        preset: Columns and published numbers to use (default: :data:`DEFAULT_COLUMNS` present).
        formats: Subset of ``md``, ``tex``, ``html`` (default: all).

    Returns:
        ``{format: path}`` of the written documents.
    """
    formats = list(FORMATS) if formats is None else list(dict.fromkeys(formats))
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise VaelabError(f"unknown report format {unknown[0]!r}; choose from {', '.join(FORMATS)}" if unknown
                          else f"no report format given; choose from {', '.join(FORMATS)}")
    out = Path(out)
    _check_out(out)
    report = _collect(paths, preset)
    methods = write_figures(report.rows, report.notes, out) if {"md", "html"} & set(formats) else []
    if {"md", "html"} & set(formats):
        report.ladder = claim_report.write_ladder(report.claims, out / "figures" / "claims-ladder.png")
    render = {"md": lambda: _markdown(report, methods, out), "tex": lambda: _latex(report),
              "html": lambda: _html(report, methods)}
    written = {}
    for f in formats:
        write_text(out / f"report.{f}", render[f]())
        written[f] = out / f"report.{f}"
    return written
