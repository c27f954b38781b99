"""A saved model must not hold, in clear, the words of the complaints that staff corrections copied into training:
the complaints may be erased later, and the model files are not. It must read texts just as it did before saving."""
from __future__ import annotations

import dataclasses
from pathlib import Path

from flask import Flask

from civicwatch.classify.classifier import Classifier, model_meta
from civicwatch.classify.corpus import read_examples
from civicwatch.classify.gazetteer import terms_from_taxonomy
from civicwatch.classify.models import LabelledExample
from civicwatch.classify.operations import text_hash
from civicwatch.classify.registry import active_model_version, new_version, save_model, trained_text_hashes
from civicwatch.classify.text import prepare_text
from civicwatch.classify.training import train_pipeline
from civicwatch.extensions import db
from civicwatch.taxonomy.operations import read_taxonomy
from tests.classify.test_classify_cli import run

CORRECTION = "Corporal Zorbalumpkin took cash from my brother Ayotunde Marrabuck at the Kissy checkpoint"
COMPLAINT_WORDS = (b"zorbalumpkin", b"ayotunde", b"marrabuck")


def model_bytes(directory: Path) -> bytes:
    return b"".join(path.read_bytes().lower() for path in sorted(directory.rglob("*")) if path.is_file())


def test_a_model_trained_on_a_correction_keeps_none_of_its_own_words(app: Flask, fixture_corpus: Path,
                                                                     fast_config: Path) -> None:
    db.session.add(LabelledExample(field="theme", label="corruption", text=CORRECTION))
    db.session.commit()
    result = run(app, "train", "--data", str(fixture_corpus), "--config", str(fast_config))
    assert result.exit_code == 0, result.output
    directory = Path(app.config["MODEL_DIR"]) / active_model_version()
    saved = model_bytes(directory)
    for word in COMPLAINT_WORDS:
        assert word not in saved, word
    assert b"soldiers" in saved  # a word of the project's own examples is kept, so the search can find one
    loaded = Classifier.load(directory)
    # The complaint's words still count as known ones, by their ids.
    assert loaded.familiar_share(loaded.nlp.make_doc(prepare_text(CORRECTION))) == 1.0
    assert loaded.familiar_share(loaded.nlp.make_doc("zorbalumpkin qwertyuiop")) == 0.5


def test_leaving_the_words_out_does_not_change_what_the_model_reads(tmp_path: Path, fixture_corpus: Path,
                                                                     fast_config: Path) -> None:
    examples = read_examples([fixture_corpus])
    complaint = dataclasses.replace(examples[0], text=CORRECTION, label="corruption", from_complaint=True,
                                    source="correction:1")
    trained = train_pipeline([*examples, complaint], fast_config)
    terms = terms_from_taxonomy(read_taxonomy())
    in_memory = Classifier.from_pipeline(trained, terms, version="in memory")
    meta = {**model_meta(trained), "label_field": "theme", "data": {"files": [], "hash": "0" * 64}}
    directory = save_model(trained, meta, terms, tmp_path / "models", new_version("c0mp1a1n"), [])
    assert not any(word in model_bytes(directory) for word in COMPLAINT_WORDS)
    loaded = Classifier.load(directory)
    texts = [CORRECTION, "Marrabuck was beaten by soldiers at the barracks in Kenema", examples[1].text,
             "asdkjh qwpoeiru", ""]
    for before, after in zip(in_memory.classify_many(texts), loaded.classify_many(texts), strict=True):
        assert dataclasses.replace(after, model_version="") == dataclasses.replace(before, model_version="")


def test_a_model_keeps_no_fingerprint_of_a_correction_s_text(app: Flask, fixture_corpus: Path,
                                                             fast_config: Path) -> None:
    """trained_texts.txt lets `evaluate` warn about data the model saw; an unkeyed hash of a complaint's whole
    text kept there would outlive the complaint's erasure and confirm a guess of its words. Only the corpus's own
    texts are listed."""
    short = "police beat me in Kenema"  # an SMS short enough to guess
    db.session.add(LabelledExample(field="theme", label="abuse_of_force", text=short))
    db.session.commit()
    result = run(app, "train", "--data", str(fixture_corpus), "--config", str(fast_config))
    assert result.exit_code == 0, result.output
    seen = trained_text_hashes(Path(app.config["MODEL_DIR"]) / active_model_version())
    assert text_hash(short) not in seen
    assert text_hash(read_examples([fixture_corpus])[0].text) in seen
