"""Unit tests for test fingerprints and for finding tests in source that cannot be imported
(pure: source text in, fingerprints out; one test compares with what pytest collects)."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import pytest

from pytest_tdd import identity


def fp_of(source: str, line: int = 1) -> str:
    index = identity.index_source(textwrap.dedent(source))
    found = index.at_line(line)
    assert found is not None
    return found


def test_whitespace_and_comments_do_not_change_the_fingerprint() -> None:
    plain = fp_of(
        """
        def test_a():
            assert add(1, 2) == 3
        """,
        2,
    )
    noisy = fp_of(
        """
        def test_a():   # a comment

            # another comment
            assert add( 1,2 )==3
        """,
        2,
    )
    assert plain == noisy


def test_renaming_the_function_keeps_the_fingerprint() -> None:
    assert fp_of("def test_a():\n    assert f() == 1\n") == fp_of(
        "def test_b():\n    assert f() == 1\n"
    )


def test_changing_the_body_changes_the_fingerprint() -> None:
    assert fp_of("def test_a():\n    assert f() == 1\n") != fp_of(
        "def test_a():\n    assert f() == 2\n"
    )


def test_changing_the_quote_style_keeps_the_fingerprint() -> None:
    assert fp_of("def test_a():\n    assert f('x')\n") == fp_of(
        'def test_a():\n    assert f("x")\n'
    )


def test_the_docstring_does_not_count() -> None:
    assert fp_of('def test_a():\n    """One."""\n    assert f()\n') == fp_of(
        'def test_a():\n    """Two."""\n    assert f()\n'
    )


def test_changing_the_requested_fixtures_changes_the_fingerprint() -> None:
    assert fp_of("def test_a(tmp_path):\n    assert f()\n") != fp_of(
        "def test_a(capsys):\n    assert f()\n"
    )


def test_parametrize_values_are_not_part_of_the_function_fingerprint() -> None:
    one = fp_of(
        """
        @pytest.mark.parametrize("x", [1, 2])
        def test_a(x):
            assert f(x)
        """,
        2,
    )
    two = fp_of(
        """
        @pytest.mark.parametrize("x", [0, 1, 2])
        def test_a(x):
            assert f(x)
        """,
        2,
    )
    assert one == two


def test_other_decorators_are_part_of_the_fingerprint() -> None:
    plain = fp_of("def test_a():\n    assert f()\n")
    patched = fp_of("@patch('m.g')\ndef test_a():\n    assert f()\n")
    assert plain != patched


def test_a_decorated_function_is_found_by_its_first_decorator_line() -> None:
    source = """
    import pytest

    @pytest.mark.slow
    @pytest.mark.parametrize("x", [1])
    def test_a(x):
        assert x
    """
    index = identity.index_source(textwrap.dedent(source))
    assert index.at_line(4) is not None
    assert index.at_line(4) == index.at_line(6)


def test_methods_of_nested_classes_are_indexed() -> None:
    source = """
    class TestOuter:
        class TestInner:
            def test_m(self):
                assert 1
    """
    index = identity.index_source(textwrap.dedent(source))
    assert index.at_line(4) is not None


def test_an_unknown_line_has_no_fingerprint() -> None:
    index = identity.index_source("x = 1\n")
    assert index.at_line(1) is None


def test_async_and_sync_functions_with_the_same_body_differ() -> None:
    assert fp_of("def test_a():\n    assert f()\n") != fp_of(
        "async def test_a():\n    assert f()\n"
    )


# Golden values, taken from the first implementation on Python 3.11 and checked by hand
# to be equal on 3.10, 3.12 and 3.13: the same source must give the same fingerprint on
# every supported Python, or evidence recorded on one interpreter would be void on another.
GOLDEN = {
    "def test_a(x):\n    assert add(x, 2) == 3\n": "a4515a4d28d834ad",
    'def test_f(x):\n    assert f"a{x!r:>{10}}b{x=}" == f"{x}" "z"\n': "eb2e4f756d862692",
    "async def test_b():\n    with pytest.raises(ValueError, match='x'):\n"
    "        await g(*[1], **{'k': 2})\n": "454ef7d929bc1940",
    "def test_m(v):\n    match v:\n        case [1, *rest] if rest:\n            pass\n"
    "        case {'k': int(n)}:\n            assert n\n": "27d6b4f2f0b201bd",
}


@pytest.mark.parametrize("source", sorted(GOLDEN))
def test_fingerprints_are_the_same_on_every_python_version(source: str) -> None:
    assert fp_of(source) == GOLDEN[source]


class Unreprable:
    def __repr__(self) -> str:
        return f"<Unreprable object at {id(self):#x}>"


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ({"b", "a", "c"}, {"c", "b", "a"}),
        (frozenset({3, 1}), frozenset({1, 3})),
        (Unreprable(), Unreprable()),
        ([{"z", "y"}, (1, 2.5)], [{"y", "z"}, (1, 2.5)]),
        ({"k": {2, 1}}, {"k": {1, 2}}),
    ],
)
def test_case_fingerprints_ignore_set_order_and_memory_addresses(
    left: object, right: object
) -> None:
    assert identity.case_fingerprint({"x": left}) == identity.case_fingerprint({"x": right})


def test_case_fingerprints_ignore_the_id_in_a_mocks_repr() -> None:
    # repr(Mock()) holds id(): a new number in every run, which made the case new each time
    from unittest import mock

    first, second = mock.Mock(return_value=3), mock.MagicMock(name="total", return_value=3)
    again = mock.Mock(return_value=3), mock.MagicMock(name="total", return_value=3)
    assert identity.case_fingerprint({"m": first}) == identity.case_fingerprint({"m": again[0]})
    assert identity.case_fingerprint({"m": second}) == identity.case_fingerprint({"m": again[1]})


def test_case_fingerprints_differ_for_different_values() -> None:
    assert identity.case_fingerprint({"x": 1}) != identity.case_fingerprint({"x": 2})
    assert identity.case_fingerprint({"x": 1}) != identity.case_fingerprint({"y": 1})


def test_test_functions_are_found_in_source_that_cannot_be_imported() -> None:
    source = """
    from calc import add, sub  # does not exist yet

    def helper():
        pass

    def test_add():
        assert add(1, 2) == 3

    class TestSub:
        def test_sub(self):
            assert sub(3, 2) == 1

        def not_a_test(self):
            pass

    class Helper:
        def test_ignored(self):
            pass
    """
    found = identity.find_tests_in_source(
        textwrap.dedent(source), functions=["test*"], classes=["Test*"]
    )
    assert [names for names, _ in found] == [["test_add"], ["TestSub", "test_sub"]]
    assert found[0][1] == fp_of("def test_add():\n    assert add(1, 2) == 3\n")


def test_doctest_fingerprints_ignore_surrounding_prose() -> None:
    one = identity.doctest_fingerprint([(">>> add(1, 2)\n", "3\n")])
    two = identity.doctest_fingerprint([(">>> add(1, 2)  \n", "3\n")])
    other = identity.doctest_fingerprint([(">>> add(1, 2)\n", "4\n")])
    assert one == two
    assert one != other


def test_a_method_and_a_function_with_the_same_body_share_a_fingerprint() -> None:
    method = textwrap.dedent(
        """
        class TestAdd:
            def test_add(self):
                assert add(1, 2) == 3
        """
    )
    assert identity.index_source(method).at_line(3) == fp_of(
        "def test_add():\n    assert add(1, 2) == 3\n"
    )


# -- fingerprint scheme 2: annotations and the names of locals do not count ----------------


def scheme2_fp(source: str, line: int = 1) -> str:
    found = identity.index_source(textwrap.dedent(source), scheme=2).at_line(line)
    assert found is not None
    return found


def function(body: str, signature: str = "def test_a():") -> str:
    """A test function's source: ``signature`` and the indented lines of ``body``."""
    return signature + "\n" + textwrap.indent(textwrap.dedent(body).strip("\n"), "    ") + "\n"


