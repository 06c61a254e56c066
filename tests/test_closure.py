"""The test code a test depends on: helpers, constants and fixtures, found and digested.

The pure part (source text in, index and reached names out) is tested on sources; the
part that takes a collected item is tested on real items collected in-process with
``pytester``, whose files are then edited on disk and digested again with a new cache.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from pytest_tdd import closure

# -- the pure part: source text in, index and reached names out -------------------------


def index(source: str) -> closure.ModuleIndex:
    return closure.index_source(textwrap.dedent(source))


def reached(source: str, name: str) -> list[str]:
    paths = closure.reached(index(source), tuple(name.split(".")))
    return [".".join(path) for path in paths]


def definition_digest(source: str, name: str) -> str:
    found = index(source).definition(tuple(name.split(".")))
    assert found is not None
    return found.digest


def test_a_helper_the_test_calls_is_reached() -> None:
    source = """
        def check(value):
            assert value

        def test_a():
            check(1)
        """
    assert reached(source, "test_a") == ["check"]


def test_a_helper_that_a_reached_helper_calls_is_reached() -> None:
    source = """
        def inner(value):
            assert value

        def check(value):
            inner(value)

        def test_a():
            check(1)
        """
    assert reached(source, "test_a") == ["check", "inner"]


def test_a_helper_no_one_calls_is_not_reached() -> None:
    source = """
        def unused():
            pass

        def check(value):
            assert value

        def test_a():
            check(1)
        """
    assert reached(source, "test_a") == ["check"]


def test_a_constant_in_the_decorators_of_the_test_is_reached() -> None:
    source = """
        import pytest

        CASES = [1, 2]

        @pytest.mark.parametrize("value", CASES)
        def test_a(value):
            assert value
        """
    assert reached(source, "test_a") == ["CASES"]


def test_a_constant_used_as_a_default_value_is_reached() -> None:
    source = """
        LIMIT = 3

        def test_a(limit=LIMIT):
            assert limit
        """
    assert reached(source, "test_a") == ["LIMIT"]


def test_a_local_name_that_shadows_a_helper_does_not_reach_it() -> None:
    source = """
        def check(value):
            assert value

        def test_a():
            check = print
            check(1)
        """
    assert reached(source, "test_a") == []


def test_a_comprehension_variable_that_shadows_a_helper_does_not_reach_it() -> None:
    source = """
        def item():
            return 0

        def test_a():
            assert [item for item in range(3)]
        """
    assert reached(source, "test_a") == []


def test_a_variable_of_the_enclosing_function_does_not_reach_a_helper() -> None:
    source = """
        def value():
            return 0

        def test_a():
            value = 1

            def inner():
                return value

            assert inner()
        """
    assert reached(source, "test_a") == []


def test_a_helper_that_a_nested_function_calls_is_reached() -> None:
    source = """
        def check(value):
            assert value

        def test_a():
            def inner():
                check(1)

            inner()
        """
    assert reached(source, "test_a") == ["check"]


def test_a_name_declared_global_reaches_the_module_level_definition() -> None:
    source = """
        COUNT = 0

        def test_a():
            global COUNT
            COUNT = 1
            assert COUNT
        """
    assert reached(source, "test_a") == ["COUNT"]


def test_a_class_reached_by_name_brings_the_helpers_its_methods_call() -> None:
    source = """
        def build():
            return 1

        class Client:
            def get(self):
                return build()

        def test_a():
            assert Client().get()
        """
    assert reached(source, "test_a") == ["Client", "build"]


def test_a_method_reaches_the_members_of_its_class_through_self() -> None:
    source = """
        class TestA:
            def check(self, value):
                assert value

            def other(self):
                pass

            def test_a(self):
                self.check(1)
        """
    assert reached(source, "TestA.test_a") == ["TestA.check"]


def test_the_test_itself_is_not_reached_when_it_calls_itself() -> None:
    source = """
        def test_a(depth=0):
            if depth < 1:
                test_a(depth + 1)
        """
    assert reached(source, "test_a") == []


def test_a_helper_defined_in_a_module_level_if_block_is_reached() -> None:
    source = """
        import sys

        if sys.version_info >= (3, 11):
            def check(value):
                assert value
        else:
            def check(value):
                assert value is not None

        def test_a():
            check(1)
        """
    assert reached(source, "test_a") == ["check"]


def test_reformatting_and_comments_keep_the_digest_of_a_definition() -> None:
    plain = "def check(value):\n    assert value == 1\n"
    noisy = "def check( value ):  # a comment\n\n    assert value==1\n"
    assert definition_digest(plain, "check") == definition_digest(noisy, "check")


def test_the_docstring_of_a_helper_does_not_count_in_its_digest() -> None:
    one = 'def check(value):\n    """One."""\n    assert value\n'
    two = 'def check(value):\n    """Two."""\n    assert value\n'
    assert definition_digest(one, "check") == definition_digest(two, "check")


def test_the_docstrings_of_a_class_and_its_methods_do_not_count_in_its_digest() -> None:
    template = (
        'class Client:\n    """{0}"""\n    def get(self):\n        """{0}"""\n        return 1\n'
    )
    one, two = template.format("One."), template.format("Two.")
    assert definition_digest(one, "Client") == definition_digest(two, "Client")


def test_weakening_a_helper_changes_its_digest() -> None:
    strict = "def check(status, expected):\n    assert status == expected\n"
    weak = "def check(status, expected):\n    assert status in (expected, 405)\n"
    assert definition_digest(strict, "check") != definition_digest(weak, "check")


def test_every_assignment_to_a_name_counts_in_its_digest() -> None:
    one = "CASES = [1]\nCASES += [2]\n"
    two = "CASES = [1]\nCASES += [3]\n"
    assert definition_digest(one, "CASES") != definition_digest(two, "CASES")


def test_a_from_import_is_indexed_with_its_module_level_and_name() -> None:
    found = index("from ..support import check as verify\n").imports
    assert found == {"verify": (closure.Import("support", 2, "check"),)}


def test_a_module_import_is_indexed_under_the_name_it_binds() -> None:
    found = index("import suite.factories\nimport suite.factories as f\n").imports
    assert found == {
        "suite": (closure.Import("suite", 0, None),),
        "f": (closure.Import("suite.factories", 0, None),),
    }


def test_a_star_import_is_indexed() -> None:
    assert index("from support import *\n").star_imports == (closure.Import("support", 0, None),)


def test_fixtures_are_indexed_by_the_name_they_are_requested_by() -> None:
    source = """
        import pytest

        @pytest.fixture(name="client")
        def make_client():
            return 1

        @pytest.fixture
        def db():
            return 2

        def helper():
            return 3
        """
    assert index(source).fixtures == {"client": ("make_client",), "db": ("db",)}


def test_a_fixture_that_requests_its_own_name_is_indexed_as_overriding() -> None:
    source = """
        import pytest

        @pytest.fixture
        def db(db):
            return db

        @pytest.fixture
        def user(db):
            return db
        """
    assert index(source).overriding == frozenset({"db"})


def test_the_fixtures_of_a_class_are_indexed_under_the_class() -> None:
    source = """
        import pytest

        class TestA:
            @pytest.fixture
            def db(self):
                return 1

            def test_a(self, db):
                assert db
        """
    assert index(source).classes[("TestA",)].fixtures == {"db": ("db",)}


def test_the_pytest_plugins_of_a_module_are_indexed() -> None:
    source = 'pytest_plugins = ["suite.fixtures.db", "suite.fixtures.web"]\n'
    assert index(source).plugins == ("suite.fixtures.db", "suite.fixtures.web")


# -- the part that takes a collected item ------------------------------------------------


def write(pytester: pytest.Pytester, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = pytester.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")


def collect(
    pytester: pytest.Pytester, files: dict[str, str], test_file: str = "tests/test_sample.py"
) -> dict[str, pytest.Item]:
    """Write the files, collect the test file in-process; its items by name."""
    write(pytester, files)
    items = pytester.getitems(Path(pytester.path, test_file))
    return {item.name: item for item in items}


def digest(item: pytest.Item) -> str | None:
    return closure.dependency_digest(item, closure.ClosureCache(), item.config.rootpath)


def dependencies(item: pytest.Item) -> list[tuple[str, str]]:
    found = closure.dependencies(item, closure.ClosureCache(), item.config.rootpath)
    return [(d.name, d.path) for d in found]


SAMPLE = """
    EXPECTED = 200


    def assert_status(status, expected=EXPECTED):
        assert status == expected


    def unused():
        return 0


    def test_a():
        assert_status(200)


    def test_b():
        assert 1 + 1 == 2
    """


def test_a_test_without_helpers_or_fixtures_in_test_code_has_no_digest(
    tdd: pytest.Pytester,
) -> None:
    source = """
        import pytest

        def test_a(tmp_path):
            assert tmp_path.exists()
        """
    items = collect(tdd, {"tests/test_sample.py": source})
    assert digest(items["test_a"]) is None


def test_the_digest_is_the_same_on_every_python_version(tdd: pytest.Pytester) -> None:
    source = """
        def check(value):
            assert value == 1


        def test_a():
            check(1)
        """
    items = collect(tdd, {"tests/test_sample.py": source})
    assert digest(items["test_a"]) == "b8c8ec68cdb43871"


def test_the_digest_is_sixteen_hex_digits(tdd: pytest.Pytester) -> None:
    items = collect(tdd, {"tests/test_sample.py": SAMPLE})
    found = digest(items["test_a"])
    assert found is not None
    assert re.fullmatch("[0-9a-f]{16}", found)


def test_the_dependencies_of_a_test_are_listed_in_order_of_name(tdd: pytest.Pytester) -> None:
    items = collect(tdd, {"tests/test_sample.py": SAMPLE})
    assert dependencies(items["test_a"]) == [
        ("EXPECTED", "tests/test_sample.py"),
        ("assert_status", "tests/test_sample.py"),
    ]


def edited_digests(
    pytester: pytest.Pytester, before: str, after: str, test: str = "test_a"
) -> tuple[str | None, str | None]:
    """The digest of a test of tests/test_sample.py, before and after the file is edited."""
    item = collect(pytester, {"tests/test_sample.py": before})[test]
    first = digest(item)
    write(pytester, {"tests/test_sample.py": after})
    return first, digest(item)


def test_weakening_a_helper_of_the_test_module_changes_the_digest(tdd: pytest.Pytester) -> None:
    weakened = SAMPLE.replace("status == expected", "status in (expected, 405)")
    first, second = edited_digests(tdd, SAMPLE, weakened)
    assert first is not None
    assert second is not None
    assert first != second


def test_changing_a_constant_that_a_helper_uses_changes_the_digest(tdd: pytest.Pytester) -> None:
    first, second = edited_digests(tdd, SAMPLE, SAMPLE.replace("EXPECTED = 200", "EXPECTED = 405"))
    assert first is not None
    assert second is not None
    assert first != second


def test_changing_another_test_of_the_module_keeps_the_digest(tdd: pytest.Pytester) -> None:
    first, second = edited_digests(tdd, SAMPLE, SAMPLE.replace("1 + 1 == 2", "2 + 2 == 4"))
    assert first is not None
    assert first == second


def test_changing_an_unused_helper_keeps_the_digest(tdd: pytest.Pytester) -> None:
    first, second = edited_digests(tdd, SAMPLE, SAMPLE.replace("return 0", "return 1"))
    assert first is not None
    assert first == second


def test_reordering_the_definitions_of_the_module_keeps_the_digest(tdd: pytest.Pytester) -> None:
    reordered = """
        def test_b():
            assert 1 + 1 == 2


        def test_a():
            assert_status(200)


        def assert_status(status, expected=EXPECTED):
            assert status == expected


        def unused():
            return 0


        EXPECTED = 200
        """
    first, second = edited_digests(tdd, SAMPLE, reordered)
    assert first is not None
    assert first == second


def test_reformatting_and_commenting_a_helper_keeps_the_digest(tdd: pytest.Pytester) -> None:
    reformatted = SAMPLE.replace(
        "def assert_status(status, expected=EXPECTED):",
        'def assert_status( status,expected = EXPECTED ):  # checks\n        """Check it."""',
    )
    first, second = edited_digests(tdd, SAMPLE, reformatted)
    assert first is not None
    assert first == second


SUPPORT = """
    def assert_status(status, expected):
        assert status == expected


    def unused():
        return 0
    """


def test_a_helper_imported_from_a_test_code_module_is_a_dependency(tdd: pytest.Pytester) -> None:
    test = """
        from support import assert_status

        def test_a():
            assert_status(200, 200)
        """
    items = collect(tdd, {"tests/support.py": SUPPORT, "tests/test_sample.py": test})
    assert dependencies(items["test_a"]) == [("assert_status", "tests/support.py")]


def test_weakening_a_helper_imported_from_a_test_code_module_changes_the_digest(
    tdd: pytest.Pytester,
) -> None:
    test = """
        from support import assert_status

        def test_a():
            assert_status(200, 200)
        """
    item = collect(tdd, {"tests/support.py": SUPPORT, "tests/test_sample.py": test})["test_a"]
    first = digest(item)
    weakened = SUPPORT.replace("status == expected", "status in (expected, 405)")
    write(tdd, {"tests/support.py": weakened})
    second = digest(item)
    assert first is not None
    assert second is not None
    assert first != second


def test_a_helper_reached_through_a_module_alias_is_a_dependency(tdd: pytest.Pytester) -> None:
    test = """
        import support as s

        def test_a():
            s.assert_status(200, 200)
        """
    items = collect(tdd, {"tests/support.py": SUPPORT, "tests/test_sample.py": test})
    assert dependencies(items["test_a"]) == [("assert_status", "tests/support.py")]


PACKAGE = {
    "suite/__init__.py": "",
    "suite/tests/__init__.py": "",
    "suite/tests/factories.py": """
        def make():
            return 1


        def unused():
            return 0
        """,
}


def test_a_helper_imported_from_a_test_package_by_its_full_name_is_a_dependency(
    tdd: pytest.Pytester,
) -> None:
    test = """
        import suite.tests.factories

        def test_a():
            assert suite.tests.factories.make()
        """
    files = {**PACKAGE, "suite/tests/test_sample.py": test}
    items = collect(tdd, files, "suite/tests/test_sample.py")
    assert dependencies(items["test_a"]) == [("make", "suite/tests/factories.py")]


def test_a_helper_imported_with_a_relative_import_is_a_dependency(tdd: pytest.Pytester) -> None:
    test = """
        from . import factories as f

        def test_a():
            assert f.make()
        """
    files = {**PACKAGE, "suite/tests/test_sample.py": test}
    items = collect(tdd, files, "suite/tests/test_sample.py")
    assert dependencies(items["test_a"]) == [("make", "suite/tests/factories.py")]


def test_a_helper_that_an_imported_helper_calls_is_a_dependency(tdd: pytest.Pytester) -> None:
    support = """
        from more_support import compare


        def assert_status(status, expected):
            compare(status, expected)
        """
    more_support = """
        def compare(left, right):
            assert left == right
        """
    test = """
        from support import assert_status

        def test_a():
            assert_status(200, 200)
        """
    files = {
        "tests/support.py": support,
        "tests/more_support.py": more_support,
        "tests/test_sample.py": test,
    }
    items = collect(tdd, files)
    assert dependencies(items["test_a"]) == [
        ("assert_status", "tests/support.py"),
        ("compare", "tests/more_support.py"),
    ]


def test_project_code_that_the_test_imports_is_not_followed(tdd: pytest.Pytester) -> None:
    tdd.syspathinsert()
    project = """
        def add(a, b):
            return a + b
        """
    test = """
        from arith import add

        def test_a():
            assert add(1, 2) == 3
        """
    items = collect(tdd, {"arith.py": project, "tests/test_sample.py": test})
    assert digest(items["test_a"]) is None


CONFTEST = """
    import pytest


    def make_db():
        return {}


    @pytest.fixture
    def db():
        return make_db()


    @pytest.fixture
    def web():
        return "web"
    """

USES_DB = """
    def test_a(db):
        assert db == {}
    """


def test_a_conftest_fixture_the_test_requests_is_a_dependency(tdd: pytest.Pytester) -> None:
    items = collect(tdd, {"tests/conftest.py": CONFTEST, "tests/test_sample.py": USES_DB})
    assert dependencies(items["test_a"]) == [
        ("db", "tests/conftest.py"),
        ("make_db", "tests/conftest.py"),
    ]


def test_changing_a_helper_that_a_fixture_calls_changes_the_digest(tdd: pytest.Pytester) -> None:
    item = collect(tdd, {"tests/conftest.py": CONFTEST, "tests/test_sample.py": USES_DB})["test_a"]
    first = digest(item)
    write(tdd, {"tests/conftest.py": CONFTEST.replace("return {}", "return {'x': 1}")})
    second = digest(item)
    assert first is not None
    assert second is not None
    assert first != second


def test_changing_a_fixture_the_test_does_not_request_keeps_the_digest(
    tdd: pytest.Pytester,
) -> None:
    item = collect(tdd, {"tests/conftest.py": CONFTEST, "tests/test_sample.py": USES_DB})["test_a"]
    first = digest(item)
    write(tdd, {"tests/conftest.py": CONFTEST.replace('return "web"', 'return "www"')})
    assert first is not None
    assert first == digest(item)


def test_a_fixture_of_the_test_module_hides_the_conftest_fixture_of_that_name(
    tdd: pytest.Pytester,
) -> None:
    test = """
        import pytest

        @pytest.fixture
        def db():
            return {}

        def test_a(db):
            assert db == {}
        """
    items = collect(tdd, {"tests/conftest.py": CONFTEST, "tests/test_sample.py": test})
    assert dependencies(items["test_a"]) == [("db", "tests/test_sample.py")]


def test_a_fixture_that_requests_the_fixture_it_overrides_brings_that_one_too(
    tdd: pytest.Pytester,
) -> None:
    test = """
        import pytest

        @pytest.fixture
        def db(db):
            return db

        def test_a(db):
            assert db == {}
        """
    items = collect(tdd, {"tests/conftest.py": CONFTEST, "tests/test_sample.py": test})
    assert dependencies(items["test_a"]) == [
        ("db", "tests/conftest.py"),
        ("db", "tests/test_sample.py"),
        ("make_db", "tests/conftest.py"),
    ]


def test_a_fixture_of_the_test_class_hides_the_module_fixture_of_that_name(
    tdd: pytest.Pytester,
) -> None:
    test = """
        import pytest

        @pytest.fixture
        def db():
            return {}

        class TestA:
            @pytest.fixture
            def db(self):
                return {}

            def test_a(self, db):
                assert db == {}
        """
    items = collect(tdd, {"tests/test_sample.py": test})
    assert dependencies(items["test_a"]) == [("TestA.db", "tests/test_sample.py")]


def test_a_fixture_renamed_with_the_name_argument_is_a_dependency(tdd: pytest.Pytester) -> None:
    test = """
        import pytest

        @pytest.fixture(name="client")
        def make_client():
            return 1

        def test_a(client):
            assert client == 1
        """
    items = collect(tdd, {"tests/test_sample.py": test})
    assert dependencies(items["test_a"]) == [("make_client", "tests/test_sample.py")]


def test_an_autouse_fixture_of_a_conftest_is_a_dependency(tdd: pytest.Pytester) -> None:
    conftest = """
        import pytest

        @pytest.fixture(autouse=True)
        def clean():
            yield
        """
    test = """
        def test_a():
            assert True
        """
    items = collect(tdd, {"tests/conftest.py": conftest, "tests/test_sample.py": test})
    assert dependencies(items["test_a"]) == [("clean", "tests/conftest.py")]


def test_the_closest_conftest_defines_the_fixture(tdd: pytest.Pytester) -> None:
    near = """
        import pytest

        @pytest.fixture
        def db():
            return {}
        """
    files = {
        "tests/conftest.py": CONFTEST,
        "tests/unit/conftest.py": near,
        "tests/unit/test_sample.py": USES_DB,
    }
    items = collect(tdd, files, "tests/unit/test_sample.py")
    assert dependencies(items["test_a"]) == [("db", "tests/unit/conftest.py")]


def test_a_fixture_star_imported_into_a_conftest_is_a_dependency(tdd: pytest.Pytester) -> None:
    fixtures = """
        import pytest

        @pytest.fixture
        def db():
            return {}
        """
    files = {
        "tests/db_fixtures.py": fixtures,
        "tests/conftest.py": "from db_fixtures import *\n",
        "tests/test_sample.py": USES_DB,
    }
    items = collect(tdd, files)
    assert dependencies(items["test_a"]) == [("db", "tests/db_fixtures.py")]


def test_a_fixture_of_a_pytest_plugins_module_is_a_dependency(tdd: pytest.Pytester) -> None:
    fixtures = """
        import pytest

        @pytest.fixture
        def db():
            return {}
        """
    files = {
        "tests/db_plugin.py": fixtures,
        "tests/conftest.py": 'pytest_plugins = ["db_plugin"]\n',
        "tests/test_sample.py": USES_DB,
    }
    items = collect(tdd, files)
    assert dependencies(items["test_a"]) == [("db", "tests/db_plugin.py")]


def test_a_method_test_depends_on_the_members_it_reaches_through_self(
    tdd: pytest.Pytester,
) -> None:
    test = """
        class TestA:
            def check(self, value):
                assert value

            def unused(self):
                return 0

            def test_a(self):
                self.check(1)
        """
    items = collect(tdd, {"tests/test_sample.py": test})
    assert dependencies(items["test_a"]) == [("TestA.check", "tests/test_sample.py")]


def test_the_setup_method_of_the_test_class_is_a_dependency(tdd: pytest.Pytester) -> None:
    test = """
        class TestA:
            def setup_method(self):
                self.value = 1

            def test_a(self):
                assert self.value == 1
        """
    items = collect(tdd, {"tests/test_sample.py": test})
    assert dependencies(items["test_a"]) == [("TestA.setup_method", "tests/test_sample.py")]


def test_the_setup_module_function_of_the_test_module_is_a_dependency(
    tdd: pytest.Pytester,
) -> None:
    test = """
        STATE = {}

        def setup_module():
            STATE["value"] = 1

        def test_a():
            assert STATE["value"] == 1
        """
    items = collect(tdd, {"tests/test_sample.py": test})
    assert dependencies(items["test_a"]) == [
        ("STATE", "tests/test_sample.py"),
        ("setup_module", "tests/test_sample.py"),
    ]


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The sources that were parsed."""
    seen: list[str] = []
    real = closure.index_source

    def counting(source: str) -> closure.ModuleIndex:
        seen.append(source)
        return real(source)

    monkeypatch.setattr(closure, "index_source", counting)
    return seen


