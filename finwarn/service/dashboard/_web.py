"""The dashboard's plumbing: templates, the logged-in viewer, CSRF, flash messages, headers.

Pages are server-rendered Jinja2 with no script at all, so the Content-Security-Policy
allows none. Every dashboard route uses :class:`PageRoute`, which turns the errors raised
while answering (401 -> a redirect to the login page; 403, 404, 409 ... -> an HTML error
page) into pages and puts the security headers on every answer.

CSRF
----
* Logged in: every form carries ``csrf_token(secret, session_token)`` (an HMAC of the
  session's token, never stored) in the hidden field ``csrf_token``; a post is accepted
  only if the field matches (``hmac.compare_digest``).
* The login form (no session yet) is protected by a signed double-submit cookie: the
  login page sets a random nonce in the HttpOnly, SameSite=Strict cookie
  ``finwarn_login_csrf`` and puts ``csrf_token(secret, "login:" + nonce)`` in the form.
  A cross-site page can neither read the cookie nor compute the HMAC without the secret,
  and a cookie planted by a sibling domain cannot be paired with a token either.
* The session cookie itself is HttpOnly and SameSite=Lax, and the API never accepts it
  (the API wants a bearer token or an API key), so it cannot be used to call the API.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import logging
import secrets
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.datastructures import FormData
from starlette.responses import HTMLResponse, RedirectResponse, Response

import finwarn
from finwarn.report import _format as fmt
from finwarn.report._svg import level_colours
from finwarn.service._deps import (
    SESSION_COOKIE,
    SessionDep,
    SettingsDep,
    check_permission,
    user_from_token,
)
from finwarn.service._domain_errors import GovernanceError
from finwarn.service._security import csrf_token, keyed_digest, role_can
from finwarn.service._settings import Settings
from finwarn.service._tables import User
from finwarn.warning import load_warning_config

__all__ = [
    "CSRF_FAILED",
    "CSRF_FIELD",
    "FLASH_COOKIE",
    "LOGIN_CSRF_COOKIE",
    "NAVIGATION",
    "SECURITY_HEADERS",
    "STATIC_DIR",
    "STATIC_URL",
    "CheckedForm",
    "DashboardStatic",
    "LoginRequired",
    "PageRoute",
    "PageUser",
    "Viewer",
    "check_login_csrf",
    "csrf_form",
    "level_order",
    "levels_css",
    "login_nonce",
    "login_token",
    "page_require",
    "redirect",
    "render",
    "root_path",
    "safe_next",
    "set_flash",
]

logger = logging.getLogger(__name__)

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"
STATIC_URL = "/static"

CSRF_FIELD = "csrf_token"
CSRF_FAILED = "CSRF token missing or wrong; reload the page and try again."
LOGIN_CSRF_COOKIE = "finwarn_login_csrf"
FLASH_COOKIE = "finwarn_flash"
PAGE_NOT_FOUND = "Page not found"

#: Sent with every dashboard page (and the static files): no framing, no sniffing, no
#: scripts, styles and images from this server only, forms post to this server only.
SECURITY_HEADERS: dict[str, str] = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "Referrer-Policy": "same-origin",
}

#: The navigation: (path, label, permission needed to see it).
NAVIGATION: tuple[tuple[str, str, str], ...] = (
    ("/", "Alerts", "read"),
    ("/rules", "Alert rules", "read"),
    ("/register", "Risk register", "read"),
    ("/audit", "Audit log", "audit"),
)


# --------------------------------------------------------------------------- templates


def _when(value: datetime | None) -> str:
    if value is None:
        return fmt.MISSING
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _period(value: Any) -> str:
    return fmt.MISSING if value is None or value == -1 else str(value)


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        probability=fmt.probability,
        number=fmt.number,
        signed=fmt.signed,
        percentile=fmt.percentile,
        count=fmt.count,
        label=fmt.label,
        when=_when,
        period=_period,
        pretty_json=lambda value: json.dumps(value, indent=1, sort_keys=True, default=str),
    )
    return env


_ENV = _environment()


def level_order() -> tuple[str, ...]:
    """The warning levels, safest first (``finwarn/warning/defaults.yaml``)."""
    return tuple(load_warning_config().levels)


def levels_css() -> str:
    """One badge and bar colour class per warning level (served as ``/levels.css``).

    A stylesheet rather than ``style`` attributes, which the Content-Security-Policy
    refuses.
    """
    levels = level_order()
    rules = [
        f".level-{level} {{ background: {bg}; color: {ink}; }}"
        for level, (bg, ink) in zip(levels, level_colours(len(levels)), strict=True)
    ]
    return "\n".join(rules) + "\n"


@dataclass(frozen=True)
class Viewer:
    """Who is looking at a page: plain values, usable after the database session ends."""

    id: int
    username: str
    role: str
    csrf: str

    def can(self, permission: str) -> bool:
        return role_can(self.role, permission)


def root_path(request: Request) -> str:
    """Where the application is mounted (``""`` at the root), for links and cookie paths."""
    return str(request.scope.get("root_path", "")).rstrip("/")


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    """A page from ``templates/<template>`` with the viewer, navigation and flash message."""
    viewer: Viewer | None = getattr(request.state, "viewer", None)
    settings: Settings = request.app.state.settings
    flash = _read_flash(request, settings)
    path = request.url.path
    nav = [
        {"href": href, "label": label, "active": path == href or path.startswith(href + "/")}
        for href, label, permission in NAVIGATION
        if viewer is not None and viewer.can(permission)
    ]
    if nav and path.startswith("/firms/"):
        nav[0]["active"] = True  # firm pages are reached from the alert view
    values = {
        "request": request,
        "viewer": viewer,
        "nav": nav,
        "root": root_path(request),
        "static": root_path(request) + STATIC_URL,
        "csrf_field": CSRF_FIELD,
        "flash": flash,
        "error": None,
        "simulated": False,
        "version": finwarn.__version__,
        "levels": level_order(),
    }
    values.update(context or {})
    html = _ENV.get_template(template).render(values)
    response = HTMLResponse(html, status_code=status_code)
    if flash is not None:
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response


def redirect(request: Request, path: str) -> RedirectResponse:
    """A 303 See Other to a dashboard path (the answer to a successful form post)."""
    return RedirectResponse(root_path(request) + path, status_code=status.HTTP_303_SEE_OTHER)


def safe_next(value: object) -> str:
    """Where to go after logging in: a local path only (no open redirect).

    Browsers drop tabs and newlines inside URLs and read ``\\`` as ``/``, so a path
    holding any of them (``/\\t/evil.example``) could become ``//evil.example``.

    >>> safe_next("/firms/3?x=1"), safe_next("//evil.example"), safe_next("/\\tx")
    ('/firms/3?x=1', '/', '/')
    """
    if (
        isinstance(value, str)
        and value.startswith("/")
        and not value.startswith("//")
        and "\\" not in value
        and all(0x20 < ord(c) != 0x7F for c in value)
    ):
        return value
    return "/"


# --------------------------------------------------------------------------- flash messages


def _flash_signature(settings: Settings, value: str) -> str:
    return csrf_token(settings.secret, "flash:" + value)


def set_flash(response: Response, settings: Settings, kind: str, text: str) -> None:
    """Show ``text`` once on the next page (``kind``: ``ok`` or ``error``); signed."""
    value = base64.urlsafe_b64encode(json.dumps([kind, text]).encode()).decode()
    response.set_cookie(
        FLASH_COOKIE,
        f"{value}.{_flash_signature(settings, value)}",
        max_age=120,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
    )


def _read_flash(request: Request, settings: Settings) -> dict[str, str] | None:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw or "." not in raw:
        return None
    value, _, signature = raw.rpartition(".")
    if not hmac.compare_digest(signature.encode(), _flash_signature(settings, value).encode()):
        return None
    try:
        kind, text = json.loads(base64.urlsafe_b64decode(value.encode()))
    except (binascii.Error, ValueError, TypeError):
        return None
    return {"kind": str(kind), "text": str(text)}


# --------------------------------------------------------------------------- who is looking


class LoginRequired(Exception):
    """No valid session cookie: the answer is a redirect to the login page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def _page_user(request: Request, session: SessionDep, settings: SettingsDep) -> User:
    token = request.cookies.get(SESSION_COOKIE)
    user = user_from_token(session, settings, token) if token else None
    if user is None or token is None:
        wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(wanted if request.method == "GET" else "/")
    request.state.viewer = Viewer(
        id=user.id,
        username=user.username,
        role=user.role,
        csrf=csrf_token(settings.secret, token),
    )
    request.state.user = user
    request.state.session_digest = keyed_digest(settings.secret, token)
    return user


