"""One vocabulary for the `lawfit` command: every verb and option has help; one name per concept (the objective,
a target loss, a compute budget, steps); one default level and curve law; one JSON shape for intervals; messages in
the command's words; plans far beyond the runs warn; the demo quotes its data's provenance.

The vocabulary itself is the table in README.md's section "The command's vocabulary".
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import pytest

import lawfit
from lawfit.cli import _parser, main
from lawfit.cli import fitting as cli_fitting

LLAMA3 = Path(__file__).parent / "data" / "llama3_isoflops_points.csv"  # see tests/data/PROVENANCE.md
LLAMA3_COLS = ["--col", "C=compute_budget", "--col", "D=training_tokens", "--col", "loss=validation_loss"]
CHINCHILLA_240 = ["--dataset", "chinchilla", "--drop-highest-loss", "5"]
MPL = Path(__file__).parent / "data" / "mpl" / "csv_25"  # see tests/data/mpl/PROVENANCE.md
COSINE_72K = "cosine:steps=72000,final=3e-5,warmup=2160,peak=3e-4"

# Options that name a concept the vocabulary gives another name (README: "The command's vocabulary").
FORBIDDEN = {
    "--at": "--compute (a budget) or --at-step (steps)",
    "--target-compute": "--compute",
    "--budget": "--compute (the budget planned) or --spend (the FLOPs of proposed runs)",
    "--steps-at": "--at-step",
}


def _verbs(parser: argparse.ArgumentParser, prefix: str = "") -> list[tuple[str, str, argparse.ArgumentParser]]:
    """Every verb and sub-verb: (name, its help in the parent's list, its parser)."""
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help for choice in action._choices_actions}
            for name, sub in action.choices.items():
                found.append((f"{prefix}{name}", helps.get(name), sub))
                found += _verbs(sub, f"{prefix}{name} ")
    return found


def _leaf_verbs() -> list[tuple[str, argparse.ArgumentParser]]:
    verbs = _verbs(_parser())
    parents = {name.rsplit(" ", 1)[0] for name, _, _ in verbs if " " in name}
    return [(name, p) for name, _, p in verbs if name not in parents]