def test_a_test_module_is_parsed_once_for_all_its_tests(
    tdd: pytest.Pytester, parses: list[str]
) -> None:
    items = collect(tdd, {"tests/test_sample.py": SAMPLE})
    cache = closure.ClosureCache()
    for item in items.values():
        closure.dependency_digest(item, cache, item.config.rootpath)
    assert len(parses) == 1


def test_files_with_the_same_content_are_parsed_once(tmp_path: Path, parses: list[str]) -> None:
    (tmp_path / "test_a.py").write_text(textwrap.dedent(SUPPORT))
    (tmp_path / "test_b.py").write_text(textwrap.dedent(SUPPORT))
    cache = closure.ClosureCache()
    first = cache.index(str(tmp_path / "test_a.py"))
    assert first is not None
    assert cache.index(str(tmp_path / "test_b.py")) is first
    assert len(parses) == 1


# -- added after the first round: each recorded red against the module without its code --


def test_a_lambda_parameter_that_shadows_a_helper_does_not_reach_it() -> None:
    source = """
        def check(value):
            return value

        def test_a():
            double = lambda check: check * 2
            assert double(1) == 2
        """
    assert reached(source, "test_a") == []


def test_a_name_bound_by_except_as_does_not_reach_a_helper() -> None:
    source = """
        def error():
            return 0

        def test_a():
            try:
                raise ValueError("x")
            except ValueError as error:
                assert error
        """
    assert reached(source, "test_a") == []


