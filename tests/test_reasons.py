"""Unit tests for the failure classification: why did a test fail, and does it count as red?

Each case runs real code: a small project package and a test module are written to
``tmp_path``, imported, and the test function is called; the exception it raises is
classified exactly as the plugin would classify it.
"""

from __future__ import annotations

import importlib
import itertools
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pytest_tdd import reasons
from pytest_tdd.reasons import Origins

_counter = itertools.count()

PROJECT = """
import json


def add(a, b):
    return a + b


def stub():
    raise NotImplementedError("stub")


def lookup():
    return {}["missing"]


def parse(text):
    return json.loads(text)


class Calc:
    def __init__(self, base=0):
        self.base = base

    def add(self, a, b):
        return a + b
"""

Run = Callable[[str], tuple[BaseException, Origins]]


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Run]:
    """Call a test body written against a fresh project package; return what it raised."""
    number = next(_counter)
    package = f"proj{number}"
    (tmp_path / package).mkdir()
    (tmp_path / package / "__init__.py").write_text(PROJECT)
    (tmp_path / "tests").mkdir()
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.syspath_prepend(str(tmp_path / "tests"))
    names = [package]

    def call(body: str) -> tuple[BaseException, Origins]:
        module = f"test_case{number}_{len(names)}"
        names.append(module)
        source = f"import pytest\nimport {package} as proj\n\n\ndef test():\n"
        source += textwrap.indent(textwrap.dedent(body).replace("PKG", package), "    ")
        path = tmp_path / "tests" / f"{module}.py"
        path.write_text(source)
        importlib.invalidate_caches()
        test = importlib.import_module(module).test
        try:
            test()
        except BaseException as error:
            return error, Origins(tmp_path, [str(path)])
        raise AssertionError("the test body did not raise")

    yield call
    for name in names:
        sys.modules.pop(name, None)


def classify(run: Run, body: str, when: str = "call") -> reasons.Failure:
    error, origins = run(body)
    return reasons.classify(error, when, origins, fail_type=pytest.fail.Exception)


@pytest.mark.parametrize(
    "body",
    [
        "assert proj.add(1, 2) == 4",
        "pytest.fail('not yet')",
        "with pytest.raises(ValueError):\n    proj.add(1, 2)",
        "proj.stub()",
        "import unittest\nunittest.TestCase().assertEqual(proj.add(1, 1), 3)",
    ],
    ids=["assert", "pytest.fail", "did-not-raise", "not-implemented", "unittest-assert"],
)
def test_assertions_and_stubs_are_kind_assertion(run: Run, body: str) -> None:
    assert classify(run, body).kind == "assertion"


@pytest.mark.parametrize(
    "body",
    [
        "proj.subtract(3, 1)",
        "proj.Calc().subtract(3, 1)",
        "from PKG import subtract",
        "import PKG.newmodule",
        "import brand_new_module_xyz",
        "proj.add(1, 2, carry=True)",
        "proj.Calc(base=1, scale=2)",
        "proj.Calc().add(1)",
        "calc = proj.Calc()\ncalc.add(1, 2, 3)",
    ],
    ids=[
        "missing-function",
        "missing-method",
        "cannot-import-name",
        "missing-submodule",
        "missing-new-module",
        "unexpected-keyword",
        "unexpected-keyword-init",
        "missing-argument",
        "too-many-arguments",
    ],
)
def test_reaching_for_project_code_that_does_not_exist_is_missing_api(run: Run, body: str) -> None:
    assert classify(run, body).kind == "missing-api"


def test_an_exception_raised_inside_project_code_is_kind_error(run: Run) -> None:
    failure = classify(run, "proj.lookup()")
    assert failure.kind == "error"
    assert failure.exception == "KeyError"


def test_a_library_error_raised_through_project_code_is_kind_error(run: Run) -> None:
    assert classify(run, "proj.parse('{')").kind == "error"


@pytest.mark.parametrize(
    ("body", "cause"),
    [
        ("assert undefined_name == 3", "the test's own code"),
        ("len(1, 2)", "the test's own code"),
        ("result = None\nassert result.value == 3", "the test's own code"),
        ("raise NotImplementedError", "the test's own code"),
        ("import json\njson.loads('{')", "third-party or standard-library code"),
        ("import pytset", "looks like a typo of 'pytest'"),
    ],
    ids=[
        "name-error",
        "builtin-misused",
        "attribute-of-none",
        "not-implemented-in-test",
        "stdlib-called-directly",
        "module-typo",
    ],
)
def test_errors_of_the_test_itself_are_never_red(run: Run, body: str, cause: str) -> None:
    failure = classify(run, body)
    assert failure.kind is None
    assert cause in failure.cause


