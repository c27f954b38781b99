"""Who is complained about: the gazetteer's evidence weighed with the actor classifier.

The taxonomy gives three kinds of words for each service (`Actor.terms`, `generic_terms`, `place_terms`):

- terms name the service ("police", "soldiers", "OC", "military officer"): a named service always wins;
- generic words belong mostly to one service ("officer", ranks such as "sergeant" or "corporal"): they count
  only when no service is named, and only when the actor classifier agrees enough;
- place words ("barracks", "border", "station", "cell") are weak evidence: the classifier must agree more.

With no word at all, the classifier's guess is kept only above its own, higher threshold. Each threshold is
chosen at training time on examples the actor classifier was not trained on; below it there is no actor.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

NAMED, GENERIC, PLACE, ALONE = "actor", "actor_generic", "actor_place", "alone"
THRESHOLD_GRID = tuple(round(0.05 * i, 2) for i in range(21))
# Used when held-out examples of a kind of evidence are too few to choose from.
DEFAULT_THRESHOLDS = {GENERIC: 0.5, PLACE: 0.6, ALONE: 0.8}
MIN_EXAMPLES = 10

Mention = tuple[str, int]


@dataclass(frozen=True)
class ActorThresholds:
    """The actor classifier's minimum probability, by the strongest evidence the text holds."""

    generic: float = DEFAULT_THRESHOLDS[GENERIC]
    place: float = DEFAULT_THRESHOLDS[PLACE]
    alone: float = DEFAULT_THRESHOLDS[ALONE]

    def for_kind(self, kind: str) -> float:
        return {GENERIC: self.generic, PLACE: self.place}.get(kind, self.alone)

    def as_dict(self) -> dict[str, float]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, float] | None) -> ActorThresholds:
        data = data or {}
        return cls(**{key: float(data[key]) for key in ("generic", "place", "alone") if key in data})


def most_mentioned(mentions: Sequence[Mention], tie_break: Mapping[str, float] | None = None) -> str | None:
    """The code mentioned most often; on a tie the classifier's more likely one, then the first mentioned."""
    if not mentions:
        return None
    if len(mentions) == 1:
        return mentions[0][0]
    counts = Counter(code for code, _ in mentions)
    first: dict[str, int] = {}
    for code, position in mentions:
        first.setdefault(code, position)
    scores = tie_break or {}
    return min(counts, key=lambda code: (-counts[code], -scores.get(code, 0.0), first[code]))


def evidence_kind(mentions: Mapping[str, Sequence[Mention]]) -> str:
    """The strongest kind of actor evidence in a text."""
    for kind in (NAMED, GENERIC, PLACE):
        if mentions.get(kind):
            return kind
    return ALONE


def _candidate(kind: str, mentions: Mapping[str, Sequence[Mention]],
               probabilities: Mapping[str, float]) -> str | None:
    """The service the evidence points to that the classifier finds most likely."""
    codes = {code for code, _ in mentions.get(kind, ())} if kind != ALONE else set(probabilities)
    codes &= set(probabilities)
    return max(sorted(codes), key=lambda code: probabilities[code]) if codes else None


def choose_actor(mentions: Mapping[str, Sequence[Mention]], probabilities: Mapping[str, float] | None,
                 thresholds: ActorThresholds) -> str | None:
    """The actor of a text from its mentions (by kind) and the actor classifier's probabilities (None
    without an actor classifier: then generic words decide alone and place words never do)."""
    kind = evidence_kind(mentions)
    if kind == NAMED:
        return most_mentioned(mentions[NAMED], probabilities)
    if probabilities is None:
        return most_mentioned(mentions[GENERIC]) if kind == GENERIC else None
    candidate = _candidate(kind, mentions, probabilities)
    if candidate is None or probabilities[candidate] < thresholds.for_kind(kind):
        return None
    return candidate


def choose_thresholds(evidence: Sequence[Mapping[str, Sequence[Mention]]],
                      probabilities: Sequence[Mapping[str, float]],
                      gold: Sequence[str | None]) -> tuple[ActorThresholds, dict[str, dict[str, float]]]:
    """Per kind of evidence, the threshold with the best actor accuracy on held-out examples (the higher
    one on a tie: no actor is better than a wrong one)."""
    chosen: dict[str, float] = {}
    report: dict[str, dict[str, float]] = {}
    for kind in (GENERIC, PLACE, ALONE):
        rows = [i for i, mentions in enumerate(evidence) if evidence_kind(mentions) == kind]
        if len(rows) < MIN_EXAMPLES:
            chosen[kind] = DEFAULT_THRESHOLDS[kind]
            report[kind] = {"examples": len(rows), "threshold": chosen[kind], "chosen_on_held_out": 0}
            continue
        best = (-1.0, 0.0)
        for threshold in THRESHOLD_GRID:
            limits = ActorThresholds(**{**DEFAULT_THRESHOLDS_NAMES, _field(kind): threshold})
            right = sum(1 for i in rows if choose_actor(evidence[i], probabilities[i], limits) == gold[i])
            accuracy = right / len(rows)
            if accuracy >= best[0]:
                best = (accuracy, threshold)
        chosen[kind] = best[1]
        report[kind] = {"examples": len(rows), "threshold": best[1], "accuracy": round(best[0], 4),
                        "chosen_on_held_out": 1}
    return ActorThresholds(generic=chosen[GENERIC], place=chosen[PLACE], alone=chosen[ALONE]), report


def _field(kind: str) -> str:
    return {GENERIC: "generic", PLACE: "place", ALONE: "alone"}[kind]


DEFAULT_THRESHOLDS_NAMES = {_field(kind): value for kind, value in DEFAULT_THRESHOLDS.items()}
