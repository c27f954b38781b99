"""Configuration classes, read from the environment and checked at start."""
from __future__ import annotations

import math
import os
from collections.abc import Callable
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("CIVICWATCH_INSTANCE", BASE_DIR / "instance"))


class SettingsError(RuntimeError):
    """The app cannot start with this configuration; the message says what to set."""


# What the environment says that cannot be read, found while the classes below are made. The app factory refuses
# the start with the first (config_from_env), so that wsgi.py reports it as it reports every other setting: this
# module's import never fails, and the variable's default is never used.
_UNREADABLE: list[str] = []


def _unreadable(message: str) -> None:
    _UNREADABLE.append(message)


def _env_list(name: str) -> list[str] | None:
    """A comma-separated list; None when the variable is not set."""
    value = os.environ.get(name)
    if value is None:
        return None
    return [item.strip() for item in value.split(",") if item.strip()]


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _env_bool(name: str, default: bool) -> bool:
    """A switch, or `default` when unset or empty; any other word stops the start: a typo must not turn the second
    factor off."""
    value = (os.environ.get(name) or "").strip().lower()
    if not value:
        return default
    if value not in _TRUE | _FALSE:
        _unreadable(f"{name} must be true or false (also 1/0, yes/no, on/off), not {os.environ.get(name)!r}")
        return default
    return value in _TRUE


def _env_bool_or_auto(name: str, default: bool | str) -> bool | str:
    """A switch that may also be "auto" (the code decides, see where it is used), or `default` when unset or empty."""
    value = (os.environ.get(name) or "").strip().lower()
    if not value:
        return default
    if value == "auto":
        return "auto"
    if value not in _TRUE | _FALSE:
        _unreadable(f"{name} must be auto, true or false (also 1/0, yes/no, on/off), not {os.environ.get(name)!r}")
        return default
    return value in _TRUE


# The variables numbers are read from: civicwatch/settings.py checks every number's range at start, naming them.
NUMBER_VARIABLES: set[str] = set()


def _env_number(name: str, default: float, parse: Callable[[str], float], what: str, minimum: float) -> float:
    """A number from the environment, or `default` when unset; a malformed or out-of-range one stops the start
    with a message naming the variable (the default stands in until config_from_env refuses it)."""
    NUMBER_VARIABLES.add(name)
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    try:
        number = parse(value)
    except ValueError:
        _unreadable(f"{name} must be {what}, not {value!r}")
        return default
    if not minimum <= number < float("inf"):  # nan and inf fail this too
        _unreadable(f"{name} must be at least {minimum:g}, not {value!r}")
        return default
    return number


def _env_int(name: str, default: int, minimum: int | None = None) -> int:
    return int(_env_number(name, default, int, "a whole number", -math.inf if minimum is None else minimum))


def _env_float(name: str, default: float, minimum: float = 0.0) -> float:
    return _env_number(name, default, float, "a number (such as 2 or 0.5)", minimum)


def _env_weekdays(name: str, default: tuple[int, ...]) -> tuple[int, ...]:
    values = _env_list(name)
    if not values:
        return default
    if not all(value.isascii() and value.isdigit() and int(value) <= 6 for value in values) or len(set(values)) >= 7:
        _unreadable(f"{name} must list weekday numbers from 0 (Monday) to 6 (Sunday), not all seven, such as "
                    f"5,6 for Saturday and Sunday; not {os.environ.get(name)!r}")
        return default
    return tuple(sorted({int(value) for value in values}))


def _whatsapp_templates(languages: tuple[str, ...]) -> dict[str, str]:
    """TWILIO_WHATSAPP_TEMPLATE_SID_FR and the like: the approved template of each language that has one."""
    found = {code: os.environ.get(f"TWILIO_WHATSAPP_TEMPLATE_SID_{code.upper()}") for code in languages}
    return {code: sid for code, sid in found.items() if sid}


