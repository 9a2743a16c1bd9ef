"""Training hooks: tiny models trained on CPU with the real Trainers, recording curves that lawfit then loads."""

from __future__ import annotations

import importlib
import json
import math
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

import lawfit
from lawfit.curves import load_curves
from lawfit.errors import LawfitError
from lawfit.hooks._record import COLUMNS, Recorder

VOCAB, SEQ, BATCH = 64, 16, 4


def _final_runs(table: pd.DataFrame) -> lawfit.Runs:
    """The last row with a loss of each run, as final-loss runs."""
    return lawfit.load_runs(table.dropna(subset=["loss"]).groupby("run").tail(1))


# ---------------------------------------------------------------- the file, without a framework


def _recorder(path, run="a", params=10):
    recorder = Recorder(path, run=run, flops=None, owner="LawfitCallback")
    recorder.params = params
    return recorder


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_rows_are_flushed_as_they_come_and_a_resumed_run_continues(tmp_path, suffix) -> None:
    path = tmp_path / f"curves{suffix}"
    other = _recorder(path, run="b")
    other.open(0)
    other.step(1, lr=0.5, tokens=8)
    other.loss(1, 3.0)
    other.close()

    first = _recorder(path)
    assert first.open(0) == 0
    for step in range(1, 5):
        first.step(step, lr=0.1 * step, tokens=100 * step)
        if step % 2:
            first.loss(step, 4.0 - step / 10)
    # Written before close: a crash now leaves steps 1-3 (step 4 waits for a loss that may still come).
    assert _recorder(path).table()["step"].tolist() == [1, 2, 3]
    assert first.table()["step"].tolist() == [1, 2, 3, 4]
    first.close()
    assert _recorder(path).table()["step"].tolist() == [1, 2, 3, 4]

    # Resumed from a checkpoint at step 3: the rows after it go, D continues from the file.
    resumed = _recorder(path)
    assert resumed.open(3) == 300
    resumed.step(4, lr=0.9, tokens=450)
    resumed.loss(4, 3.5)
    resumed.close()
    table = resumed.table()
    assert table.columns.tolist() == list(COLUMNS)
    assert table["step"].tolist() == [1, 2, 3, 4]
    assert table["lr"].tolist() == [0.1, 0.2, 0.30000000000000004, 0.9]
    assert table["loss"].isna().tolist() == [False, True, False, False]
    assert table["D"].tolist() == [100, 200, 300, 450]
    assert table["C"].tolist() == [6.0 * 10 * d for d in (100, 200, 300, 450)]
    assert pd.api.types.is_string_dtype(table["run"])
    assert table.dtypes.iloc[1:].astype(str).tolist() == ["int64", "float64", "float64", "int64", "int64", "float64"]
    assert _recorder(path, run="b").table()["loss"].tolist() == [3.0]  # the other run is kept

    curves = {curve.name: curve for curve in load_curves(path)}
    assert curves["a"].step.tolist() == [1, 3, 4]
    assert curves["a"].lr.tolist() == [0.1, 0.2, 0.30000000000000004, 0.9]  # the rates of steps 1..4
    assert sorted(_final_runs(pd.concat([table, _recorder(path, run="b").table()])).table["loss"]) == [3.0, 3.5]

    # Started again from scratch: the run is replaced.
    again = _recorder(path)
    again.open(0)
    again.close()
    assert again.table().empty and not _recorder(path, run="b").table().empty


def test_the_file_format_is_plain(tmp_path) -> None:
    csv_recorder = _recorder(tmp_path / "a.csv", run="NA, then")
    csv_recorder.open(0)
    csv_recorder.step(1, lr=1e-3, tokens=64)
    csv_recorder.close()
    lines = (tmp_path / "a.csv").read_text().splitlines()
    assert lines == ["run,step,loss,lr,N,D,C", '"NA, then",1,,0.001,10,64,3840.0']
    assert csv_recorder.table()["run"].tolist() == ["NA, then"]

    jsonl = _recorder(tmp_path / "a.jsonl")
    jsonl.open(0)
    jsonl.step(1, lr=1e-3, tokens=64)
    jsonl.close()
    record = json.loads((tmp_path / "a.jsonl").read_text())
    assert record == {"run": "a", "step": 1, "loss": None, "lr": 0.001, "N": 10, "D": 64, "C": 3840.0}


