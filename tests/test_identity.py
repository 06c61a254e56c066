"""Unit tests for test fingerprints (pure: source text in, fingerprints out)."""

from __future__ import annotations

import textwrap

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
