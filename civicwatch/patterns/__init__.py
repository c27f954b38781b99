"""Patterns across complaints: allegations (what was done, to whom, by whom, where, when), the register of
security units, posts and officers they name, related cases and pattern alerts."""
