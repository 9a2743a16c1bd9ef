"""Write reference_synthetic_exhaustive.json: lawfit's exhaustive local search (every start of the law's grid
polished to convergence) on each synthetic problem of tests/test_search.py (PROBLEMS).

Run from the checkout's root: ``.venv/bin/python tests/data/make_reference_synthetic.py`` (a minute or two on an idle
core). tests/test_search.py checks the default search against the stored optima; its slow test reruns the exhaustive
search and checks that it reproduces them.
"""

from __future__ import annotations

import datetime
import json
import platform
import sys
import time
from pathlib import Path

import jax
import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from test_search import PROBLEMS, exhaustive_objective, problem_key  # noqa: E402

COMMAND = ".venv/bin/python tests/data/make_reference_synthetic.py"


def main() -> None:
    optima = {}
    t0 = time.perf_counter()
    for name, options, truth, noise, seed in PROBLEMS:
        optima[problem_key(name, seed)] = exhaustive_objective(name, options, truth, noise, seed)
        print(problem_key(name, seed), optima[problem_key(name, seed)])
    record = {
        "what": "lawfit.search.search with grid=law.start_grid() and SearchOptions(n_explore=n_starts, "
        "explore_steps=2000, n_polish=n_starts): every start polished, the best kept; Huber (delta 1e-3) on log "
        "residuals of tests/test_search.py's seeded synthetic problems",
        "objectives": optima,
        "command": COMMAND,
        "seconds": round(time.perf_counter() - t0, 1),
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d"),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "jax": jax.__version__,
        "platform": platform.platform(),
    }
    out = HERE / "reference_synthetic_exhaustive.json"
    out.write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
