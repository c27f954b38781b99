"""The text classifier's model: a hashed linear model over word n-grams and character n-grams.

spaCy's own bag-of-words textcat reads exact word forms only, so "polis", "pollice" and "police" share
nothing. Complaints arrive as SMS with typos and Krio spellings; character n-grams of each word let
those spellings share most of their features while keeping the speed of a linear model. Registered
with spaCy's registry so the config file in this folder can name it and saved models can be loaded.
"""
from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from functools import partial
from typing import Any, cast

import numpy
from spacy.attrs import IS_ALPHA, LENGTH, LOWER
from spacy.ml.models.textcat import resize_and_set_ref
from spacy.strings import get_string_id
from spacy.tokens import Doc
from spacy.util import registry
from thinc.api import Logistic, Model, SparseLinear_v2, chain, resizable, softmax_activation, with_cpu
from thinc.layers.resizable import resize_linear_weighted
from thinc.model import deserialize_attr, serialize_attr
from thinc.types import Floats2d, Ints1d

NEG_VALUE = -5000
CACHE_LIMIT = 500_000  # hashing is cheap; the cache only has to hold the common words


class CharNgramCache(dict):
    """Character n-gram keys per word; rebuilt on demand, never saved with the model."""


@serialize_attr.register(CharNgramCache)
def _serialize_cache(_: CharNgramCache, value: CharNgramCache, name: str, model: Model) -> bytes:
    return b""


@deserialize_attr.register(CharNgramCache)
def _deserialize_cache(_: CharNgramCache, value: bytes, name: str, model: Model) -> CharNgramCache:
    return CharNgramCache()


@registry.layers("civicwatch.extract_features.v1")
def extract_features(
    ngram_size: int, char_ngram_min: int, char_ngram_max: int, sublinear: bool = True, char_weight: float = 1.0
) -> Model:
    """Hashed word 1..ngram_size-grams (lower case) plus character n-grams of every word.

    Values are log-scaled counts divided by the feature vector's length, so a 2,000-word narrative
    and a 20-word SMS produce scores on the same scale.
    """
    model: Model = Model(
        "extract_features",
        _features_forward,
        attrs={
            "ngram_size": ngram_size,
            "char_ngram_min": char_ngram_min,
            "char_ngram_max": char_ngram_max,
            "sublinear": sublinear,
            "char_weight": char_weight,
            "char_cache": CharNgramCache(),
            # Set by spaCy's update(drop=...): the share of a text's features hidden in each training step.
            "dropout_rate": 0.0,
        },
    )
    return model


_TOKEN_COLUMNS = ("civicwatch.token_columns",)


def token_columns(doc: Doc) -> numpy.ndarray:
    """Each token's lower-case form (string hash), whether it is all letters, and its length (tokens x 3, uint64),
    kept on the doc: the features, the familiar-word share and the gazetteer all read them, and spaCy's to_array
    costs about as much for one column as for three."""
    # spaCy types Doc.user_data as dict[str, Any], but it takes any hashable key (spaCy's own are tuples)
    store = cast(dict[Hashable, Any], doc.user_data)
    columns = store.get(_TOKEN_COLUMNS)
    if columns is None:
        columns = doc.to_array([LOWER, IS_ALPHA, LENGTH]).astype("uint64", copy=False).reshape(-1, 3)
        store[_TOKEN_COLUMNS] = columns
    return cast(numpy.ndarray, columns)


def _char_ngram_keys(word: str, low: int, high: int) -> numpy.ndarray:
    marked = f"<{word}>"
    grams = {marked[i:i + n] for n in range(low, high + 1) for i in range(len(marked) - n + 1)}
    grams.discard(marked)  # the whole word is already a word feature
    return numpy.asarray(sorted(get_string_id("\x1f" + gram) for gram in grams), dtype="uint64")


def _word_keys(model: Model, words: numpy.ndarray) -> numpy.ndarray:
    parts = [words]
    for n in range(2, model.attrs["ngram_size"] + 1):
        if len(words) >= n:
            # thinc's Ints1d is a typing-only name for the numpy array the CPU ops take and return
            parts.append(cast(numpy.ndarray, model.ops.ngrams(n, cast(Ints1d, words))))
    return numpy.concatenate(parts)