class Config:
    # Every number below has a range, checked at start whatever sets it: NUMBER_SETTINGS in civicwatch/settings.py.
    ENVIRONMENT = "development"  # what CIVICWATCH_ENV chose; civicwatch/settings.py checks each at start
    SECRET_KEY = os.environ.get("SECRET_KEY")
    CIVICWATCH_ENCRYPTION_KEY = os.environ.get("CIVICWATCH_ENCRYPTION_KEY")
    # The identity vault's own key: complainants' identity and contact details (never the content key).
    CIVICWATCH_IDENTITY_KEY = os.environ.get("CIVICWATCH_IDENTITY_KEY")
    # The key of the sealed originals: uploaded files exactly as sent, kept only when the complainant asks.
    CIVICWATCH_EVIDENCE_KEY = os.environ.get("CIVICWATCH_EVIDENCE_KEY")
    # The audit chain's own key (any long random text): whoever holds the encryption key, as every web process
    # does, cannot re-forge the chain with it, and rotating the encryption key leaves the chain's key alone.
    CIVICWATCH_AUDIT_KEY = os.environ.get("CIVICWATCH_AUDIT_KEY")
    # None only in production without DATABASE_URL, which the required-secrets check refuses at start.
    SQLALCHEMY_DATABASE_URI: str | None = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'civicwatch.sqlite3'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    SQLALCHEMY_RECORD_QUERIES = False
    # PostgreSQL: how long `flask db upgrade` waits for a table that running transactions hold. Every query on it
    # waits behind the upgrade meanwhile, so the upgrade gives up (changing nothing) rather than stop the site.
    MIGRATION_LOCK_TIMEOUT_SECONDS = _env_float("CIVICWATCH_MIGRATION_LOCK_TIMEOUT_SECONDS", 5.0)

    TWILIO_ACCOUNT_SID = os.environ.get("TWILIO_ACCOUNT_SID")
    TWILIO_AUTH_TOKEN = os.environ.get("TWILIO_AUTH_TOKEN")
    TWILIO_FROM_NUMBER = os.environ.get("TWILIO_FROM_NUMBER")
    # Twilio's WhatsApp sender, as Twilio writes it ("whatsapp:+14155238886"). Texts from WhatsApp arrive on the
    # same webhook as SMS; without this setting they are read but cannot be answered.
    TWILIO_WHATSAPP_NUMBER = os.environ.get("TWILIO_WHATSAPP_NUMBER")
    # The approved WhatsApp template (Twilio Content SID, "HX...") sent outside WhatsApp's 24-hour session
    # window instead of the message owed: "CivicWatch: a reply to your report is waiting for you. Send OPEN to
    # read it." One per language where approved (TWILIO_WHATSAPP_TEMPLATE_SID_FR, _KRI ...); the default
    # is taken, in English, for a language without its own.
    TWILIO_WHATSAPP_TEMPLATE_SID = os.environ.get("TWILIO_WHATSAPP_TEMPLATE_SID")
    TWILIO_WHATSAPP_TEMPLATE_SIDS = _whatsapp_templates(("en", "fr", "kri"))
    PUBLIC_BASE_URL: str | None = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000")
    # What the SMS reply to "someone is hurt, held or threatened right now" advises, after "report ... is
    # marked urgent." Name the local emergency number here ("call 112 first"). Plain GSM-7 characters and at
    # most 100 of them keep the reply to one text.
    EMERGENCY_ADVICE_SMS = os.environ.get(
        "CIVICWATCH_EMERGENCY_ADVICE_SMS",
        "If someone is in danger now, contact emergency services first: we cannot send help.")
    # Country assumed for phone numbers written without an international prefix.
    DEFAULT_PHONE_REGION = os.environ.get("CIVICWATCH_PHONE_REGION", "SL")
    # The deployment's time zone (an IANA name such as Africa/Freetown): what "today" is for the people who
    # report, for instance the latest incident date a report may give, and the days pattern alert windows count.
    # Times are stored in UTC regardless.
    TIMEZONE = os.environ.get("CIVICWATCH_TIMEZONE", "UTC")
    # Languages offered to citizens (and to staff, whose pages are in English and French), first the default:
    # codes of civicwatch/i18n.py's KNOWN_LANGUAGES. Catalogs live in translations/.
    LANGUAGES = _env_list("CIVICWATCH_LANGUAGES") or ["en", "fr", "kri"]
    # The emergency advice in one language (CIVICWATCH_EMERGENCY_ADVICE_SMS_FR, ..._KRI): otherwise the reply
    # gives EMERGENCY_ADVICE_SMS, translated when it is the shipped default.
    EMERGENCY_ADVICE_SMS_BY_LANGUAGE = {
        code: os.environ[f"CIVICWATCH_EMERGENCY_ADVICE_SMS_{code.upper()}"] for code in LANGUAGES
        if os.environ.get(f"CIVICWATCH_EMERGENCY_ADVICE_SMS_{code.upper()}")}
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")
    # Outbox delivery: failures are retried after 30 s, 60 s, 120 s ... (at most an hour apart) until the
    # message is this old, then marked failed for an admin. A claim older than the timeout belongs to a
    # worker that died and is taken over; it must be well above the Twilio request timeout.
    OUTBOX_MAX_AGE_HOURS = _env_float("CIVICWATCH_OUTBOX_MAX_AGE_HOURS", 48.0)
    OUTBOX_RETRY_BASE_SECONDS = 30
    OUTBOX_RETRY_MAX_SECONDS = 3600
    OUTBOX_CLAIM_TIMEOUT_SECONDS = 300
    # Claims go stale by the clock of the worker that looks, so `deliver` refuses to start when its clock and the
    # database's differ by more than this (None: not checked).
    OUTBOX_MAX_CLOCK_SKEW_SECONDS: float | None = 60
    # A text the carrier reports undelivered because the phone was off (Twilio 30003) is sent again after 15
    # minutes, then 1 and 4 hours: four tries in all, within OUTBOX_MAX_AGE_HOURS.
    OUTBOX_UNREACHABLE_WAIT_MINUTES = 15
    OUTBOX_UNREACHABLE_TRIES = 4
    # A SID the database would not take is retried after this, doubling, five times, then every round.
    OUTBOX_RECORD_RETRY_SECONDS = 0.1
    # Sends a `deliver` worker has in flight at once (each a round trip to Twilio: 150-400 ms from West Africa), to
    # different numbers; 1: one after the other. Twilio limits the concurrent requests of an account (100 unless
    # raised), whatever the number of workers: keep workers x this well below it.
    OUTBOX_SEND_CONCURRENCY = _env_int("CIVICWATCH_OUTBOX_SEND_CONCURRENCY", 16, minimum=1)
    # Cases stored but never routed (a crash in between) are routed by the workers' sweep once this old.
    ROUTING_SWEEP_GRACE_SECONDS = 60
    # Languages the active classifier was trained on (codes of civicwatch/classify/language.py). A complaint
    # detected in another language waits in the triage queue for a person instead of being routed on a guess.
    # French is read by default since the corpus holds French complaints (corpus/french.jsonl) and the model's
    # macro-F1 on French strangers' writing is as good as on English (benchmarks/classifier.py --only languages).
    CLASSIFIER_LANGUAGES = _env_list("CIVICWATCH_CLASSIFIER_LANGUAGES") or ["en", "fr", "kri"]
    TWILIO_TIMEOUT_SECONDS = 10
    # Pattern alerts (civicwatch/patterns/detection.py), looked for by every `deliver` worker this often:
    # "subject": at least `min_count` allegations of `theme` against one unit, post or officer within
    # `window_days`; "place": a district whose cases in the last `window_days` reach `factor` times their
    # average over the `baseline_windows` windows before (and at least `min_count`).
    PATTERN_SWEEP_MINUTES = 60
    # The staff dashboard's quarter medians (cases.counts.refresh_dashboard_medians), computed by every `deliver`
    # worker this often so that no page takes a median over a quarter of cases; the page shows when.
    DASHBOARD_MEDIANS_MINUTES = 5
    # Web reports without files queued (intake.queue): the request checks the form, stores it as sent (encrypted) and
    # gives the receipt code; a `deliver` worker then classifies, routes and files it as a case, within seconds.
    # "auto": queued while a long-running `deliver` worker runs, filed by the request otherwise
    # (intake.filing_workers); on: always queued (a report waits, out of the staff's sight, while no worker runs);
    # off: the request files the case itself. Reports with files always are.
    WEB_REPORTS_QUEUED: bool | str = _env_bool_or_auto("CIVICWATCH_WEB_REPORTS_QUEUED", "auto")
    # Retention (civicwatch/retention): every `deliver` worker erases the cases the schedules make due this often,
    # when enabled; otherwise run `civicwatch retention apply` from cron. The schedules are in the database.
    RETENTION_APPLY_IN_WORKER = _env_bool("CIVICWATCH_RETENTION_APPLY_IN_WORKER", False)
    RETENTION_WORKER_HOURS = _env_float("CIVICWATCH_RETENTION_WORKER_HOURS", 24.0)
    PATTERN_RULES: tuple[dict[str, object], ...] = (
        {"code": "force_by_subject", "kind": "subject", "theme": "abuse_of_force", "min_count": 3,
         "window_days": 90},
        {"code": "extortion_by_subject", "kind": "subject", "theme": "corruption", "min_count": 5,
         "window_days": 90},
        {"code": "place_surge", "kind": "place", "factor": 2.0, "min_count": 5, "window_days": 30,
         "baseline_windows": 3},
    )

    # The statutory clock (civicwatch/cases/deadlines.py). Deadlines count working days: not the WEEKEND_DAYS
    # (weekday numbers, Monday 0 ... Sunday 6; "4,5" for a Friday-Saturday weekend) and not the holidays admins
    # keep on the deadlines page (or load with `civicwatch holidays import`). The law's limits cap each body's
    # working days, in calendar time from receipt (0 lifts a limit); the answer's deadline can be extended
    # once, with a reason the complainant reads.
    WEEKEND_DAYS: tuple[int, ...] = _env_weekdays("CIVICWATCH_WEEKEND_DAYS", (5, 6))
    STATUTORY_ACKNOWLEDGE_DAYS = _env_int("CIVICWATCH_STATUTORY_ACKNOWLEDGE_DAYS", 7)
    STATUTORY_RESPOND_MONTHS = _env_int("CIVICWATCH_STATUTORY_RESPOND_MONTHS", 3)
    # Every `deliver` worker looks this often for deadlines coming up (a reminder to the assigned staff and
    # the body this many hours before) and passed (escalated to the administrators), each sent once.
    DEADLINE_SWEEP_MINUTES = 15
    DEADLINE_REMINDER_HOURS = 48
    # A question the complainant never answers stops the deadline clock for this many working days at most; then
    # the deadline sweep runs it again (0 lifts the limit).
    DEADLINE_WAIT_MAX_WORKING_DAYS = _env_int("CIVICWATCH_DEADLINE_WAIT_MAX_WORKING_DAYS", 20, minimum=0)

    # The retaliation watch while a case is open (civicwatch/cases/retaliation.py): a complainant who feared
    # retaliation is asked this many days after the body acknowledged the case, then every
    # RETALIATION_OPEN_EVERY_DAYS after the last check-in while it stays open; 30 and 90 days after closure too.
    RETALIATION_OPEN_FIRST_DAYS = _env_int("CIVICWATCH_RETALIATION_OPEN_FIRST_DAYS", 14, minimum=1)
    RETALIATION_OPEN_EVERY_DAYS = _env_int("CIVICWATCH_RETALIATION_OPEN_EVERY_DAYS", 30, minimum=14)
    # Quiet hours, in TIMEZONE's local time: the texts CivicWatch starts of its own accord (the retaliation
    # check-ins) are not sent from QUIET_START_HOUR until QUIET_END_HOUR; one due meanwhile waits until they end.
    # Replies to a citizen's text are never held. A window may cross midnight (21 to 8); the same hour twice: none.
    QUIET_START_HOUR = _env_int("CIVICWATCH_QUIET_START_HOUR", 21, minimum=0)
    QUIET_END_HOUR = _env_int("CIVICWATCH_QUIET_END_HOUR", 8, minimum=0)

    # Where uploaded files live: outside the web root, never served statically.
    UPLOAD_DIR = os.environ.get("CIVICWATCH_UPLOAD_DIR", str(INSTANCE_DIR / "uploads"))
    MODEL_DIR = os.environ.get("CIVICWATCH_MODEL_DIR", str(INSTANCE_DIR / "models"))
    # A copy of the newest audit entry kept outside the database, so deleting the newest entries shows.
    AUDIT_ANCHOR_FILE = os.environ.get("CIVICWATCH_AUDIT_ANCHOR_FILE", str(INSTANCE_DIR / "audit_anchor.json"))
    # Each process copies the tip there at most this often (0: after every commit with an audit entry).
    AUDIT_ANCHOR_INTERVAL_SECONDS = _env_float("CIVICWATCH_AUDIT_ANCHOR_INTERVAL_SECONDS", 10.0)
    MAX_CONTENT_LENGTH = 55 * 1024 * 1024  # five files of 10 MB plus the form
    # Form fields (Flask's defaults, named here because urlencoded bodies are held to them as a whole too, before
    # they are parsed: see civicwatch/request_limits.py).
    MAX_FORM_MEMORY_SIZE = 500_000
    MAX_FORM_PARTS = 1000
    # Twilio's webhooks, before the signature is checked. The longest inbound text (1,600 characters, each
    # up to 9 bytes once UTF-8 and percent-encoded) with every other field Twilio sends stays under 20 KB;
    # Twilio sends about 40 fields at most (with ten media URLs and their types).
    SIGNED_WEBHOOK_MAX_BYTES = 32 * 1024
    SIGNED_WEBHOOK_MAX_FIELDS = 100
    # Files decoded or rewritten at once per process; each may take ~60 MB while it is, a progressive JPEG up to
    # ~160 MB (see civicwatch/cases/images.py). An upload waits this long for its turn, then is asked to try again.
    UPLOAD_CONCURRENCY = _env_int("CIVICWATCH_UPLOAD_CONCURRENCY", 1, minimum=1)
    UPLOAD_WAIT_SECONDS = _env_float("CIVICWATCH_UPLOAD_WAIT_SECONDS", 20.0)
    # An open data file is written whole before it is sent: in memory up to this size, in the temporary folder
    # beyond. Measured: the statistics take about 2 kB a group (month, quarter, body...), half a megabyte for ten
    # years of months; the published answers 5 to 8 kB an answer of two 250-word texts, up to 65 kB for the longest
    # the form takes, and they are never thinned out: a large deployment's 100,000 answers are half a gigabyte or more.
    DOWNLOAD_IN_MEMORY_BYTES = 2 * 1024 * 1024
    # A download of the published answers is built once and sent to every request for the same file (path, filters,
    # language) for this long, as long as proxies may keep it (public_caching), unless an answer changed since; at
    # most this many files are kept per process (the oldest go first).
    DOWNLOAD_CACHE_SECONDS = _env_int("CIVICWATCH_DOWNLOAD_CACHE_SECONDS", 60, minimum=0)
    DOWNLOAD_CACHE_ENTRIES = _env_int("CIVICWATCH_DOWNLOAD_CACHE_ENTRIES", 16, minimum=1)
    # Downloads per client of the published answers, and (each counted apart) of the early-warning and the statistics
    # files: each reads a table.
    OPEN_DATA_DOWNLOAD_RATE_LIMIT = "10 per minute;60 per hour"

    RATELIMIT_STORAGE_URI: str | None = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_ENABLED = True
    # The shared storage (Redis) down or refusing writes: each process counts in its own memory until it is back,
    # rather than refusing every report and sign-in with a 500 (or a stored report without its receipt).
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    LOGIN_RATE_LIMIT = "10 per minute;50 per hour"
    REPORT_RATE_LIMIT = "5 per minute;30 per hour"
    # Files checked for report forms and follow-up messages together, stored or refused: as many as the stored
    # reports' limit allows.
    REPORT_FILES_RATE_LIMIT = "25 per minute;150 per hour"
    TRACK_RATE_LIMIT = "10 per minute;60 per hour"
    # Wrong receipt codes per client (counted in the database, shared by every instance): a few typing
    # mistakes are free, then each try waits TRACK_SLOWDOWN_SECONDS, doubling, then a lockout.
    TRACK_SLOWDOWN_AFTER = 3
    TRACK_SLOWDOWN_SECONDS = 5
    TRACK_LOCKOUT_AFTER = 10
    TRACK_LOCKOUT_MINUTES = 30
    TRACK_FAILURE_WINDOW_MINUTES = 60
    # After a correct code, the case stays open in that browser this long without activity,
    TRACK_SESSION_MINUTES = 15
    # and this long at most however busy, so that a copy of the cookie kept busy ends too: enough to read the case
    # and write an answer; then the receipt code is asked again (what was being written comes back with the page).
    TRACK_SESSION_MAX_MINUTES = 120
    # Automatic SMS and WhatsApp replies to one number within the window (counted in the outbox, shared by every
    # worker): past it, an auto-responder or a script texting us gets nothing back, while its texts are still
    # read and kept. The STOP confirmation is always sent.
    SMS_AUTO_REPLIES_PER_NUMBER = _env_int("CIVICWATCH_SMS_AUTO_REPLIES_PER_NUMBER", 20, minimum=1)
    SMS_AUTO_REPLY_WINDOW_MINUTES = 60
    # A text the worker set aside after failing every try holds a number and a complainant's words, outside every
    # case and so every retention schedule: it is erased this many days after it was set aside, unless an admin
    # gives it back to the worker first (its clock then starts again).
    SMS_SET_ASIDE_KEEP_DAYS = _env_int("CIVICWATCH_SMS_SET_ASIDE_KEEP_DAYS", 30, minimum=1)
    # Wrong staff passwords, counted in the database (shared by every instance) per client network and
    # email typed: a few are free, then each try waits LOGIN_SLOWDOWN_SECONDS, doubling, then the client is
    # blocked for LOGIN_LOCKOUT_MINUTES. Someone guessing elsewhere never locks the real user out...
    LOGIN_SLOWDOWN_AFTER = 3
    LOGIN_SLOWDOWN_SECONDS = 5
    LOGIN_LOCKOUT_AFTER = _env_int("CIVICWATCH_LOGIN_LOCKOUT_AFTER", 10, minimum=1)
    LOGIN_LOCKOUT_MINUTES = _env_int("CIVICWATCH_LOGIN_LOCKOUT_MINUTES", 30, minimum=1)
    LOGIN_FAILURE_WINDOW_MINUTES = 60
    # ... unless wrong passwords for one account come from many networks at once: past this many in the
    # window, every sign-in to the account pauses this long (audited).
    LOGIN_ACCOUNT_CEILING = _env_int("CIVICWATCH_LOGIN_ACCOUNT_CEILING", 100, minimum=1)
    LOGIN_ACCOUNT_LOCK_MINUTES = _env_int("CIVICWATCH_LOGIN_ACCOUNT_LOCK_MINUTES", 15, minimum=1)
    # The pause spares the networks the account signed in from within this many days: an attacker's flood of
    # guesses cannot keep the owner out from the office or home.
    LOGIN_KNOWN_NETWORK_DAYS = _env_int("CIVICWATCH_LOGIN_KNOWN_NETWORK_DAYS", 90, minimum=0)
    # Wrong authenticator codes in a row (a right password does not clear them): the second factor then
    # locks until an admin unlocks it on the staff accounts page (or `civicwatch unlock-two-factor`).
    TOTP_MAX_FAILURES = _env_int("CIVICWATCH_TOTP_MAX_FAILURES", 5, minimum=1)
    # A staff session without a request for this long ends (checked by the server on every request).
    STAFF_IDLE_MINUTES = _env_int("CIVICWATCH_STAFF_IDLE_MINUTES", 30, minimum=1)
    # However busy, a staff session ends this long after sign-in (a working day).
    STAFF_SESSION_HOURS = _env_int("CIVICWATCH_STAFF_SESSION_HOURS", 8, minimum=1)
    # A temporary password (a new account's, or an admin's reset) is told, written down or sent: it stops opening
    # the account this long after the admin set it, whether or not the member signed in with it.
    TEMPORARY_PASSWORD_HOURS = _env_int("CIVICWATCH_TEMPORARY_PASSWORD_HOURS", 72, minimum=1)

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    PERMANENT_SESSION_LIFETIME = 8 * 3600
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session; a long form must not expire

    REQUIRE_TOTP = _env_bool("CIVICWATCH_REQUIRE_TOTP", True)
    DEMO_MODE = _env_bool("CIVICWATCH_DEMO_MODE", False)
    # The SMS simulator, where allowed: never in production, never with a Twilio credential, and only for a
    # signed-in admin or someone at the machine itself (see sms/views.py).
    SMS_SIMULATOR = False
    SMALL_COUNT_THRESHOLD = _env_int("CIVICWATCH_SMALL_COUNT_THRESHOLD", 5, minimum=1)
    # The public statistics read a rollup of the cases, refreshed when it is this old: by the `deliver` worker
    # (or cron: `civicwatch statistics refresh`), so that no public request waits for it (at a million cases a
    # refresh takes most of a second). True: the page view that finds it old refreshes it first, for a
    # machine without a worker and for tests.
    STATISTICS_REFRESH_SECONDS = _env_int("CIVICWATCH_STATISTICS_REFRESH_SECONDS", 60, minimum=1)
    STATISTICS_REFRESH_ON_PAGE_VIEW = _env_bool("CIVICWATCH_STATISTICS_REFRESH_ON_PAGE_VIEW", False)
    # How often the public figures change: "daily" (at the deployment's midnight), "weekly" (Monday), "monthly"
    # or "continuously" (at every refresh). Figures that moved in the minute a complaint came would tell someone
    # who knows of it which body, theme and region it went to; at a cadence they move by many complaints at once.
    STATISTICS_PUBLISHED = os.environ.get("CIVICWATCH_STATISTICS_PUBLISHED", "daily")
    # The month the public statistics begin ('YYYY-MM', e.g. the month the service opened): "all time" and the
    # period menu start there. Unset: January of the year of the first case. Never the first month with a case,
    # which would tell that month holds at least one.
    STATISTICS_SINCE = os.environ.get("CIVICWATCH_STATISTICS_SINCE") or None
    # The licence of the open data (statistics, published answers, Open311), named on every download.
    OPEN_DATA_LICENCE_NAME = os.environ.get("CIVICWATCH_OPEN_DATA_LICENCE_NAME", "Creative Commons Attribution 4.0")
    OPEN_DATA_LICENCE_URL = os.environ.get("CIVICWATCH_OPEN_DATA_LICENCE_URL",
                                           "https://creativecommons.org/licenses/by/4.0/")
    # Open311 GeoReport v2 service discovery, and how many complaints one client may send.
    OPEN311_CONTACT = os.environ.get("CIVICWATCH_OPEN311_CONTACT", "CivicWatch administrators")
    OPEN311_KEY_SERVICE = os.environ.get("CIVICWATCH_OPEN311_KEY_SERVICE", "Ask the CivicWatch administrators for an api_key.")
    OPEN311_CHANGESET = "2026-12-05T00:00:00Z"  # when this endpoint's behaviour last changed
    OPEN311_ENDPOINT_TYPE = os.environ.get("CIVICWATCH_OPEN311_ENDPOINT_TYPE", "production")
    OPEN311_JURISDICTION_ID = os.environ.get("CIVICWATCH_OPEN311_JURISDICTION_ID") or None
    OPEN311_RATE_LIMIT = "30 per minute;500 per day"
    # An Open311 key ends this many days after it is issued (1 to 3650): a forgotten or leaked key stops working.
    API_KEY_LIFETIME_DAYS = _env_int("CIVICWATCH_API_KEY_LIFETIME_DAYS", 365)
    # And how many one api_key may send, from whatever addresses (an app's users each have their own).
    OPEN311_KEY_RATE_LIMIT = "120 per minute;5000 per day"
    # The Open311 POST's body, before its api_key is checked: the longest complaint (5,000 characters, each up to
    # 12 bytes once UTF-8 and percent-encoded, with an address of 500) and every field GeoReport names fit.
    OPEN311_MAX_BYTES = 96 * 1024
    OPEN311_MAX_FIELDS = 60
    # Reading published requests: generous for apps, but no bulk probing of the date filters.
    OPEN311_READ_RATE_LIMIT = "120 per minute;5000 per day"
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
    # The longest a custodian's grant to see a complainant's identity may last.
    DISCLOSURE_MAX_HOURS = _env_int("CIVICWATCH_DISCLOSURE_MAX_HOURS", 72, minimum=1)
    # How long another body may read a related case it asked for, at most (a body chooses less when it shares).
    SHARE_MAX_DAYS = _env_int("CIVICWATCH_SHARE_MAX_DAYS", 90, minimum=1)
    # After a refusal, the asking body may ask again for the same case this many days later.
    SHARE_ASK_AGAIN_DAYS = _env_int("CIVICWATCH_SHARE_ASK_AGAIN_DAYS", 7, minimum=0)
    REQUIRED_SECRETS: tuple[str, ...] = ()
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto/-Host headers are trusted.
    # Rate limits and lockouts count the real client only when this matches the deployment.
    TRUSTED_PROXIES = _env_int("CIVICWATCH_TRUSTED_PROXIES", 0, minimum=0)
    # Host names requests may carry (others get 400); production defaults to PUBLIC_BASE_URL's host.
    TRUSTED_HOSTS = _env_list("CIVICWATCH_TRUSTED_HOSTS")

    TESTING = False
    DEBUG = False


