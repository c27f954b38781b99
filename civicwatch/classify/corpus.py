"""Labelled examples: reading JSONL files, the fixed held-out split, and the hash that identifies a data set."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from civicwatch.classify.text import split_key
from civicwatch.errors import DomainError

CORPUS_DIR = Path(__file__).resolve().parent / "corpus"
HELD_OUT_PERCENT = 20
DEFAULT_LABEL_FIELD = "theme"
ANNOTATIONS = ("urgent", "actor", "region", "district")


class CorpusError(DomainError):
    """A training or evaluation file that cannot be used as it is."""


@dataclass(frozen=True)
class LabelledText:
    """One example. `label` is the value of the label field (the theme unless told otherwise)."""

    text: str
    label: str
    urgent: bool | None = None
    actor: str | None = None
    region: str | None = None
    district: str | None = None
    source: str = ""
    # Which of urgent/actor/region/district the example states (null counts as stated: "no actor").
    annotated: frozenset[str] = frozenset()
    # A complaint's own words (a staff correction), not the project's: saved models keep none of them in clear.
    from_complaint: bool = False


def corpus_files(directory: Path = CORPUS_DIR) -> list[Path]:
    """The project's training corpus: every JSONL file in the corpus folder, in name order."""
    return sorted(directory.glob("*.jsonl"))


def _optional_code(record: dict, key: str) -> str | None:
    value = record.get(key)
    return str(value) if value not in (None, "") else None


def _urgent(record: dict) -> bool | None:
    value = record.get("urgent")
    return value if isinstance(value, bool) else None


def parse_record(record: object, label_field: str, source: str) -> LabelledText:
    """One JSON object as an example; CorpusError names the file and line when it is not usable."""
    if not isinstance(record, dict):
        raise CorpusError(f"{source}: expected a JSON object")
    text = record.get("text")
    if not isinstance(text, str) or not text.strip():
        raise CorpusError(f"{source}: 'text' must be a non-empty string")
    label = record.get(label_field)
    if label is None or isinstance(label, (dict, list)) or str(label).strip() == "":
        raise CorpusError(f"{source}: no value for the label field '{label_field}'")
    return LabelledText(
        text=text,
        label=str(label).strip(),
        urgent=_urgent(record),
        actor=_optional_code(record, "actor"),
        region=_optional_code(record, "region"),
        district=_optional_code(record, "district"),
        source=source,
        annotated=frozenset(key for key in ANNOTATIONS if key in record),
    )


def read_examples(paths: Iterable[Path | str], label_field: str = DEFAULT_LABEL_FIELD) -> list[LabelledText]:
    """Every example in the JSONL files, in file and line order. Blank lines are skipped."""
    examples: list[LabelledText] = []
    for path in paths:
        path = Path(path)
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise CorpusError(f"Cannot read {path.name}: {exc}") from exc
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            source = f"{path.name}:{number}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise CorpusError(f"{source}: not valid JSON ({exc.msg})") from exc
            examples.append(parse_record(record, label_field, source))
    return examples


def split_bucket(text: str, salt: str = "held-out") -> int:
    """A number 0..99 fixed by the text alone (SHA-256), so the split never depends on file order."""
    digest = hashlib.sha256(f"{salt}\x1f{split_key(text)}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 100


def is_held_out(text: str) -> bool:
    """Whether an example belongs to the fixed held-out split (about 20%)."""
    return split_bucket(text) < HELD_OUT_PERCENT


def split_examples(examples: Sequence[LabelledText]) -> tuple[list[LabelledText], list[LabelledText]]:
    """(training, held-out). Identical texts always land on the same side."""
    train = [example for example in examples if not is_held_out(example.text)]
    held_out = [example for example in examples if is_held_out(example.text)]
    return train, held_out


def data_hash(examples: Iterable[LabelledText]) -> str:
    """SHA-256 of the examples' text and labels, independent of their order."""
    lines = sorted(
        json.dumps([example.text, example.label, example.urgent], ensure_ascii=False) for example in examples
    )
    digest = hashlib.sha256()
    for line in lines:
        digest.update(line.encode("utf-8", "surrogatepass"))  # a lone surrogate (half an emoji) has bytes too
        digest.update(b"\n")
    return digest.hexdigest()
