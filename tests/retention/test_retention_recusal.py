"""An admin who recused from a case reads nothing of it on the dry run, not even its reference: the cases they
recused from are only counted. Their recusal changes nothing of what is erased: a run they start erases those
cases too."""
from __future__ import annotations

from civicwatch.accounts.models import Role
from civicwatch.cases.models import CaseStatus, Recusal
from civicwatch.extensions import db
from civicwatch.retention.erasure import apply_retention
from civicwatch.retention.queries import erasure_of
from tests.factories import create_case, staff_client
from tests.retention.conftest import add_user, hold, schedule


def test_the_dry_run_counts_the_cases_the_admin_recused_from_and_the_run_still_erases_them(app, clock, staff):
    long_ago = clock.now.replace(year=2024)
    listed, recused, recused_held = (create_case(CaseStatus.CLOSED, "police_oversight", closed_at=long_ago)
                                     for _ in range(3))
    hold(recused_held, staff.admin)
    schedule(CaseStatus.CLOSED, 6)
    for case in (recused, recused_held):
        db.session.add(Recusal(case_id=case.id, user_id=staff.admin.id, reason="The complainant is my cousin."))
    db.session.commit()

    admin = staff_client(app, staff.admin)
    for path in ("/staff/retention/dry-run", "/staff/retention/dry-run?body=police_oversight"):
        page = admin.get(path).get_data(as_text=True)
        assert listed.reference in page, path
        for case in (recused, recused_held):
            assert case.reference not in page and f'/staff/cases/{case.id}"' not in page, path
        assert "2 cases you are recused from" in page and "1 to erase, 0 kept" in page, path
        assert "Nothing is due." not in page, path
    colleague = staff_client(app, add_user("colleague", Role.ADMIN)).get("/staff/retention/dry-run")
    page = colleague.get_data(as_text=True)
    assert all(case.reference in page for case in (listed, recused, recused_held))
    assert "recused" not in page and "2 to erase, 1 kept" in page

    run = apply_retention(staff.admin)
    assert run.erased == 2 and run.failed == 0
    db.session.expire_all()
    assert erasure_of(listed) is not None and erasure_of(recused) is not None
    assert erasure_of(recused_held) is None


def test_an_admin_recused_from_every_due_case_is_told_so_rather_than_that_nothing_is_due(app, clock, staff):
    case = create_case(CaseStatus.CLOSED, "police_oversight", closed_at=clock.now.replace(year=2024))
    schedule(CaseStatus.CLOSED, 6)
    db.session.add(Recusal(case_id=case.id, user_id=staff.admin.id, reason="The complainant is my cousin."))
    db.session.commit()
    page = staff_client(app, staff.admin).get("/staff/retention/dry-run").get_data(as_text=True)
    assert case.reference not in page and "to erase," not in page  # no group of the body either
    assert "1 case you are recused from" in page and "Nothing is due." not in page
