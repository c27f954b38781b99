"""scikit-learn is for training only: importing it costs every app process about 75 MB of memory (the TF-IDF head
scores with its own code). The app, and the classifier it loads, must not import it."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_app_and_its_classifier_do_not_import_scikit_learn() -> None:
    code = ("import sys; import wsgi; import civicwatch.classify.classifier, civicwatch.classify.operations; "
            "print(sorted(name for name in sys.modules if name.split('.')[0] in ('sklearn', 'scipy')))")
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300,
                         env={"PATH": "/usr/bin:/bin", "CIVICWATCH_ENV": "development", "HOME": str(ROOT)})
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip().splitlines()[-1] == "[]"
