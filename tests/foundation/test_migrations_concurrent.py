"""Two `flask db upgrade` at once (two instances deployed together, each upgrading before it starts): one
upgrades, the other waits for it and finds nothing left to do. Neither fails, and the schema is made once."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory
from flask_migrate import upgrade
from sqlalchemy import text

from civicwatch.extensions import db

ROOT = Path(__file__).resolve().parents[2]
UPGRADE = """
import json, sys
from pathlib import Path
from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory
from flask_migrate import upgrade
from civicwatch import create_app
from tests.conftest import make_config
url, options, workdir = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
app = create_app(make_config((url, options), Path(workdir)))
with app.app_context():
    upgrade()
"""


def _start_upgrade(database_url: tuple[str, dict], workdir: Path) -> subprocess.Popen:
    url, options = database_url
    return subprocess.Popen([sys.executable, "-c", UPGRADE, url, json.dumps(options), str(workdir)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _head() -> str | None:
    config = AlembicConfig(str(ROOT / "migrations" / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    return ScriptDirectory.from_config(config).get_current_head()


def _error(output: str) -> str:
    return next((line for line in output.splitlines() if "Error" in line), output[-300:])


def test_two_upgrades_at_once_both_succeed_and_the_schema_is_made_once(empty_app, database_url, tmp_path):
    upgrade(revision="98bacf744698")  # a deployment at its first release: every later step still to run
    db.engine.dispose()
    processes = [_start_upgrade(database_url, tmp_path / name) for name in ("first", "second")]
    outputs = [process.communicate(timeout=300)[0] for process in processes]
    failures = [_error(output) for process, output in zip(processes, outputs, strict=True)
                if process.returncode != 0]
    assert failures == []
    with db.engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [_head()]