@pytest.mark.parametrize("source", sorted(GOLDEN))
def test_scheme_1_gives_the_fingerprints_of_the_first_implementation(source: str) -> None:
    assert identity.index_source(source, scheme=1).at_line(1) == GOLDEN[source]


def test_the_current_scheme_is_the_second_of_two() -> None:
    assert identity.SCHEME == 2
    assert identity.SCHEMES == (1, 2)


def test_an_unknown_scheme_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown fingerprint scheme 3"):
        identity.index_source("def test_a():\n    pass\n", scheme=3)


def test_scheme_2_keeps_the_fingerprint_when_a_typing_alias_becomes_a_builtin_generic() -> None:
    old = function("assert f(data)", "def test_a(data: Dict[str, List[int]]):")
    new = function("assert f(data)", "def test_a(data: dict[str, list[int]]):")
    assert scheme2_fp(old) == scheme2_fp(new)


def test_scheme_2_ignores_the_annotations_of_every_kind_of_parameter() -> None:
    body = "assert f(p, q, args, k, kw)"
    annotated = "def test_a(p: int, /, q: Optional[X], *args: int, k: str = '', **kw: Any):"
    plain = "def test_a(p, /, q, *args, k='', **kw):"
    assert scheme2_fp(function(body, annotated)) == scheme2_fp(function(body, plain))