def _char_keys(model: Model, doc: Doc, words: list[numpy.ndarray]) -> tuple[numpy.ndarray, numpy.ndarray]:
    """Every text's character n-gram keys, flattened, and each text's number of keys. Each distinct word of the
    batch is looked up once; its keys are then gathered for every occurrence with one numpy index."""
    attrs = model.attrs
    cache: dict[int, numpy.ndarray] = attrs["char_cache"]
    texts = numpy.asarray([len(w) for w in words], dtype="int64")
    if not texts.sum():
        return numpy.zeros((0,), dtype="uint64"), numpy.zeros(len(words), dtype="int64")
    distinct, occurrences = numpy.unique(numpy.concatenate(words), return_inverse=True)
    parts = []
    for word in distinct.tolist():  # hashes of the lower-case forms: no Token objects needed
        keys = cache.get(word)
        if keys is None:
            keys = _char_ngram_keys(doc.vocab.strings[word], attrs["char_ngram_min"], attrs["char_ngram_max"])
            if len(cache) < CACHE_LIMIT:
                cache[word] = keys
        parts.append(keys)
    table = numpy.concatenate(parts)
    sizes = numpy.asarray([len(keys) for keys in parts], dtype="int64")
    offsets = numpy.cumsum(sizes) - sizes
    counts = sizes[occurrences]
    total = int(counts.sum())
    # position i of the output reads table[offset of its word + (i - where that word's keys start in the output)]
    index = numpy.repeat(offsets[occurrences] - (numpy.cumsum(counts) - counts), counts) + numpy.arange(total)
    per_text = numpy.bincount(numpy.repeat(numpy.arange(len(words)), texts), weights=counts,
                              minlength=len(words)).astype("int64")
    return table[index], per_text


def _weigh_flat(keys: numpy.ndarray, lengths: numpy.ndarray, sublinear: bool,
                norm: float) -> tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray]:
    """Each text's distinct keys (sorted) with their weights, flattened, and each text's number of distinct keys
    (`keys` holds every text's keys one text after another; it is sorted in place)."""
    keys, values, counts, roots = _count_flat(keys, lengths, sublinear)
    return keys, _scaled(values, counts, roots, norm), counts


def _count_flat(keys: numpy.ndarray, lengths: numpy.ndarray, sublinear: bool
                ) -> tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray, list[float] | None]:
    """_weigh_flat before the norm: each text's distinct keys with their (log-scaled) counts, and the square root of
    each text's sum of squares (None when not sublinear; 0 for a text without keys). Counted for the whole batch at
    once instead of a numpy.unique per text. Each text's sum of squares is still taken over that text's values
    alone (numpy's pairwise sum depends on the array), so the values are exactly those of a text weighed alone."""
    if not lengths.sum():
        return (numpy.zeros((0,), dtype="uint64"), numpy.zeros((0,), dtype="float32"),
                numpy.zeros(len(lengths), "int64"), None)
    if len(lengths) == 1:
        keys, values, root = _count_one(keys, sublinear)
        return keys, values, numpy.asarray([len(keys)], dtype="int64"), None if root is None else [root]
    ends = numpy.cumsum(lengths).tolist()
    for begin, end in zip([0, *ends[:-1]], ends, strict=True):
        keys[begin:end].sort()
    owners = numpy.repeat(numpy.arange(len(lengths)), lengths)
    first = numpy.ones(len(keys), dtype=bool)
    first[1:] = (keys[1:] != keys[:-1]) | (owners[1:] != owners[:-1])
    starts = numpy.flatnonzero(first)
    values = numpy.diff(numpy.append(starts, len(keys))).astype("float32")
    keys, owners = keys[starts], owners[starts]
    bounds = numpy.searchsorted(owners, numpy.arange(len(lengths) + 1))
    roots = None
    if sublinear:
        values = 1.0 + numpy.log(values)
        squares = values * values
        edges = bounds.tolist()
        roots = [math.sqrt(float(squares[begin:end].sum())) if end > begin else 0.0
                 for begin, end in zip(edges[:-1], edges[1:], strict=True)]
    return keys, values, numpy.diff(bounds), roots