def test_a_name_imported_inside_the_test_does_not_reach_the_module_level_definition() -> None:
    source = """
        def check(value):
            return value

        def test_a():
            from os.path import join as check
            assert check("a", "b")
        """
    assert reached(source, "test_a") == []


def test_a_name_used_only_in_annotations_is_not_reached() -> None:
    source = """
        class Client:
            pass

        def test_a(client: Client = None) -> Client:
            value: Client = client
            assert value is None
        """
    assert reached(source, "test_a") == []


def test_the_names_in_every_part_of_a_comprehension_are_reached() -> None:
    source = """
        KEYS = [1]
        VALUES = [2]

        def allowed(value):
            return value

        def test_a():
            assert {k: v for k in KEYS for v in VALUES if allowed(v)}
        """
    assert reached(source, "test_a") == ["KEYS", "VALUES", "allowed"]


def test_a_class_body_name_is_not_visible_to_the_methods_of_that_class() -> None:
    source = """
        def check():
            return 1

        def test_a():
            class Local:
                check = 0

                def run(self):
                    return check()

            assert Local().run()
        """
    assert reached(source, "test_a") == ["check"]


def test_each_name_of_a_tuple_assignment_is_a_definition() -> None:
    source = """
        LOW, (HIGH, *REST) = 1, (9, 10)

        def test_a():
            assert HIGH
        """
    assert reached(source, "test_a") == ["HIGH"]


