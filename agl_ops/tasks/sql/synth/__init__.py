"""Synthetic Spider-format data: realistic small databases and graded questions."""

from agl_ops.tasks.sql.synth.generate import GENERATOR_VERSION, SynthParams, SynthReport, generate_dataset, split_databases

__all__ = ["GENERATOR_VERSION", "SynthParams", "SynthReport", "generate_dataset", "split_databases"]