def _count_one(keys: numpy.ndarray, sublinear: bool) -> tuple[numpy.ndarray, numpy.ndarray, float | None]:
    """_count_flat for one text (one classify() call) without the bookkeeping of a batch: the same operations on
    the same arrays, so the same values to the bit."""
    keys.sort()
    first = numpy.ones(len(keys), dtype=bool)
    first[1:] = keys[1:] != keys[:-1]
    starts = numpy.flatnonzero(first)
    values = numpy.diff(numpy.append(starts, len(keys))).astype("float32")
    keys = keys[starts]
    if not sublinear:
        return keys, values, None
    values = 1.0 + numpy.log(values)
    squares = values * values
    return keys, values, math.sqrt(float(squares.sum()))


def _scaled(values: numpy.ndarray, counts: numpy.ndarray, roots: list[float] | None, norm: float) -> numpy.ndarray:
    """Counted values divided by their text's root and multiplied by `norm` (a new array: one counting serves
    several norms)."""
    if roots is None:
        return values
    if len(counts) == 1:
        return values * numpy.float32(norm / roots[0])
    scales = [norm / root if root else 1.0 for root in roots]
    return values * numpy.repeat(numpy.asarray(scales, dtype="float32"), counts)


def _signature(attrs: dict[str, Any]) -> tuple[Hashable, ...]:
    return ("civicwatch.features", attrs["ngram_size"], attrs["char_ngram_min"], attrs["char_ngram_max"],
            attrs["sublinear"], attrs["char_weight"])


def _flat_features(model: Model, docs: list[Doc]) -> tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray]:
    """Every doc's feature keys and values (its word features, then its character features), flattened, and each
    doc's number of features, computed for the whole batch at once."""
    keys, values, lengths = flat_features_by_weight(model, docs, [model.attrs["char_weight"]])
    return keys, values[0], lengths


def flat_features_by_weight(model: Model, docs: list[Doc], char_weights: Sequence[float]
                            ) -> tuple[numpy.ndarray, list[numpy.ndarray], numpy.ndarray]:
    """_flat_features with each of several weights of the character n-grams in place of the layer's own: the keys
    and lengths (the same for every weight) and the values for each weight. The n-grams are found, counted and
    normalised once; only the last multiplication differs, so each weight's values are those _flat_features gives
    a layer of that weight, to the bit. With more than one weight, every weight must be above 0."""
    attrs = model.attrs
    words = [numpy.ascontiguousarray(token_columns(doc)[:, 0]) for doc in docs]
    word_keys = [_word_keys(model, w) for w in words]
    lengths = numpy.asarray([len(keys) for keys in word_keys], dtype="int64")
    flat = numpy.concatenate(word_keys) if lengths.sum() else numpy.zeros((0,), dtype="uint64")
    keys, values, counts = _weigh_flat(flat, lengths, attrs["sublinear"], 1.0)
    if not (attrs["char_ngram_max"] >= attrs["char_ngram_min"] > 0 and min(char_weights) > 0):
        if len(char_weights) > 1 and max(char_weights) > 0:
            raise ValueError("several character weights, one of them 0: the keys would differ")
        return keys, [values for _ in char_weights], counts
    char_keys, char_values, char_counts, roots = _count_flat(*_char_keys(model, docs[0], words), attrs["sublinear"])
    # Interleaved text by text: each doc's word features, then its character features.
    totals = counts + char_counts
    out_starts = numpy.cumsum(totals) - totals
    word_at = numpy.arange(len(keys)) + numpy.repeat(out_starts - (numpy.cumsum(counts) - counts), counts)
    char_at = numpy.arange(len(char_keys)) + numpy.repeat(out_starts + counts - (numpy.cumsum(char_counts) - char_counts),
                                                          char_counts)
    all_keys = numpy.empty(int(totals.sum()), dtype="uint64")
    all_keys[word_at], all_keys[char_at] = keys, char_keys
    weighted = []
    for weight in char_weights:
        all_values = numpy.empty(len(all_keys), dtype="float32")
        all_values[word_at], all_values[char_at] = values, _scaled(char_values, char_counts, roots, weight)
        weighted.append(all_values)
    return all_keys, weighted, totals


