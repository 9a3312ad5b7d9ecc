r"""Verdicts on claims: a claim is data, judged over a result table of runs or of published numbers.

A :class:`Claim` (the seeds' claims are :data:`vaelab.experiments.claims.CLAIMS`) names
its source and a short quote, the preset whose runs it reads, the datasets, and one or more
*relations* over metric values, each giving a **margin** in the metric's units, positive when
the claim holds:

=====================  =====================================================================
relation               margin
=====================  =====================================================================
``Greater(a, b)``      :math:`a - b` ("a above b"; "a below b" is ``Greater(b, a)``)
``Separated(hi, lo)``  :math:`\min(hi) - \max(lo)` (every ``hi`` above every ``lo``)
``Best(a, others)``    :math:`a - \max(others)` (``higher=False``: :math:`\min(others) - a`)
``TopTwo(a, others)``  :math:`a -` the second-highest distinct value of ``others`` (dense rank, so
                       printed ties share a rank as the papers' bold marks do)
``MeanGap(pairs)``     mean of :math:`a_i - b_i` ("an overall improvement")
``Within(a, b, tol)``  :math:`tol - |a - b|` (``rel``: tolerance relative to :math:`(|a| + |b|) / 2`)
``Near(a, target)``    :math:`tol - |a - target|` (e.g. 6 :math:`\pm` 1 active axes)
``Below(a, value)``    :math:`value - a` (e.g. fewer active axes than the nominal ``L``)
=====================  =====================================================================

A claim's margin is the smallest margin over its datasets and relations, and a term's value
is the mean over the seeds of its runs.

Verdicts (:func:`judge`) over runs: ``holds`` when the whole 95 % interval of the margin is
above 0, ``fails`` when it is below 0, ``inconclusive`` when it covers 0 (or when a term has
a single seed, so there is no spread), ``not run`` when a term has no runs or its metric is
missing (the reason says which). The interval is a **percentile bootstrap over seeds**
(2,000 resamples, generator seeded by the claim's id, so verdicts are reproducible): when
every term has the same seeds, seeds are resampled jointly (paired: one resample picks the
same seeds for every method, as seeds share data order and metric draws); otherwise each
term's seeds are resampled on their own. With 3 seeds the interval is close to the range of
the per-seed margins: it says whether the seeds agree, not a calibrated 95 % coverage.
"Seeds agree" counts the seeds whose own margin (every term at that seed) is positive.

On the published table (:func:`judge_published`, one printed mean per cell) the verdict is
the sign of the margin; ranking relations (``Best``, ``TopTwo``) accept printed ties.

MNIST claims may be judged on scikit-learn's digits (:data:`PROXIES`); the verdict then says
``proxy: digits for mnist``, never MNIST.

Example:
    >>> from vaelab.experiments.claims import CLAIMS
    >>> judge_published(CLAIMS["vcae-toy-mse"]).status
    'holds'
"""

from __future__ import annotations

import math
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np
import yaml


__all__ = [
    "Term", "term", "Greater", "Separated", "Best", "TopTwo", "MeanGap", "Within", "Near", "Below", "Relation",
    "Claim", "Record", "ResultTable", "Verdict", "STATUSES", "PROXIES", "published_table", "run_origin", "judge",
    "judge_published", "BOOTSTRAP", "LEVEL",
]

STATUSES = ("holds", "fails", "inconclusive", "not run")
PROXIES = {"mnist": "digits"}
"""Dataset -> the offline dataset that stands in for it (labelled as a proxy)."""
BOOTSTRAP = 2000
LEVEL = 0.95


# ----------------------------------------------------------------------------- relations


@dataclass(frozen=True)
class Term:
    """A metric of one method: ``model`` (vaelab name), ``key`` (a ``metrics.json`` key), ``where``
    (settings the runs must have, e.g. ``{"latent_dim": 10}``), ``published_key`` (the key in the
    published table when it differs, e.g. the AVAE's KL against its own prior)."""

    model: str
    key: str
    where: tuple[tuple[str, Any], ...] = ()
    published_key: str | None = None

    def label(self) -> str:
        return " ".join([self.model, *(f"{k}={v}" for k, v in self.where)]) + f" {self.key}"


def term(model: str, key: str, published_key: str | None = None, **where: Any) -> Term:
    """A :class:`Term`; keyword arguments are the ``where`` settings."""
    return Term(model, key, tuple(sorted(where.items())), published_key)


