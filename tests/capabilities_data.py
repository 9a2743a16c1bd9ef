"""The bundled capability tables the capabilities tests share (figures, reports): where they are and the settings of
the paper's emergent-task back-test (Ruan et al. 2024: a target metric, models below Llama-2-7B's FLOPs)."""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).parent / "data"
BASE = DATA / "observational_scaling_ruan2024" / "base_llm_benchmark_eval.csv"
EMERGENT = DATA / "observational_scaling_ruan2024" / "base_llm_emergent_capability_eval.csv"
COUNTS = DATA / "sampling_coverage_brown2024" / "pythia_math_per_problem_counts.csv"
TARGET = "word_unscrambling_2_exact_match"
LLAMA2_7B = 84e21