#: The logged-in user of a page (else a redirect to the login page).
PageUser = Annotated[User, Depends(_page_user)]


def page_require(permission: str) -> Callable[[User], User]:
    """A page dependency that lets through only roles holding ``permission`` (else 403)."""

    def check(user: PageUser) -> User:
        return check_permission(user, permission)

    return check


# --------------------------------------------------------------------------- CSRF


def _same(sent: object, expected: str) -> bool:
    return isinstance(sent, str) and hmac.compare_digest(sent.encode(), expected.encode())


async def csrf_form(request: Request, user: PageUser) -> FormData:
    """The posted form, once its CSRF token matches the session's (else 403)."""
    form = await request.form()
    if not _same(form.get(CSRF_FIELD), request.state.viewer.csrf):
        logger.warning("CSRF check failed: %s %s by %s", request.method, request.url.path, user.id)
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=CSRF_FAILED)
    return form


#: The posted form of a logged-in user, CSRF-checked.
CheckedForm = Annotated[FormData, Depends(csrf_form)]


def login_nonce(request: Request) -> str:
    """The login form's double-submit nonce: the cookie's, or a new one."""
    nonce = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    return nonce if 20 <= len(nonce) <= 100 else secrets.token_urlsafe(32)


def login_token(settings: Settings, nonce: str) -> str:
    """The token the login form carries for ``nonce`` (an HMAC under the server's secret)."""
    return csrf_token(settings.secret, "login:" + nonce)