def _per_dataset(value: float | Mapping[str, float], dataset: str) -> float:
    return float(value[dataset]) if isinstance(value, Mapping) else float(value)


@dataclass(frozen=True)
class Greater:
    a: Term
    b: Term
    ranking = False

    def terms(self) -> tuple[Term, ...]:
        return (self.a, self.b)

    def margin(self, v: Mapping[Term, float], dataset: str) -> float:
        return v[self.a] - v[self.b]


@dataclass(frozen=True)
class Separated:
    high: tuple[Term, ...]
    low: tuple[Term, ...]
    ranking = False

    def terms(self) -> tuple[Term, ...]:
        return (*self.high, *self.low)

    def margin(self, v: Mapping[Term, float], dataset: str) -> float:
        return min(v[t] for t in self.high) - max(v[t] for t in self.low)


@dataclass(frozen=True)
class Best:
    a: Term
    others: tuple[Term, ...]
    higher: bool = True
    ranking = True

    def terms(self) -> tuple[Term, ...]:
        return (self.a, *self.others)

    def margin(self, v: Mapping[Term, float], dataset: str) -> float:
        if self.higher:
            return v[self.a] - max(v[t] for t in self.others)
        return min(v[t] for t in self.others) - v[self.a]


@dataclass(frozen=True)
class TopTwo(Best):
    def margin(self, v: Mapping[Term, float], dataset: str) -> float:
        sign = 1.0 if self.higher else -1.0
        distinct = sorted({sign * v[t] for t in self.others}, reverse=True)
        if len(distinct) < 2:
            return math.inf
        return sign * v[self.a] - distinct[1]


@dataclass(frozen=True)
class MeanGap:
    pairs: tuple[tuple[Term, Term], ...]
    ranking = False

    def terms(self) -> tuple[Term, ...]:
        return tuple(t for pair in self.pairs for t in pair)

    def margin(self, v: Mapping[Term, float], dataset: str) -> float:
        return float(np.mean([v[a] - v[b] for a, b in self.pairs]))


@dataclass(frozen=True)
class Within:
    a: Term
    b: Term
    tol: float = 0.0
    rel: float = 0.0
    ranking = False

    def terms(self) -> tuple[Term, ...]:
        return (self.a, self.b)

    def margin(self, v: Mapping[Term, float], dataset: str) -> float:
        scale = (abs(v[self.a]) + abs(v[self.b])) / 2
        return self.tol + self.rel * scale - abs(v[self.a] - v[self.b])


@dataclass(frozen=True)
class Near:
    a: Term
    target: float | Mapping[str, float]
    tol: float
    ranking = False

    def terms(self) -> tuple[Term, ...]:
        return (self.a,)

    def margin(self, v: Mapping[Term, float], dataset: str) -> float:
        return self.tol - abs(v[self.a] - _per_dataset(self.target, dataset))


@dataclass(frozen=True)
class Below:
    a: Term
    value: float | Mapping[str, float]
    ranking = False

    def terms(self) -> tuple[Term, ...]:
        return (self.a,)

    def margin(self, v: Mapping[Term, float], dataset: str) -> float:
        return _per_dataset(self.value, dataset) - v[self.a]


Relation = Greater | Separated | Best | TopTwo | MeanGap | Within | Near | Below


@dataclass(frozen=True)
class Claim:
    """A headline claim of a seed.

    Attributes:
        id: Short unique name.
        text: The claim in one line, as vaelab checks it.
        source: Paper, table / section.
        quote: A short quote of the paper's words.
        preset: The preset whose runs (and published table) it reads.
        datasets: The datasets every relation is applied on.
        relations: What must hold on each dataset.
        also: Other presets whose runs carry the same metrics at the same settings.
        note: How the claim was read where the paper is loose, or why it cannot be run.
    """

    id: str
    text: str
    source: str
    quote: str
    preset: str
    datasets: tuple[str, ...]
    relations: tuple[Relation, ...]
    also: tuple[str, ...] = ()
    note: str = ""

    def terms(self) -> tuple[Term, ...]:
        return tuple(dict.fromkeys(t for r in self.relations for t in r.terms()))

    presets = property(lambda self: (self.preset, *self.also))