def test_a_helper_defined_in_an_except_block_is_reached() -> None:
    source = """
        try:
            from fast import check
        except ImportError:
            def check(value):
                assert value

        def test_a():
            check(1)
        """
    assert reached(source, "test_a") == ["check"]


def test_every_definition_of_a_name_counts_in_what_it_reaches() -> None:
    source = """
        import sys

        def first(value):
            return value

        def second(value):
            return value

        if sys.version_info >= (3, 11):
            def check(value):
                return first(value)
        else:
            def check(value):
                return second(value)

        def test_a():
            check(1)
        """
    assert reached(source, "test_a") == ["check", "first", "second"]


def test_a_method_reaches_a_member_of_a_base_class_of_the_module_through_self() -> None:
    source = """
        class Base:
            def check(self, value):
                assert value

        class TestA(Base):
            def test_a(self):
                self.check(1)
        """
    assert reached(source, "TestA.test_a") == ["Base.check"]


def test_a_member_used_through_self_in_a_nested_function_is_reached() -> None:
    source = """
        class TestA:
            def check(self):
                return 1

            def test_a(self):
                def inner():
                    return self.check()

                assert inner()
        """
    assert reached(source, "TestA.test_a") == ["TestA.check"]


def test_changing_a_class_attribute_changes_the_digest_of_the_class() -> None:
    one = "class Config:\n    TIMEOUT = 1\n"
    two = "class Config:\n    TIMEOUT = 2\n"
    assert definition_digest(one, "Config") != definition_digest(two, "Config")