def test_a_flops_function_replaces_6ND(tmp_path) -> None:
    recorder = Recorder(tmp_path / "c.csv", run=None, flops=lambda n, d: 8 * n * d, owner="LawfitCallback")
    recorder.params = 10
    recorder.open(0)
    recorder.step(1, lr=1.0, tokens=5)
    recorder.loss(1, 2.0)
    assert recorder.table()["C"].tolist() == [400.0] and recorder.run == "c"
    bad = Recorder(tmp_path / "d.csv", run=None, flops=lambda n, d: float("nan"), owner="LawfitCallback")
    bad.open(0)
    bad.step(1, lr=1.0, tokens=5)
    with pytest.raises(LawfitError, match="flops function gave nan for N=0, D=5"):
        bad.loss(1, 2.0)
    recorder.close()
    bad.close()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"path": "curves.txt"}, "The 'path' parameter of LawfitCallback must be a path ending in .csv or .jsonl"),
        ({"run": " "}, "The 'run' parameter of LawfitCallback must be a non-empty string. Got ' ' instead."),
        ({"flops": 6}, r"The 'flops' parameter of LawfitCallback must be a function flops\(N, D\)"),
    ],
)
def test_bad_settings_are_refused(tmp_path, kwargs, message) -> None:
    settings = {"path": tmp_path / "x.csv", "run": None, "flops": None} | kwargs
    with pytest.raises(LawfitError, match=message):
        Recorder(settings.pop("path"), owner="LawfitCallback", **settings)


def test_a_file_of_something_else_is_not_overwritten(tmp_path) -> None:
    path = tmp_path / "runs.csv"
    path.write_text("N,D,loss\n1,2,3\n")
    with pytest.raises(LawfitError, match=r"runs.csv exists and is not a file of lawfit's training hooks"):
        _recorder(path).open(0)
    assert path.read_text() == "N,D,loss\n1,2,3\n"


def test_importing_lawfit_hooks_imports_no_framework() -> None:
    code = "import sys, lawfit, lawfit.hooks; print(sorted({'torch', 'transformers', 'lightning'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize(
    ("module", "blocked", "extra"),
    [
        ("lawfit.hooks.transformers", ["transformers"], "transformers"),
        ("lawfit.hooks.lightning", ["lightning", "lightning.pytorch", "pytorch_lightning"], "lightning"),
    ],
)
def test_a_missing_framework_says_what_to_install(monkeypatch, module, blocked, extra) -> None:
    for name in blocked:
        monkeypatch.setitem(sys.modules, name, None)  # None in sys.modules makes `import name` fail
    monkeypatch.delitem(sys.modules, module, raising=False)
    with pytest.raises(LawfitError, match=rf"pip install 'lawfit\[{extra}\]'"):
        importlib.import_module(module)


# ---------------------------------------------------------------- Hugging Face transformers


def _token_dataset(torch, n: int, seed: int = 0):
    ids = torch.randint(VOCAB, (n, SEQ), generator=torch.Generator().manual_seed(seed))

    class Tokens(torch.utils.data.Dataset):
        def __len__(self) -> int:
            return n

        def __getitem__(self, i: int) -> dict:
            return {"input_ids": ids[i], "labels": ids[i]}

    return Tokens()


def _train_gpt2(tmp_path, hook, **arguments):
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    torch.manual_seed(0)
    config = transformers.GPT2Config(n_layer=1, n_head=2, n_embd=16, vocab_size=VOCAB, n_positions=32)
    model = transformers.GPT2LMHeadModel(config)
    settings = {
        "output_dir": str(tmp_path / "out"),
        "max_steps": 12,
        "per_device_train_batch_size": BATCH,
        "logging_steps": 1,
        "learning_rate": 1e-3,
        "lr_scheduler_type": "cosine",
        "warmup_steps": 2,
        "report_to": [],
        "use_cpu": True,
        "save_strategy": "no",
        "disable_tqdm": True,
        "seed": 0,
    }
    args = transformers.TrainingArguments(**(settings | arguments))
    trainer = transformers.Trainer(model=model, args=args, train_dataset=_token_dataset(torch, 48), callbacks=[hook])
    trainer.train()
    return trainer, model