def test_scheme_2_ignores_the_return_annotation() -> None:
    annotated = function("assert f()", "def test_a() -> None:")
    assert scheme2_fp(annotated) == scheme2_fp(function("assert f()"))


def test_scheme_2_fingerprints_an_annotated_assignment_like_a_plain_one() -> None:
    annotated = function("x: Dict[str, int] = {}\nassert f(x)")
    assert scheme2_fp(annotated) == scheme2_fp(function("x = {}\nassert f(x)"))


def test_scheme_2_leaves_a_bare_annotation_out_entirely() -> None:
    with_bare = function("x: int\ny = g()\nx = h(y)\nassert x")
    assert scheme2_fp(with_bare) == scheme2_fp(function("y = g()\nx = h(y)\nassert x"))


def test_scheme_2_counts_annotations_in_a_class_body_as_dataclasses_read_them() -> None:
    field = function("@dataclass\nclass P:\n    x: int = 0\nassert P(1)")
    class_var = function("@dataclass\nclass P:\n    x: ClassVar[int] = 0\nassert P(1)")
    assert scheme2_fp(field) != scheme2_fp(class_var)


def test_scheme_2_keeps_the_fingerprint_when_a_local_is_renamed() -> None:
    one = function("result = add(1, 2)\nassert result == 3")
    two = function("total = add(1, 2)\nassert total == 3")
    assert scheme2_fp(one) == scheme2_fp(two)