def test_a_pytest_timeout_is_never_red(run: Run) -> None:
    failure = classify(run, "pytest.fail('Timeout (>1.0s) from pytest-timeout.')")
    assert failure.kind is None
    assert "timeout" in failure.cause


@pytest.mark.parametrize("when", ["setup", "teardown"])
def test_a_fixture_error_is_never_red_even_for_a_missing_api(run: Run, when: str) -> None:
    failure = classify(run, "proj.subtract(3, 1)", when=when)
    assert failure.kind is None
    assert when in failure.cause


def test_a_syntax_error_is_never_red(run: Run) -> None:
    failure = classify(run, "compile('def (', 'x.py', 'exec')")
    assert failure.kind is None
    assert "syntax error" in failure.cause


def test_a_collection_error_is_judged_by_the_import_error_it_wraps(run: Run) -> None:
    error, origins = run("import PKG.newmodule")
    try:
        raise pytest.Collector.CollectError("ImportError while importing") from error
    except pytest.Collector.CollectError as wrapper:
        failure = reasons.classify(wrapper, "collect", origins, fail_type=pytest.fail.Exception)
    assert failure.kind == "missing-api"
    assert failure.exception == "ModuleNotFoundError"


def test_the_message_is_the_first_line_cut_to_a_short_length(run: Run) -> None:
    failure = classify(run, "assert False, 'x' * 500 + '\\nsecond line'")
    assert failure.message.startswith("x" * 100)
    assert len(failure.message) <= reasons.MESSAGE_LIMIT
    assert "second line" not in failure.message


def test_the_exception_name_is_recorded(run: Run) -> None:
    assert classify(run, "proj.subtract(3, 1)").exception == "AttributeError"


def test_origins_of_files() -> None:
    root = Path("/srv/example")
    origins = Origins(root, ["/srv/example/checks/verify_x.py"])
    assert origins.of_file("/srv/example/src/pkg/mod.py") == "project"
    assert origins.of_file("/srv/example/tests/helpers.py") == "test"
    assert origins.of_file("/srv/example/pkg/test_mod.py") == "test"
    assert origins.of_file("/srv/example/pkg/mod_test.py") == "test"
    assert origins.of_file("/srv/example/conftest.py") == "test"
    assert origins.of_file("/srv/example/checks/verify_x.py") == "test"
    assert origins.of_file("<doctest pkg.mod.f[0]>") == "test"
    assert origins.of_file("/srv/example/.venv/lib/site-packages/x.py") == "external"
    assert origins.of_file("/usr/lib/python3.11/json/decoder.py") == "external"
    assert origins.of_file("<frozen importlib._bootstrap>") == "external"


def test_a_failure_is_accepted_when_its_kind_is_in_the_accepted_set(run: Run) -> None:
    failure = classify(run, "proj.subtract(3, 1)")
    assert failure.accepted_by({"assertion", "missing-api"})
    assert not failure.accepted_by({"assertion"})


def _doctest_failure(source: str, want: str) -> BaseException:
    import doctest

    test = doctest.DocTestParser().get_doctest(f">>> {source}\n{want}\n", {}, "t", "<t>", 0)
    runner = doctest.DebugRunner(verbose=False)
    try:
        runner.run(test)
    except (doctest.DocTestFailure, doctest.UnexpectedException) as error:
        return error
    raise AssertionError("the doctest passed")


def test_a_doctest_with_the_wrong_output_is_kind_assertion() -> None:
    failure = reasons.classify(
        _doctest_failure("1 + 1", "3"), "call", Origins(Path("/x")), fail_type=pytest.fail.Exception
    )
    assert failure.kind == "assertion"


def test_a_doctest_that_raises_is_judged_by_what_it_raised() -> None:
    failure = reasons.classify(
        _doctest_failure("undefined_name", "1"),
        "call",
        Origins(Path("/x")),
        fail_type=pytest.fail.Exception,
    )
    assert failure.kind is None
    assert failure.exception == "NameError"
