"""Bundled real data from published scaling-law studies, for the demo, examples and tests.

Each file ships with its provenance and license note in ``PROVENANCE.md`` beside it.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from ..data import Runs, load_runs
from ..errors import LawfitError

__all__ = ["DATASETS", "chinchilla", "path"]

#: Bundled data sets: name -> (file, column mapping).
DATASETS: dict[str, tuple[str, dict[str, str]]] = {
    "chinchilla": ("chinchilla_epoch.csv", {"N": "Model Size", "C": "Training FLOP", "loss": "loss"}),
}


def path(name: str) -> Path:
    """The file of a bundled data set.

    >>> path("chinchilla").name
    'chinchilla_epoch.csv'
    """
    if name not in DATASETS:
        raise LawfitError(f"Unknown bundled data set {name!r}. Bundled: {', '.join(DATASETS)}.")
    return Path(str(resources.files(__package__).joinpath(DATASETS[name][0])))


def chinchilla(*, drop_highest_loss: int = 0) -> Runs:
    """Hoffmann et al. 2022's Figure 4 runs as reconstructed by Besiroglu et al. 2024 (Epoch AI): 245 runs.

    Tokens are derived as D = C / (6N). ``drop_highest_loss=5`` drops the five highest-loss runs, as Besiroglu et al.
    did for their Approach 3 refit (240 runs).

    >>> len(chinchilla()), len(chinchilla(drop_highest_loss=5))
    (245, 240)
    """
    runs = load_runs(path("chinchilla"), columns=DATASETS["chinchilla"][1])
    return runs.drop_highest_loss(drop_highest_loss)