def _options(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    return [a for a in parser._actions if not isinstance(a, argparse._HelpAction | argparse._SubParsersAction)]


def test_every_verb_and_option_has_help() -> None:
    missing = []
    for name, listed, parser in _verbs(_parser()):
        if not listed:
            missing.append(f"verb {name}: no help in the list of verbs")
        if not parser.description:
            missing.append(f"verb {name}: no description")
        for action in _options(parser):
            if not action.help or action.help == argparse.SUPPRESS:
                missing.append(f"{name} {'/'.join(action.option_strings) or action.dest}: no help")
    assert not missing, "\n".join(missing)


def test_no_forbidden_synonyms() -> None:
    for name, parser in _leaf_verbs():
        for action in _options(parser):
            for flag in action.option_strings:
                assert flag not in FORBIDDEN, f"{name} {flag}: write {FORBIDDEN[flag]}"
                if flag == "--loss":  # only as the deprecated name of the objective
                    assert action.dest == "objective" and action.help.startswith("deprecated"), name


def test_one_name_for_the_objective_and_the_target_loss() -> None:
    for name, parser in _leaf_verbs():
        flags = {flag: a for a in _options(parser) for flag in a.option_strings}
        if "--loss" in flags:
            assert "--objective" in flags, f"{name}: --loss without --objective"
        objective = [a for a in _options(parser) if a.dest == "objective"]
        for action in objective:
            assert set(action.option_strings) <= {"--objective", "--loss"}
        targets = [a for a in _options(parser) if a.metavar == "L"]
        assert all(a.option_strings == ["--target-loss"] for a in targets), name


def test_every_level_has_one_default() -> None:
    defaults = {
        (name, flag): action.default
        for name, parser in _leaf_verbs()
        for action in _options(parser)
        for flag in action.option_strings
        if flag.endswith("-level") or flag == "--level"
    }
    assert len(defaults) >= 10 and set(defaults.values()) == {0.9}, defaults


def test_every_budget_is_compute_and_steps_are_never_at() -> None:
    budgets = {}
    for name, parser in _leaf_verbs():
        for action in _options(parser):
            if action.metavar == "C" or action.dest in ("compute", "target_compute", "at"):
                budgets[name] = action.option_strings
            if action.metavar == "STEPS":
                assert action.option_strings == ["--at-step"], name
    assert set(budgets) >= {"optimal", "isoflop", "suggest", "plot", "report"}
    assert all(flags == ["--compute"] for flags in budgets.values()), budgets


def test_one_default_curve_law() -> None:
    laws = {
        name: action.default
        for name, parser in _leaf_verbs()
        if name.startswith("curve ")
        for action in _options(parser)
        if "--law" in action.option_strings
    }
    assert set(laws) == {"curve fit", "curve forecast"} and len(set(laws.values())) == 1, laws


def test_global_options_parse_after_every_verb() -> None:
    for name, parser in _leaf_verbs():
        flags = {flag for action in _options(parser) for flag in action.option_strings}
        assert {"-q", "--quiet", "--debug"} <= flags, name
    args = _parser().parse_args(["optimal", "fit.json", "--compute", "1e21", "-q", "--debug"])
    assert args.quiet is True and args.debug is True
    args = _parser().parse_args(["curve", "predict", "fit.json", "--schedule", "constant:steps=9,peak=1", "-q"])
    assert args.quiet is True


# ---------------------------------------------------------------------------------------------------------------
# At the command line


@pytest.fixture(scope="module")
def saved_fit(tmp_path_factory, chinchilla_fit_200: lawfit.Fit) -> str:
    path = tmp_path_factory.mktemp("vocabulary") / "chinchilla.json"
    chinchilla_fit_200.save(path)  # 200 draws: the size of the other bootstraps of these runs (tests/conftest.py)
    return str(path)


def _run(argv: list[str], capsys) -> tuple[str, str]:
    assert main(argv) == 0
    out = capsys.readouterr()
    return out.out, out.err


def _intervals_are_one_shape(record: dict) -> int:
    """Every ``intervals`` map in ``record`` (at any depth) holds {value, low, high, level}; returns how many."""
    count = 0
    for key, value in record.items():
        if key == "intervals":
            for name, interval in value.items():
                assert set(interval) == {"value", "low", "high", "level"}, (name, interval)
                assert interval["level"] == 0.9 or interval["level"] == 0.8
                count += 1
        elif isinstance(value, dict):
            count += _intervals_are_one_shape(value)
        if key in ("low", "high", "noise_low", "noise_high", "N_low", "at"):
            raise AssertionError(f"an interval outside 'intervals': {key}")
    return count


def test_the_objective_is_objective_and_loss_is_a_deprecated_alias(capsys) -> None:
    out, err = _run(["fit", *CHINCHILLA_240, "--law", "power", "--objective", "mse-log", "--json"], capsys)
    record = json.loads(out)
    assert record["objective_settings"]["name"] == "mse-log" and "loss" not in record and not err
    out, err = _run(["fit", *CHINCHILLA_240, "--law", "power", "--loss", "mse-log", "--json"], capsys)
    assert json.loads(out)["objective_settings"]["name"] == "mse-log"
    assert err.strip().splitlines() == [
        "lawfit: note: --loss mse-log is deprecated as the objective and goes in the next release; "
        "write --objective mse-log"
    ]


def test_planning_options_have_one_name_each(saved_fit: str, capsys) -> None:
    out, _ = _run(["target", saved_fit, "--target-loss", "2.0", "--json"], capsys)
    assert json.loads(out)["loss"] == [pytest.approx(2.0)]
    out, _ = _run(["inference", saved_fit, "--target-loss", "2.1", "--inference-tokens", "1e13", "--json"], capsys)
    assert json.loads(out)["loss"] == 2.1
    out, _ = _run(["suggest", saved_fit, "--compute", "1e22", "--runs", "2", "--spend", "1e21", "--json"], capsys)
    record = json.loads(out)
    assert record["C"] == 1e22 and record["spend"] == 1e21
    for old, new in (
        (["target", saved_fit, "--loss", "2.0"], "--target-loss"),
        (["suggest", saved_fit, "--target-compute", "1e22", "--spend", "1e21"], "--compute"),
        (["isoflop", str(LLAMA3), *LLAMA3_COLS, "--at", "1e23"], "unrecognized arguments: --at"),
    ):
        assert main(old) == 2
        assert new in capsys.readouterr().err


def test_every_interval_in_json_has_one_shape(saved_fit: str, tmp_path: Path, capsys) -> None:
    shapes = 0
    for argv in (
        ["predict", saved_fit, "N=7e10", "D=1.4e12,2.8e12"],
        ["optimal", saved_fit, "--compute", "1e21,1e22"],
        ["target", saved_fit, "--target-loss", "2.1"],
        ["inference", saved_fit, "--target-loss", "2.1", "--inference-tokens", "1e13"],
        ["isoflop", str(LLAMA3), *LLAMA3_COLS, "--x", "D", "--bootstrap", "50", "--compute", "1e23"],
        ["backtest", *CHINCHILLA_240, "--law", "chinchilla", "--holdout", "2", "--bootstrap", "50"],
    ):
        out, _ = _run([*argv, "--json"], capsys)
        found = _intervals_are_one_shape(json.loads(out))
        assert found >= 1, argv
        shapes += found
    fit_path = tmp_path / "fit.json"
    out, _ = _run(["fit", *CHINCHILLA_240, "--law", "power", "--bootstrap", "30", "--level", "0.8", "--json"], capsys)
    record = json.loads(out)
    assert _intervals_are_one_shape(record) == 3 and record["intervals"]["E"]["value"] == record["params"]["E"]
    argv = ["curve", "forecast", str(MPL / "cosine_72000.csv"), "--schedule", COSINE_72K, "--fraction", "0.5"]
    out, _ = _run([*argv, "--bootstrap", "20", "--backtests", "5", "--json"], capsys)
    record = json.loads(out)
    assert _intervals_are_one_shape(record) == 2 and record["intervals"]["loss"]["value"] == record["loss"]
    assert not fit_path.exists() and shapes >= 10


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["optimal", "{fit}", "--compute", "1e24"], "C = 1e+24 is 77.2 times the largest training value"),
        (["target", "{fit}", "--target-loss", "1.9"], "Extrapolation: C = "),
        (["suggest", "{fit}", "--compute", "1e25", "--runs", "1", "--spend", "1e20"], "C = 1e+25 is "),
        (["inference", "{fit}", "--target-loss", "1.9", "--inference-tokens", "1e13"], "Extrapolation"),
        (["isoflop", str(LLAMA3), *LLAMA3_COLS, "--x", "D", "--compute", "3.8e25"], "C = 3.8e+25 is 3.8e+03 times"),
    ],
)
def test_plans_far_beyond_the_runs_warn(argv: list[str], needle: str, saved_fit: str, capsys) -> None:
    _, err = _run([arg.replace("{fit}", saved_fit) for arg in argv], capsys)
    warned = [line for line in err.splitlines() if line.startswith("lawfit: warning: ExtrapolationWarning: ")]
    assert any(needle in line for line in warned), err


