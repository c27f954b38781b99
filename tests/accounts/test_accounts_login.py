import pytest
from sqlalchemy import select

from civicwatch.accounts.models import Role, User
from civicwatch.accounts.operations import AuthenticationError, authenticate, create_user
from civicwatch.audit.models import AuditEntry
from civicwatch.errors import ConflictError, DomainError
from civicwatch.extensions import db
from tests.conftest import PASSWORD, csrf_token


def post_login(client, email, password):
    return client.post("/login", data={"csrf_token": csrf_token(client), "email": email, "password": password})


def test_password_is_stored_as_argon2_hash(make_user):
    user = make_user(Role.ADMIN)
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def test_login_and_logout(client, make_user):
    user = make_user(Role.TRIAGE)
    response = post_login(client, user.email, PASSWORD)
    assert response.status_code == 302 and response.headers["Location"] == "/staff/"
    assert client.get("/staff/").status_code == 200
    logout = client.post("/logout", data={"csrf_token": csrf_token(client, "/staff/")})
    assert logout.status_code == 302
    assert client.get("/staff/").status_code == 302


def test_wrong_password_is_refused_with_generic_message(client, make_user):
    user = make_user(Role.TRIAGE)
    response = post_login(client, user.email, "wrong password here")
    assert response.status_code == 401
    assert "Email or password is not correct." in response.get_data(as_text=True)
    unknown = post_login(client, "nobody@example.org", "wrong password here")
    assert unknown.status_code == 401
    assert "Email or password is not correct." in unknown.get_data(as_text=True)


def test_login_without_csrf_token_is_refused(client, make_user):
    user = make_user(Role.TRIAGE)
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/staff/").status_code == 302


def test_logout_requires_post_with_csrf(login_as, make_user):
    client = login_as(make_user(Role.TRIAGE))
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert client.get("/staff/").status_code == 200


def test_deactivated_user_cannot_sign_in_and_loses_session(client, make_user, login_as):
    admin = make_user(Role.ADMIN)
    user = make_user(Role.TRIAGE)
    other = login_as(user)
    assert other.get("/staff/").status_code == 200
    user_row = db.session.get(User, user.id)
    user_row.active = False
    user_row.session_token = "rotated"
    db.session.commit()
    assert other.get("/staff/").status_code == 302
    with pytest.raises(AuthenticationError):
        authenticate(user.email, PASSWORD, "127.0.0.1")
    assert admin.active


def test_open_redirect_after_login_is_refused(client, make_user):
    user = make_user(Role.TRIAGE)
    response = client.post("/login?next=//evil.example/x", data={
        "csrf_token": csrf_token(client), "email": user.email, "password": PASSWORD})
    assert response.headers["Location"] == "/staff/"


def test_change_password_signs_out_other_sessions(app, make_user, login_as):
    user = make_user(Role.TRIAGE)
    first = login_as(user)
    second = app.test_client()
    second.post("/login", data={"csrf_token": csrf_token(second), "email": user.email, "password": PASSWORD})
    assert second.get("/staff/").status_code == 200
    token = csrf_token(first, "/account/password")
    response = first.post("/account/password", data={
        "csrf_token": token, "current_password": PASSWORD,
        "new_password": "a brand new long passphrase", "confirm": "a brand new long passphrase"})
    assert response.status_code == 302
    assert first.get("/staff/").status_code == 200
    assert second.get("/staff/").status_code == 302
    assert authenticate(user.email, "a brand new long passphrase", "127.0.0.1").id == user.id


def test_change_password_rejects_short_and_wrong_current(make_user, login_as):
    client = login_as(make_user(Role.TRIAGE))
    token = csrf_token(client, "/account/password")
    short = client.post("/account/password", data={
        "csrf_token": token, "current_password": PASSWORD, "new_password": "short", "confirm": "short"})
    assert short.status_code == 400
    wrong = client.post("/account/password", data={
        "csrf_token": token, "current_password": "not it at all", "new_password": "x" * 14, "confirm": "x" * 14})
    assert wrong.status_code == 400
    assert "current password is not correct" in wrong.get_data(as_text=True)


def test_create_user_rules(app):
    with pytest.raises(DomainError):
        create_user("inv@example.org", "Inv", Role.INVESTIGATOR, PASSWORD)
    with pytest.raises(DomainError):
        create_user("not-an-email", "X", Role.TRIAGE, PASSWORD)
    with pytest.raises(DomainError):
        create_user("short@example.org", "X", Role.TRIAGE, "short")
    create_user("Dup@Example.org", "X", Role.TRIAGE, PASSWORD)
    with pytest.raises(ConflictError):
        create_user("dup@example.org", "Y", Role.AUDITOR, PASSWORD)


def test_login_is_audited(client, make_user):
    user = make_user(Role.TRIAGE)
    post_login(client, user.email, PASSWORD)
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.user_id == user.id)).all()
    assert "user.login" in actions
