"""User formulas: evaluation against numpy, parameter discovery and defaults, refusals, overrides."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lawfit._jax import jax, jnp
from lawfit.errors import FormulaError
from lawfit.laws import ParamSpec, formula_law
from lawfit.laws.power import power

N = np.array([1e6, 3e7, 1e9, 7e10])
D = np.array([2e7, 5e8, 2e10, 1.4e12])
C = 6 * N * D


def evaluate(text: str, params: dict[str, float], **inputs: np.ndarray) -> np.ndarray:
    law = formula_law(text)
    values = {k: jnp.asarray(v) for k, v in params.items()}
    arrays = {k: jnp.asarray(v) for k, v in inputs.items()}
    return np.asarray(law.fn(values, arrays))


CHINCHILLA = {"E": 1.69, "A": 406.4, "alpha": 0.34, "B": 410.7, "beta": 0.28}


def chinchilla_numpy(p: dict[str, float]) -> np.ndarray:
    return p["E"] + p["A"] / N ** p["alpha"] + p["B"] / D ** p["beta"]


@pytest.mark.parametrize(
    "text",
    [
        "E + A/N**alpha + B/D**beta",
        "E + A/N^alpha + B/D^beta",
        "E + A * N**-alpha + B * D^-beta",
        "E+A/(N**alpha)+B/(D**(beta))",
        "E + A/N**alpha\n    + B/D**beta",
        "E + A/N**alpha  # model size\n+ B/D**beta  # data",
    ],
)
def test_chinchilla_forms_match_numpy(text: str) -> None:
    got = evaluate(text, CHINCHILLA, N=N, D=D)
    np.testing.assert_allclose(got, chinchilla_numpy(CHINCHILLA), rtol=1e-13)


def test_caret_is_power_with_python_precedence() -> None:
    # ^ binds tighter than * and +, like **, not like Python's xor.
    got = evaluate("a + 2*N^b^2", {"a": 1.0, "b": 0.5}, N=N)
    np.testing.assert_allclose(got, 1.0 + 2 * N ** (0.5**2), rtol=1e-13)


def test_kaplan_bracket_form_matches_numpy() -> None:
    p = {"Nc": 8.8e13, "aN": 0.076, "aD": 0.095, "Dc": 5.4e13}
    got = evaluate("[(Nc/N)**(aN/aD) + Dc/D]**aD", p, N=N, D=D)
    want = ((p["Nc"] / N) ** (p["aN"] / p["aD"]) + p["Dc"] / D) ** p["aD"]
    np.testing.assert_allclose(got, want, rtol=1e-13)


def test_nested_square_brackets() -> None:
    got = evaluate("[a*[N + [D]]]^b", {"a": 2.0, "b": 0.5}, N=N, D=D)
    np.testing.assert_allclose(got, (2.0 * (N + D)) ** 0.5, rtol=1e-13)


@pytest.mark.parametrize(
    ("text", "numpy_fn"),
    [
        ("a * exp(-k*D/1e9)", lambda a, k: a * np.exp(-k * D / 1e9)),
        ("a * log(N)", lambda a, k: a * np.log(N)),
        ("a * log10(N) + log2(k*D)", lambda a, k: a * np.log10(N) + np.log2(k * D)),
        ("sqrt(a*N) - abs(-k)", lambda a, k: np.sqrt(a * N) - abs(-k)),
        ("tanh(a*N/1e9) + k", lambda a, k: np.tanh(a * N / 1e9) + k),
        ("sigmoid(a*log(N) - k)", lambda a, k: 1 / (1 + np.exp(-(a * np.log(N) - k)))),
        ("softplus(a*log(N) - k)", lambda a, k: np.log1p(np.exp(a * np.log(N) - k))),
        ("+a * -N + 3 - 0.5/k", lambda a, k: a * -N + 3 - 0.5 / k),
    ],
)
def test_functions_and_operators_match_numpy(text: str, numpy_fn) -> None:
    got = evaluate(text, {"a": 0.7, "k": 12.0}, N=N, D=D)
    np.testing.assert_allclose(got, numpy_fn(0.7, 12.0), rtol=1e-12)


def test_grad_matches_finite_difference() -> None:
    law = formula_law("E + A/N**alpha + B/D**beta")
    inputs = {"N": jnp.asarray(N), "D": jnp.asarray(D)}

    def total(alpha: float) -> float:
        return jnp.sum(law.fn({**CHINCHILLA, "alpha": alpha}, inputs))

    grad = float(jax.grad(total)(jnp.asarray(0.34)))
    h = 1e-6
    fd = (float(total(0.34 + h)) - float(total(0.34 - h))) / (2 * h)
    assert grad == pytest.approx(fd, rel=1e-6)
    # Analytic: d/dalpha A N^-alpha = -A log(N) N^-alpha.
    assert grad == pytest.approx(float(np.sum(-406.4 * np.log(N) * N**-0.34)), rel=1e-12)


def test_jit_and_log_fn() -> None:
    law = formula_law("E + A * C**-alpha")
    params = {"E": jnp.asarray(1.5), "A": jnp.asarray(50.0), "alpha": jnp.asarray(0.1)}
    want = 1.5 + 50.0 * C**-0.1
    np.testing.assert_allclose(jax.jit(law.fn)(params, {"C": jnp.asarray(C)}), want, rtol=1e-13)
    np.testing.assert_allclose(law.log_fn(params, {"C": jnp.asarray(C)}), np.log(want), rtol=1e-13)
    assert law.predict({"E": 1.5, "A": 50.0, "alpha": 0.1}, C=C).dtype == np.float64


def test_parameters_in_order_of_first_appearance_and_inputs_in_canonical_order() -> None:
    law = formula_law("B/D**beta + E + A/N**alpha + B*0")
    assert law.param_names == ("B", "beta", "E", "A", "alpha")
    assert law.inputs == ("N", "D")
    assert formula_law("k*C + exp(-z*D)").inputs == ("D", "C")
    assert formula_law("[(Nc/N)**(aN/aD) + Dc/D]**aD").param_names == ("Nc", "aN", "aD", "Dc")


def test_law_metadata_and_spec() -> None:
    law = formula_law("  E + A/N^alpha  ", name="mine")
    assert law.name == "mine"
    assert law.formula == "E + A / N ** alpha"
    assert law.spec == {"formula": "E + A/N^alpha"}
    assert law.guess is None
    assert formula_law("E + A/N**alpha").name == "formula"


def by_name(text: str) -> dict[str, ParamSpec]:
    return {p.name: p for p in formula_law(text).params}


def test_default_specs_follow_where_parameters_appear() -> None:
    specs = by_name("E + A/N**alpha + B*D**-beta + G*C**gamma + exp(-k*D)")
    for coefficient in ("E", "A", "B", "G", "k"):
        assert specs[coefficient].scale == "log"
        assert specs[coefficient].lower == 0.0
        assert set(specs[coefficient].grid) <= {1e-2, 1.0, 1e2, 1e4, 1e6, 1e9}
    small = by_name("E + A/N**alpha + exp(-k*D)")
    assert small["k"].grid == (1e-2, 1.0, 1e2, 1e4, 1e6, 1e9)
    assert small["alpha"].grid == (0.1, 0.3, 0.6, 1.0)
    for positive in ("alpha", "beta"):
        assert (specs[positive].scale, specs[positive].lower) == ("linear", 0.0)
        assert set(specs[positive].grid) <= {0.1, 0.3, 0.6, 1.0}
    assert (specs["gamma"].scale, specs["gamma"].lower, specs["gamma"].upper) == (
        "linear",
        -math.inf,
        math.inf,
    )
    assert min(specs["gamma"].grid) < 0 < max(specs["gamma"].grid)


def test_default_specs_for_compound_exponents() -> None:
    # Factors of an exponent in a denominator are expected positive; in the numerator the sign is open.
    specs = by_name("A/N**(a*b) + B*D**(c/d) + F/C**(g + h)")
    assert all(specs[x].lower == 0.0 and specs[x].scale == "linear" for x in "ab")
    assert all(specs[x].lower == -math.inf for x in "cdgh")
    # A/N**-alpha shrinks with N only for alpha < 0.
    assert by_name("A/N**-alpha")["alpha"].lower == -math.inf
    # A name that is also a coefficient is treated as one.
    assert by_name("a/N**a")["a"].scale == "log"
    # Kaplan's exponents sit in numerators: either sign.
    kaplan = by_name("[(Nc/N)**(aN/aD) + Dc/D]**aD")
    assert kaplan["aN"].lower == kaplan["aD"].lower == -math.inf
    assert kaplan["Nc"].scale == kaplan["Dc"].scale == "log"


def test_default_grids_are_thinned_to_the_cap() -> None:
    text = " + ".join(f"a{i}*N**-b{i}" for i in range(6))
    law = formula_law(text)
    assert 1_000 < len(law.start_grid()) <= 20_000
    for p in law.params:
        full = (1e-2, 1.0, 1e2, 1e4, 1e6, 1e9) if p.scale == "log" else (0.1, 0.3, 0.6, 1.0)
        assert set(p.grid) <= set(full)
        assert (p.grid[0], p.grid[-1]) == (full[0], full[-1])
    # A small law keeps its full grids.
    assert len(formula_law("E + A/N**alpha + B/D**beta").start_grid()) == 6**3 * 4**2


def test_overrides_by_dict_and_paramspec() -> None:
    law = formula_law(
        "E + A/N**alpha",
        params={"alpha": {"upper": 2.0, "grid": [0.2, 0.4]}, "E": ParamSpec("E", lower=1.0, grid=(1.5,))},
    )
    specs = {p.name: p for p in law.params}
    assert specs["alpha"] == ParamSpec("alpha", lower=0.0, upper=2.0, scale="linear", grid=(0.2, 0.4))
    assert specs["E"] == ParamSpec("E", lower=1.0, grid=(1.5,))
    assert specs["A"].scale == "log"
    assert law.param_names == ("E", "A", "alpha")
    assert law.spec["params"] == {
        "E": {"lower": 1.0, "upper": math.inf, "scale": "linear", "grid": [1.5]},
        "alpha": {"lower": 0.0, "upper": 2.0, "scale": "linear", "grid": [0.2, 0.4]},
    }


def test_spec_survives_json_and_rebuilds_the_same_law() -> None:
    text = "E + A*N**gamma + B/D**beta"
    law = formula_law(text, params={"gamma": {"upper": 0.0, "grid": (-0.3, -0.1)}, "B": {"scale": "linear"}})
    spec = json.loads(json.dumps(law.spec))
    rebuilt = formula_law(spec["formula"], params=spec.get("params"))
    assert rebuilt.params == law.params
    assert rebuilt.spec == law.spec
    assert rebuilt.key == law.key
    plain = formula_law(text)
    assert "params" not in plain.spec
    assert formula_law(plain.spec["formula"]).params == plain.params


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"gamma": {"lower": 0.0}}, r"'gamma'.*parameters are \['E', 'A', 'alpha'\]"),
        ({"N": {"lower": 0.0}}, r"'N'"),
        ({"alpha": {"lowr": 0.0}}, "lowr"),
        ({"alpha": {"lower": "zero"}}, "zero"),
        ({"alpha": {"grid": "0.1"}}, "grid"),
        ({"alpha": {"scale": "log", "lower": -1.0}}, "lower >= 0"),
        ({"alpha": {"lower": 2.0, "upper": 1.0}}, "lower < upper"),
        ({"alpha": ParamSpec("beta")}, "beta"),
        ({"alpha": 0.5}, "alpha"),
    ],
)
def test_bad_overrides_are_refused(params: dict, match: str) -> None:
    with pytest.raises(FormulaError, match=match):
        formula_law("E + A/N**alpha", params=params)


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("__import__('os')", ["__import__"]),
        ("E + os.system('ls')", ["os.system"]),
        ("N.__class__", ["N.__class__", "Attribute"]),
        ("a * x[0] + N", ["x[0]", "Subscript"]),
        ("lambda: 1", ["lambda: 1"]),
        ("N if D else C", ["N if D else C", "Conditional"]),
        ('"a"', ['"a"', "String"]),
        ("a * foo(N)", ["foo", "Unknown function"]),
        ("a * exp(N, D)", ["exp(N, D)", "one argument"]),
        ("a * exp(x=N)", ["x=N", "Keyword"]),
        ("_secret * N", ["_secret", "underscore"]),
        ("E + * N", ["column 5", "syntax error"]),
        ("a*N < D", ["a*N < D", "omparison"]),
        ("a*N and D", ["a*N and D", "oolean"]),
        ("[a*x for x in N]", ["omprehension"]),
        ("a * N // 2", ["'//'"]),
        ("a * N % 2", ["'%'"]),
        ("a * ~N", ["'~'"]),
        ("a * N + 1j", ["1j", "Complex"]),
        ("a * N + True", ["True"]),
        ("a * N + [b, D]", ["[b, D]"]),
        ("a * exp", ["exp(N)", "function"]),
        ("np.exp(a * N)", ["np.exp"]),
        ("(a*N)(D)", ["a*N"]),
        ("a * N + 1e999", ["1e999"]),
    ],
)
def test_refusals_name_the_offending_part(text: str, names: list[str]) -> None:
    with pytest.raises(FormulaError) as info:
        formula_law(text)
    message = str(info.value)
    assert "\n" not in message
    for name in names:
        assert name in message


def test_refusals_say_what_is_allowed() -> None:
    with pytest.raises(FormulaError, match=r"exp, log, log10, log2, sqrt, abs, tanh, sigmoid, softplus"):
        formula_law("a * foo(N)")
    with pytest.raises(FormulaError, match=r"the inputs N, D, C, parameter names"):
        formula_law("N.__class__")


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("", "empty"),
        ("   \n ", "empty"),
        ("A + B", "none of the inputs N, D, C"),
        ("N + D", "no parameters"),
        ("2 * exp(N)", "no parameters"),
        ("a*N +" + " a*N +" * 400 + " 1", "2000"),
        ("-" * 300 + "a*N", "200 levels"),
        ("a*N + (D", "never closed"),
    ],
)
def test_formulas_that_cannot_be_a_law_are_refused(text: str, match: str) -> None:
    with pytest.raises(FormulaError, match=match):
        formula_law(text)


def test_syntax_error_columns_count_the_users_characters() -> None:
    # Two ^ become ** before parsing; the column still points into what the user wrote.
    with pytest.raises(FormulaError, match=r"column 13 \(near '\* N'\)"):
        formula_law("a^b + c^d + * N")
    with pytest.raises(FormulaError, match=r"line 2, column 3"):
        formula_law("(a*N +\n  * D)")


def test_refusal_quotes_the_users_text_not_the_rewritten_one() -> None:
    with pytest.raises(FormulaError, match=r"'\[a, N\^b\]'"):
        formula_law("E + [a, N^b]")


def test_a_real_subscript_is_refused_even_next_to_grouping_brackets() -> None:
    with pytest.raises(FormulaError, match=r"Subscript 'N\[0\]'"):
        formula_law("[a * N[0]]**b")


def test_not_a_string_is_refused() -> None:
    with pytest.raises(FormulaError, match="string"):
        formula_law(42)  # type: ignore[arg-type]


@settings(deadline=None, max_examples=50)
@given(
    e=st.floats(1e-3, 10.0),
    a=st.floats(1e-2, 1e6),
    alpha=st.floats(1e-3, 2.0),
    n=st.lists(st.floats(1.0, 1e12), min_size=1, max_size=5),
)
def test_formula_matches_builtin_power_law(e: float, a: float, alpha: float, n: list[float]) -> None:
    params = {"E": jnp.asarray(e), "A": jnp.asarray(a), "alpha": jnp.asarray(alpha)}
    inputs = {"N": jnp.asarray(np.asarray(n))}
    got = formula_law("E + A*N**-alpha").fn(params, inputs)
    want = power("N").fn(params, inputs)
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-14)