# Each way a function binds a local name; NAME is the local's name.
BINDINGS = {
    "assignment": "NAME = g()\nassert NAME",
    "unpacking": "first, *NAME = g()\nassert NAME",
    "augmented assignment": "NAME = 0\nNAME += g()\nassert NAME",
    "annotated assignment": "NAME: int = g()\nassert NAME",
    "deletion": "NAME = g()\ndel NAME",
    "for": "for NAME in g():\n    assert NAME",
    "with": "with g() as NAME:\n    assert NAME",
    "except": "try:\n    g()\nexcept E as NAME:\n    assert NAME",
    "walrus": "assert (NAME := g())\nassert NAME",
    "comprehension": "assert [NAME for NAME in g() if NAME]",
    "import alias": "import os.path as NAME\nassert NAME",
    "import": "from os import path as NAME\nassert NAME",
    "function": "def NAME():\n    pass\nassert NAME()",
    "class": "class NAME:\n    pass\nassert NAME()",
    "match capture": "match g():\n    case [1, NAME] if NAME:\n        assert NAME",
    "match star": "match g():\n    case [*NAME]:\n        assert NAME",
    "match mapping rest": "match g():\n    case {'k': 1, **NAME}:\n        assert NAME",
    "local of a nested function": "def inner():\n    NAME = g()\n    return NAME\nassert inner()",
    "lambda's closure": "NAME = g()\nassert (lambda: NAME)()",
    "nested class reading a local": "NAME = g()\nclass C:\n    x = NAME\nassert C.x",
}
ASYNC_BINDINGS = {
    "async for": "async for NAME in g():\n    assert NAME",
    "async with": "async with g() as NAME:\n    assert NAME",
}


@pytest.mark.parametrize("kind", sorted(BINDINGS))
def test_scheme_2_keeps_the_fingerprint_when_a_local_bound_in_any_way_is_renamed(
    kind: str,
) -> None:
    one = function(BINDINGS[kind].replace("NAME", "first_name"))
    two = function(BINDINGS[kind].replace("NAME", "other"))
    assert scheme2_fp(one) == scheme2_fp(two)


@pytest.mark.parametrize("kind", sorted(ASYNC_BINDINGS))
def test_scheme_2_keeps_the_fingerprint_when_a_local_bound_asynchronously_is_renamed(
    kind: str,
) -> None:
    signature = "async def test_a():"
    one = function(ASYNC_BINDINGS[kind].replace("NAME", "first_name"), signature)
    two = function(ASYNC_BINDINGS[kind].replace("NAME", "other"), signature)
    assert scheme2_fp(one) == scheme2_fp(two)


def test_scheme_2_changes_the_fingerprint_when_a_parameter_is_renamed() -> None:
    one = function("assert f(tmp_path)", "def test_a(tmp_path):")
    two = function("assert f(tmpdir)", "def test_a(tmpdir):")
    assert scheme2_fp(one) != scheme2_fp(two)


def test_scheme_2_changes_the_fingerprint_when_two_locals_swap_places() -> None:
    one = function("a = 1\nb = 2\nassert a < b")
    two = function("a = 1\nb = 2\nassert b < a")
    assert scheme2_fp(one) != scheme2_fp(two)


def test_scheme_2_changes_the_fingerprint_when_a_global_name_is_renamed() -> None:
    assert scheme2_fp(function("assert helper(1)")) != scheme2_fp(function("assert other(1)"))


def test_scheme_2_does_not_rename_a_name_declared_global() -> None:
    one = function("global counter\ncounter = 1\nassert f()")
    two = function("global total\ntotal = 1\nassert f()")
    assert scheme2_fp(one) != scheme2_fp(two)


def test_scheme_2_does_not_rename_a_name_declared_nonlocal() -> None:
    body = "NAME = 0\ndef bump():\n    nonlocal NAME\n    NAME += 1\nbump()\nassert NAME == 1"
    one = function(body.replace("NAME", "count"))
    two = function(body.replace("NAME", "total"))
    assert scheme2_fp(one) != scheme2_fp(two)


def test_scheme_2_does_not_rename_a_global_read_where_a_nested_scope_binds_its_name() -> None:
    one = function("assert x\nassert [x for x in g()]")
    two = function("assert y\nassert [y for y in g()]")
    assert scheme2_fp(one) != scheme2_fp(two)


def test_scheme_2_does_not_rename_the_attributes_a_nested_class_body_binds() -> None:
    one = function("class C:\n    x = 1\nassert C.x == 1")
    two = function("class C:\n    y = 1\nassert C.x == 1")
    assert scheme2_fp(one) != scheme2_fp(two)


