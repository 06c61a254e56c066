"""Unit tests for the failure classification: why did a test fail, and does it count as red?

Each case runs real code: a small project package and a test module are written to
``tmp_path``, imported, and the test function is called; the exception it raises is
classified exactly as the plugin would classify it.
"""

from __future__ import annotations

import importlib
import itertools
import sys
import sysconfig
import textwrap
import typing
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pytest_tdd import reasons
from pytest_tdd.reasons import Origins

_counter = itertools.count()

PROJECT = """
import dataclasses
import functools
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


class Matrix:
    def __init__(self, rows=()):
        self.rows = [list(row) for row in rows]


def split(text):
    pass  # does not return the parts yet


def words(text):
    return [text]


def triple():
    return 1, 2, 3


class _Wrapper:
    def __init__(self, func):
        functools.update_wrapper(self, func)

    def __call__(self, *args):
        return self.__wrapped__(*args)


def cached(func):
    return _Wrapper(func)


async def fetch():
    pass  # does not return the data yet


@dataclasses.dataclass
class Point:
    x: int
    y: int
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
    phase = typing.cast(reasons.When, when)  # parametrized cases pass plain strings
    return reasons.classify(error, phase, origins, fail_type=pytest.fail.Exception)


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
        "proj.Point(1, 2, 3)",
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
        "dataclass-signature",
    ],
)
def test_reaching_for_project_code_that_does_not_exist_is_missing_api(run: Run, body: str) -> None:
    assert classify(run, body).kind == "missing-api"


@pytest.mark.skipif(sys.version_info < (3, 11), reason="code positions came in Python 3.11")
def test_a_call_into_the_project_is_told_from_a_test_helper_of_the_same_name(run: Run) -> None:
    # The TypeError names the function alone ("add() got ..."): the call says which
    helper = "def add(a):\n    return a\n"
    assert classify(run, helper + "proj.add(1, 2, carry=True)").kind == "missing-api"
    assert classify(run, helper + "add(1, carry=True)").kind is None


@pytest.mark.skipif(sys.version_info < (3, 11), reason="code positions came in Python 3.11")
def test_a_method_of_a_project_object_is_told_from_a_test_class_of_the_same_name(
    run: Run,
) -> None:
    # "Calc.add() got ...": the test's own Calc has an add too
    body = "class Calc:\n    def add(self, a, b):\n        return a\n"
    assert classify(run, body + "proj.Calc().add(1, 2, carry=True)").kind == "missing-api"
    assert classify(run, body + "Calc().add(1, 2, carry=True)").kind is None


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


def test_a_project_module_that_is_not_on_the_import_path_is_never_red(
    run: Run, tmp_path: Path
) -> None:
    # It exists: the test reaches for nothing missing; the path is not set up (no install,
    # no pythonpath), and the same test would fail that way once the code is written.
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "pathless.py").write_text("def add(a, b):\n    return a + b\n")
    failure = classify(run, "import pathless")
    assert failure.kind is None
    assert "'pathless' is in the project (src/pathless.py) but cannot be imported" in failure.cause


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


def test_the_red_kinds_are_one_literal_type_strongest_first() -> None:
    assert (
        typing.get_args(reasons.RedKind) == reasons.KINDS == ("assertion", "missing-api", "error")
    )


def test_the_phases_a_failure_is_judged_in_are_one_literal_type() -> None:
    assert typing.get_args(reasons.When) == ("setup", "call", "teardown", "collect")


Library = Callable[[str, str], None]


@pytest.fixture
def library(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Library]:
    """Write a module where third-party code lives (a site-packages folder under the root)."""
    folder = tmp_path / "site-packages"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    names: list[str] = []

    def write(name: str, source: str) -> None:
        (folder / f"{name}.py").write_text(textwrap.dedent(source))
        importlib.invalidate_caches()
        names.append(name)

    yield write
    for name in names:
        sys.modules.pop(name, None)


def test_pytest_fail_raised_outside_the_test_and_the_project_is_never_red(
    run: Run, library: Library
) -> None:
    library("strictplugin", "import pytest\n\ndef check():\n    pytest.fail('not allowed')\n")
    failure = classify(run, "import strictplugin\nstrictplugin.check()")
    assert failure.kind is None
    assert "pytest or a plugin failed the test" in failure.cause


GATHER = """
import builtins

Group = getattr(builtins, "ExceptionGroup", None) or __import__("exceptiongroup").ExceptionGroup


def gather(*checks):
    errors = []
    for check in checks:
        try:
            check()
        except Exception as error:
            errors.append(error)
    raise Group("checks failed", errors)


def adds():
    assert proj.add(1, 1) == 3


def subtracts():
    assert proj.subtract(2, 1) == 1


def looks_up():
    proj.lookup()
