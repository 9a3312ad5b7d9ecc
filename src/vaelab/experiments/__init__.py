"""Experiments: sweep files and executors, the seeds' presets, and reports over run directories."""

from vaelab.experiments import figures, presets, report, sweeps

__all__ = ["figures", "presets", "report", "sweeps"]