# ----------------------------------------------------------------------------- result tables


@dataclass(frozen=True)
class Record:
    """One run's (or one published row's, ``seed=None``) metrics."""

    dataset: str
    model: str
    settings: Mapping[str, Any]
    seed: int | None
    metrics: Mapping[str, float]


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
    return str(a) == str(b)


@dataclass
class ResultTable:
    """Records of runs or of a published table; :meth:`values` gives a term's value per seed."""

    records: list[Record] = field(default_factory=list)

    def datasets(self) -> set[str]:
        return {r.dataset for r in self.records}

    def values(self, dataset: str, t: Term, published: bool = False) -> dict[Any, float]:
        """``{seed: value}`` of ``t`` on ``dataset``; raises ``LookupError`` with a reason when absent."""
        key = (t.published_key or t.key) if published else t.key
        rows = [r for r in self.records if r.dataset == dataset and r.model == t.model
                and all(k in r.settings and _same(r.settings[k], v) for k, v in t.where)]
        if not rows:
            where = "".join(f" {k}={v}" for k, v in t.where)
            raise LookupError(f"no {t.model}{where} runs on {dataset}")
        out: dict[Any, float] = {}
        for r in rows:
            if key not in r.metrics or not math.isfinite(float(r.metrics[key])):
                continue
            if r.seed in out:
                raise LookupError(f"several {t.model} runs of seed {r.seed} on {dataset} match {t.label()}; "
                                  f"give the claim's settings")
            out[r.seed] = float(r.metrics[key])
        if not out:
            raise LookupError(f"metric {key} missing from the {t.model} runs on {dataset}")
        return out

    @classmethod
    def from_results(cls, results: Iterable[Any]) -> "ResultTable":
        """From :class:`vaelab.experiments.report.RunResult` objects (settings by their short name)."""
        records = []
        for r in results:
            settings = {k.rsplit(".", 1)[-1]: v for k, v in r.settings.items()}
            records.append(Record(r.dataset, r.model, settings, r.seed, dict(r.metrics)))
        return cls(records)


def _parse_label(label: str) -> tuple[str, dict[str, Any]]:
    model, *rest = label.split(" ")
    settings = {}
    for item in rest:
        k, _, v = item.partition("=")
        settings[k] = yaml.safe_load(v)
    return model, settings


def published_table(preset: str) -> ResultTable:
    """The published numbers of ``preset`` (every metric the seed prints, in vaelab's keys and units)."""
    from vaelab.experiments.presets import PUBLISHED_KEYS, Column, _published
    from vaelab.experiments.published import TABLES

    table = TABLES.get(preset)
    if table is None:
        return ResultTable()
    columns = tuple(Column(PUBLISHED_KEYS.get(k, k), k) for k in table["metrics"])
    records = []
    for dataset, rows in _published(preset, columns).items():
        for label, cells in rows.items():
            model, settings = _parse_label(label)
            values = {k: float(v[0] if isinstance(v, (tuple, list)) else v) for k, v in cells.items()}
            records.append(Record(dataset, model, settings, None, values))
    return ResultTable(records)


# ----------------------------------------------------------------------------- verdicts


@dataclass(frozen=True)
class Verdict:
    """A claim's verdict on one result table (one budget)."""

    claim: Claim
    status: str
    margin: float | None = None
    low: float | None = None
    high: float | None = None
    seeds: int = 0
    agree: int = 0
    per_seed: tuple[tuple[int, float], ...] = ()
    reason: str = ""
    proxy: str = ""
    budget: float | None = None

    def margin_text(self, fmt: str = ".3g") -> str:
        if self.margin is None:
            return "-"
        text = format(self.margin, fmt)
        if self.low is not None and self.high is not None:
            text += f" [{format(self.low, fmt)}, {format(self.high, fmt)}]"
        return text

    def agree_text(self) -> str:
        return f"{self.agree}/{len(self.per_seed)}" if self.per_seed else "-"


def _margin(claim: Claim, values: Mapping[tuple[str, Term], float]) -> float:
    out = math.inf
    for dataset in claim.datasets:
        v = {t: values[(dataset, t)] for r in claim.relations for t in r.terms()}
        for relation in claim.relations:
            out = min(out, relation.margin(v, dataset))
    return out