class DevelopmentConfig(Config):
    ENVIRONMENT = "development"
    DEBUG = False
    DEMO_MODE = _env_bool("CIVICWATCH_DEMO_MODE", True)
    REQUIRE_TOTP = _env_bool("CIVICWATCH_REQUIRE_TOTP", False)
    SMS_SIMULATOR = True
    STATISTICS_REFRESH_ON_PAGE_VIEW = _env_bool("CIVICWATCH_STATISTICS_REFRESH_ON_PAGE_VIEW", True)  # `make run`: no worker


class TestingConfig(Config):
    ENVIRONMENT = "testing"
    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"
    # A fixed Fernet key so tests are repeatable; production must bring its own.
    CIVICWATCH_ENCRYPTION_KEY = "lbn3C9xZHpzUQGJH0Sp0jU3Zms0m7BnVYNn9yEKcgUE="
    CIVICWATCH_IDENTITY_KEY = "Cq0u9m4yS7mWk2vE1Jx8b3dH6fT5nR0pL2aZ4cV7gQk="
    CIVICWATCH_EVIDENCE_KEY = "bdOTGepkMMnR_GAJKa-UgLv7-Z7PCn2GrYqxyq07wfk="
    CIVICWATCH_AUDIT_KEY = "test-audit-chain-key-not-for-production-4f0c9a"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    TWILIO_ACCOUNT_SID = None
    TWILIO_AUTH_TOKEN = None
    TWILIO_FROM_NUMBER = None
    TWILIO_WHATSAPP_NUMBER = None
    TWILIO_WHATSAPP_TEMPLATE_SID = None
    TWILIO_WHATSAPP_TEMPLATE_SIDS: dict[str, str] = {}
    PUBLIC_BASE_URL = "http://localhost"
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_ENABLED = False
    REQUIRE_TOTP = False
    DEMO_MODE = True
    SMS_SIMULATOR = True
    UPLOAD_DIR = ""  # set per test
    MODEL_DIR = ""  # set per test
    STATISTICS_REFRESH_SECONDS = 0  # every page view sees the cases the test just wrote
    STATISTICS_PUBLISHED = "continuously"
    STATISTICS_REFRESH_ON_PAGE_VIEW = True
    AUDIT_ANCHOR_INTERVAL_SECONDS = 0.0  # every commit anchored; tests of the interval set their own
    OUTBOX_RECORD_RETRY_SECONDS = 0.0
    OUTBOX_MAX_CLOCK_SKEW_SECONDS = None  # the clock fixture moves the app's clock away from the database's
    # None: a test that sends without the clock fixture runs at any hour; tests of quiet hours set their own.
    QUIET_START_HOUR = QUIET_END_HOUR = 0


class ProductionConfig(Config):
    ENVIRONMENT = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"
    REQUIRED_SECRETS = ("SECRET_KEY", "CIVICWATCH_ENCRYPTION_KEY", "CIVICWATCH_IDENTITY_KEY",
                        "CIVICWATCH_EVIDENCE_KEY", "CIVICWATCH_AUDIT_KEY", "DATABASE_URL")
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")
    # No defaults: both are checked at start (civicwatch/settings.py).
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL")
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI")
    # Never: the simulator shows every text sent to any number it is asked about.
    SMS_SIMULATOR = False


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_env() -> type[Config]:
    """The configuration CIVICWATCH_ENV names; SettingsError for a variable that cannot be read."""
    if _UNREADABLE:
        raise SettingsError(_UNREADABLE[0])
    name = os.environ.get("CIVICWATCH_ENV", "development")
    if name not in CONFIGS:
        raise SettingsError(f"CIVICWATCH_ENV must be one of {', '.join(CONFIGS)}, not {name!r}")
    return CONFIGS[name]