def _hf_cosine(step: int, peak: float = 1e-3, warmup: int = 2, total: int = 12) -> float:
    """The rate of optimizer step `step` (from 1) under transformers' warmup + cosine, whose lambda gets step - 1."""
    s = step - 1
    if s < warmup:
        return peak * s / warmup
    return peak * max(0.0, 0.5 * (1.0 + math.cos(math.pi * (s - warmup) / (total - warmup))))


def test_transformers_callback_records_every_step(tmp_path) -> None:
    from lawfit.hooks.transformers import LawfitCallback

    path = tmp_path / "curves" / "gpt.csv"
    hook = LawfitCallback(path, run="tiny-gpt2")
    trainer, model = _train_gpt2(tmp_path, hook, include_num_input_tokens_seen=True)

    table = hook.table()
    assert table.equals(pd.read_csv(path, dtype={"run": str}))
    assert table["run"].unique().tolist() == ["tiny-gpt2"]
    assert table["step"].tolist() == list(range(1, 13))
    np.testing.assert_allclose(table["lr"], [_hf_cosine(s) for s in range(1, 13)], rtol=1e-12, atol=0)
    logged = {entry["step"]: entry["loss"] for entry in trainer.state.log_history if "loss" in entry}
    assert np.isfinite(table["loss"]).all() and table["loss"].tolist() == [logged[s] for s in range(1, 13)]
    n = sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert (table["N"] == n).all()
    assert table["D"].tolist() == [BATCH * SEQ * s for s in range(1, 13)]
    assert table["C"].tolist() == [6.0 * n * d for d in table["D"]]

    (curve,) = load_curves(path)
    # Step 1's update used a rate of 0 (the warmup's start): no learning rate summed yet, so load_curves drops it.
    assert curve.name == "tiny-gpt2" and curve.step.tolist() == list(range(2, 13))
    assert "dropped 1 loss(es) logged before the learning rate was ever above 0" in curve.note
    assert curve.steps == 12  # a run of 12 updates: steps 1..12 (lawfit.curves)
    np.testing.assert_allclose(curve.lr, table["lr"])
    np.testing.assert_allclose(curve.loss, table["loss"][1:])
    runs = _final_runs(table)
    assert runs.column("N").tolist() == [n] and runs.column("D").tolist() == [BATCH * SEQ * 12]
    assert runs.column("loss").tolist() == [logged[12]]


def test_transformers_callback_with_tokens_per_step_and_sparse_logs(tmp_path) -> None:
    from lawfit.hooks.transformers import LawfitCallback

    hook = LawfitCallback(tmp_path / "gpt.jsonl", tokens_per_step=BATCH * SEQ, non_embedding=True)
    _, model = _train_gpt2(tmp_path, hook, logging_steps=4)
    table = hook.table()
    assert table["run"].unique().tolist() == ["gpt"]
    assert table["step"].tolist() == list(range(1, 13))
    assert table["loss"].notna().tolist() == [s % 4 == 0 for s in range(1, 13)]
    np.testing.assert_allclose(table["lr"], [_hf_cosine(s) for s in range(1, 13)], rtol=1e-12, atol=0)
    assert table["D"].tolist() == [BATCH * SEQ * s for s in range(1, 13)]
    # GPT-2's token and position embeddings (the output layer is tied to the first) are left out.
    embeddings = model.transformer.wte.weight.numel() + model.transformer.wpe.weight.numel()
    assert (table["N"] == sum(p.numel() for p in model.parameters()) - embeddings).all()
    (curve,) = load_curves(tmp_path / "gpt.jsonl")
    assert curve.step.tolist() == [4, 8, 12]
    np.testing.assert_allclose(curve.lr, table["lr"])  # every step's rate, though the loss is sparse