def test_scheme_2_does_not_rename_the_parameters_of_a_nested_function() -> None:
    one = function("def inner(x):\n    return x\nassert inner(x=1)")
    two = function("def inner(y):\n    return y\nassert inner(x=1)")
    assert scheme2_fp(one) != scheme2_fp(two)


def test_scheme_2_does_not_rename_a_module_imported_by_its_dotted_name() -> None:
    reads_the_module = function("import os.path\nassert f(os)\nos = g()")
    reads_a_local_too_early = function("import os.path\nassert f(other)\nother = g()")
    assert scheme2_fp(reads_the_module) != scheme2_fp(reads_a_local_too_early)


def test_scheme_2_takes_a_walrus_in_a_comprehension_to_bind_in_the_function() -> None:
    reads_the_walrus = function("assert [(y := v) for v in g()]\nassert y")
    reads_a_global = function("assert [(z := v) for v in g()]\nassert y")
    assert scheme2_fp(reads_the_walrus) != scheme2_fp(reads_a_global)


def test_scheme_2_takes_a_dict_comprehension_to_be_a_scope_of_its_own() -> None:
    one = function("assert x\nassert {x: 1 for x in g()}")
    two = function("assert y\nassert {y: 1 for y in g()}")
    assert scheme2_fp(one) != scheme2_fp(two)


def test_scheme_2_renames_a_local_that_a_global_declaration_hides_from_a_nested_scope() -> None:
    body = "NAME = 1\ndef outer():\n    global x\n    def inner():\n        return x\n"
    body += "    return inner\nassert outer()() == NAME"
    one = function(body.replace("NAME", "x"))
    two = function(body.replace("NAME", "y"))
    assert scheme2_fp(one) == scheme2_fp(two)


# Pairs of sources that scheme 1 gives one fingerprint: so must scheme 2.
SAME_IN_BOTH_SCHEMES = {
    "whitespace and comments": (
        function("assert add(1, 2) == 3"),
        function("assert add( 1,2 )==3  # sum\n# done"),
    ),
    "the function's name": (function("assert f()"), function("assert f()", "def test_b():")),
    "the docstring": (function("'''One.'''\nassert f()"), function("'''Two.'''\nassert f()")),
    "parametrize values": (
        "@pytest.mark.parametrize('x', [1])\n" + function("assert f(x)", "def test_a(x):"),
        "@pytest.mark.parametrize('x', [2])\n" + function("assert f(x)", "def test_a(x):"),
    ),
}


@pytest.mark.parametrize("what", sorted(SAME_IN_BOTH_SCHEMES))
def test_scheme_2_ignores_what_scheme_1_ignores(what: str) -> None:
    one, two = SAME_IN_BOTH_SCHEMES[what]
    assert scheme2_fp(one) == scheme2_fp(two)


def test_scheme_2_gives_a_method_the_fingerprint_of_a_function_with_the_same_body() -> None:
    method = "class TestAdd:\n" + textwrap.indent(
        function("total = add(1, 2)\nassert total == 3", "def test_add(self, x: int):"), "    "
    )
    plain = function("total = add(1, 2)\nassert total == 3", "def test_add(x):")
    assert scheme2_fp(method, 2) == scheme2_fp(plain)


def test_scheme_2_gives_a_function_without_annotations_or_locals_its_scheme_1_fingerprint() -> None:
    source = function("assert add(x, 2) == 3", "def test_a(x):")
    assert scheme2_fp(source) == fp_of(source)


def test_tests_found_in_source_are_fingerprinted_with_the_scheme_given() -> None:
    source = function("y = x\nassert y", "def test_a(x: Dict[str, int]):")
    found = identity.find_tests_in_source(source, functions=["test"], classes=["Test"], scheme=2)
    assert found == [(["test_a"], scheme2_fp(source))]
    assert found[0][1] != fp_of(source)


