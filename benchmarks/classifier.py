"""Complaint classifier: held-out figures beside TF-IDF baselines, Philadelphia bring-your-own-taxonomy, speed.

    .venv/bin/python benchmarks/classifier.py                 # everything (about ten minutes on 2 cores)
    .venv/bin/python benchmarks/classifier.py --only speed    # one part: held-out, unseen, philly or speed

1. Held-out split of the project corpus (fixed by a hash of each text): our pipeline, trained on the rest
   exactly as `flask civicwatch train` trains it, beside TF-IDF + logistic regression and TF-IDF + linear
   SVM trained on the same examples. Target: macro-F1 at least 0.90 and above the baselines.
   Also on benchmarks/data/unseen_complaints.jsonl (written by other people, never used for training or
   tuning) when it is present.
2. Bring your own taxonomy: the Philadelphia police complaints in ../shared/data/raw/philly_cap/ (see its
   SOURCE.txt): both complaint files combined with the 2018 archive's text first, labels stripped, labels
   with at least 30 complaints kept, sorted by complaint id, every 5th complaint is test. The pipeline is
   trained with config/long_texts.cfg (the bag-of-words model plus a small CNN; these are long
   third-person narratives) and with the default config. Reference baselines: accuracy 0.674 / 0.680,
   macro-F1 0.409 / 0.425 (logistic regression / linear SVM). Target: beat both.
3. Speed on ONE core (the process is pinned to one CPU): complaints per second in batches, best of three
   runs of 6,000 (target 3,000),
   p50 of one classify() call (target 3 ms), model load time (target 2 s) and resident memory with the
   model loaded, measured in a fresh process.
"""
from __future__ import annotations

import argparse
import collections
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from civicwatch.classify.classifier import Classifier, model_meta  # noqa: E402
from civicwatch.classify.corpus import LabelledText, corpus_files, read_examples, split_examples  # noqa: E402
from civicwatch.classify.evaluation import baseline_report, evaluate_classifier, label_report  # noqa: E402
from civicwatch.classify.files import PIPELINE_CONFIG  # noqa: E402
from civicwatch.classify.gazetteer import terms_from_taxonomy  # noqa: E402
from civicwatch.classify.registry import new_version, save_model  # noqa: E402
from civicwatch.classify.training import TrainedPipeline, train_pipeline  # noqa: E402
from civicwatch.taxonomy.operations import read_taxonomy  # noqa: E402

SHARED = ROOT.parent / "shared"
PHILLY_DIR = SHARED / "data" / "raw" / "philly_cap"
UNSEEN = ROOT / "benchmarks" / "data" / "unseen_complaints.jsonl"
LONG_TEXTS_CONFIG = PIPELINE_CONFIG.parent / "long_texts.cfg"
REFERENCE = {"logistic_regression": (0.674, 0.409), "svc": (0.680, 0.425)}


def line(label: str, *cells: str) -> None:
    print(f"  {label:<50}" + "  ".join(f"{cell:>10}" for cell in cells), flush=True)


def save(trained: TrainedPipeline, directory: Path) -> Path:
    meta = {**model_meta(trained), "label_field": "theme"}
    return save_model(trained, meta, terms_from_taxonomy(read_taxonomy()), directory, new_version("b" * 8), [])


# ---------------------------------------------------------------- 1. held-out and unseen

def held_out(workdir: Path, include_unseen: bool) -> Path:
    examples = read_examples(corpus_files())
    train, test = split_examples(examples)
    print(f"\n1. Held-out split: trained on {len(train)} corpus examples, tested on {len(test)}", flush=True)
    trained = train_pipeline(train)
    print(f"  training took {trained.seconds:.0f}s (epochs {trained.epochs})")
    path = save(trained, workdir)
    classifier = Classifier.load(path)
    sets = [("held-out split", test)]
    if include_unseen and UNSEEN.is_file():
        sets.append(("unseen complaints (other writers)", read_examples([UNSEEN])))
    for name, data in sets:
        report = evaluate_classifier(classifier, data)
        lr = baseline_report(train, data, "logistic_regression")
        svc = baseline_report(train, data, "svc")
        print(f"\n  {name}: {len(data)} examples")
        line("", "macro-F1", "accuracy")
        line("our pipeline", f"{report['theme']['macro_f1']:.3f}", f"{report['theme']['accuracy']:.3f}")
        line("TF-IDF + logistic regression", f"{lr['macro_f1']:.3f}", f"{lr['accuracy']:.3f}")
        line("TF-IDF + linear SVM", f"{svc['macro_f1']:.3f}", f"{svc['accuracy']:.3f}")
        if report["urgency"]:
            urgency = report["urgency"]
            line(f"urgent: recall / precision ({urgency['urgent_examples']} urgent)",
                 f"{urgency['recall']:.3f}", f"{urgency['precision']:.3f}")
        line("actor / region accuracy", f"{report['actor_accuracy']:.3f}", f"{report['region_accuracy']:.3f}")
        line("district accuracy", f"{report['district_accuracy']:.3f}")
        worst = sorted(report["theme"]["labels"], key=lambda row: row["f1"])[:2]
        line("weakest themes (F1)", *[f"{row['label'][:14]} {row['f1']:.2f}" for row in worst])
    return path


# ---------------------------------------------------------------- 2. Philadelphia

