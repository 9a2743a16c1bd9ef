"""Benchmark: how fast each ``lawfit`` verb starts and answers, from the shell, against the floor of its libraries.

Every verb runs as a user runs it (the ``lawfit`` console script beside this Python, in a fresh process), once to
warm up, then ``--repeats`` times; each of its runs alternates with a run of its floor, so that both see the same
load of the machine. The floors:

- ``python -c "import numpy"`` for the verbs that only read a saved fit or print text: ``--help``, ``--version``,
  ``predict``, ``optimal``, ``target``, ``inference``, ``datasets`` (issue 13: ``--help`` and ``predict`` within
  1.5x of it), and ``predict`` on the fit ``lawfit fit`` saves by default (law auto, calibrated: it prints the
  forecast interval);
- ``python -c "import jax.numpy as j; j.zeros(1)"`` for a warm ``fit`` of the 240 Chinchilla runs (``--dataset
  chinchilla --law chinchilla --drop-highest-loss 5``; issue 13: within 2x of it).

The compile caches go to a private temporary folder (``LAWFIT_CACHE_DIR``), and Python's bytecode to another
(``PYTHONPYCACHEPREFIX``), both warmed by the warm-up runs. Printed per verb: the median time, its floor's median,
their ratio and the target where there is one.

Run: `make bench` (or `python benchmarks/bench_cli.py [--repeats R]`).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NUMPY_FLOOR = [sys.executable, "-c", "import numpy"]
JAX_FLOOR = [sys.executable, "-c", "import jax.numpy as j; j.zeros(1)"]
FIT = ["fit", "--dataset", "chinchilla", "--law", "chinchilla", "--drop-highest-loss", "5", "-q"]
AUTO_FIT = ["fit", "--dataset", "chinchilla", "-q"]

# verb label, arguments after `lawfit`, floor, target ratio (None: none set)
VERBS: list[tuple[str, list[str], str, float | None]] = [
    ("--help", ["--help"], "numpy", 1.5),
    ("--version", ["--version"], "numpy", None),
    ("predict", ["predict", "fit.json", "N=70e9", "D=1.4e12"], "numpy", 1.5),
    ("predict (auto fit)", ["predict", "auto.json", "N=70e9", "D=1.4e12"], "numpy", None),
    ("optimal", ["optimal", "fit.json", "--compute", "1e21,1e22,1e23"], "numpy", None),
    ("target", ["target", "fit.json", "--target-loss", "2.0"], "numpy", None),
    ("inference", ["inference", "fit.json", "--target-loss", "2.0", "--inference-tokens", "1e12"], "numpy", None),
    ("datasets", ["datasets"], "numpy", None),
    ("fit (warm, 240 runs)", FIT, "jax", 2.0),
]


def _lawfit() -> list[str]:
    script = Path(sys.executable).with_name("lawfit")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from lawfit.cli import main; sys.exit(main())"]


def _seconds(command: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"bench_cli: {' '.join(command)} failed ({done.returncode}): {done.stderr.strip()}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repeats", type=int, default=7, help="timed runs per verb and per floor (7)")
    args = parser.parse_args()
    lawfit = _lawfit()
    with tempfile.TemporaryDirectory(prefix="lawfit-bench-cli-") as tmp:
        folder = Path(tmp)
        cache = folder / "cache"
        cache.mkdir(mode=0o700)
        # Python's bytecode as a user has it (written once, then read), kept in the temporary folder: without it
        # (PYTHONDONTWRITEBYTECODE) every run would compile lawfit's source again, which no installed copy does.
        env = {**os.environ, "LAWFIT_CACHE_DIR": str(cache), "PYTHONPYCACHEPREFIX": str(folder / "pycache")}
        for name in ("LAWFIT_NO_DISK_CACHE", "PYTHONDONTWRITEBYTECODE"):
            env.pop(name, None)
        # The saved fit the planning verbs read; this first fit also fills the compile caches.
        _seconds([*lawfit, *FIT, "-o", "fit.json"], folder, env)
        # What `lawfit fit` saves by default (law auto, calibrated): predict prints its forecast interval.
        _seconds([*lawfit, *AUTO_FIT, "-o", "auto.json"], folder, env)
        floors = {"numpy": NUMPY_FLOOR, "jax": JAX_FLOOR}
        print(f"lawfit verbs from the shell: median of {args.repeats} runs each after a warm-up, against the floor")
        print(f"measured alternately with them (numpy: {' '.join(NUMPY_FLOOR[1:])!r}; jax: {JAX_FLOOR[-1]!r})\n")
        print(f"{'verb':<22} {'median s':>9} {'floor':>6} {'floor s':>8} {'ratio':>6}  target")
        met = []
        for label, argv, floor, target in VERBS:
            command = [*lawfit, *argv]
            _seconds(command, folder, env)  # warm-up
            _seconds(floors[floor], folder, env)
            times, floor_times = [], []
            for _ in range(args.repeats):
                times.append(_seconds(command, folder, env))
                floor_times.append(_seconds(floors[floor], folder, env))
            median, floor_median = statistics.median(times), statistics.median(floor_times)
            ratio = median / floor_median
            verdict = ""
            if target is not None:
                met.append(ratio <= target)
                verdict = f"<= {target}x: {'met' if ratio <= target else 'NOT met'}"
            print(f"{label:<22} {median:>9.3f} {floor:>6} {floor_median:>8.3f} {ratio:>6.2f}  {verdict}")
        print(f"\n{sum(met)} of {len(met)} targets met.")


if __name__ == "__main__":
    main()
