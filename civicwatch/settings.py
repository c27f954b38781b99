"""The configuration checked at start: the app refuses to start with settings that would be unsafe, and says
which environment variable to set. The README's "Configuration" section lists every rule here."""
from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from civicwatch.crypto import valid_encryption_key
from civicwatch.i18n import KNOWN_LANGUAGES
from config import NUMBER_VARIABLES
from config import SettingsError as SettingsError  # raised here and by config.py, caught by wsgi.py

PRODUCTION = "production"
PUBLICATION_CADENCES = ("daily", "weekly", "monthly", "continuously")
DEVELOPMENT = "development"
TWILIO_SETTINGS = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM_NUMBER", "TWILIO_WHATSAPP_NUMBER")
# Where a required setting lives in the configuration when its environment variable has another name.
_SOURCES = {"DATABASE_URL": "SQLALCHEMY_DATABASE_URI"}
_DATABASE_EXAMPLE = "postgresql+psycopg://civicwatch:PASSWORD@localhost/civicwatch"
_MAKE_SECRET = 'python -c "import secrets; print(secrets.token_urlsafe(48))"'
_MAKE_FERNET_KEY = 'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
# How to make each required setting, said when it is missing: each key a new one, never another's.
_HOW_TO_MAKE = {
    "SECRET_KEY": f"make one with: {_MAKE_SECRET}",
    "CIVICWATCH_ENCRYPTION_KEY": f"make one with: {_MAKE_FERNET_KEY}",
    "CIVICWATCH_IDENTITY_KEY": f"make one with: {_MAKE_FERNET_KEY} (not the content key)",
    "CIVICWATCH_EVIDENCE_KEY": f"make one with: {_MAKE_FERNET_KEY} (not the content or identity key)",
    "CIVICWATCH_AUDIT_KEY": f"make one with: {_MAKE_SECRET} (not any other key)",
    "DATABASE_URL": f"the PostgreSQL database, such as {_DATABASE_EXAMPLE}",
}


def is_production(config: Mapping[str, Any]) -> bool:
    return config.get("ENVIRONMENT") == PRODUCTION


def twilio_configured(config: Mapping[str, Any]) -> bool:
    """Any Twilio credential at all: real texts may flow."""
    return any(config.get(name) for name in TWILIO_SETTINGS)


def public_sms_number(config: Mapping[str, Any]) -> str | None:
    """The number citizens can text a report to, or None when texts are not received."""
    number = str(config.get("TWILIO_FROM_NUMBER") or "").strip()
    return number or None


def _check_report_queueing(value: object) -> None:
    if not (value is True or value is False or value == "auto"):
        raise SettingsError(f"WEB_REPORTS_QUEUED must be True, False or \"auto\", not {value!r} "
                            "(CIVICWATCH_WEB_REPORTS_QUEUED=auto, 1 or 0)")


def check_settings(config: dict[str, Any]) -> None:
    """Refuse to start (SettingsError) with unsafe settings. In production, also trust only the public host."""
    _refuse_twilio_outside_production(config)
    for name in config.get("REQUIRED_SECRETS", ()):
        if not config.get(_SOURCES.get(name, name)):
            raise SettingsError(f"{name} must be set in the environment to run in production; "
                                f"{_HOW_TO_MAKE.get(name, 'see Configuration in the README')}")
    if not valid_encryption_key(config.get("CIVICWATCH_ENCRYPTION_KEY")):
        raise SettingsError(
            "CIVICWATCH_ENCRYPTION_KEY must be a Fernet key (32 url-safe base64-encoded bytes); "
            f"make one with: {_MAKE_FERNET_KEY}"
        )
    _check_identity_key(config)
    _check_evidence_key(config)
    _check_audit_key(config)
    _check_timezone(config.get("TIMEZONE", "UTC"))
    if config.get("SQLALCHEMY_DATABASE_URI") is not None:
        config["SQLALCHEMY_DATABASE_URI"] = _database_url(config["SQLALCHEMY_DATABASE_URI"])
    _check_languages(config.get("LANGUAGES", ()))
    _check_phone_region(config.get("DEFAULT_PHONE_REGION"))
    _check_report_queueing(config.get("WEB_REPORTS_QUEUED", "auto"))
    config["LOG_LEVEL"] = _check_log_level(config.get("LOG_LEVEL", "INFO"))
    _check_emergency_advice("CIVICWATCH_EMERGENCY_ADVICE_SMS", config.get("EMERGENCY_ADVICE_SMS"))
    for language, advice in config.get("EMERGENCY_ADVICE_SMS_BY_LANGUAGE", {}).items():
        _check_emergency_advice(f"CIVICWATCH_EMERGENCY_ADVICE_SMS_{language.upper()}", advice)
    _check_statistics_since(config.get("STATISTICS_SINCE"))
    _check_statistics_published(config.get("STATISTICS_PUBLISHED", "daily"))
    check_weekend(config.get("WEEKEND_DAYS", ()))
    for name, bounds in NUMBER_SETTINGS.items():
        if name in config:
            _check_number_setting(name, config[name], bounds)
    if is_production(config):
        if config.get("DEMO_MODE"):
            raise SettingsError("CIVICWATCH_DEMO_MODE must be off in production: the demo's example.org accounts share "
                                "one published password. Unset it (or set it to false).")
        _check_public_base_url(config.get("PUBLIC_BASE_URL"))
        _check_rate_limit_storage(config.get("RATELIMIT_STORAGE_URI"))
        if config.get("TRUSTED_HOSTS") is None:
            config["TRUSTED_HOSTS"] = [urlsplit(config["PUBLIC_BASE_URL"]).hostname]


