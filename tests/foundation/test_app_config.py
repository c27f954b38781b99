import pytest

from civicwatch import create_app
from civicwatch.extensions import db
from config import DevelopmentConfig, ProductionConfig, TestingConfig

GOOD_KEY = TestingConfig.CIVICWATCH_ENCRYPTION_KEY
IDENTITY_KEY = TestingConfig.CIVICWATCH_IDENTITY_KEY
EVIDENCE_KEY = TestingConfig.CIVICWATCH_EVIDENCE_KEY
AUDIT_KEY = "a" * 20 + "-audit-chain-key-for-these-tests"
SHARED_STORAGE = "redis://localhost:6379/0"  # never reached: no rate-limited request is made here


def production(**overrides):
    attrs = {"SECRET_KEY": "s" * 40, "CIVICWATCH_ENCRYPTION_KEY": GOOD_KEY, "CIVICWATCH_IDENTITY_KEY": IDENTITY_KEY,
             "CIVICWATCH_EVIDENCE_KEY": EVIDENCE_KEY, "CIVICWATCH_AUDIT_KEY": AUDIT_KEY,
             "SQLALCHEMY_DATABASE_URI": "sqlite://", "PUBLIC_BASE_URL": "https://civicwatch.example.org",
             "RATELIMIT_STORAGE_URI": SHARED_STORAGE, **overrides}
    return type("Prod", (ProductionConfig,), attrs)


def development(tmp_path, **overrides):
    attrs = {"SECRET_KEY": "s" * 40, "CIVICWATCH_ENCRYPTION_KEY": GOOD_KEY, "CIVICWATCH_IDENTITY_KEY": IDENTITY_KEY,
             "CIVICWATCH_EVIDENCE_KEY": EVIDENCE_KEY,
             "SQLALCHEMY_DATABASE_URI": "sqlite://", "UPLOAD_DIR": str(tmp_path / "uploads"), "MODEL_DIR": str(tmp_path / "models"),
             "TWILIO_ACCOUNT_SID": None, "TWILIO_AUTH_TOKEN": None, "TWILIO_FROM_NUMBER": None, **overrides}
    return type("Dev", (DevelopmentConfig,), attrs)


@pytest.mark.parametrize("missing, attr", [
    ("SECRET_KEY", "SECRET_KEY"),
    ("CIVICWATCH_ENCRYPTION_KEY", "CIVICWATCH_ENCRYPTION_KEY"),
    ("CIVICWATCH_IDENTITY_KEY", "CIVICWATCH_IDENTITY_KEY"),
    ("CIVICWATCH_EVIDENCE_KEY", "CIVICWATCH_EVIDENCE_KEY"),
    ("CIVICWATCH_AUDIT_KEY", "CIVICWATCH_AUDIT_KEY"),
    ("DATABASE_URL", "SQLALCHEMY_DATABASE_URI"),
])
def test_production_refuses_to_start_without_a_secret(missing, attr):
    with pytest.raises(RuntimeError, match=missing):
        create_app(production(**{attr: None}))


@pytest.mark.parametrize("url", [None, "", "civicwatch.example.org", "ftp://civicwatch.example.org",
                                 "https://", "https://civicwatch.example.org/?x=1"])
def test_production_refuses_to_start_without_an_explicit_public_address(url):
    """The development default (http://127.0.0.1:5000) would make every Twilio signature fail and every
    published link point nowhere."""
    with pytest.raises(RuntimeError, match="PUBLIC_BASE_URL must"):
        create_app(production(PUBLIC_BASE_URL=url))


@pytest.mark.parametrize("uri", [None, "", "memory://", "MEMORY://"])
def test_production_refuses_to_start_with_rate_limits_counted_per_process(uri):
    with pytest.raises(RuntimeError, match="RATELIMIT_STORAGE_URI must name a storage every app process shares"):
        create_app(production(RATELIMIT_STORAGE_URI=uri))


def test_production_answers_only_for_its_public_host():
    client = create_app(production(PUBLIC_BASE_URL="https://civicwatch.example.org")).test_client()
    assert client.get("/privacy", base_url="https://civicwatch.example.org").status_code == 200
    assert client.get("/privacy", base_url="https://attacker.example").status_code == 400
    other = create_app(production(TRUSTED_HOSTS=["civicwatch.example.org", "10.0.0.7"])).test_client()
    assert other.get("/privacy", base_url="http://10.0.0.7:8000").status_code == 200


@pytest.mark.parametrize("setting, value", [("TWILIO_ACCOUNT_SID", "AC" + "0" * 32),
                                            ("TWILIO_AUTH_TOKEN", "0123456789abcdef0123456789abcdef"),
                                            ("TWILIO_FROM_NUMBER", "+23225000000")])
def test_development_refuses_to_start_with_twilio_configured(tmp_path, setting, value):
    """Development is the default: a server started without CIVICWATCH_ENV must not take real texts into the
    SMS simulator's machine."""
    with pytest.raises(RuntimeError, match=f"Twilio is configured \\({setting}\\).*set CIVICWATCH_ENV=production"):
        create_app(development(tmp_path, **{setting: value}))
    assert create_app(development(tmp_path)).config["SMS_SIMULATOR"] is True


def test_production_refuses_a_malformed_encryption_key():
    with pytest.raises(RuntimeError, match="Fernet key"):
        create_app(production(CIVICWATCH_ENCRYPTION_KEY="not-a-key"))