# Golden values of scheme 2, taken from its first implementation on Python 3.11 and checked
# to be equal on 3.10, 3.12 and 3.13.
GOLDEN_2 = {
    "def test_a(x: Dict[str, int]) -> None:\n    y: List[int] = [x]\n    assert f(y)\n": (
        "73a8383354874e0d"
    ),
    "async def test_b(tmp_path):\n    import os as o\n    async with g() as c:\n"
    "        for i, (k, v) in enumerate(c):\n            assert (n := o.sep) and {k: v}\n"
    "    def inner(p, q=1):\n        nonlocal c\n        return [p for p in q if p]\n"
    "    assert inner(c, q=[n]) and f'{c=}{i!r:>{n}}'\n": "9fbc49af7ceb235f",
    "def test_m(v):\n    global g\n    try:\n        g = h(v)\n    except E as e:\n"
    "        raise X from e\n    match v:\n        case [1, *rest] if rest:\n"
    "            pass\n        case {'k': int(n), **more}:\n            assert n and more\n"
    "    class C:\n        a: int = v\n        b = [a for a in range(3)]\n"
    "    del C\n": "bf19446d3d14d539",
}


@pytest.mark.parametrize("source", sorted(GOLDEN_2))
def test_scheme_2_fingerprints_are_the_same_on_every_python_version(source: str) -> None:
    assert scheme2_fp(source) == GOLDEN_2[source]


# -- unittest classes in source that cannot be imported ------------------------------------


def found_names(
    source: str, functions: Sequence[str] = ("test",), classes: Sequence[str] = ("Test",)
) -> list[str]:
    found = identity.find_tests_in_source(
        textwrap.dedent(source), functions=list(functions), classes=list(classes)
    )
    return ["::".join(names) for names, _ in found]


def test_a_unittest_case_is_found_whatever_its_name() -> None:
    source = """
    import unittest

    class ParserCase(unittest.TestCase):
        def test_parse(self):
            pass

        def helper(self):
            pass
    """
    assert found_names(source) == ["ParserCase::test_parse"]


def test_unittest_methods_are_found_by_their_test_prefix_whatever_python_functions_says() -> None:
    source = """
    import unittest

    class TestParser(unittest.TestCase):
        def test_parse(self):
            pass

        def check_parse(self):
            pass
    """
    assert found_names(source, functions=["check_*"]) == ["TestParser::test_parse"]


@pytest.mark.parametrize(
    ("header", "base"),
    [
        ("from unittest import TestCase", "TestCase"),
        ("import unittest", "unittest.TestCase"),
        ("from unittest import IsolatedAsyncioTestCase", "IsolatedAsyncioTestCase"),
        ("import unittest", "unittest.IsolatedAsyncioTestCase"),
        ("from unittest import TestCase as Base", "Base"),
        ("import unittest as ut", "ut.TestCase"),
    ],
)
def test_every_spelling_of_a_testcase_base_is_recognised(header: str, base: str) -> None:
    source = f"{header}\n\nclass Parsing({base}):\n    def test_parse(self):\n        pass\n"
    assert found_names(source) == ["Parsing::test_parse"]


def test_a_class_is_a_unittest_case_through_base_classes_defined_in_the_module() -> None:
    source = """
    import unittest

    class Base(unittest.TestCase):
        pass

    class Middle(Base):
        pass

    class Leaf(Middle):
        def test_leaf(self):
            pass
    """
    assert found_names(source) == ["Leaf::test_leaf"]


def test_inherited_unittest_methods_are_found_on_the_subclass_with_the_base_fingerprint() -> None:
    source = textwrap.dedent(
        """
        import unittest

        class Base(unittest.TestCase):
            def test_shared(self):
                assert f()

        class Sub(Base):
            def test_own(self):
                assert g()
        """
    )
    found = {
        "::".join(names): fp
        for names, fp in identity.find_tests_in_source(source, ["test"], ["Test"])
    }
    assert list(found) == ["Base::test_shared", "Sub::test_own", "Sub::test_shared"]
    assert found["Sub::test_shared"] == found["Base::test_shared"]
    assert found["Sub::test_shared"] == fp_of("def test_shared():\n    assert f()\n")


