import pytest

from civicwatch import create_app
from config import ProductionConfig, TestingConfig

GOOD_KEY = TestingConfig.CIVICWATCH_ENCRYPTION_KEY


def production(**overrides):
    attrs = {"SECRET_KEY": "s" * 40, "CIVICWATCH_ENCRYPTION_KEY": GOOD_KEY,
             "SQLALCHEMY_DATABASE_URI": "sqlite://", **overrides}
    return type("Prod", (ProductionConfig,), attrs)


@pytest.mark.parametrize("missing, attr", [
    ("SECRET_KEY", "SECRET_KEY"),
    ("CIVICWATCH_ENCRYPTION_KEY", "CIVICWATCH_ENCRYPTION_KEY"),
    ("DATABASE_URL", "SQLALCHEMY_DATABASE_URI"),
])
def test_production_refuses_to_start_without_a_secret(missing, attr):
    with pytest.raises(RuntimeError, match=missing):
        create_app(production(**{attr: None}))


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
    assert seen[0] == ("127.0.0.1", "http")
    assert seen[1] == ("203.0.113.9", "https")
