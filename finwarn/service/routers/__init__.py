"""One router per resource; :data:`ROUTERS` lists them in the order the API documents them."""

from finwarn.service.routers import auth, portfolios, users

__all__ = ["ROUTERS"]

ROUTERS = [auth.router, users.router, portfolios.router]