"""


@pytest.mark.parametrize(
    ("checks", "kind"),
    [
        ("adds, adds", "assertion"),
        ("adds, subtracts", "missing-api"),
        ("looks_up, adds, subtracts", "error"),
        ("adds, lambda: gather(adds, subtracts)", "missing-api"),
    ],
    ids=["assertions", "assertion-and-missing-api", "with-a-project-error", "nested"],
)
def test_a_group_of_red_failures_is_red_with_its_weakest_kind(
    run: Run, checks: str, kind: str
) -> None:
    failure = classify(run, f"{GATHER}\ngather({checks})")
    assert (failure.exception, failure.kind) == ("ExceptionGroup", kind)


def test_a_group_with_one_failure_for_the_wrong_reason_is_wrong_and_names_it(run: Run) -> None:
    failure = classify(run, f"{GATHER}\ngather(adds, lambda: undefined_name)")
    assert failure.kind is None
    assert failure.cause.startswith("exception 2 of 2 in the group fails for the wrong reason")
    assert "NameError: name 'undefined_name' is not defined" in failure.cause
    assert "raised in the test's own code" in failure.cause


def test_an_exception_holding_a_tuple_of_exceptions_is_judged_as_a_group(run: Run) -> None:
    body = """
    class Several(Exception):
        def __init__(self, errors):
            super().__init__("several")
            self.exceptions = tuple(errors)

    try:
        proj.subtract(2, 1)
    except AttributeError as error:
        raise Several([error]) from None
    """
    assert classify(run, body).kind == "missing-api"


@pytest.mark.parametrize(
    "body",
    [
        "matrix = proj.Matrix([[1]])\nassert matrix[0] == [1]",
        "assert proj.Matrix([[1]])[0] == [1]",
        "proj.Matrix[int]",
        "matrix = proj.Matrix()\nmatrix[0] = [1]",
        "first, rest = proj.split('a b')",
        "for word in proj.split('a b'):\n    assert word",
        "assert [word for word in proj.split('a b')] == ['a', 'b']",
        "assert 'a' in proj.split('a b')",
        "proj.Matrix()(0, 0)",
        "assert len(proj.Matrix([[1]])) == 1",
        "assert proj.Matrix() + proj.Matrix() == proj.Matrix()",
        "assert proj.Matrix() < proj.Matrix([[1]])",
        "next(proj.Matrix())",
        "with proj.Matrix():\n    pass",
        "import asyncio\nasync def main():\n    await proj.Matrix()\nasyncio.run(main())",
        "first, second = proj.words('a b')",
        "a, b = proj.triple()",
        "@proj.cached\ndef double(x):\n    return 2 * x\nassert double.cache_contains(1) is False",
        "assert list(proj.split('a b')) == ['a', 'b']",
        "assert [*proj.split('a b')] == ['a', 'b']",
        "for key, value in proj.words('a b'):\n    assert key",
        "assert -proj.Matrix([[1]]) == proj.Matrix([[-1]])",
        "total = proj.Matrix()\ntotal += proj.Matrix()",
        "import asyncio\nasync def main():\n    return (await proj.fetch())[0]\n"
        "asyncio.run(main())",
        "class Holder:\n    pass\nholder = Holder()\nholder.matrix = proj.Matrix()\n"
        "holder.matrix[0]",
    ],
    ids=[
        "not-subscriptable",
        "not-subscriptable-result",
        "class-not-subscriptable",
        "no-item-assignment",
        "unpack-none",
        "iterate-none",
        "comprehension-over-none",
        "membership-in-none",
        "not-callable",
        "no-len",
        "unsupported-operand",
        "unsupported-comparison",
        "not-an-iterator",
        "not-a-context-manager",
        "not-awaitable",
        "not-enough-values",
        "too-many-values",
        "attribute-of-a-project-wrapper",
        "list-of-none",
        "star-of-none",
        "unpack-in-a-for",
        "unary-operand",
        "augmented-assignment",
        "awaited-result",
        "attribute-chain",
    ],
)
def test_a_project_value_without_the_protocol_the_test_uses_is_missing_api(
    run: Run, body: str
) -> None:
    assert classify(run, body).kind == "missing-api"


@pytest.mark.parametrize(
    "body",
    [
        "len(5)",
        "value = None\nvalue + 1",
        "assert len(5) == proj.add(1, 2)",
        "result = None\nfirst, rest = result",
        "count = 3\nfor item in count:\n    assert proj.add(item, 1)",
    ],
    ids=[
        "len-of-an-int",
        "none-plus-one",
        "beside-a-project-call",
        "unpack-a-local",
        "iterate-an-int",
    ],
)
def test_a_protocol_error_on_the_tests_own_values_is_never_red(run: Run, body: str) -> None:
    failure = classify(run, body)
    assert failure.kind is None
    assert failure.cause.startswith("raised in the test's own code, on a value that is not the")


def test_a_missing_attribute_is_judged_by_the_objects_type_not_a_copied_module_name(
    run: Run,
) -> None:
    body = """
    import functools

    class Spy:
        def __call__(self, *args):
            return proj.add(*args)

    spy = functools.update_wrapper(Spy(), proj.add)
    assert spy.calls == []
    """
    failure = classify(run, body)
    assert failure.kind is None
    assert "the test's own code" in failure.cause


def test_reading_back_a_test_line_warns_nothing_even_with_an_invalid_escape(run: Run) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the import of the test module warns, as it should
        error, origins = run(r'first, rest = proj.split("a\d")')
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        failure = reasons.classify(error, "call", origins, fail_type=pytest.fail.Exception)
    assert [str(w.message) for w in caught] == []
    assert failure.kind == "missing-api"


def test_an_installed_copy_of_a_project_package_is_the_projects_code(tmp_path: Path) -> None:
    (tmp_path / "src" / "shapes").mkdir(parents=True)
    (tmp_path / "src" / "shapes" / "__init__.py").write_text("")
    origins = Origins(tmp_path)
    installed = tmp_path / ".tox" / "py" / "lib" / "python3.11" / "site-packages"
    assert origins.of_file(str(installed / "shapes" / "core.py")) == "project"
    assert origins.of_file(str(installed / "requests" / "api.py")) == "external"


def test_an_installed_copy_of_a_flat_layout_module_is_the_projects_code(tmp_path: Path) -> None:
    (tmp_path / "calc.py").write_text("")
    (tmp_path / "setup.py").write_text("")
    origins = Origins(tmp_path)
    installed = Path(sysconfig.get_paths()["purelib"])
    assert origins.of_file(str(installed / "calc.py")) == "project"
    assert origins.of_file(str(installed / "setup.py")) == "external"