def test_changing_a_nested_class_changes_the_digest_of_the_class() -> None:
    one = "class Outer:\n    class Inner:\n        LIMIT = 1\n"
    two = "class Outer:\n    class Inner:\n        LIMIT = 2\n"
    assert definition_digest(one, "Outer") != definition_digest(two, "Outer")


def test_a_statement_that_shares_its_line_is_digested_alone() -> None:
    assert definition_digest("A = 1; B = 2\n", "B") == definition_digest("B = 2\n", "B")


def test_the_fixtures_of_a_nested_class_are_indexed_under_its_path() -> None:
    source = """
        import pytest

        class TestA:
            class TestB:
                @pytest.fixture
                def db(self):
                    return 1
        """
    fixtures = {path: found.fixtures for path, found in index(source).classes.items()}
    assert fixtures == {("TestA",): {}, ("TestA", "TestB"): {"db": ("db",)}}


def test_the_bases_of_a_class_are_indexed() -> None:
    source = """
        import mixins

        class TestB(TestA, mixins.Base):
            pass
        """
    assert index(source).classes[("TestB",)].bases == (("TestA",), ("mixins", "Base"))


def test_a_file_that_does_not_exist_has_no_index(tmp_path: Path) -> None:
    assert closure.ClosureCache().index(str(tmp_path / "test_missing.py")) is None