def test_unittest_methods_are_found_in_name_order_as_unittest_loads_them() -> None:
    source = """
    import unittest

    class Case(unittest.TestCase):
        def test_b(self):
            pass

        def test_a(self):
            pass
    """
    assert found_names(source) == ["Case::test_a", "Case::test_b"]


def test_a_unittest_case_that_says_it_is_no_test_is_left_out() -> None:
    source = """
    import unittest

    class Checks(unittest.TestCase):
        __test__ = False

        def test_shared(self):
            pass

    class Real(Checks):
        __test__ = True
    """
    assert found_names(source) == ["Real::test_shared"]


def test_a_unittest_case_without_test_methods_is_found_by_its_run_test_method() -> None:
    source = """
    import unittest

    class Case(unittest.TestCase):
        def runTest(self):
            pass
    """
    assert found_names(source) == ["Case::runTest"]


def test_a_class_named_testcase_defined_in_the_module_is_not_taken_for_unittest() -> None:
    source = """
    class TestCase:
        def check_a(self):
            pass

        def test_b(self):
            pass

    class TestSub(TestCase):
        def check_c(self):
            pass
    """
    assert found_names(source, functions=["check"]) == [
        "TestCase::check_a",
        "TestSub::check_a",
        "TestSub::check_c",
    ]


def test_inherited_methods_of_plain_test_classes_are_found_on_the_subclass() -> None:
    source = """
    class TestBase:
        def test_base(self):
            pass

    class TestChild(TestBase):
        def test_child(self):
            pass
    """
    assert found_names(source) == [
        "TestBase::test_base",
        "TestChild::test_base",
        "TestChild::test_child",
    ]


# Plugins that would change or slow down an inner collection, left out of it.
INNER_OPTIONS = (
    *("-p", "no:tdd", "-p", "no:randomly", "-p", "no:hypothesispytest"),
    *("-o", "asyncio_default_fixture_loop_scope=function"),
)

COLLECTABLE = """
import unittest
from unittest import TestCase as Base


class Checks:
    def test_from_mixin(self):
        pass

    def helper(self):
        pass


class ParserCase(unittest.TestCase):
    def test_b(self):
        pass

    def test_a(self):
        pass

    def check_c(self):
        pass

    class TestNested:
        def test_nested(self):
            pass


class Derived(ParserCase):
    def test_a(self):
        pass

    def test_d(self):
        pass


class Mixed(Checks, Base):
    def test_mixed(self):
        pass


class Disabled(unittest.TestCase):
    __test__ = False

    def test_never(self):
        pass


class Enabled(Disabled):
    __test__ = True

    def test_again(self):
        pass


class OnlyRunTest(unittest.TestCase):
    def runTest(self):
        pass


class TestPlain:
    def test_plain(self):
        pass

    class TestInner:
        def test_inner(self):
            pass


class TestPlainChild(TestPlain):
    def test_child(self):
        pass


def test_function():
    pass
"""


def test_tests_found_in_source_are_the_tests_pytest_collects(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_collectable=COLLECTABLE)
    items, _ = pytester.inline_genitems(*INNER_OPTIONS)
    collected = [item.nodeid.split("::", 1)[1] for item in items]
    broken = "from calc import not_written_yet\n" + COLLECTABLE
    assert found_names(broken) == collected


@pytest.mark.parametrize("spec", [dict, list, tuple, set])
def test_a_mock_with_the_spec_of_a_container_is_told_by_its_repr(spec: type) -> None:
    # Such a mock passes isinstance(value, spec); it is not one to iterate
    from unittest.mock import Mock

    text = identity.stable_repr(Mock(spec=spec))
    assert text == f"<Mock spec='{spec.__name__}'>"
