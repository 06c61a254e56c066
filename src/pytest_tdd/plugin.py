"""pytest entry point (``-p no:tdd`` disables it): chooses the roles of this process.

Two roles, chosen once in ``pytest_configure`` (as pytest-cov chooses its controller):

* ``RunSide`` (``runside.py``), where tests are collected and run: a single process, or
  each xdist worker;
* ``ReportSide`` (``reportside.py``), where reports arrive and the run is judged: a single
  process, or the xdist controller.

A single process registers both, sharing one ``Sighting``; a worker sends its own to the
controller through ``workeroutput``.
"""

from __future__ import annotations

import pytest

# Only the options here: the plugin is loaded into every run once installed, and a run
# without a phase (the everyday one) imports nothing else (the roles are imported below).
from pytest_tdd.settings import EXEMPT_MARKER, add_options, resolve

RUN_NAME = "tdd-run"
REPORT_NAME = "tdd-report"


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def _is_controller(config: pytest.Config) -> bool:
    """Will xdist run the tests in workers, so that this process only receives reports?
    (xdist sets ``dist`` from ``-n`` before any plugin is configured.)"""
    return getattr(config.option, "dist", "no") != "no" and not hasattr(config, "workerinput")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", EXEMPT_MARKER)
    if config.option.help:
        return
    settings = resolve(config)
    if settings.status:  # collect, show each test's state, run nothing
        from pytest_tdd.status import register_status

        register_status(config, settings, RUN_NAME)
        return
    if config.option.collectonly:
        if settings.json_path is not None:
            from pytest_tdd.reportside import CollectOnlyReport

            config.pluginmanager.register(CollectOnlyReport(settings), REPORT_NAME)
        return
    if settings.upgrade:
        from pytest_tdd.upgrade import Upgrade

        config.pluginmanager.register(Upgrade(config, settings), "tdd-upgrade")
        return
    if not settings.active:
        return
    from pytest_tdd.observe import Sighting
    from pytest_tdd.reportside import RedLetters, ReportSide, XdistHooks
    from pytest_tdd.runside import RunSide, Selection

    worker = hasattr(config, "workerinput")
    sighting = Sighting()
    if settings.records:
        # Judge every test, including those of a test module that cannot be imported yet.
        config.option.continue_on_collection_errors = True
        selection = Selection.take_from(config, settings.rootpath)
        if worker or not _is_controller(config):
            run = RunSide(config, settings, sighting, selection)
            config.pluginmanager.register(run, RUN_NAME)
    if worker and settings.verify is not None:  # each worker sends what it saw to verify
        from pytest_tdd.verify import PROBE_NAME, Probe, Seen

        config.pluginmanager.register(Probe(config, Seen()), PROBE_NAME)
    if not worker:
        side = ReportSide(config, settings, sighting)
        config.pluginmanager.register(side, REPORT_NAME)
        if settings.phase == "red":
            config.pluginmanager.register(RedLetters(settings.accept), "tdd-red-letters")
        if config.pluginmanager.hasplugin("xdist"):
            config.pluginmanager.register(XdistHooks(side), "tdd-xdist")