def check_weekend(days: Iterable[object]) -> frozenset[int]:
    """The weekend's weekday numbers, checked: a weekend of all seven days (or a day 7) would leave no working day
    to count a deadline in, and every case stored would fail."""
    weekend = frozenset(day for day in days if isinstance(day, int) and not isinstance(day, bool))
    if weekend != frozenset(days) or not weekend <= set(range(7)) or len(weekend) >= 7:
        raise SettingsError("CIVICWATCH_WEEKEND_DAYS must list weekday numbers from 0 (Monday) to 6 (Sunday), not "
                            "all seven, such as 5,6 for Saturday and Sunday")
    return weekend


class NumberRange(NamedTuple):
    least: float
    most: float
    whole: bool = True  # a count, or a duration in whole units
    zero: str = ""  # what 0 means, where it is the least and means something of its own
    unset: bool = False  # None is allowed (not checked)


# Every number setting of config.py and its range, checked at start whatever sets it (the environment, a class or
# a test's configuration). A huge value, an extra zero or ten, would otherwise start and fail later: a day count past
# the calendar's end made every staff sign-in a 500, a long lockout after many doubled waits overflowed the wait.
# The README lists those read from the environment (CIVICWATCH_<name>); the others are set in config.py.
NUMBER_SETTINGS: dict[str, NumberRange] = {
    "DOWNLOAD_IN_MEMORY_BYTES": NumberRange(0, 256 * 1024 * 1024),
    "DOWNLOAD_CACHE_SECONDS": NumberRange(0, 3600),
    "DOWNLOAD_CACHE_ENTRIES": NumberRange(1, 256),
    "MIGRATION_LOCK_TIMEOUT_SECONDS": NumberRange(0, 600, whole=False),
    "OUTBOX_MAX_AGE_HOURS": NumberRange(0, 720, whole=False),
    "OUTBOX_RETRY_BASE_SECONDS": NumberRange(1, 3600, whole=False),
    "OUTBOX_RETRY_MAX_SECONDS": NumberRange(1, 86400, whole=False),
    "OUTBOX_CLAIM_TIMEOUT_SECONDS": NumberRange(1, 86400, whole=False),
    "OUTBOX_MAX_CLOCK_SKEW_SECONDS": NumberRange(0, 3600, whole=False, unset=True),
    # Waits grow fourfold from try to try: ten tries of a day's wait stay within the calendar.
    "OUTBOX_UNREACHABLE_WAIT_MINUTES": NumberRange(1, 1440),
    "OUTBOX_UNREACHABLE_TRIES": NumberRange(1, 10),
    "OUTBOX_RECORD_RETRY_SECONDS": NumberRange(0, 60, whole=False),
    # Twilio's default limit of concurrent requests per account (error 20429 beyond it).
    "OUTBOX_SEND_CONCURRENCY": NumberRange(1, 100),
    "ROUTING_SWEEP_GRACE_SECONDS": NumberRange(0, 86400, whole=False),
    "TWILIO_TIMEOUT_SECONDS": NumberRange(1, 120, whole=False),
    "PATTERN_SWEEP_MINUTES": NumberRange(1, 10080, whole=False),
    "DASHBOARD_MEDIANS_MINUTES": NumberRange(1, 1440, whole=False),
    "RETENTION_WORKER_HOURS": NumberRange(0, 720, whole=False),
    # Deadlines (cases/deadlines.py): a negative one would put them before receipt.
    "STATUTORY_ACKNOWLEDGE_DAYS": NumberRange(0, 365, zero=" (no limit)"),
    "STATUTORY_RESPOND_MONTHS": NumberRange(0, 60, zero=" (no limit)"),
    "DEADLINE_SWEEP_MINUTES": NumberRange(1, 1440, whole=False),
    "DEADLINE_REMINDER_HOURS": NumberRange(0, 720, whole=False),
    "DEADLINE_WAIT_MAX_WORKING_DAYS": NumberRange(0, 260, zero=" (no limit)"),
    # Texted questions about retaliation wait two weeks for their answer (sms/dialogue.py): a shorter interval would
    # ask again before the last question's answer was waited for.
    "RETALIATION_OPEN_FIRST_DAYS": NumberRange(1, 365),
    "RETALIATION_OPEN_EVERY_DAYS": NumberRange(14, 365),
    "QUIET_START_HOUR": NumberRange(0, 23),
    "QUIET_END_HOUR": NumberRange(0, 23),
    "AUDIT_ANCHOR_INTERVAL_SECONDS": NumberRange(0, 3600, whole=False),
    "MAX_CONTENT_LENGTH": NumberRange(1, 1024**3),
    "MAX_FORM_MEMORY_SIZE": NumberRange(1, 64 * 1024**2),
    "MAX_FORM_PARTS": NumberRange(1, 100_000),
    "SIGNED_WEBHOOK_MAX_BYTES": NumberRange(1, 1024**2),
    "SIGNED_WEBHOOK_MAX_FIELDS": NumberRange(1, 10_000),
    "OPEN311_MAX_BYTES": NumberRange(1, 1024**2),
    "OPEN311_MAX_FIELDS": NumberRange(1, 10_000),
    "UPLOAD_CONCURRENCY": NumberRange(1, 16),
    "UPLOAD_WAIT_SECONDS": NumberRange(0, 300, whole=False),
    # The waits double from the slowdown to the lockout: at most 20 failures keep the last under a year.
    "TRACK_SLOWDOWN_AFTER": NumberRange(1, 10),
    "TRACK_SLOWDOWN_SECONDS": NumberRange(0, 60, whole=False),
    "TRACK_LOCKOUT_AFTER": NumberRange(1, 20),
    "TRACK_LOCKOUT_MINUTES": NumberRange(1, 1440, whole=False),
    "TRACK_FAILURE_WINDOW_MINUTES": NumberRange(1, 1440, whole=False),
    "TRACK_SESSION_MINUTES": NumberRange(1, 1440, whole=False),
    "TRACK_SESSION_MAX_MINUTES": NumberRange(1, 1440, whole=False),
    "SMS_AUTO_REPLIES_PER_NUMBER": NumberRange(1, 1000),
    "SMS_AUTO_REPLY_WINDOW_MINUTES": NumberRange(1, 1440, whole=False),
    "SMS_SET_ASIDE_KEEP_DAYS": NumberRange(1, 365),
    "LOGIN_SLOWDOWN_AFTER": NumberRange(1, 10),
    "LOGIN_SLOWDOWN_SECONDS": NumberRange(0, 60, whole=False),
    "LOGIN_LOCKOUT_AFTER": NumberRange(1, 20),
    "LOGIN_LOCKOUT_MINUTES": NumberRange(1, 10080),
    "LOGIN_FAILURE_WINDOW_MINUTES": NumberRange(1, 1440, whole=False),
    "LOGIN_ACCOUNT_CEILING": NumberRange(1, 100_000),
    "LOGIN_ACCOUNT_LOCK_MINUTES": NumberRange(1, 1440),
    "LOGIN_KNOWN_NETWORK_DAYS": NumberRange(0, 3650),
    "TOTP_MAX_FAILURES": NumberRange(1, 100),
    "STAFF_IDLE_MINUTES": NumberRange(1, 1440),
    "STAFF_SESSION_HOURS": NumberRange(1, 168),
    "TEMPORARY_PASSWORD_HOURS": NumberRange(1, 720),
    "PERMANENT_SESSION_LIFETIME": NumberRange(1, 7 * 86400),
    "SMALL_COUNT_THRESHOLD": NumberRange(1, 100),
    "STATISTICS_REFRESH_SECONDS": NumberRange(0, 86400, zero=" (every page view)"),
    "API_KEY_LIFETIME_DAYS": NumberRange(1, 3650),
    "DISCLOSURE_MAX_HOURS": NumberRange(1, 720),
    "SHARE_MAX_DAYS": NumberRange(1, 365),
    "SHARE_ASK_AGAIN_DAYS": NumberRange(0, 365),
    "TRUSTED_PROXIES": NumberRange(0, 10),
}