def test_transformers_callback_needs_a_token_count(tmp_path) -> None:
    from lawfit.hooks.transformers import LawfitCallback

    with pytest.raises(LawfitError, match="include_num_input_tokens_seen=True"):
        _train_gpt2(tmp_path, LawfitCallback(tmp_path / "gpt.csv"))
    with pytest.raises(LawfitError, match="The 'tokens_per_step' parameter of LawfitCallback must be an integer >= 1"):
        LawfitCallback(tmp_path / "gpt.csv", tokens_per_step=0)


# ---------------------------------------------------------------- Lightning


def _train_lightning(tmp_path, hook, *, accumulate: int = 1, max_steps: int = 10):
    torch = pytest.importorskip("torch")
    lightning = pytest.importorskip("lightning.pytorch")

    class TinyLM(lightning.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.embed = torch.nn.Embedding(VOCAB, 16)
            self.head = torch.nn.Linear(16, VOCAB)
            self.losses: list[float] = []  # what training_step returned, batch by batch

        def training_step(self, batch, batch_idx):
            logits = self.head(self.embed(batch[:, :-1]))
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, VOCAB), batch[:, 1:].reshape(-1))
            self.losses.append(loss.item())
            return loss

        def configure_optimizers(self):
            optimizer = torch.optim.SGD(self.parameters(), lr=0.1)
            scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.5)
            return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}

    torch.manual_seed(0)
    ids = torch.randint(VOCAB, (40, SEQ), generator=torch.Generator().manual_seed(0))
    loader = torch.utils.data.DataLoader(ids, batch_size=BATCH)  # batches are tensors of token ids
    module = TinyLM()
    trainer = lightning.Trainer(
        max_steps=max_steps,
        accumulate_grad_batches=accumulate,
        accelerator="cpu",
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        callbacks=[hook],
    )
    with warnings.catch_warnings():
        # Lightning advises more DataLoader workers for speed; a 10-batch CPU run in the test process needs none.
        warnings.filterwarnings("ignore", message=r".*does not have many workers", category=UserWarning)
        # Lightning's pytree helper (2.6.6) builds torch's LeafSpec, which torch 2.13 deprecates: theirs to fix.
        warnings.filterwarnings(
            "ignore", message=r"`isinstance\(treespec, LeafSpec\)` is deprecated", category=FutureWarning
        )
        trainer.fit(module, loader)
    return module


@pytest.mark.parametrize("accumulate", [1, 2])
def test_lightning_callback_records_every_step(tmp_path, accumulate) -> None:
    from lawfit.hooks.lightning import LawfitCallback

    path = tmp_path / "lm.csv"
    hook = LawfitCallback(path)
    module = _train_lightning(tmp_path, hook, accumulate=accumulate)
    table = hook.table()
    steps = list(range(1, 11))
    assert table["run"].unique().tolist() == ["lm"] and table["step"].tolist() == steps
    assert table["lr"].tolist() == [0.1 * 0.5 ** ((s - 1) // 3) for s in steps]  # StepLR(3, 0.5), per step
    losses = np.reshape(module.losses, (10, accumulate)).mean(axis=1)
    np.testing.assert_allclose(table["loss"], losses, rtol=1e-6)
    n = sum(p.numel() for p in module.parameters() if p.requires_grad)
    assert (table["N"] == n).all()
    assert table["D"].tolist() == [BATCH * SEQ * accumulate * s for s in steps]
    assert table["C"].tolist() == [6.0 * n * d for d in table["D"]]

    (curve,) = load_curves(path)
    assert curve.step.tolist() == steps and curve.steps == 10
    np.testing.assert_allclose(curve.lr, table["lr"])
    runs = _final_runs(table)
    assert runs.column("D").tolist() == [BATCH * SEQ * accumulate * 10]


def test_lightning_callback_refuses_batches_it_cannot_count(tmp_path) -> None:
    from lawfit.hooks.lightning import _count_tokens

    torch = pytest.importorskip("torch")
    ids = torch.zeros(2, 5, dtype=torch.long)
    assert _count_tokens(ids) == _count_tokens({"input_ids": ids}) == _count_tokens((ids, ids)) == 10
    with pytest.raises(LawfitError, match=r"cannot count the tokens of a batch of type dict.*tokens_per_batch"):
        _count_tokens({"pixels": ids})