def test_a_file_that_does_not_parse_has_no_index(tmp_path: Path) -> None:
    (tmp_path / "test_broken.py").write_text("def test_a(:\n    pass\n")
    assert closure.ClosureCache().index(str(tmp_path / "test_broken.py")) is None


def test_a_file_in_a_declared_encoding_is_indexed(tmp_path: Path) -> None:
    source = '# -*- coding: latin-1 -*-\nNAME = "\u00e9"\n'
    (tmp_path / "test_latin.py").write_bytes(source.encode("latin-1"))
    found = closure.ClosureCache().index(str(tmp_path / "test_latin.py"))
    assert found is not None
    assert found.names == frozenset({"NAME"})


def test_a_member_of_a_base_class_in_another_test_code_module_is_a_dependency(
    tdd: pytest.Pytester,
) -> None:
    support = """
        class Base:
            def check(self, value):
                assert value
        """
    test = """
        from support import Base

        class TestA(Base):
            def test_a(self):
                self.check(1)
        """
    items = collect(tdd, {"tests/support.py": support, "tests/test_sample.py": test})
    assert dependencies(items["test_a"]) == [("Base.check", "tests/support.py")]


def test_a_fixture_of_a_base_class_is_a_dependency(tdd: pytest.Pytester) -> None:
    test = """
        import pytest

        class Base:
            @pytest.fixture
            def db(self):
                return {}

        class TestA(Base):
            def test_a(self, db):
                assert db == {}
        """
    items = collect(tdd, {"tests/test_sample.py": test})
    assert dependencies(items["test_a"]) == [("Base.db", "tests/test_sample.py")]