def test_production_sets_secure_cookies():
    app = create_app(production())
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["SMS_SIMULATOR"] is False


def test_session_cookie_flags_on_login_page(client):
    response = client.get("/login")
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_trusted_proxy_gives_the_real_client_address(database_url, tmp_path):
    from flask import request

    from tests.conftest import make_config

    seen = {}
    for hops in (0, 1):
        app = create_app(make_config(database_url, tmp_path, TRUSTED_PROXIES=hops))

        @app.get("/_whoami")
        def whoami(hops=hops):
            seen[hops] = (request.remote_addr, request.scheme)
            return "ok"

        app.test_client().get("/_whoami", headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"})
        with app.app_context():  # the first request read the schema's revision: its connection is closed here
            db.engine.dispose()
    assert seen[0] == ("127.0.0.1", "http")
    assert seen[1] == ("203.0.113.9", "https")


@pytest.mark.parametrize("advice", ["", "   ", "x" * 101])
def test_the_emergency_advice_must_fit_the_urgent_text(advice):
    with pytest.raises(RuntimeError, match="CIVICWATCH_EMERGENCY_ADVICE_SMS"):
        create_app(production(EMERGENCY_ADVICE_SMS=advice))
    assert create_app(production()).config["EMERGENCY_ADVICE_SMS"].startswith("If someone is in danger now")


@pytest.mark.parametrize("month", ["2026-13", "2026-1", "January 2026", ""])
def test_the_statistics_start_must_be_a_month(month):
    with pytest.raises(RuntimeError, match="CIVICWATCH_STATISTICS_SINCE"):
        create_app(production(STATISTICS_SINCE=month))
    assert create_app(production(STATISTICS_SINCE="2026-01")).config["STATISTICS_SINCE"] == "2026-01"


@pytest.mark.parametrize("cadence", ["hourly", "Daily", ""])
def test_the_statistics_cadence_must_be_one_offered(cadence):
    with pytest.raises(RuntimeError, match="CIVICWATCH_STATISTICS_PUBLISHED must be one of daily, weekly"):
        create_app(production(STATISTICS_PUBLISHED=cadence))
    assert create_app(production(STATISTICS_PUBLISHED="weekly")).config["STATISTICS_PUBLISHED"] == "weekly"


@pytest.mark.parametrize("key, message", [("not-a-key", "must be a Fernet key"), (GOOD_KEY, "must differ")])
def test_the_identity_vault_needs_its_own_valid_key(key, message):
    with pytest.raises(RuntimeError, match=message):
        create_app(production(CIVICWATCH_IDENTITY_KEY=key))


@pytest.mark.parametrize("key, message", [
    ("not-a-key", "must be a Fernet key"),
    (GOOD_KEY, "must differ from CIVICWATCH_ENCRYPTION_KEY"),
    (IDENTITY_KEY, "must differ from CIVICWATCH_IDENTITY_KEY"),
])
def test_sealed_originals_need_their_own_valid_key(key, message):
    with pytest.raises(RuntimeError, match=message):
        create_app(production(CIVICWATCH_EVIDENCE_KEY=key))


@pytest.mark.parametrize("key, message", [
    ("short", "at least 32 characters"),
    (GOOD_KEY, "must differ from CIVICWATCH_ENCRYPTION_KEY"),
    ("s" * 40, "must differ from SECRET_KEY"),
])
def test_the_audit_chain_needs_its_own_key(key, message):
    """Whoever holds the encryption key (every web process) must not be able to re-forge the audit chain."""
    with pytest.raises(RuntimeError, match=message) as refused:
        create_app(production(CIVICWATCH_AUDIT_KEY=key))
    assert key not in str(refused.value)


def test_production_refuses_to_start_with_demo_sign_ins():
    """CIVICWATCH_DEMO_MODE=1 left in production's environment let the demo's example.org accounts, one shared and
    published password for all, sign in to a database that had been a demo before it went live."""
    with pytest.raises(RuntimeError, match="CIVICWATCH_DEMO_MODE"):
        create_app(production(DEMO_MODE=True))
    assert create_app(production(DEMO_MODE=False)).config["DEMO_MODE"] is False


@pytest.mark.parametrize("missing, attr, how", [
    ("SECRET_KEY", "SECRET_KEY", "secrets.token_urlsafe"),
    ("CIVICWATCH_ENCRYPTION_KEY", "CIVICWATCH_ENCRYPTION_KEY", "Fernet.generate_key()"),
    ("CIVICWATCH_IDENTITY_KEY", "CIVICWATCH_IDENTITY_KEY", "Fernet.generate_key()"),
    ("CIVICWATCH_EVIDENCE_KEY", "CIVICWATCH_EVIDENCE_KEY", "Fernet.generate_key()"),
    ("CIVICWATCH_AUDIT_KEY", "CIVICWATCH_AUDIT_KEY", "secrets.token_urlsafe"),
    ("DATABASE_URL", "SQLALCHEMY_DATABASE_URI", "postgresql+psycopg://"),
])
def test_a_missing_production_secret_says_how_to_make_it(missing, attr, how):
    """An operator going to production for the first time was told only that SECRET_KEY must be set."""
    with pytest.raises(RuntimeError, match=missing) as refused:
        create_app(production(**{attr: None}))
    assert how in str(refused.value)
