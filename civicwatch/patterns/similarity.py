"""How alike two complaints read: TF-IDF over words, cosine, computed over a small candidate set (the new case's
neighbours in place, subject and time), so nothing has to be indexed ahead."""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from civicwatch.patterns.matching import words

# Words that say nothing about which incident a complaint is about.
STOP_WORDS = frozenset("""
a an and are as at be been but by did do for from had has have he her him his i in into is it its me my of on
or our she so that the their them then there they this to too us was we were what when where which who will
with you your not no yes all also after before very just one two some any
""".split())


def terms(text: str) -> Counter[str]:
    return Counter(w for w in words(text) if len(w) > 2 and w not in STOP_WORDS and not w.isdigit())


def _weights(counts: Counter[str], idf: dict[str, float]) -> dict[str, float]:
    vector = {term: (1 + math.log(n)) * idf.get(term, 0.0) for term, n in counts.items()}
    norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
    return {term: v / norm for term, v in vector.items()}


def text_similarities(text: str, others: Sequence[str]) -> list[float]:
    """Cosine similarity of `text` to each of `others`, IDF taken over all of them (smoothed)."""
    documents = [terms(text)] + [terms(other) for other in others]
    frequency: Counter[str] = Counter()
    for document in documents:
        frequency.update(document.keys())
    total = len(documents)
    idf = {term: math.log((1 + total) / (1 + n)) + 1.0 for term, n in frequency.items()}
    first = _weights(documents[0], idf)
    scores = []
    for document in documents[1:]:
        vector = _weights(document, idf)
        scores.append(sum(weight * vector.get(term, 0.0) for term, weight in first.items()))
    return scores