def test_plans_within_the_runs_do_not_warn(saved_fit: str, capsys) -> None:
    _, err = _run(["optimal", saved_fit, "--compute", "1e21"], capsys)
    assert "Warning" not in err


@pytest.mark.parametrize(
    ("argv", "needle", "python"),
    [
        (["suggest", "{fit}", "--compute", "1e24", "--spend", "0"], "--spend must be a positive number", "'budget'"),
        (["optimal", "{fit}", "--compute", "1e21", "--level", "2"], "--level must be", "'level'"),
        (["fit", "{runs}", "--law", "power"], "--format", "pass format="),
    ],
)
def test_errors_speak_the_command_s_words(argv, needle: str, python: str, saved_fit: str, tmp_path, capsys) -> None:
    runs = tmp_path / "runs.weird"
    runs.write_text("N,loss\n1e8,3\n")
    assert main([arg.replace("{fit}", saved_fit).replace("{runs}", str(runs)) for arg in argv]) == 2
    err = capsys.readouterr().err
    assert needle in err and python not in err, err


def test_planning_errors_name_the_verb_not_the_function(tmp_path: Path, capsys) -> None:
    path = tmp_path / "power.json"
    lawfit.fit(lawfit.datasets.chinchilla(drop_highest_loss=5), "power").save(path)
    for verb, extra in (("optimal", ["--compute", "1e21"]), ("target", ["--target-loss", "2.5"])):
        assert main([verb, str(path), *extra]) == 2
        err = capsys.readouterr().err
        assert f"lawfit: error: lawfit {verb} needs a law of N and D" in err and "compute_" not in err, err


