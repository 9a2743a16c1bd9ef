"""A Lightning callback that records the training curve and the run's sizes for lawfit.

Importing this module imports ``lightning.pytorch`` (else ``pytorch_lightning``) and torch; without them it raises a
:class:`~lawfit.errors.LawfitError` that says to ``pip install 'lawfit[lightning]'``. The file's rows are
described in :mod:`lawfit.hooks`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from typing import Any

from ..errors import LawfitError
from ._record import OWNER, Recording, learning_rate, positive_int

try:
    import torch

    try:
        from lightning.pytorch import Callback
    except ImportError:
        from pytorch_lightning import Callback
except ImportError as error:
    raise LawfitError(
        f"lawfit.hooks.lightning needs lightning and torch ({error}): pip install 'lawfit[lightning]'."
    ) from None

__all__ = ["LawfitCallback"]


class LawfitCallback(Recording, Callback):
    """Record ``run, step, loss, lr, N, D, C`` at every optimizer step of a Lightning ``Trainer``.

    One row per optimizer step, written and flushed as training goes:

    - ``step`` is ``trainer.global_step`` after the update, from 1;
    - ``loss`` is the loss ``training_step`` returned (a tensor, or a dict's ``"loss"``), averaged over the
      batches of the step when gradients are accumulated (Lightning's division by ``accumulate_grad_batches`` is
      undone); empty if ``training_step`` returned none;
    - ``lr`` is ``trainer.optimizers[0].param_groups[0]["lr"]`` read when the batch starts: the rate its update
      used (Lightning steps a per-step scheduler before ``on_train_batch_end``);
    - ``N`` counts the module's trainable parameters when training starts, each shared (tied) tensor once;
      ``non_embedding=True`` leaves out the parameters of ``torch.nn.Embedding`` layers;
    - ``D`` adds up the tokens of every batch, times the number of processes: ``tokens_per_batch`` if given,
      else counted from the batch: the number of elements of a tensor of token ids, of a dict's ``"input_ids"``,
      or of the first item of a tuple or list (``(inputs, targets)``), padding included;
    - ``C`` is ``flops(N, D)`` when ``flops`` is given, else ``6 * N * D``.

    Only the global-zero process writes. Rows of this run after the step training starts from are replaced, so a
    run resumed from a checkpoint continues its curve (and ``D`` its count, from the file) and one restarted from
    scratch replaces it; other runs in the file are kept.

    Parameters
    ----------
    path : str or path
        The file, ``.csv`` or ``.jsonl``; its folder is created.
    run : str, optional
        The run's name. Default: the file name without its suffix.
    tokens_per_batch : int, optional
        Tokens in one batch on one process, when they cannot be counted from the batch.
    flops : callable, optional
        ``flops(N, D)``: the training FLOPs after ``D`` tokens. Default ``6 * N * D``.
    non_embedding : bool, default False
        Count N without the embedding parameters.

    Raises
    ------
    LawfitError
        On construction, for a path that is not ``.csv`` or ``.jsonl``, an empty run name, a ``tokens_per_batch``
        that is not a positive integer or a ``flops`` that is not callable; at the first batch, if its tokens
        cannot be counted and no ``tokens_per_batch`` was given.

    Examples
    --------
    ::

        from lawfit.hooks.lightning import LawfitCallback

        hook = LawfitCallback("curves/lm-25m.csv")
        Trainer(max_steps=10_000, callbacks=[hook]).fit(module, loader)
        hook.table()                                   # a DataFrame: run, step, loss, lr, N, D, C
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        run: str | None = None,
        tokens_per_batch: int | None = None,
        flops: Callable[[int, int], float] | None = None,
        non_embedding: bool = False,
    ) -> None:
        Recording.__init__(self, path, run=run, flops=flops, non_embedding=non_embedding)
        self.tokens_per_batch = positive_int(tokens_per_batch, "tokens_per_batch", OWNER)
        self._lr = math.nan
        self._tokens = 0
        self._step = 0
        self._losses: list[float] = []

    def on_train_start(self, trainer: Any, pl_module: Any) -> None:
        if not trainer.is_global_zero:
            return
        self._tokens = self._start(pl_module, trainer.global_step)
        self._step = trainer.global_step
        self._losses = []

    def on_train_batch_start(self, trainer: Any, pl_module: Any, batch: Any, batch_idx: int) -> None:
        if trainer.is_global_zero:
            self._lr = learning_rate(trainer.optimizers[0] if trainer.optimizers else None)

    def on_train_batch_end(self, trainer: Any, pl_module: Any, outputs: Any, batch: Any, batch_idx: int) -> None:
        if not trainer.is_global_zero:
            return
        tokens = self.tokens_per_batch if self.tokens_per_batch is not None else _count_tokens(batch)
        self._tokens += tokens * trainer.world_size
        loss = outputs.get("loss") if isinstance(outputs, Mapping) else outputs
        if loss is not None:
            loss = float(loss.detach()) if isinstance(loss, torch.Tensor) else float(loss)
            if pl_module.automatic_optimization:
                loss *= trainer.accumulate_grad_batches
            self._losses.append(loss)
        if trainer.global_step > self._step:  # the optimizer stepped: the step's row is complete
            self._step = trainer.global_step
            self._recorder.step(self._step, lr=self._lr, tokens=self._tokens)
            if self._losses:
                self._recorder.loss(self._step, sum(self._losses) / len(self._losses))
            self._losses = []

    def on_train_end(self, trainer: Any, pl_module: Any) -> None:
        self._recorder.close()

    def on_exception(self, trainer: Any, pl_module: Any, exception: BaseException) -> None:
        self._recorder.close()


def _count_tokens(batch: Any) -> int:
    found = batch
    while isinstance(found, list | tuple) and found:
        found = found[0]
    if isinstance(found, Mapping) and "input_ids" in found:
        found = found["input_ids"]
    if isinstance(found, torch.Tensor):
        return int(found.numel())
    raise LawfitError(
        f"LawfitCallback cannot count the tokens of a batch of type {type(batch).__name__}: it counts a tensor of "
        "token ids, a dict's 'input_ids' or a tuple's first item. Pass tokens_per_batch=... (tokens in one batch "
        "on one process)."
    )
