"""Training hooks: callbacks that record, while a model trains, the curve and the sizes that lawfit fits.

Each optimizer step becomes one row ``run, step, loss, lr, N, D, C`` of a CSV or JSON Lines file, written and
flushed as training goes, so a run that crashes still leaves its curve:

- ``run``: the run's name (default: the file name without its suffix);
- ``step``: the optimizer step, counted from 1: the framework's global step after the update;
- ``loss``: the training loss the framework reports for that step (empty where it reported none);
- ``lr``: the learning rate of the first parameter group, the one that step's update used;
- ``N``: the trainable parameters of the model (``non_embedding=True`` leaves out those of embedding layers);
- ``D``: the tokens trained on so far, this step's included;
- ``C``: the training FLOPs so far, ``6 * N * D`` unless a function ``flops(N, D)`` is given.

The file is a curve table for :func:`lawfit.curves.load_curves` and ``lawfit curve fit``, in the step convention of
:mod:`lawfit.curves` (a run of S updates is a curve of S steps, whose schedule ``lr[k - 1]`` is the ``lr`` of step
``k``), and the last row of each run with a loss is a final-loss run for :func:`lawfit.load_runs`. Two modules, each
importing its framework:

- :mod:`lawfit.hooks.transformers`: ``LawfitCallback`` for a Hugging Face ``Trainer``
  (``pip install 'lawfit[transformers]'``);
- :mod:`lawfit.hooks.lightning`: ``LawfitCallback`` for a Lightning ``Trainer`` (``pip install 'lawfit[lightning]'``).

Importing :mod:`lawfit.hooks` itself imports neither, nor torch.
"""
