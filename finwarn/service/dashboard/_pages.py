"""The dashboard's pages: log in and out, alerts, firms, alert rules, risk register, audit log.

Every page needs a logged-in user (else a redirect to ``/login``) and shows only the
firms of the user's portfolios; every form post carries the session's CSRF token.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from sqlalchemy import delete
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.responses import Response

from finwarn.service import _register as register
from finwarn.service import _rules as rules
from finwarn.service._audit import record
from finwarn.service._deps import (
    PORTFOLIO_NOT_FOUND,
    SESSION_COOKIE,
    SessionDep,
    SettingsDep,
    user_from_token,
)
from finwarn.service._domain_errors import GovernanceError, NotFoundError
from finwarn.service._settings import Settings
from finwarn.service._tables import RiskChange, SessionToken, User
from finwarn.service.dashboard import views
from finwarn.service.dashboard._web import (
    CSRF_FAILED,
    CSRF_FIELD,
    LOGIN_CSRF_COOKIE,
    CheckedForm,
    PageRoute,
    PageUser,
    check_login_csrf,
    levels_css,
    login_nonce,
    login_token,
    page_require,
    redirect,
    render,
    root_path,
    safe_next,
    set_flash,
)
from finwarn.service.routers.auth import login_user

__all__ = ["router"]

router = APIRouter(route_class=PageRoute, include_in_schema=False)

Auditor = Annotated[User, Depends(page_require("audit"))]
RuleEditor = Annotated[User, Depends(page_require("rules"))]
Approver = Annotated[User, Depends(page_require("approve"))]
Proposer = Annotated[User, Depends(page_require("propose"))]

MISSING_CREDENTIALS = "Enter your user name and password."
LOGGED_OUT = "You are logged out."


# --------------------------------------------------------------------------- log in and out


def _login_page(
    request: Request,
    settings: SettingsDep,
    *,
    next_path: str,
    username: str = "",
    error: str | None = None,
    status_code: int = status.HTTP_200_OK,
) -> Response:
    nonce = login_nonce(request)
    response = render(
        request,
        "login.html",
        {
            "login_csrf": login_token(settings, nonce),
            "next": next_path,
            "username": username,
            "error": error,
        },
        status_code=status_code,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        nonce,
        max_age=3600,
        path=root_path(request) + "/login",
        httponly=True,
        samesite="strict",
        secure=settings.secure_cookies,
    )
    return response


@router.get("/login")
def login_form(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    next: Annotated[str, Query(max_length=500)] = "/",
) -> Response:
    """The login form (a logged-in user goes straight on)."""
    token = request.cookies.get(SESSION_COOKIE)
    if token and user_from_token(session, settings, token) is not None:
        return redirect(request, safe_next(next))
    return _login_page(request, settings, next_path=safe_next(next))


async def _posted_form(request: Request) -> FormData:
    return await request.form()


@router.post("/login")
def login(
    request: Request,
    form: Annotated[FormData, Depends(_posted_form)],
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    """Check the form's CSRF token and the password, then set the session cookie."""
    next_path = safe_next(form.get("next"))
    username = str(form.get("username") or "").strip()
    password = str(form.get("password") or "")
    if not check_login_csrf(request, settings, form):
        return _login_page(
            request,
            settings,
            next_path=next_path,
            username=username[:64],
            error=CSRF_FAILED,
            status_code=status.HTTP_403_FORBIDDEN,
        )
    if not username or not password:
        return _login_page(
            request,
            settings,
            next_path=next_path,
            username=username[:64],
            error=MISSING_CREDENTIALS,
            status_code=status.HTTP_400_BAD_REQUEST,
        )
    try:
        _, token, _ = login_user(request, session, settings, username[:64], password[:256])
    except HTTPException as exc:  # 401 wrong password, 429 rate limit
        return _login_page(
            request,
            settings,
            next_path=next_path,
            username=username[:64],
            error=str(exc.detail),
            status_code=exc.status_code,
        )
    response = redirect(request, next_path)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(settings.session_hours * 3600),
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path=root_path(request) + "/login")
    return response


