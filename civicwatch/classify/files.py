"""The files of a classifier model: the pipeline config the project trains with, and the names of the files in a
model directory (MODEL_DIR/<version>/), shared by training, the registry, the classifier and the commands."""
from __future__ import annotations

from pathlib import Path

PIPELINE_CONFIG = Path(__file__).resolve().parent / "config" / "pipeline.cfg"
ACTIVE_FILE = "ACTIVE"
META_FILE = "meta.json"
PIPELINE_DIR = "pipeline"
GAZETTEER_FILE = "gazetteer.json"
WORDS_FILE = "words.json"
COMPLAINT_WORDS_FILE = "complaint_word_ids.json"
CONFIG_FILE = "config.cfg"
TRAINED_TEXTS_FILE = "trained_texts.txt"
