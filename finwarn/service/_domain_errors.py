"""The domain errors of the governance services (alerts, rules, the risk register).

The service functions of :mod:`finwarn.service._rules`, :mod:`finwarn.service._alerts`
and :mod:`finwarn.service._register` raise these; the API routers and the dashboard turn
them into answers. Each class carries the HTTP status it maps to, and its message is
the answer's ``detail``:

* :class:`NotFoundError` (404): missing, or outside the user's portfolios (same message);
* :class:`PermissionDeniedError` (403): the role lacks the permission;
  :class:`SelfApprovalError` (403): deciding on one's own proposal;
* :class:`ConflictError` (409): the thing's state forbids the action;
  :class:`AlreadyDecidedError` (409): the change was already approved or rejected;
  :class:`StaleProposalError` (409): the entry changed since the proposal;
* :class:`InvalidRequestError` (422): the request cannot be carried out as given.
"""

from __future__ import annotations

from typing import ClassVar

from fastapi import HTTPException

from finwarn.exceptions import FinwarnError
from finwarn.service._security import role_can

__all__ = [
    "AlreadyDecidedError",
    "ConflictError",
    "GovernanceError",
    "InvalidRequestError",
    "NotFoundError",
    "PermissionDeniedError",
    "SelfApprovalError",
    "StaleProposalError",
    "as_http",
    "need",
]


class GovernanceError(FinwarnError):
    """Base class: ``str(error)`` is the message shown to the user."""

    status_code: ClassVar[int] = 400

    @property
    def detail(self) -> str:
        return str(self)


class NotFoundError(GovernanceError):
    """The thing does not exist, or lies outside the user's portfolios (same message)."""

    status_code = 404


class PermissionDeniedError(GovernanceError):
    """The user's role does not hold the permission the action needs."""

    status_code = 403

    @classmethod
    def for_role(cls, role: str, permission: str) -> PermissionDeniedError:
        """The same message as the API's ``require(permission)`` dependency."""
        return cls(f"The {role} role may not do this (it needs '{permission}').")


class SelfApprovalError(PermissionDeniedError):
    """A user tried to approve or reject their own risk-register proposal."""


class ConflictError(GovernanceError):
    """The thing's current state does not allow the action."""

    status_code = 409


class AlreadyDecidedError(ConflictError):
    """The risk-register change was already approved or rejected."""


class StaleProposalError(ConflictError):
    """The risk entry changed (or was deleted) after the proposal was made."""


class InvalidRequestError(GovernanceError, ValueError):
    """The request is well-formed but cannot be carried out as given."""

    status_code = 422


def as_http(error: GovernanceError) -> HTTPException:
    """The HTTP answer for ``error``: its status code and its message as ``detail``."""
    return HTTPException(error.status_code, detail=error.detail)


def need(role: str, permission: str) -> None:
    """Raise :class:`PermissionDeniedError` unless ``role`` holds ``permission``.

    The one permission check of the service: the API's ``require`` and the dashboard's
    ``page_require`` dependencies and the governance functions all call it.
    """
    if not role_can(role, permission):
        raise PermissionDeniedError.for_role(role, permission)