def _check_number_setting(name: str, value: object, bounds: NumberRange) -> None:
    if value is None and bounds.unset:
        return
    if isinstance(value, int | float) and not isinstance(value, bool) and (isinstance(value, int) or not bounds.whole) \
            and bounds.least <= value <= bounds.most:  # nan fails this too
        return
    variable = f"CIVICWATCH_{name}" if f"CIVICWATCH_{name}" in NUMBER_VARIABLES else name
    kind = "a whole number" if bounds.whole else "a number"
    raise SettingsError(f"{variable} must be {kind} from {bounds.least:g}{bounds.zero} to {bounds.most:g}"
                        f"{' or None' if bounds.unset else ''}, not {value!r}")


# The urgent SMS reply's own words and a reference take up to 60 of its 160 characters.
EMERGENCY_ADVICE_MAX = 100


def _check_emergency_advice(name: str, advice: object) -> None:
    if not isinstance(advice, str) or not advice.strip() or len(advice) > EMERGENCY_ADVICE_MAX:
        raise SettingsError(f"{name} must be a text of 1 to {EMERGENCY_ADVICE_MAX} "
                            "characters: what to do when someone is in danger now (name the emergency number)")


def _check_statistics_since(month: object) -> None:
    if month is not None and not (isinstance(month, str) and re.fullmatch(r"[0-9]{4}-(0[1-9]|1[0-2])", month)):
        raise SettingsError("CIVICWATCH_STATISTICS_SINCE must be a year and month such as 2026-01 (the month the "
                            "public statistics begin), or unset")