def test_a_fixture_of_an_enclosing_class_is_a_dependency(tdd: pytest.Pytester) -> None:
    test = """
        import pytest

        class TestOuter:
            @pytest.fixture
            def db(self):
                return {}

            class TestInner:
                def test_a(self, db):
                    assert db == {}
        """
    items = collect(tdd, {"tests/test_sample.py": test})
    assert dependencies(items["test_a"]) == [("TestOuter.db", "tests/test_sample.py")]


def test_a_fixture_imported_by_name_into_a_conftest_is_a_dependency(
    tdd: pytest.Pytester,
) -> None:
    fixtures = """
        import pytest

        @pytest.fixture
        def db():
            return {}
        """
    files = {
        "tests/db_fixtures.py": fixtures,
        "tests/conftest.py": "from db_fixtures import db\n",
        "tests/test_sample.py": USES_DB,
    }
    items = collect(tdd, files)
    assert dependencies(items["test_a"]) == [("db", "tests/db_fixtures.py")]


def test_a_cycle_of_star_imports_between_test_modules_ends(tdd: pytest.Pytester) -> None:
    files = {
        "tests/a_support.py": "from b_support import *\n\n\ndef check():\n    pass\n",
        "tests/b_support.py": "from a_support import *\n\n\ndef other():\n    pass\n",
        "tests/test_sample.py": "from a_support import *\n\n\ndef test_a():\n    check()\n",
    }
    items = collect(tdd, files)
    assert dependencies(items["test_a"]) == [("check", "tests/a_support.py")]