def _docs_features(model: Model, docs: list[Doc]) -> list[tuple[numpy.ndarray, numpy.ndarray]]:
    """Each doc's feature keys and values; kept on the doc, so the theme, urgency and actor classifiers
    (same feature settings) and every training epoch compute them once. Missing ones are computed for the
    whole batch at once."""
    signature = _signature(model.attrs)
    # spaCy types Doc.user_data as dict[str, Any], but it takes any hashable key (spaCy's own are tuples)
    stores = [cast(dict[Hashable, Any], doc.user_data) for doc in docs]
    missing = [i for i, store in enumerate(stores) if signature not in store]
    if missing:
        keys, values, lengths = _flat_features(model, [docs[i] for i in missing])
        edges = numpy.cumsum(lengths).tolist()
        for i, begin, end in zip(missing, [0, *edges[:-1]], edges, strict=True):
            stores[i][signature] = (keys[begin:end], values[begin:end])
    return [store[signature] for store in stores]


def doc_features(model: Model, doc: Doc) -> tuple[numpy.ndarray, numpy.ndarray]:
    """The feature keys and values the linear model reads in a doc (for the smoothed head)."""
    return _docs_features(model, [doc])[0]


def docs_features(model: Model, docs: list[Doc]) -> list[tuple[numpy.ndarray, numpy.ndarray]]:
    """doc_features for a batch of docs (faster than one at a time)."""
    return _docs_features(model, docs)


def feature_layer(model: Model) -> Model | None:
    """The feature extractor inside a text classifier's model, if it has one of ours."""
    for node in model.walk():
        if node.name == "extract_features":
            return node
    return None


def linear_parts(model: Model) -> tuple[Model, Model, Model] | None:
    """(feature layer, sparse linear layer, output layer) of a TextCatSubwordBOW model, or None for any other
    architecture (a CNN, spaCy's own)."""
    try:
        inner, output = model.layers
        (chained,) = inner.layers
        features, resizable_layer = chained.layers
        (sparse,) = resizable_layer.layers
    except ValueError:
        return None
    if features.name != "extract_features" or sparse.name != "sparse_linear" or sparse.attrs.get("v1_indexing"):
        return None
    return features, sparse, output


_C1, _C2 = numpy.uint32(0xCC9E2D51), numpy.uint32(0x1B873593)
_M1, _M2 = numpy.uint32(0x85EBCA6B), numpy.uint32(0xC2B2AE35)
_N, _FIVE = numpy.uint32(0xE6546B64), numpy.uint32(5)


def _rotate(x: numpy.ndarray, r: int, spare: numpy.ndarray) -> None:
    """x = x rotated left by r bits (uint32, in place; `spare` is scratch space of the same shape)."""
    numpy.right_shift(x, numpy.uint32(32 - r), out=spare)
    numpy.left_shift(x, numpy.uint32(r), out=x)
    x |= spare


def _mixed_halves(keys: numpy.ndarray) -> tuple[numpy.ndarray, numpy.ndarray]:
    """MurmurHash3_x86_32's mixed blocks of 64-bit keys (the low and the high 32 bits); seed-independent."""
    halves = numpy.ascontiguousarray(keys, dtype="<u8").view("<u4").reshape(-1, 2)  # little-endian: low half first
    spare = numpy.empty(len(keys), dtype="uint32")
    blocks = []
    for column in (0, 1):
        k = numpy.multiply(halves[:, column], _C1)
        _rotate(k, 15, spare)
        k *= _C2
        blocks.append(k)
    return blocks[0], blocks[1]


def _murmur3(low: numpy.ndarray, high: numpy.ndarray, seed: int) -> numpy.ndarray:
    """thinc's MurmurHash3_x86_32_uint64 (sparselinear.pyx) of every key, from its mixed halves."""
    spare = numpy.empty_like(low)
    h = numpy.bitwise_xor(low, numpy.uint32(seed))
    for block in (None, high):
        if block is not None:
            h ^= block
        _rotate(h, 13, spare)
        h *= _FIVE
        h += _N
    h ^= numpy.uint32(8)
    for multiplier, shift in ((_M1, 16), (_M2, 13), (None, 16)):
        numpy.right_shift(h, numpy.uint32(shift), out=spare)
        h ^= spare
        if multiplier is not None:
            h *= multiplier
    return h