def check_login_csrf(request: Request, settings: Settings, form: FormData) -> bool:
    """Whether the login form's token matches its cookie (signed double submit)."""
    nonce = request.cookies.get(LOGIN_CSRF_COOKIE)
    return bool(nonce) and _same(form.get(CSRF_FIELD), login_token(settings, str(nonce)))


# --------------------------------------------------------------------------- errors, headers


def _error_page(request: Request, status_code: int, message: str) -> HTMLResponse:
    titles = {403: "Not allowed", 404: "Not found", 409: "Conflict", 429: "Too many attempts"}
    return render(
        request,
        "error.html",
        {"status_code": status_code, "title": titles.get(status_code, "Error"), "message": message},
        status_code=status_code,
    )


def _login_redirect(request: Request, next_path: str) -> Response:
    target = "/login" if next_path == "/" else f"/login?next={quote(next_path, safe='/')}"
    response = redirect(request, target)
    if request.cookies.get(SESSION_COOKIE):
        response.delete_cookie(SESSION_COOKIE, path="/")
    return response


class PageRoute(APIRoute):
    """A dashboard route: errors become pages, every answer carries the security headers."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page(request: Request) -> Response:
            response: Response
            try:
                response = await handler(request)
            except LoginRequired as exc:
                response = _login_redirect(request, exc.next_path)
            except HTTPException as exc:
                response = _error_page(request, exc.status_code, str(exc.detail))
            except GovernanceError as exc:
                response = _error_page(request, exc.status_code, exc.detail)
            except RequestValidationError:
                response = _error_page(request, status.HTTP_404_NOT_FOUND, PAGE_NOT_FOUND)
            response.headers.update(SECURITY_HEADERS)
            # pages show what one user may see: never kept by shared caches
            response.headers.setdefault("Cache-Control", "no-store")
            return response

        return page


class DashboardStatic(StaticFiles):
    """The dashboard's stylesheet, with the same security headers as its pages."""

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers.update(SECURITY_HEADERS)
        return response
