"""Urgency on the development split only: the figures to work on urgency precision without the external set.

    .venv/bin/python benchmarks/urgency_dev.py                 # seeds 0, 1, 2 (about a minute on 2 cores)
    .venv/bin/python benchmarks/urgency_dev.py --seeds 0 --config my.cfg

Reads only the training corpus (civicwatch/classify/corpus/); benchmarks/data/ is never opened. For each seed, the
urgency classifier is trained as training's development model is (on every file but the voices_*.jsonl ones, with
the config's settings, epochs chosen on the development split) and scores the voices_* files:

1. On the whole development split: average precision, the threshold training's rule chooses there
   (urgency_recall_target with urgency_recall_confidence, the Wilson interval's lower end), its recall and precision,
   and the precision at a plain recall of 0.95 and of 0.90 (no margin: what a better threshold could at best reach).
   Then the same with the urgency scores of texts that speak of no danger now scaled by the factor training
   chooses on this split (civicwatch.classify.immediacy), as the trained model reads them.
2. Transfer between writers: the threshold chosen by the rule on one voices file, applied to the other (the same
   development model's scores), at the config's confidence and at none. This is how far the chosen threshold
   predicts recall on writers it was not chosen on; the external set is such writers.

Seeds differ: a change to the model or the corpus is only a change when it holds across seeds and in both
directions of part 2.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy  # noqa: E402

from civicwatch.classify.corpus import corpus_files, read_examples  # noqa: E402
from civicwatch.classify.files import PIPELINE_CONFIG  # noqa: E402
from civicwatch.classify.text import prepare_text  # noqa: E402
from civicwatch.classify.training import (  # noqa: E402
    THEME,
    URGENCY,
    URGENT_LABEL,
    Settings,
    _blank_pipeline,
    _choose_epochs,
    _Progress,
    _silent,
    _urgency_task,
    average_precision,
    choose_immediacy_factor,
    choose_threshold,
    load_pipeline_config,
    now_flags,
    with_immediacy,
)


def development_scores(config_path: Path, seed: int) -> tuple[list[str], numpy.ndarray, numpy.ndarray, int,
                                                                 Settings, numpy.ndarray]:
    """The development model's urgency scores of the development examples: (files, truth, scores, epochs,
    settings, whether each text speaks of a danger now)."""
    config = load_pipeline_config(config_path)
    config["system"]["seed"] = seed
    config["training"]["seed"] = seed
    settings = Settings.from_config(config)
    examples = read_examples(corpus_files())
    nlp = _blank_pipeline(config, [THEME, URGENCY])
    task = _urgency_task([nlp.make_doc(prepare_text(example.text)) for example in examples], examples)
    if task is None:
        raise SystemExit("The corpus has too few urgent or non-urgent examples.")
    dev = _choose_epochs(config, task, settings, _Progress(_silent, 1), "urgency")
    if dev is None:
        raise SystemExit("The corpus has no usable development split.")
    truth = numpy.asarray([task.cats[row][URGENT_LABEL] for row in dev.dev_rows])
    now = now_flags([task.docs[row].text for row in dev.dev_rows])
    return [task.files[row] for row in dev.dev_rows], truth, dev.scores[:, 0], dev.epochs, settings, now


def flagged(truth: numpy.ndarray, scores: numpy.ndarray, threshold: float) -> tuple[float, float]:
    """(recall, precision) of flagging the scores at or above the threshold."""
    hits = scores >= threshold
    found = float((hits & (truth > 0)).sum())
    return found / max(1.0, float(truth.sum())), found / max(1, int(hits.sum()))


def report(files: list[str], truth: numpy.ndarray, scores: numpy.ndarray, settings: Settings) -> None:
    """Part 1 and part 2 of the description for one set of scores."""
    target, confidence = settings.urgency_recall_target, settings.urgency_recall_confidence
    threshold, recall, precision = choose_threshold(truth, scores, target, confidence)
    at_95 = choose_threshold(truth, scores, 0.95)[2]
    at_90 = choose_threshold(truth, scores, 0.90)[2]
    print(f"  average precision {average_precision(truth, scores):.3f}; training's rule (recall {target} at "
          f"confidence {confidence}): threshold {threshold:.3f}, recall {recall:.3f}, precision {precision:.3f}; "
          f"precision at a plain recall of 0.95 {at_95:.3f}, of 0.90 {at_90:.3f}")
    names = sorted(set(files))
    for chosen_on in names:
        for other in names:
            if other == chosen_on:
                continue
            on = numpy.asarray([name == chosen_on for name in files])
            to = numpy.asarray([name == other for name in files])
            cells = []
            for level in (confidence, 0.0):
                cut = choose_threshold(truth[on], scores[on], target, level)[0]
                other_recall, other_precision = flagged(truth[to], scores[to], cut)
                cells.append(f"confidence {level}: threshold {cut:.3f} -> recall {other_recall:.3f}, "
                             f"precision {other_precision:.3f}")
            print(f"    chosen on {chosen_on}, applied to {other}: " + "; ".join(cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--config", type=Path, default=PIPELINE_CONFIG)
    args = parser.parse_args()
    for seed in args.seeds:
        files, truth, scores, epochs, settings, now = development_scores(args.config, seed)
        print(f"seed {seed}: {int(truth.sum())} urgent of {len(truth)} development examples, {epochs} epochs; "
              f"{int((now & (truth > 0)).sum())} urgent and {int((now & (truth == 0)).sum())} others speak of now")
        print(" the urgency classifier alone:")
        report(files, truth, scores, settings)
        factor, _ = choose_immediacy_factor(truth, scores, now)
        print(f" with the immediacy factor training chooses here ({factor}):")
        report(files, truth, with_immediacy(scores, now, factor), settings)


if __name__ == "__main__":
    main()
