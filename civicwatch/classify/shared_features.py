"""The text classifiers read with one feature pass when their features differ only in the character n-grams'
weight (the theme classifier weighs them 0.5, urgency and actor 0.3: then FusedLinear cannot serve them).

The n-grams are found, counted and normalised once for the batch and each weight only scales the character
values; each classifier's own sparse linear layer (thinc's) and output layer then read them, with the same
arrays its model would have built, so the scores are those of the model to the bit.
"""
from __future__ import annotations

from collections.abc import Hashable

import numpy
from spacy.tokens import Doc
from thinc.api import Model

from civicwatch.classify.architectures import flat_features_by_weight, linear_parts


def _settings(features: Model) -> tuple[Hashable, ...]:
    attrs = features.attrs
    return attrs["ngram_size"], attrs["char_ngram_min"], attrs["char_ngram_max"], attrs["sublinear"]


class SharedFeatures:
    """Several text classifiers (each a sparse linear layer and an output layer) over features that differ only
    in the character weight."""

    def __init__(self, features: Model, readers: list[tuple[float, Model, Model]]) -> None:
        self.features = features
        self.readers = readers  # (character weight, sparse linear layer, output layer) per classifier
        self.weights = sorted({weight for weight, _, _ in readers})

    @classmethod
    def of(cls, models: list[Model]) -> SharedFeatures | None:
        """The shared reader of these models, or None unless each is our bag-of-words model and their feature
        settings differ in the character weight alone (above 0 in each)."""
        parts = [linear_parts(model) for model in models]
        found = [part for part in parts if part is not None]
        if not found or len(found) != len(parts):
            return None
        if len({_settings(features) for features, _, _ in found}) != 1:
            return None
        features = found[0][0]
        if not features.attrs["char_ngram_max"] >= features.attrs["char_ngram_min"] > 0:
            return None
        readers = [(float(layer.attrs["char_weight"]), sparse, output) for layer, sparse, output in found]
        if min(weight for weight, _, _ in readers) <= 0:
            return None
        return cls(features, readers)

    def features_of(self, docs: list[Doc]) -> tuple[numpy.ndarray, dict[float, numpy.ndarray], numpy.ndarray]:
        """Every doc's feature keys, their values for each character weight, and each doc's number of
        features (int32, as the sparse linear layer reads it)."""
        keys, values, lengths = flat_features_by_weight(self.features, docs, self.weights)
        return keys, dict(zip(self.weights, values, strict=True)), lengths.astype("int32")

    def predict(self, keys: numpy.ndarray, values: dict[float, numpy.ndarray],
                lengths: numpy.ndarray) -> list[numpy.ndarray]:
        """Each classifier's scores (documents x its classes), in the order the models were given."""
        return [numpy.asarray(output.predict(sparse.predict((keys, values[weight], lengths))))
                for weight, sparse, output in self.readers]