class FusedLinear:
    """Several text classifiers over the same hashed features read in one pass.

    thinc's sparse linear layer hashes every feature key twice into its weight table, which it keeps class by
    class, and adds weight x value to each class's score: for the 15 classes of the three classifiers, 30
    reads scattered over 15 MB per feature, most of them cache misses. Here the three tables are laid side by
    side, one row per hash bucket with every class of every classifier: a feature reads two rows. The hashes
    are thinc's own (MurmurHash3, seeds 0 and 1), computed with numpy for the whole batch, so the scores are
    those of each classifier's own layer up to the order of float32 additions (differences near 1e-6). Each
    classifier's output layer (softmax or logistic) then reads its own columns.
    """

    def __init__(self, features: Model, table: numpy.ndarray, bias: numpy.ndarray,
                 outputs: list[tuple[Model, int]]) -> None:
        self.features = features
        self.table = table  # buckets x classes (every classifier's classes, side by side)
        self.bias = bias
        self.outputs = outputs  # (output layer, number of classes), in the order the classifiers were given

    @classmethod
    def of(cls, models: list[Model]) -> FusedLinear | None:
        """The fused reader of these models, or None when they do not all share one feature extractor's
        settings and one table length (then each is read on its own)."""
        parts = [linear_parts(model) for model in models]
        if not parts or any(part is None for part in parts):
            return None
        found = [part for part in parts if part is not None]
        signatures = {_signature(features.attrs) for features, _, _ in found}
        lengths = {sparse.get_dim("length") for _, sparse, _ in found}
        if len(signatures) != 1 or len(lengths) != 1:
            return None
        length = lengths.pop()
        classes = [sparse.get_dim("nO") for _, sparse, _ in found]
        table = numpy.ascontiguousarray(numpy.concatenate(
            [numpy.asarray(sparse.get_param("W")).reshape(n, length) for (_, sparse, _), n in zip(found, classes, strict=True)]
        ).T, dtype="float32")
        bias = numpy.concatenate([numpy.asarray(sparse.get_param("b")) for _, sparse, _ in found]).astype("float32")
        return cls(found[0][0], table, bias, [(output, n) for (_, _, output), n in zip(found, classes, strict=True)])

    def features_of(self, docs: list[Doc]) -> tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray]:
        """Every doc's feature keys and values, flattened, and each doc's number of features."""
        signature = _signature(self.features.attrs)
        if not any(signature in doc.user_data for doc in docs):
            return _flat_features(self.features, docs)  # new docs (classifying): computed flat, not kept
        features = _docs_features(self.features, docs)
        lengths = numpy.asarray([len(keys) for keys, _ in features], dtype="int64")
        if not lengths.sum():
            return numpy.zeros((0,), dtype="uint64"), numpy.zeros((0,), dtype="float32"), lengths
        keys = numpy.concatenate([keys for keys, _ in features])
        values = numpy.concatenate([values for _, values in features]).astype("float32", copy=False)
        return keys, values, lengths

    def logits(self, keys: numpy.ndarray, values: numpy.ndarray, lengths: numpy.ndarray) -> numpy.ndarray:
        """Every class's linear score of each doc (documents x classes, float32)."""
        scores = numpy.tile(self.bias, (len(lengths), 1))
        if not len(keys):
            return scores
        mask = numpy.uint32(len(self.table) - 1)
        low, high = _mixed_halves(keys)
        # numpy.take, not table[index]: several times faster for a 2-D table and a uint32 index
        rows = numpy.take(self.table, _murmur3(low, high, 0) & mask, axis=0)
        rows += numpy.take(self.table, _murmur3(low, high, 1) & mask, axis=0)
        rows *= values[:, None]
        present = lengths > 0
        starts = (numpy.cumsum(lengths) - lengths)[present]
        scores[present] += numpy.add.reduceat(rows, starts, axis=0)
        return scores

    def predict(self, keys: numpy.ndarray, values: numpy.ndarray, lengths: numpy.ndarray) -> list[numpy.ndarray]:
        """Each classifier's scores (documents x its classes), as its own model would predict them."""
        logits = self.logits(keys, values, lengths)
        scores, start = [], 0
        for output, n in self.outputs:
            scores.append(numpy.asarray(output.predict(numpy.ascontiguousarray(logits[:, start:start + n]))))
            start += n
        return scores


