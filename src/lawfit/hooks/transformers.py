"""A Hugging Face ``transformers`` callback that records the training curve and the run's sizes for lawfit.

Importing this module imports ``transformers`` (and torch); without them it raises a
:class:`~lawfit.errors.LawfitError` that says to ``pip install 'lawfit[transformers]'``. The file's rows are
described in :mod:`lawfit.hooks`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from ..errors import LawfitError
from ._record import OWNER, Recording, learning_rate, positive_int

try:
    from transformers import TrainerCallback
except ImportError as error:
    raise LawfitError(
        f"lawfit.hooks.transformers needs transformers and torch ({error}): pip install 'lawfit[transformers]'."
    ) from None

__all__ = ["LawfitCallback"]


class LawfitCallback(Recording, TrainerCallback):
    """Record ``run, step, loss, lr, N, D, C`` at every optimizer step of a ``transformers.Trainer``.

    One row per optimizer step, written and flushed as training goes:

    - ``step`` is ``state.global_step`` after the update, from 1;
    - ``loss`` is the ``loss`` the Trainer logs at that step (the mean over the steps since its previous log),
      empty at steps it does not log; ``logging_steps=1`` gives a loss at every step;
    - ``lr`` is ``optimizer.param_groups[0]["lr"]`` read when the step begins, before the scheduler moves on: the
      rate that step's update used. (The Trainer's own logged ``learning_rate`` is, in some versions, the rate
      of the next step.)
    - ``N`` counts the model's trainable parameters when training begins, each shared (tied) tensor once;
      ``non_embedding=True`` leaves out the parameters of ``torch.nn.Embedding`` layers;
    - ``D`` is ``tokens_per_step * step`` when ``tokens_per_step`` is given, else the Trainer's own count,
      ``state.num_input_tokens_seen``, which needs ``TrainingArguments(include_num_input_tokens_seen=True)``
      (every token of the model's main input, padding included; ``"non_padding"`` counts the others only);
      callbacks never see the batches, so there is no other exact count;
    - ``C`` is ``flops(N, D)`` when ``flops`` is given, else ``6 * N * D``.

    Only the main process writes. Rows of this run after the step training starts from are replaced, so a run
    resumed from a checkpoint continues its curve and one restarted from scratch replaces it; other runs in the
    file are kept.

    Parameters
    ----------
    path : str or path
        The file, ``.csv`` or ``.jsonl``; its folder is created.
    run : str, optional
        The run's name. Default: the file name without its suffix.
    tokens_per_step : int, optional
        Tokens in one optimizer step over all processes: per-device batch size x gradient accumulation steps x
        processes x sequence length, for packed sequences.
    flops : callable, optional
        ``flops(N, D)``: the training FLOPs after ``D`` tokens. Default ``6 * N * D``.
    non_embedding : bool, default False
        Count N without the embedding parameters.

    Raises
    ------
    LawfitError
        On construction, for a path that is not ``.csv`` or ``.jsonl``, an empty run name, a ``tokens_per_step``
        that is not a positive integer or a ``flops`` that is not callable; when training begins, if the tokens
        cannot be counted (no ``tokens_per_step`` and the Trainer does not count them).

    Examples
    --------
    ::

        from lawfit.hooks.transformers import LawfitCallback

        args = TrainingArguments("out", include_num_input_tokens_seen=True, logging_steps=1, ...)
        hook = LawfitCallback("curves/gpt-25m.csv")
        Trainer(model, args, train_dataset=data, callbacks=[hook]).train()
        hook.table()                                   # a DataFrame: run, step, loss, lr, N, D, C
        lawfit.curves.load_curves("curves/gpt-25m.csv")
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        run: str | None = None,
        tokens_per_step: int | None = None,
        flops: Callable[[int, int], float] | None = None,
        non_embedding: bool = False,
    ) -> None:
        Recording.__init__(self, path, run=run, flops=flops, non_embedding=non_embedding)
        self.tokens_per_step = positive_int(tokens_per_step, "tokens_per_step", OWNER)
        self._lr = float("nan")

    def on_train_begin(self, args: Any, state: Any, control: Any, model: Any = None, **kwargs: Any) -> None:
        counting = getattr(args, "include_num_input_tokens_seen", False) not in (False, None, "no")
        if self.tokens_per_step is None and not counting:
            raise LawfitError(
                "LawfitCallback needs the tokens trained on: set TrainingArguments(include_num_input_tokens_seen="
                "True), or pass tokens_per_step=... (tokens per optimizer step over all processes)."
            )
        if state.is_world_process_zero:
            self._start(model, state.global_step)

    def on_step_begin(
        self, args: Any, state: Any, control: Any, optimizer: Any = None, lr_scheduler: Any = None, **kwargs: Any
    ) -> None:
        # The scheduler steps after the optimizer, so the rate now is the one this step's update uses.
        self._lr = learning_rate(optimizer, lr_scheduler)

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if not state.is_world_process_zero:
            return
        if self.tokens_per_step is not None:
            tokens = self.tokens_per_step * state.global_step
        else:
            tokens = int(state.num_input_tokens_seen)
            if tokens <= 0:
                raise LawfitError(
                    "The Trainer counted no input tokens (its model's main_input_name is not in the batches?): "
                    "pass LawfitCallback(tokens_per_step=...)."
                )
        self._recorder.step(state.global_step, lr=self._lr, tokens=tokens)

    def on_log(self, args: Any, state: Any, control: Any, logs: Any = None, **kwargs: Any) -> None:
        if state.is_world_process_zero and logs and "loss" in logs:
            self._recorder.loss(state.global_step, logs["loss"])

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if state.is_world_process_zero:
            self._recorder.close()
