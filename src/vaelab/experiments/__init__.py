"""Experiments: sweep files and executors, the seeds' presets, and reports over run directories."""

from vaelab.experiments import presets, report, sweeps

__all__ = ["presets", "report", "sweeps"]
