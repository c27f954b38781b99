"""The README's settings and config.py's: every variable an operator can set is documented under the name config.py
reads, and the README names none that nothing reads."""
from __future__ import annotations

import re
from pathlib import Path

import config
from civicwatch.settings import NUMBER_SETTINGS

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
CONFIG = (ROOT / "config.py").read_text(encoding="utf-8")
# `NAME = _env_int("CIVICWATCH_NAME", ...)`, `NAME = os.environ.get("CIVICWATCH_NAME", ...)` and the like.
READ = re.compile(r"^\s+(?P<attribute>[A-Z][A-Z0-9_]*)(?::[^=]+)? = (?:_env_\w+\(|os\.environ\.get\(\s*)"
                  r"f?\"(?P<variable>CIVICWATCH_[A-Z0-9_]+)\"", re.MULTILINE)
VARIABLE = re.compile(r"CIVICWATCH_[A-Z0-9_]*[A-Z0-9]")


def _read_by_config() -> dict[str, str]:
    return {match["attribute"]: match["variable"] for match in READ.finditer(CONFIG)}


def test_every_variable_config_reads_is_in_the_readme():
    assert sorted(name for name in set(VARIABLE.findall(CONFIG)) if name not in README) == []


def test_the_readme_names_no_variable_nothing_reads():
    code = CONFIG + "".join(path.read_text(encoding="utf-8") for path in (ROOT / "civicwatch").rglob("*.py"))
    # The emergency advice of one language: CIVICWATCH_EMERGENCY_ADVICE_SMS_FR, read as an f-string.
    assert sorted(name for name in set(VARIABLE.findall(README))
                  if name not in code and not name.startswith("CIVICWATCH_EMERGENCY_ADVICE_SMS_")) == []


def test_the_readme_names_a_variable_not_the_attribute_it_fills():
    """`STATUTORY_ACKNOWLEDGE_DAYS` in the README sent an operator to set a variable config.py never reads."""
    bare = {attribute: variable for attribute, variable in _read_by_config().items() if attribute != variable}
    wrong = sorted(f"`{attribute}`: set {variable}" for attribute, variable in bare.items()
                   if re.search(rf"(?<![A-Z_])`{attribute}`", README))
    assert wrong == []


def test_the_readme_gives_every_number_variable_its_range():
    """Each number read from the environment has a row with its default and its largest value, as checked at start."""
    rows = {variable: (default, given) for variable, default, given
            in re.findall(r"^\| `(CIVICWATCH_[A-Z0-9_]+)` \| ([^|]+) \| ([0-9.]+[^|]* to [0-9.]+) \|$", README, re.MULTILINE)}
    for name, bounds in NUMBER_SETTINGS.items():
        variable = f"CIVICWATCH_{name}"
        if variable in config.NUMBER_VARIABLES:
            assert variable in rows, variable
            default, given = rows[variable]
            assert default.strip() == f"{getattr(config.Config, name):g}", variable
            assert given.strip().endswith(f" to {bounds.most:g}"), variable
    assert {variable for variable in rows if variable in config.NUMBER_VARIABLES} == config.NUMBER_VARIABLES
