"""Evaluation metrics: pure functions of codes and factors, plus sampling wrappers."""
