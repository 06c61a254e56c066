"""Whether a test named in the evidence has left a file the run did not collect."""

from __future__ import annotations

from pathlib import Path

from pytest_tdd.departed import Departures


def departures(tmp_path: Path, source: str, name: str = "test_x.py") -> Departures:
    (tmp_path / name).write_text(source)
    return Departures(tmp_path)


def test_a_test_whose_function_is_no_longer_in_its_file_has_left_it(tmp_path: Path) -> None:
    found = departures(tmp_path, "def test_b():\n    assert 1\n")
    assert found.left("test_x.py::test_a")
    assert not found.left("test_x.py::test_b")


def test_the_cases_of_a_function_follow_the_function(tmp_path: Path) -> None:
    found = departures(tmp_path, "def test_b(n):\n    assert n\n")
    assert found.left("test_x.py::test_a[1]")
    assert not found.left("test_x.py::test_b[1-x]")


def test_a_method_of_a_class_still_in_the_file_has_not_left(tmp_path: Path) -> None:
    # The class stays; whether the method went, or is inherited, is not told here
    found = departures(tmp_path, "class TestK:\n    def test_b(self):\n        pass\n")
    assert not found.left("test_x.py::TestK::test_gone")
    assert found.left("test_x.py::TestGone::test_b")


def test_a_name_bound_other_than_by_def_keeps_its_test(tmp_path: Path) -> None:
    source = (
        "from helpers import test_imported\n"
        "import pkg.test_module\n"
        "test_made = make()\n"
        "if True:\n    def test_in_if(): pass\n"
        "try:\n    pass\nexcept Exception as test_caught:\n    pass\n"
    )
    found = departures(tmp_path, source)
    for name in ("test_imported", "pkg", "test_made", "test_in_if", "test_caught"):
        assert not found.left(f"test_x.py::{name}")


def test_a_star_import_or_a_file_that_cannot_be_parsed_tells_nothing(tmp_path: Path) -> None:
    assert not departures(tmp_path, "from helpers import *\n").left("test_x.py::test_a")
    assert not departures(tmp_path, "def test_b(:\n", "test_y.py").left("test_y.py::test_a")
    assert not Departures(tmp_path).left("test_missing.py::test_a")


def test_ids_that_do_not_start_with_a_python_name_have_not_left(tmp_path: Path) -> None:
    found = departures(tmp_path, "def f():\n    '''>>> 1\n    1'''\n")
    assert not found.left("test_x.py::test_x.f")  # a doctest of the module
    (tmp_path / "README.txt").write_text(">>> 1\n1\n")
    assert not found.left("README.txt::README.txt")