def _check_statistics_published(cadence: object) -> None:
    if cadence not in PUBLICATION_CADENCES:
        raise SettingsError(f"CIVICWATCH_STATISTICS_PUBLISHED must be one of {', '.join(PUBLICATION_CADENCES)}, "
                            f"not {cadence!r}")


def _check_identity_key(config: Mapping[str, Any]) -> None:
    key = config.get("CIVICWATCH_IDENTITY_KEY")
    if not valid_encryption_key(key):
        raise SettingsError("CIVICWATCH_IDENTITY_KEY (the identity vault's key) must be a Fernet key, made like "
                            "CIVICWATCH_ENCRYPTION_KEY")
    if key == config.get("CIVICWATCH_ENCRYPTION_KEY"):
        raise SettingsError("CIVICWATCH_IDENTITY_KEY must differ from CIVICWATCH_ENCRYPTION_KEY: the identity "
                            "vault has its own key")


def _check_evidence_key(config: Mapping[str, Any]) -> None:
    key = config.get("CIVICWATCH_EVIDENCE_KEY")
    if not valid_encryption_key(key):
        raise SettingsError("CIVICWATCH_EVIDENCE_KEY (the key of sealed original files) must be a Fernet key, made "
                            "like CIVICWATCH_ENCRYPTION_KEY")
    for other in ("CIVICWATCH_ENCRYPTION_KEY", "CIVICWATCH_IDENTITY_KEY"):
        if key == config.get(other):
            raise SettingsError(f"CIVICWATCH_EVIDENCE_KEY must differ from {other}: sealed originals have their "
                                "own key")


AUDIT_KEY_MIN_LENGTH = 32