def _philly_rows(path: Path, id_field: str) -> list[tuple[str, str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        rows = []
        for row in reader:
            if len(row) != len(header):  # the 2024 file's hand-damaged record (see SOURCE.txt)
                continue
            record = dict(zip(header, row, strict=False))
            rows.append((record[id_field].strip(), record["general_cap_classification"].strip(),
                         record["summary"].strip()))
        return rows


def philly_split() -> tuple[list[LabelledText], list[LabelledText]]:
    complaints: dict[str, tuple[str, str]] = {}
    for name, id_field in (("ppd_complaints_7-18.csv", "cap_number"), ("ppd_complaints.csv", "complaint_id")):
        for complaint_id, label, text in _philly_rows(PHILLY_DIR / name, id_field):
            if complaint_id:
                complaints.setdefault(complaint_id, (label, text))  # the 2018 archive's text first
    items = sorted((cid, label, text) for cid, (label, text) in complaints.items() if label and text)
    counts = collections.Counter(label for _, label, _ in items)
    items = [item for item in items if counts[item[1]] >= 30]
    test = [LabelledText(text, label) for i, (_, label, text) in enumerate(items) if i % 5 == 4]
    train = [LabelledText(text, label) for i, (_, label, text) in enumerate(items) if i % 5 != 4]
    return train, test


def philly(configs: list[Path]) -> None:
    if not (PHILLY_DIR / "ppd_complaints.csv").is_file():
        print("\n2. Philadelphia: data not found at ../shared/data/raw/philly_cap; skipped")
        return
    train, test = philly_split()
    labels = sorted({e.label for e in train + test})
    print(f"\n2. Philadelphia (bring your own taxonomy): {len(train)} train, {len(test)} test, {len(labels)} labels",
          flush=True)
    rows = []
    for config in configs:
        trained = train_pipeline(train, config)
        docs = trained.nlp.pipe([e.text for e in test], batch_size=128)
        predicted = [max(trained.labels, key=lambda label: doc.cats[label]) for doc in docs]
        report = label_report([e.label for e in test], predicted, labels)
        rows.append((f"our pipeline, {config.name} ({trained.seconds:.0f}s)", report))
    for model, name in (("logistic_regression", "TF-IDF (1-2-grams) + logistic regression"),
                        ("svc", "TF-IDF (1-2-grams) + linear SVM")):
        rows.append((name, baseline_report(train, test, model)))
    line("", "accuracy", "macro-F1")
    for name, report in rows:
        line(name, f"{report['accuracy']:.3f}", f"{report['macro_f1']:.3f}")
    for model, (accuracy, macro) in REFERENCE.items():
        line(f"reference run: {model.replace('_', ' ')}", f"{accuracy:.3f}", f"{macro:.3f}")


# ---------------------------------------------------------------- 3. speed and memory

SPEED_PROBE = r"""
import json, os, resource, statistics, sys, time
os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
started = time.perf_counter()
from civicwatch.classify.classifier import Classifier
imported = time.perf_counter()
classifier = Classifier.load(sys.argv[1])
loaded = time.perf_counter()
texts = json.loads(sys.stdin.read())
classifier.classify_many(texts[:200])
batch = (texts * (6000 // len(texts) + 1))[:6000]
runs = []
for _ in range(3):  # the best of three: other processes on a shared machine only ever slow a run down
    t0 = time.perf_counter()
    classifier.classify_many(batch, batch_size=256)
    runs.append(len(batch) / (time.perf_counter() - t0))
per_second = max(runs)
latencies = []
for text in texts[:1000]:
    t = time.perf_counter()
    classifier.classify(text)
    latencies.append((time.perf_counter() - t) * 1000)
latencies.sort()
rss = int(next(l.split()[1] for l in open("/proc/self/status") if l.startswith("VmRSS:")))
print(json.dumps({"import_s": imported - started, "load_s": loaded - imported, "per_second": per_second,
                  "slowest_run": min(runs),
                  "p50_ms": statistics.median(latencies), "p95_ms": latencies[int(len(latencies) * 0.95)],
                  "rss_mb": rss / 1024, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def speed(model: Path) -> None:
    texts = [e.text for e in read_examples(corpus_files())]
    mean_words = statistics.mean(len(t.split()) for t in texts)
    result = subprocess.run([sys.executable, "-c", SPEED_PROBE, str(model)], input=json.dumps(texts),
                            capture_output=True, text=True, cwd=ROOT, check=True)
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    print(f"\n3. Speed on one core (corpus texts, {mean_words:.0f} words on average)")
    line("complaints per second, batches of 256, best of 3", f"{figures['per_second']:,.0f}", "target 3,000")
    line("  the slowest of the three runs", f"{figures['slowest_run']:,.0f}")
    line("one classify() call: p50 / p95 ms", f"{figures['p50_ms']:.2f}", f"{figures['p95_ms']:.2f}")
    line("model load (spaCy already imported), s", f"{figures['load_s']:.2f}", "target 2")
    line("importing spaCy and the pipeline code, s", f"{figures['import_s']:.2f}")
    line("resident memory with the model loaded, MB", f"{figures['rss_mb']:.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=["held-out", "unseen", "philly", "speed"], action="append",
                        help="run only these parts (repeatable)")
    parts = set(parser.parse_args().only or ["held-out", "unseen", "philly", "speed"])
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as workdir:
        model = None
        if parts & {"held-out", "unseen", "speed"}:
            model = held_out(Path(workdir), include_unseen="unseen" in parts)
        if "philly" in parts:
            philly([LONG_TEXTS_CONFIG, PIPELINE_CONFIG])
        if "speed" in parts and model is not None:
            speed(model)
    print(f"\n(benchmark took {time.perf_counter() - started:.0f}s)")


if __name__ == "__main__":
    main()