def _drop_features(values: numpy.ndarray, rate: float) -> numpy.ndarray:
    """Feature dropout: each feature of each text is hidden with probability `rate` (the rest scaled up), so
    the model cannot lean on a few words it has memorised. numpy's global generator is seeded by spaCy's
    fix_random_seed, so training stays reproducible."""
    keep = numpy.random.random(len(values)) >= rate
    return (values * keep / (1.0 - rate)).astype("float32")


def _features_forward(model: Model, docs: list[Doc], is_train: bool) -> tuple[Any, Any]:
    features = _docs_features(model, docs)
    lengths = numpy.asarray([len(keys) for keys, _ in features], dtype="int32")
    if features:
        keys_out = numpy.concatenate([keys for keys, _ in features])
        vals_out = numpy.concatenate([values for _, values in features]).astype("float32")
    else:
        keys_out, vals_out = numpy.zeros((0,), dtype="uint64"), numpy.zeros((0,), dtype="float32")
    # Not only is_train: thinc's with_cpu wrapper always runs its layers in training mode. Training sets the
    # rate before each update and sets it back to 0 after each epoch, so predictions are never dropped.
    rate = float(model.attrs.get("dropout_rate", 0.0))
    if is_train and 0.0 < rate < 1.0 and len(vals_out):
        vals_out = _drop_features(vals_out, rate)

    def backprop(d_output: Any) -> list:
        return []

    return (keys_out, vals_out, lengths), backprop


@registry.layers("civicwatch.probabilities.v1")
def probabilities(exclusive_classes: bool) -> Model[Floats2d, Floats2d]:
    """Softmax (or logistic) output trained with the cross-entropy gradient.

    spaCy's textcat hands back `scores - truths`; thinc's own output layers treat that as the gradient of
    a squared error on the probabilities, which learns little from confident mistakes. Passing it
    through unchanged is exactly the cross-entropy gradient with respect to the logits.
    """

    def forward(model: Model, X: Floats2d, is_train: bool) -> tuple[Floats2d, Any]:
        Y = model.ops.softmax(X, inplace=False) if exclusive_classes else model.ops.sigmoid(X, inplace=False)
        return Y, lambda dY: dY

    return Model("probabilities", forward)


@registry.architectures("civicwatch.TextCatSubwordBOW.v1")
def build_subword_bow_text_classifier(
    exclusive_classes: bool,
    ngram_size: int,
    char_ngram_min: int,
    char_ngram_max: int,
    length: int = 2**20,
    sublinear: bool = True,
    char_weight: float = 1.0,
    cross_entropy: bool = True,
    nO: int | None = None,
) -> Model[list[Doc], Floats2d]:
    """A linear text classifier over hashed word and character n-grams (softmax or logistic output)."""
    length = 2 ** (length - 1).bit_length()
    sparse_linear = SparseLinear_v2(nO=nO, length=length)
    fill_defaults = {"b": NEG_VALUE, "W": 0}
    if cross_entropy:
        output_layer = probabilities(exclusive_classes)
    else:
        output_layer = softmax_activation() if exclusive_classes else Logistic()
    resizable_layer: Model[Floats2d, Floats2d] = resizable(
        sparse_linear, resize_layer=partial(resize_linear_weighted, fill_defaults=fill_defaults)
    )
    with Model.define_operators({">>": chain}):
        model = extract_features(ngram_size, char_ngram_min, char_ngram_max, sublinear, char_weight) >> resizable_layer
        model = with_cpu(model, model.ops)
        model = model >> with_cpu(output_layer, output_layer.ops)
    if nO is not None:
        model.set_dim("nO", nO)
    model.set_ref("output_layer", sparse_linear)
    model.attrs["multi_label"] = not exclusive_classes
    model.attrs["resize_output"] = partial(resize_and_set_ref, resizable_layer=resizable_layer)
    return model
