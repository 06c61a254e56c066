"""``pytest --tdd-upgrade``: move an evidence file of format version 1 to version 2.

Version 1 holds fingerprints of scheme 1, which counted type annotations and the names of
local variables. The upgrade collects the tests (it runs none), fingerprints each one in
both schemes, and re-binds every record whose scheme-1 fingerprint belongs to a collected
test to that test's scheme-2 fingerprint (and the digest of the test code it depends on).
A record that matches no collected test is kept as it was and named: it then counts as a
changed test, as it would have before.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from pytest_tdd import closure, evidence, identity
from pytest_tdd.evidence import Record
from pytest_tdd.observe import SourceCache, identify
from pytest_tdd.phases import Identity
from pytest_tdd.settings import Settings

# nodeid -> (its identity in scheme 1, its current identity)
Pairs = Mapping[str, tuple[Identity, Identity]]


def rebind(
    ledger: Mapping[str, tuple[Record, ...]], pairs: Pairs
) -> tuple[dict[str, tuple[Record, ...]], int, list[str]]:
    """The ledger re-bound to the current scheme, how many records were re-bound, and the
    ids of the records left as they were. Pure."""
    fingerprints = {old.fingerprint: new.fingerprint for old, new in pairs.values()}
    upgraded: dict[str, tuple[Record, ...]] = {}
    count, kept = 0, []
    for nodeid, records in ledger.items():
        result = []
        for record in records:
            fingerprint = fingerprints.get(record.fingerprint)
            if fingerprint is None:
                result.append(record)
                kept.append(nodeid)
                continue
            pair = pairs.get(nodeid)
            same = pair is not None and pair[0].fingerprint == record.fingerprint
            deps = pair[1].deps if pair is not None and same else None
            result.append(record._replace(fingerprint=fingerprint, deps=deps))
            count += 1
        upgraded[nodeid] = tuple(result)
    return upgraded, count, sorted(set(kept))


class Upgrade:
    """Registered as ``tdd-upgrade`` by ``--tdd-upgrade``, in a single process."""

    def __init__(self, config: pytest.Config, settings: Settings) -> None:
        if getattr(config.option, "dist", "no") != "no":
            raise pytest.UsageError("--tdd-upgrade runs in one process: leave out -n")
        self.config = config
        self.settings = settings
        self.pairs: dict[str, tuple[Identity, Identity]] = {}
        self.lines: list[str] = []

    def pytest_exception_interact(
        self, node: pytest.Item | pytest.Collector, call: pytest.CallInfo[Any], report: Any
    ) -> None:
        """A test module that cannot be imported: its tests as found in its source."""
        if not isinstance(node, pytest.Module):
            return
        try:
            source = node.path.read_text("utf-8")
            found = {
                scheme: identity.find_tests_in_source(
                    source,
                    functions=self.config.getini("python_functions"),
                    classes=self.config.getini("python_classes"),
                    scheme=scheme,
                )
                for scheme in (1, identity.SCHEME)
            }
        except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
            return
        for (names, old), (_, new) in zip(found[1], found[identity.SCHEME], strict=True):
            self.pairs["::".join([node.nodeid, *names])] = (Identity(old), Identity(new))

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        old_sources, new_sources = SourceCache(scheme=1, keep=False), SourceCache(keep=False)
        closures = closure.ClosureCache(new_sources.modules)  # files parsed once for both
        for item in session.items:
            new = identify(item, new_sources)
            deps = closure.dependency_digest(item, closures, self.settings.rootpath)
            self.pairs[item.nodeid] = (identify(item, old_sources), new._replace(deps=deps))
        path = self.settings.state_file
        try:
            with evidence.locked(path, self.settings.lock_timeout):
                version, ledger = evidence.load_any(path)
                shown = self.settings.shown(path)
                if version == evidence.FORMAT_VERSION:
                    self.lines.append(
                        f"tdd: {shown} is already at format version {version}: nothing to upgrade"
                    )
                    return
                upgraded, count, kept = rebind(ledger, self.pairs)
                evidence.save(path, upgraded)
        except evidence.EvidenceError as error:
            raise pytest.UsageError(f"{error}\nThe file was left as it is.") from None
        self.lines.append(
            f"tdd: upgraded {shown} to format version {evidence.FORMAT_VERSION}: "
            f"{count} record{'' if count == 1 else 's'} re-bound, {len(kept)} kept as "
            f"{'it was' if len(kept) == 1 else 'they were'}"
        )
        self.lines.extend(
            f"tdd: kept as it was (no collected test has its code): {nodeid}" for nodeid in kept
        )

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool:
        return True  # collect, re-bind, run nothing

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        for line in self.lines:
            terminalreporter.write_line(line)
