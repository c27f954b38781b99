from sqlalchemy import select

from civicwatch.accounts.models import Role, User
from civicwatch.extensions import db
from tests.conftest import csrf_token


def test_admin_creates_investigator_for_a_body(make_user, login_as):
    client = login_as(make_user(Role.ADMIN))
    response = client.post("/staff/users", data={
        "csrf_token": csrf_token(client, "/staff/users"), "email": "new.inv@example.org", "name": "New Inv",
        "role": "investigator", "body": "anti_corruption_commission", "password": "a long enough password"})
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "new.inv@example.org"))
    assert user.role is Role.INVESTIGATOR and user.body.code == "anti_corruption_commission"


def test_admin_form_errors_are_shown_not_500(make_user, login_as):
    client = login_as(make_user(Role.ADMIN))
    response = client.post("/staff/users", data={
        "csrf_token": csrf_token(client, "/staff/users"), "email": "inv2@example.org", "name": "Inv",
        "role": "investigator", "body": "", "password": "a long enough password"})
    assert response.status_code == 400
    assert "must belong to an oversight body" in response.get_data(as_text=True)
    bogus = client.post("/staff/users", data={
        "csrf_token": csrf_token(client, "/staff/users"), "email": "x@example.org", "name": "X",
        "role": "emperor", "body": "", "password": "a long enough password"})
    assert bogus.status_code == 400


def test_admin_deactivates_user_and_their_session_ends(app, make_user, login_as):
    target = make_user(Role.TRIAGE)
    target_client = app.test_client()
    target_client.post("/login", data={"csrf_token": csrf_token(target_client), "email": target.email,
                                       "password": "correct horse battery staple"})
    assert target_client.get("/staff/").status_code == 200
    admin_client = login_as(make_user(Role.ADMIN))
    response = admin_client.post(f"/staff/users/{target.id}/active", data={
        "csrf_token": csrf_token(admin_client, "/staff/users"), "active": "0", "confirmed": "yes"})
    assert response.status_code == 302
    assert db.session.get(User, target.id).active is False
    assert target_client.get("/staff/").status_code == 302


def test_admin_cannot_deactivate_self(make_user, login_as):
    admin = make_user(Role.ADMIN)
    client = login_as(admin)
    response = client.post(f"/staff/users/{admin.id}/active", data={
        "csrf_token": csrf_token(client, "/staff/users"), "active": "0", "confirmed": "yes"})
    assert response.status_code == 400
    assert db.session.get(User, admin.id).active is True


def test_non_admins_cannot_manage_users(make_user, login_as):
    for role in (Role.TRIAGE, Role.AUDITOR, Role.INVESTIGATOR):
        client = login_as(make_user(role))
        assert client.get("/staff/users").status_code == 403
        client.post("/logout", data={"csrf_token": csrf_token(client, "/staff/")})


def test_create_user_cli(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["civicwatch", "create-user", "--email", "cli@example.org", "--role",
                                 "investigator", "--body", "auditor_general", "--password", "cli password long"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "cli@example.org"))
    assert user.body.code == "auditor_general"
    bad = runner.invoke(args=["civicwatch", "create-user", "--email", "cli2@example.org", "--role",
                              "investigator", "--body", "nope", "--password", "cli password long"])
    assert bad.exit_code != 0 and "no body with code" in bad.output


def test_create_user_cli_checks_everything_before_asking_for_the_password(app):
    """A wrong email, a missing body or a body a role does not take is said at once, not after typing a password
    twice; the password is then asked for, hidden and confirmed."""
    runner = app.test_cli_runner()
    for arguments, said in [
        (["--email", "not an email", "--role", "triage"], "not valid"),
        (["--email", "inv@example.org", "--role", "investigator"], "must belong to an oversight body"),
        (["--email", "tri@example.org", "--role", "triage", "--body", "auditor_general"], "belongs to no body"),
    ]:
        result = runner.invoke(args=["civicwatch", "create-user", *arguments], input="")
        assert result.exit_code != 0 and said in result.output, result.output
        assert "Password" not in result.output
    asked = runner.invoke(args=["civicwatch", "create-user", "--email", "new@example.org", "--role", "auditor"],
                          input="a long enough password\na long enough password\n")
    assert asked.exit_code == 0, asked.output
    assert "Password" in asked.output and "a long enough password" not in asked.output
    again = runner.invoke(args=["civicwatch", "create-user", "--email", "NEW@example.org", "--role", "auditor"],
                          input="")
    assert again.exit_code != 0 and "already exists" in again.output and "Password" not in again.output


UNRULY_NAME = "\x1b[2J\x07Ann\r\nLee\u202e\u2066 Smith\u2069\x1b"
ONLY_CONTROLS = "\x1b\x07\u202e\r\n\u2066"


def test_a_staff_name_is_kept_as_one_line_of_visible_text(make_user, login_as):
    """A name with terminal escapes, a bell, a line break and right-to-left overrides is kept on one line without
    them; a name of nothing else is refused as an empty one is."""
    client = login_as(make_user(Role.ADMIN))
    fields = {"role": "auditor", "body": "", "password": "a long enough password"}
    response = client.post("/staff/users", data={"csrf_token": csrf_token(client, "/staff/users"),
                                                  "email": "unruly@example.org", "name": UNRULY_NAME, **fields})
    assert response.status_code == 302
    assert db.session.scalar(select(User.name).where(User.email == "unruly@example.org")) == "[2JAnn Lee Smith"
    refusals = [client.post("/staff/users", data={"csrf_token": csrf_token(client, "/staff/users"),
                                                  "email": email, "name": name, **fields})
                for email, name in (("empty@example.org", ""), ("controls@example.org", ONLY_CONTROLS))]
    assert [r.status_code for r in refusals] == [400, 400]
    assert "Fill in this field." in refusals[1].get_data(as_text=True)
    assert db.session.scalar(select(User.id).where(User.email.in_(["empty@example.org", "controls@example.org"]))) is None


def test_create_user_cli_keeps_the_name_on_one_line_of_visible_text(app):
    runner = app.test_cli_runner()
    for email, name in (("unruly@example.org", UNRULY_NAME), ("controls@example.org", ONLY_CONTROLS)):
        result = runner.invoke(args=["civicwatch", "create-user", "--email", email, "--role", "auditor",
                                     "--name", name, "--password", "cli password long"])
        assert result.exit_code == 0, result.output
    names = dict(db.session.execute(select(User.email, User.name)).tuples().all())
    assert names["unruly@example.org"] == "[2JAnn Lee Smith"
    assert names["controls@example.org"] == "controls@example.org"  # as with no name: the email
