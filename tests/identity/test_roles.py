"""Role checks raise or return nothing; each refusal is a ``ForbiddenError``."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from trustlpr.core.errors import ForbiddenError
from trustlpr.core.identity import Role, User
from trustlpr.identity import (
    require_admin,
    require_approver,
    require_auditor,
    require_role,
    require_same_agency,
    require_searcher,
    require_self_or_admin,
)
from trustlpr.identity.roles import require_active, require_second_person

OFFICER = User("o1", "hpd", Role.OFFICER)
SUPERVISOR = User("s1", "hpd", Role.SUPERVISOR)
AUDITOR = User("a1", "hpd", Role.AUDITOR)
ADMIN = User("ad1", "hpd", Role.ADMIN)
OTHER_ADMIN = User("ad2", "bpd", Role.ADMIN)
DISABLED_ADMIN = User("ad3", "hpd", Role.ADMIN, active=False)

Check = Callable[[], None]
ALLOWED: list[tuple[str, Check]] = [
    ("admin is admin", lambda: require_admin(ADMIN)),
    ("admin of own agency", lambda: require_admin(ADMIN, "hpd")),
    ("supervisor approves officer", lambda: require_approver(SUPERVISOR, "o1", "hpd")),
    ("admin approves officer", lambda: require_approver(ADMIN, "o1", "hpd")),
    ("auditor reads log", lambda: require_auditor(AUDITOR)),
    ("officer searches", lambda: require_searcher(OFFICER)),
    ("role in list", lambda: require_role(SUPERVISOR, Role.OFFICER, Role.SUPERVISOR)),
    ("same agency", lambda: require_same_agency(OFFICER, "hpd")),
    ("self", lambda: require_self_or_admin(OFFICER, "o1", "hpd")),
    ("agency admin for user", lambda: require_self_or_admin(ADMIN, "o1", "hpd")),
    ("second person", lambda: require_second_person("ad1", SUPERVISOR)),
]
REFUSED: list[tuple[str, Check]] = [
    ("officer is not admin", lambda: require_admin(OFFICER)),
    ("admin of other agency", lambda: require_admin(OTHER_ADMIN, "hpd")),
    ("disabled admin", lambda: require_admin(DISABLED_ADMIN)),
    ("disabled is inactive", lambda: require_active(DISABLED_ADMIN)),
    ("officer cannot approve", lambda: require_approver(OFFICER, "o2", "hpd")),
    ("auditor cannot approve", lambda: require_approver(AUDITOR, "o1", "hpd")),
    ("no self-approval", lambda: require_approver(SUPERVISOR, "s1", "hpd")),
    ("other agency approver", lambda: require_approver(OTHER_ADMIN, "o1", "hpd")),
    ("officer cannot read log", lambda: require_auditor(OFFICER)),
    ("auditor cannot search", lambda: require_searcher(AUDITOR)),
    ("disabled cannot search", lambda: require_searcher(DISABLED_ADMIN)),
    ("empty role list refuses", lambda: require_role(ADMIN)),
    ("other agency", lambda: require_same_agency(OFFICER, "bpd")),
    ("officer for other user", lambda: require_self_or_admin(OFFICER, "o2", "hpd")),
    ("admin of other agency for user", lambda: require_self_or_admin(OTHER_ADMIN, "o1", "hpd")),
    ("same person twice", lambda: require_second_person("ad1", ADMIN)),
]


@pytest.mark.parametrize("check", [c for _, c in ALLOWED], ids=[n for n, _ in ALLOWED])
def test_allowed_checks_return_none(check: Check) -> None:
    assert check() is None


@pytest.mark.parametrize("check", [c for _, c in REFUSED], ids=[n for n, _ in REFUSED])
def test_refused_checks_raise_forbidden(check: Check) -> None:
    with pytest.raises(ForbiddenError):
        check()


# -- the full matrix: every role (active and disabled) against every check -------------------

MATRIX_CHECKS: dict[str, Callable[[User], None]] = {
    "admin": lambda u: require_admin(u),
    "admin of hpd": lambda u: require_admin(u, "hpd"),
    "auditor": require_auditor,
    "searcher": require_searcher,
    "approver for hpd": lambda u: require_approver(u, "someone-else", "hpd"),
    "approver for bpd": lambda u: require_approver(u, "someone-else", "bpd"),
    "manages another hpd user": lambda u: require_self_or_admin(u, "someone-else", "hpd"),
    "manages themself": lambda u: require_self_or_admin(u, u.id, "hpd"),
    "same agency hpd": lambda u: require_same_agency(u, "hpd"),
}
ADMITTED = {
    Role.OFFICER: {"searcher", "manages themself", "same agency hpd"},
    Role.SUPERVISOR: {"searcher", "approver for hpd", "manages themself", "same agency hpd"},
    Role.AUDITOR: {"auditor", "manages themself", "same agency hpd"},
    Role.ADMIN: set(MATRIX_CHECKS) - {"approver for bpd"},
}
"""Who each check admits (an hpd user of each role); everything else, and every disabled
user, is refused. Written out by hand: a check that admits one role too many fails here."""


@pytest.mark.parametrize("active", [True, False], ids=["active", "disabled"])
@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
@pytest.mark.parametrize("check", list(MATRIX_CHECKS), ids=list(MATRIX_CHECKS))
def test_the_role_matrix(check: str, role: Role, active: bool) -> None:
    user = User(f"{role.value}-1", "hpd", role, active=active)
    if active and check in ADMITTED[role]:
        assert MATRIX_CHECKS[check](user) is None
    else:
        with pytest.raises(ForbiddenError):
            MATRIX_CHECKS[check](user)