@router.post("/logout")
def logout(
    request: Request, user: PageUser, form: CheckedForm, session: SessionDep, settings: SettingsDep
) -> Response:
    """End the session: its token is deleted, the cookie cleared."""
    session.execute(delete(SessionToken).where(SessionToken.digest == request.state.session_digest))
    record(session, user, "logout", "user", user.id)
    session.commit()
    response = redirect(request, "/login")
    response.delete_cookie(SESSION_COOKIE, path="/")
    set_flash(response, settings, "ok", LOGGED_OUT)
    return response


@router.get("/levels.css")
def level_styles() -> Response:
    """The colours of the warning levels (badges), from the warning configuration."""
    return Response(
        levels_css(),
        media_type="text/css",
        headers={"Cache-Control": "public, max-age=3600"},
    )


# --------------------------------------------------------------------------- pages


@router.get("/")
def alerts_page(
    request: Request,
    user: PageUser,
    session: SessionDep,
    portfolio: Annotated[int | None, Query()] = None,
) -> Response:
    """The alert view of the user's portfolios (or of one, ``?portfolio=<id>``)."""
    view = views.alert_view(session, user, portfolio)
    return render(request, "alerts.html", {"view": view, "simulated": view.scope.simulated})


@router.get("/firms/{firm_id}")
def firm_page(request: Request, firm_id: int, user: PageUser, session: SessionDep) -> Response:
    """A firm: its warning, reasons, trends, open alerts and risk-register entries."""
    view = views.firm_view(session, user, firm_id)
    return render(request, "firm.html", {"view": view, "simulated": view.simulated})


def _rules_page(
    request: Request,
    session: SessionDep,
    user: User,
    *,
    form: dict[str, str] | None = None,
    error: str | None = None,
    status_code: int = status.HTTP_200_OK,
) -> Response:
    view = views.rules_view(session, user)
    context = {"view": view, "form": form or {}, "error": error}
    return render(request, "rules.html", context, status_code=status_code)


@router.get("/rules")
def rules_page(request: Request, user: PageUser, session: SessionDep) -> Response:
    """The alert rules of the user's portfolios (and a form to add one, for analysts)."""
    return _rules_page(request, session, user)


def _rule_params(form: FormData, kind: str) -> dict[str, Any]:
    """The params of a rule of ``kind`` from the form (checked by the rule's validation)."""
    if kind == "threshold":
        value: Any = str(form.get("value") or "").strip()
        try:
            value = float(value)
        except ValueError:
            pass  # the rule's validation names the bad value
        return {
            "indicator": str(form.get("indicator") or "").strip(),
            "op": form.get("op"),
            "value": value,
            "level": form.get("level"),
        }
    if kind == "level":
        return {"at_least": form.get("at_least")}
    if kind == "migration":
        steps = str(form.get("min_steps") or "1").strip()
        return {
            "direction": form.get("direction"),
            "min_steps": int(steps) if steps.isdigit() else steps,
        }
    return {}