def test_backtest_table_points_to_json_not_python(capsys) -> None:
    out, _ = _run(["backtest", *CHINCHILLA_240, "--law", "chinchilla"], capsys)
    assert "more rows with --json" in out and ".table" not in out


def test_warnings_speak_the_command_s_words(tmp_path: Path, capsys) -> None:
    import numpy as np
    import pandas as pd

    n = np.logspace(6, 9, 10)
    pd.DataFrame({"params": n, "final_loss": 2.0 + 300 * n**-0.3}).to_csv(tmp_path / "runs.csv", index=False)
    out, err = _run(["fit", str(tmp_path / "runs.csv"), "--formula", "E + A*B*N**-alpha"], capsys)  # A, B: one
    assert "lawfit: warning: IdentifiabilityWarning: Weakly identified parameters" in err
    for text in (out, err):
        assert "Law.fix" not in text and "fix one (write its value as a number in a --formula)" in text
    from lawfit.cli._common import in_cli_words

    assert "max_steps" not in in_cli_words("did not converge: ... Raise max_steps or check the law for flat directions")


def test_demo_quotes_its_data_s_provenance(tmp_path: Path, monkeypatch, capsys) -> None:
    provenance = (Path(lawfit.__file__).parent / "datasets" / "PROVENANCE.md").read_text(encoding="utf-8")
    published = re.search(r"alpha = ([\d.]+), beta = ([\d.]+), E = ([\d.]+)", provenance)
    assert published is not None
    monkeypatch.setattr(cli_fitting, "_demo_folder", lambda args: tmp_path)
    monkeypatch.setattr(cli_fitting, "_demo_files", lambda *args, **kwargs: None)
    out, _ = _run(["demo"], capsys)
    alpha, beta, e = published.groups()
    assert f"alpha={alpha}, beta={beta}, E={e}" in out and "0.3478" not in out and "0.3658" not in out


def test_predict_with_sizes_of_different_lengths_is_one_clear_error(saved_fit: str, capsys) -> None:
    # Before: a JAX broadcasting traceback.
    assert main(["predict", saved_fit, "N=1e9,7e10,1e11", "D=2e10,1.4e12"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "shapes that do not combine (N: 3 values, D: 2 values)" in err


def test_a_formula_parameter_named_like_an_input_warns(capsys) -> None:
    # Before: 'n' for 'N' silently became a fitted constant.
    argv = ["fit", *CHINCHILLA_240, "--formula", "E + A/n**alpha + B/D**beta", "-q"]
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert "lawfit: warning: FormulaWarning: Formula 'E + A/n**alpha + B/D**beta' fits 'n' as a parameter" in err
    assert "write N for n" in err
    assert main(["fit", *CHINCHILLA_240, "--formula", "E + A/N**alpha + B/D**beta", "-q"]) == 0
    assert "FormulaWarning" not in capsys.readouterr().err
