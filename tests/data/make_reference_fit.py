"""Write reference_fit_chinchilla240.json: the exhaustive scipy search (tests/reference.py) on the 240 Chinchilla runs.

Run from the checkout's root: ``.venv/bin/python tests/data/make_reference_fit.py`` (~20 s on an idle core, minutes
under load).
tests/test_search.py checks lawfit's fit against the stored figures; its slow test reruns the loop and checks that it
reproduces them.
"""

from __future__ import annotations

import datetime
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np
import scipy

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import lawfit  # noqa: E402
from reference import reference_fit  # noqa: E402

COMMAND = ".venv/bin/python tests/data/make_reference_fit.py"


def main() -> None:
    runs = lawfit.datasets.chinchilla(drop_highest_loss=5)
    n, d, loss = runs.column("N"), runs.column("D"), runs.column("loss")
    t0 = time.perf_counter()
    objective, x = reference_fit(np.log(n), np.log(d), np.log(loss))
    seconds = time.perf_counter() - t0
    a, b, e, alpha, beta = (float(v) for v in x)
    record = {
        "what": "tests/reference.py reference_fit: scipy L-BFGS-B (analytic gradient) from each of Hoffmann's 4,500 "
        "starts, best kept, on the summed Huber (delta 1e-3) of log residuals of LSE(a - alpha log N, "
        "b - beta log D, e), on lawfit.datasets.chinchilla(drop_highest_loss=5) (240 points)",
        "n_points": int(n.size),
        "n_starts": 4500,
        "objective": objective,
        "theta": {"a": a, "b": b, "e": e, "alpha": alpha, "beta": beta},
        "params": {"E": float(np.exp(e)), "A": float(np.exp(a)), "B": float(np.exp(b)), "alpha": alpha, "beta": beta},
        "command": COMMAND,
        "seconds": round(seconds, 1),
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d"),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "platform": platform.platform(),
    }
    out = HERE / "reference_fit_chinchilla240.json"
    out.write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {out}: objective {objective!r} in {seconds:.1f} s")


if __name__ == "__main__":
    main()
