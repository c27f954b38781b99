from __future__ import annotations

import pytest

from civicwatch.cases.models import Case, CaseStatus
from civicwatch.database import utcnow

# The classifier's model fixtures, shared rather than copied.
from tests.classify.conftest import active_model, fast_config, fixture_corpus, trained_model  # noqa: F401
from tests.factories import create_case


@pytest.fixture
def make_case(app):
    """A stored (committed) complaint as intake leaves it: status received, no body, no theme, triage deadlines."""
    def factory(text: str = "The officer demanded a bribe at the checkpoint.", **fields) -> Case:
        return create_case(CaseStatus.RECEIVED, None, theme=None, text=text, created_at=utcnow(), **fields)

    return factory


class FakeClassifier:
    """Answers every text with the same reading, or raises: routing tests need no model."""

    def __init__(self, theme: str | None = "corruption", confidence: float = 0.9, actor: str | None = None,
                 region: str | None = None, district: str | None = None, urgent: bool = False,
                 error: Exception | None = None, notes: tuple[str, ...] = (),
                 triage_threshold: float | None = None) -> None:
        self.triage_threshold = triage_threshold  # what a model chose at training time (None: none)
        self.reading = dict(theme=theme, confidence=confidence, actor=actor, region=region, district=district,
                            urgent=urgent, notes=notes)
        self.error = error
        self.seen: list[str] = []
        self.batches: list[int] = []  # the number of texts of each classify_many call

    def classify_many(self, texts):
        texts = list(texts)
        self.batches.append(len(texts))
        return [self.classify(text) for text in texts]

    def classify(self, text: str):
        from civicwatch.classify.classifier import Classification

        self.seen.append(text)
        if self.error is not None:
            raise self.error
        theme = self.reading["theme"]
        scores = {"corruption": 0.05, "misconduct": 0.05}
        if theme:
            scores[theme] = self.reading["confidence"]
        return Classification(scores=scores, model_version="fake-1", urgency_score=0.9 if self.reading["urgent"]
                              else 0.1, **self.reading)


@pytest.fixture
def use_fake_classifier(app):
    """Install a FakeClassifier in this app: use_fake_classifier(theme=..., confidence=...)."""
    from civicwatch.classify.registry import use_classifier

    def install(**reading) -> FakeClassifier:
        fake = FakeClassifier(**reading)
        use_classifier(app, fake)
        return fake

    return install
