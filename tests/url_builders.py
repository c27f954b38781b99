"""Every test builds its own app, and building one is mostly werkzeug compiling a URL builder for each of the
app's ~120 routes (two small functions per route, generated through `ast` and `compile`): about 85% of an
app's start, paid again by every one of the suite's thousands of tests.

A generated builder depends only on the rule's text and what werkzeug parsed from it: it is an unbound function
that reads the converters from the rule it is bound to (`.self`). So one compiled for a rule serves every later
app's identical rule. Rules with defaults are compiled as usual (a default can be turned into a constant by the
rule's own converter).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from werkzeug.routing.rules import Rule

_compile_builder = Rule._compile_builder
_builders: dict[tuple[Any, ...], Callable[..., tuple[str, str]]] = {}


def _shared_compile_builder(self: Rule, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
    if self.defaults:
        return _compile_builder(self, append_unknown)
    key = (self.rule, self.host, self.subdomain, self.map.host_matching, tuple(self._trace), append_unknown)
    builder = _builders.get(key)
    if builder is None:
        builder = _builders[key] = _compile_builder(self, append_unknown)
    return builder


def share_url_builders() -> None:
    Rule._compile_builder = _shared_compile_builder  # type: ignore[method-assign]
