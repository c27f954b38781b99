"""A long alternation of cues rewritten as a tree of their leading characters, for a search that only asks whether
some cue occurs.

Python's regular expressions try every alternative in turn at each place a match could start; with a hundred cues,
most of them plain words, that is most of the search's time. Rewritten, each place reads one character at a time
down the cues that share it. Two rewritings are used, and both keep the set of strings matched: a leading group
is distributed over what follows it ("(?:is|are) held" becomes "is held|are held"), and cues that start with the
same plain character share it ("now|no" becomes "n(?:ow|o)"). The order of the alternatives changes, which can
change which match is found first, never whether there is one.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

_SPECIAL = set("\\.^$*+?{}[]|()")
_QUANTIFIERS = set("?*+{")


def cue_tree(cues: Iterable[str]) -> str:
    """One alternation matching exactly what "|".join(cues) matches (each cue a regular expression without
    capturing groups or backreferences)."""
    return _tree([alternative for cue in cues for alternative in _distributed(cue)])


def _tree(cues: list[str]) -> str:
    shared: dict[str, list[str]] = {}
    others: list[str] = []
    for cue in cues:
        if cue[:1] and cue[0] not in _SPECIAL and cue[1:2] not in _QUANTIFIERS and len(_alternatives(cue)) == 1:
            shared.setdefault(cue[0], []).append(cue[1:])
        else:
            others.append(cue)
    parts = [re.escape(first) + (f"(?:{_tree(rests)})" if len(rests) > 1 else rests[0])
             for first, rests in shared.items()]
    return "|".join(parts + others)


def _distributed(cue: str) -> list[str]:
    """The cue as several alternatives when it opens with a group that no quantifier follows."""
    if len(_alternatives(cue)) > 1 or not cue.startswith("(?:"):
        return [cue]
    end = _group_end(cue)
    rest = cue[end:]
    if rest[:1] in _QUANTIFIERS:
        return [cue]
    return [alternative for inner in _alternatives(cue[3:end - 1]) for alternative in _distributed(inner + rest)]


def _alternatives(pattern: str) -> list[str]:
    """The pattern split at each "|" outside its groups and character sets."""
    parts, start = [], 0
    for i, depth in _outside_sets(pattern):
        if depth == 0 and pattern[i] == "|":
            parts.append(pattern[start:i])
            start = i + 1
    return parts + [pattern[start:]]


def _group_end(pattern: str) -> int:
    """Where the group that opens the pattern ends (the index after its ")")."""
    for i, depth in _outside_sets(pattern):
        if depth == 0 and pattern[i] == ")":
            return i + 1
    raise ValueError(f"unbalanced group in {pattern!r}")


def _outside_sets(pattern: str) -> Iterable[tuple[int, int]]:
    """Each position outside escapes and character sets with the depth of groups after reading it."""
    depth, i, set_start = 0, 0, -1
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if set_start >= 0:
            # A "]" right after "[" or "[^" is a character of the set, not its end.
            first = set_start + 2 if pattern[set_start + 1:set_start + 2] == "^" else set_start + 1
            if ch == "]" and i > first:
                set_start = -1
        elif ch == "[":
            set_start = i
        else:
            depth += (ch == "(") - (ch == ")")
            yield i, depth
        i += 1