def _check_audit_key(config: Mapping[str, Any]) -> None:
    """The audit chain's key: long, and no other key (never quoted: a refusal is logged)."""
    key = config.get("CIVICWATCH_AUDIT_KEY")
    if not isinstance(key, str) or len(key) < AUDIT_KEY_MIN_LENGTH:
        raise SettingsError(f"CIVICWATCH_AUDIT_KEY (the audit chain's key) must be at least {AUDIT_KEY_MIN_LENGTH} "
                            f"characters; {_HOW_TO_MAKE['CIVICWATCH_AUDIT_KEY']}")
    for other in ("CIVICWATCH_ENCRYPTION_KEY", "CIVICWATCH_IDENTITY_KEY", "CIVICWATCH_EVIDENCE_KEY", "SECRET_KEY"):
        if key == config.get(other):
            raise SettingsError(f"CIVICWATCH_AUDIT_KEY must differ from {other}: whoever holds that one must not be "
                                "able to re-forge the audit chain")


def _check_timezone(name: object) -> None:
    try:
        ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(f"CIVICWATCH_TIMEZONE must be an IANA time zone name such as Africa/Freetown or UTC, "
                            f"not {name!r}") from None


# How hosting providers and PostgreSQL's documentation write an address: without a driver (SQLAlchemy would pick
# psycopg2, not installed) or with the scheme SQLAlchemy no longer knows.
_POSTGRESQL_WITHOUT_DRIVER = ("postgres", "postgresql")


def _database_url(url: object) -> object:
    """The database address to use: checked, a PostgreSQL one without a driver given the installed psycopg (3)."""
    try:
        parsed = make_url(str(url))
    except ArgumentError:
        raise SettingsError(f"DATABASE_URL must be a database address such as {_DATABASE_EXAMPLE}, "
                            "not the one set") from None
    if parsed.drivername in _POSTGRESQL_WITHOUT_DRIVER:
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    try:
        parsed.get_dialect().import_dbapi()
    except (ImportError, NoSuchModuleError):
        raise SettingsError(f"DATABASE_URL must be a PostgreSQL address such as {_DATABASE_EXAMPLE} (or SQLite: "
                            f"sqlite:////path/to/file), not {parsed.drivername}") from None
    return url


def _check_languages(codes: Iterable[object]) -> None:
    unknown = [code for code in codes if code not in KNOWN_LANGUAGES]
    if unknown or not codes:
        raise SettingsError(f"CIVICWATCH_LANGUAGES must list codes of {', '.join(KNOWN_LANGUAGES)} (the default "
                            f"first, such as en,fr,kri), not {', '.join(map(str, unknown)) or 'none'}")


def _check_phone_region(region: object) -> None:
    if region and region not in phonenumbers.SUPPORTED_REGIONS:
        raise SettingsError("CIVICWATCH_PHONE_REGION must be a two-letter country code in capitals, such as SL or "
                            f"GH (the country of numbers written without +), not {region!r}")


def _check_log_level(level: object) -> str:
    name = str(level).strip().upper()
    if name not in logging.getLevelNamesMapping() or name == "NOTSET":
        raise SettingsError(f"LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR or CRITICAL, not {level!r}")
    return name


def _refuse_twilio_outside_production(config: Mapping[str, Any]) -> None:
    """Development is the default: real texts must not reach its SMS simulator and demo settings by mistake."""
    if config.get("ENVIRONMENT") != DEVELOPMENT or not twilio_configured(config):
        return
    given = ", ".join(name for name in TWILIO_SETTINGS if config.get(name))
    raise SettingsError(
        f"Twilio is configured ({given}) but CIVICWATCH_ENV is development (the default), which is for a "
        "machine without real texts. To use Twilio, set CIVICWATCH_ENV=production (with the other production "
        "settings: see 'Configuration' in the README); for development, unset the TWILIO_* variables and use "
        "the SMS simulator."
    )


def _check_public_base_url(url: str | None) -> None:
    example = "such as https://civicwatch.example.org"
    if not url:
        raise SettingsError(
            f"PUBLIC_BASE_URL must be set in the environment to run in production: the address the public and "
            f"Twilio reach this site at, {example}. Twilio's webhook signatures and every link the app writes "
            "(open data, feeds, texts) are built from it."
        )
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise SettingsError(f"PUBLIC_BASE_URL must be an http or https address with a host, {example}, "
                            f"not {url!r}")


def _check_rate_limit_storage(uri: str | None) -> None:
    if not uri or uri.strip().lower().startswith("memory://"):
        raise SettingsError(
            "RATELIMIT_STORAGE_URI must name a storage every app process shares to run in production, such as "
            "redis://localhost:6379/0: with memory:// each process counts on its own, so several processes "
            "allow several times every rate limit."
        )