@router.post("/rules")
def create_rule(
    request: Request,
    user: RuleEditor,
    form: CheckedForm,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    """Create an alert rule from the form."""
    kind = str(form.get("kind") or "")
    shown = {k: v for k, v in form.items() if isinstance(v, str) and k != CSRF_FIELD}
    portfolio_id = _form_int(form, "portfolio_id")
    try:
        if portfolio_id is None:
            raise NotFoundError(PORTFOLIO_NOT_FOUND)
        rule, advice = rules.create_rule(
            session,
            user,
            name=str(form.get("name") or ""),
            kind=kind,
            portfolio_id=portfolio_id,
            params=_rule_params(form, kind),
        )
    except GovernanceError as error:
        session.rollback()
        return _rules_page(
            request, session, user, form=shown, error=error.detail, status_code=error.status_code
        )
    response = redirect(request, "/rules")
    message = " ".join([f"Rule '{rule.name}' (#{rule.id}) created.", *advice])
    set_flash(response, settings, "ok", message)
    return response


def _register_page(
    request: Request,
    session: SessionDep,
    user: User,
    *,
    error: str | None = None,
    status_code: int = status.HTTP_200_OK,
    selected_firm: int | None = None,
) -> Response:
    view = views.register_view(session, user)
    return render(
        request,
        "register.html",
        {
            "view": view,
            "error": error,
            "simulated": view.scope.simulated,
            "selected_firm": selected_firm,
        },
        status_code=status_code,
    )


@router.get("/register")
def register_page(
    request: Request,
    user: PageUser,
    session: SessionDep,
    firm: Annotated[int | None, Query()] = None,
) -> Response:
    """The risk register: entries, pending changes (with Approve / Reject for approvers)."""
    return _register_page(request, session, user, selected_firm=firm)


def _form_int(form: FormData, name: str) -> int | None:
    value = str(form.get(name) or "").strip()
    return int(value) if value.isdigit() else None


def _form_text(form: FormData, name: str) -> str | None:
    value = form.get(name)
    return value if isinstance(value, str) else None


def _refused(request: Request, session: SessionDep, user: User, error: GovernanceError) -> Response:
    """The register page again, with the reason the action was refused."""
    session.rollback()
    return _register_page(request, session, user, error=error.detail, status_code=error.status_code)


@router.post("/register/changes")
def propose_change(
    request: Request,
    user: Proposer,
    form: CheckedForm,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    """Propose a new risk entry (or the removal of one) for another user to approve."""
    action = str(form.get("action") or "")
    try:
        change = register.propose(
            session,
            user,
            action,
            firm_id=_form_int(form, "firm_id"),
            entry_id=_form_int(form, "entry_id"),
            title=_form_text(form, "title"),
            description=_form_text(form, "description"),
            severity=_form_text(form, "severity"),
            owner=_form_text(form, "owner"),
        )
    except GovernanceError as error:
        return _refused(request, session, user, error)
    response = redirect(request, "/register")
    set_flash(
        response,
        settings,
        "ok",
        f"Change #{change.id} proposed ({change.action}); another user with the approver "
        "role must approve it.",
    )
    return response


def _decision_message(change: RiskChange) -> str:
    if change.status == "rejected":
        return f"Change #{change.id} rejected; the register is unchanged."
    if change.action == "create":
        return f"Change #{change.id} approved: entry #{change.entry_id} added to the register."
    if change.action == "update":
        return f"Change #{change.id} approved: entry #{change.entry_id} updated."
    return f"Change #{change.id} approved: the entry was removed from the register."


def _decide(
    decide: Callable[[Session, int, User, str], RiskChange],
    request: Request,
    change_id: int,
    user: User,
    form: FormData,
    session: Session,
    settings: Settings,
) -> Response:
    """Approve or reject (``decide``) a change, then back to the register with a message."""
    try:
        change = decide(session, change_id, user, _form_text(form, "comment") or "")
    except GovernanceError as error:
        return _refused(request, session, user, error)
    response = redirect(request, "/register")
    set_flash(response, settings, "ok", _decision_message(change))
    return response


@router.post("/register/changes/{change_id}/approve")
def approve_change(
    request: Request,
    change_id: int,
    user: Approver,
    form: CheckedForm,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    """Approve a pending change (not one's own) and apply it to the register."""
    return _decide(register.approve, request, change_id, user, form, session, settings)


@router.post("/register/changes/{change_id}/reject")
def reject_change(
    request: Request,
    change_id: int,
    user: Approver,
    form: CheckedForm,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    """Reject a pending change (not one's own); a comment says why."""
    return _decide(register.reject, request, change_id, user, form, session, settings)


@router.get("/audit")
def audit_page(
    request: Request,
    user: Auditor,
    session: SessionDep,
    page: Annotated[int, Query(ge=1, le=10**6)] = 1,
) -> Response:
    """The audit log, newest first, for admins."""
    view = views.audit_view(session, page)
    return render(request, "audit.html", {"view": view})