def _resolve(claim: Claim, table: ResultTable) -> tuple[dict[str, str], str]:
    """Dataset -> the dataset of the table that stands for it, and a proxy note."""
    have = table.datasets()
    mapping, notes = {}, []
    for d in claim.datasets:
        if d not in have and PROXIES.get(d) in have:
            mapping[d] = PROXIES[d]
            notes.append(f"{PROXIES[d]} for {d}")
        else:
            mapping[d] = d
    return mapping, ("proxy: " + ", ".join(notes)) if notes else ""


def _lookup(claim: Claim, table: ResultTable, published: bool = False
            ) -> tuple[dict[tuple[str, Term], dict[Any, float]], str]:
    mapping, proxy = _resolve(claim, table)
    values = {}
    for d in claim.datasets:
        for t in claim.terms():
            values[(d, t)] = table.values(mapping[d], t, published)
    return values, proxy


def judge_published(claim: Claim) -> Verdict:
    """The claim on its preset's published numbers: ``holds`` / ``fails`` by the sign of the margin."""
    try:
        values, _ = _lookup(claim, published_table(claim.preset), published=True)
    except LookupError as e:
        return Verdict(claim, "not run", reason=f"published table: {e}")
    margin = _margin(claim, {k: next(iter(v.values())) for k, v in values.items()})
    ranking = any(r.ranking for r in claim.relations)
    ok = margin > 0 or (ranking and margin >= -1e-12)
    return Verdict(claim, "holds" if ok else "fails", margin)


def judge(claim: Claim, table: ResultTable, budget: float | None = None, resamples: int = BOOTSTRAP,
          level: float = LEVEL) -> Verdict:
    """The claim's verdict over the runs of ``table`` (see the module docstring)."""
    try:
        values, proxy = _lookup(claim, table)
    except LookupError as e:
        return Verdict(claim, "not run", reason=str(e), budget=budget)
    keys = list(values)
    means = {k: float(np.mean(list(values[k].values()))) for k in keys}
    margin = _margin(claim, means)
    seed_sets = [frozenset(values[k]) for k in keys]
    common = sorted(frozenset.intersection(*seed_sets))
    per_seed = tuple((s, _margin(claim, {k: values[k][s] for k in keys})) for s in common)
    agree = sum(m > 0 for _, m in per_seed)
    n = min(len(s) for s in seed_sets)
    base = dict(margin=margin, seeds=n, agree=agree, per_seed=per_seed, proxy=proxy, budget=budget)
    if n < 2:
        return Verdict(claim, "inconclusive", reason="one seed: no spread over seeds to judge by", **base)
    rng = np.random.default_rng(zlib.crc32(claim.id.encode()))
    paired = all(s == seed_sets[0] for s in seed_sets)
    arrays = {k: np.array([values[k][s] for s in sorted(values[k])]) for k in keys}
    boots = np.empty(resamples)
    for i in range(resamples):
        if paired:
            pick = rng.integers(0, len(common), len(common))
            sample = {k: float(arrays[k][pick].mean()) for k in keys}
        else:
            sample = {k: float(rng.choice(arrays[k], len(arrays[k])).mean()) for k in keys}
        boots[i] = _margin(claim, sample)
    alpha = (1 - level) / 2
    low, high = (float(x) for x in np.quantile(boots, [alpha, 1 - alpha]))
    status = "holds" if low > 0 else "fails" if high < 0 else "inconclusive"
    return Verdict(claim, status, low=low, high=high, **base)


# ----------------------------------------------------------------------------- runs


_BUDGET = re.compile(r"^(?P<preset>\S+)(?: \(budget (?P<budget>[0-9.eE+-]+)\))?")


def run_origin(path: str | Path) -> tuple[str | None, float | None]:
    """The preset and budget a run belongs to, from its sweep's ``sweep.yaml`` name
    (``"ard-table7 (budget 0.02)"``; a bare preset name is budget 1); ``(None, None)`` otherwise."""
    file = Path(path).parent / "sweep.yaml"
    try:
        name = str((yaml.safe_load(file.read_text()) or {}).get("name", ""))
    except (OSError, yaml.YAMLError):
        return None, None
    from vaelab.experiments.presets import PRESETS

    m = _BUDGET.match(name)
    if not m or m["preset"] not in PRESETS:
        return None, None
    return m["preset"], float(m["budget"]) if m["budget"] else 1.0