def test_a_helper_imported_from_the_parent_package_is_a_dependency(
    tdd: pytest.Pytester,
) -> None:
    test = """
        from ..factories import make

        def test_a():
            assert make()
        """
    files = {
        **PACKAGE,
        "suite/tests/unit/__init__.py": "",
        "suite/tests/unit/test_sample.py": test,
    }
    items = collect(tdd, files, "suite/tests/unit/test_sample.py")
    assert dependencies(items["test_a"]) == [("make", "suite/tests/factories.py")]


def test_a_decorated_test_is_read_through_its_wrapper(tdd: pytest.Pytester) -> None:
    support = """
        import functools

        def logged(function):
            @functools.wraps(function)
            def wrapper(*args, **kwargs):
                return function(*args, **kwargs)
            return wrapper
        """
    test = """
        from support import logged

        def check(value):
            assert value

        @logged
        def test_a():
            check(1)
        """
    items = collect(tdd, {"tests/support.py": support, "tests/test_sample.py": test})
    assert dependencies(items["test_a"]) == [
        ("check", "tests/test_sample.py"),
        ("logged", "tests/support.py"),
    ]


def test_a_doctest_has_no_digest(tdd: pytest.Pytester) -> None:
    write(tdd, {"tests/test_doc.txt": ">>> 1 + 1\n2\n"})
    (item,) = tdd.getitems(Path(tdd.path, "tests/test_doc.txt"))
    assert digest(item) is None


def test_a_test_class_made_at_run_time_depends_on_what_its_function_reaches(
    tdd: pytest.Pytester,
) -> None:
    test = """
        def check(value):
            assert value

        def a_test(self):
            check(1)

        TestMade = type("TestMade", (), {"test_a": a_test})
        """
    items = collect(tdd, {"tests/test_sample.py": test})
    assert dependencies(items["test_a"]) == [("check", "tests/test_sample.py")]


def test_renaming_a_local_of_a_helper_or_retyping_it_keeps_the_digest(
    tdd: pytest.Pytester,
) -> None:
    before = """
        from typing import List


        def check(values: List[int]):
            total = sum(values)
            assert total == 1


        def test_a():
            check([1])
        """
    after = before.replace("List[int]", "list[int]").replace("total", "found")
    first = digest(collect(tdd, {"tests/test_sample.py": before})["test_a"])
    second = digest(collect(tdd, {"tests/test_other.py": after}, "tests/test_other.py")["test_a"])
    assert first == second
