"""How alike two complaints read: TF-IDF over words, cosine, computed over a small candidate set (the new case's
neighbours in place, subject and time), so nothing has to be indexed ahead."""
from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from typing import NamedTuple

# Words that say nothing about which incident a complaint is about.
STOP_WORDS = frozenset("""
a an and are as at be been but by did do for from had has have he her him his i in into is it its me my of on
or our she so that the their them then there they this to too us was we were what when where which who will
with you your not no yes all also after before very just one two some any
""".split())
# The words of matching.words longer than two letters: a run of letters shorter than three is skipped whole.
_LONG_WORD = re.compile(r"[^\W_]{3,}", re.UNICODE)
# The same texts are compared again and again (a busy place's newest cases are every new case's neighbours):
# their terms are read once per process. A text's terms depend on nothing else.
TEXTS_REMEMBERED = 8192


def terms(text: str) -> dict[str, int]:
    """How often each word that may tell the incident apart occurs in the text."""
    counts: dict[str, int] = {}
    for word in _LONG_WORD.findall(text.lower()):
        counts[word] = counts.get(word, 0) + 1
    for word in [w for w in counts if w in STOP_WORDS or w.isdigit()]:
        del counts[word]
    return counts


class _Terms(NamedTuple):
    words: tuple[str, ...]
    frequencies: tuple[float, ...]  # 1 + log(count), word by word


_FREQUENCY = [0.0] + [1 + math.log(n) for n in range(1, 32)]


@lru_cache(maxsize=TEXTS_REMEMBERED)
def _terms_of(text: str) -> _Terms:
    counts = terms(text)
    return _Terms(tuple(counts), tuple(_FREQUENCY[n] if n < 32 else 1 + math.log(n) for n in counts.values()))


def text_similarities(text: str, others: Sequence[str]) -> list[float]:
    """Cosine similarity of `text` to each of `others`, IDF taken over all of them (smoothed)."""
    documents = [_terms_of(text)] + [_terms_of(other) for other in others]
    frequency: Counter[str] = Counter()
    for document in documents:
        frequency.update(document.words)
    total = len(documents)
    idf = {term: math.log((1 + total) / (1 + n)) + 1.0 for term, n in frequency.items()}
    mine = documents[0]
    first = dict(zip(mine.words, (f * idf[w] for w, f in zip(mine.words, mine.frequencies, strict=True)),
                     strict=True))
    first_norm = math.sqrt(sum(v * v for v in first.values())) or 1.0
    scores = []
    for document in documents[1:]:
        squares = shared = 0.0
        for word, tf in zip(document.words, document.frequencies, strict=True):
            weight = tf * idf[word]
            squares += weight * weight
            if word in first:
                shared += first[word] * weight
        scores.append(shared / first_norm / (math.sqrt(squares) or 1.0))
    return scores
