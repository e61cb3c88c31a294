"""The authenticator the guards call: cookie sessions for pages, bearer tokens for systems."""

from __future__ import annotations

from fastapi import Request
from sqlalchemy.orm import Session

from lishui.config import Settings
from lishui.core.actor import Actor
from lishui.core.crypto import hmac_sm3
from lishui.identity import service
from lishui.registry import get_organisation_unscoped
from lishui.web.deps import client_ip


def cookie_name(settings: Settings) -> str:
    # The __Host- prefix needs Secure, which browsers only keep over HTTPS.
    return "__Host-lishui_sid" if settings.https else "lishui_sid"


class PlatformAuthenticator:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._csrf_key = hmac_sm3(settings.secret_key.encode(), b"csrf")

    def session_token(self, request: Request) -> str:
        return request.cookies.get(cookie_name(self.settings), "")

    def authenticate(self, request: Request, session: Session) -> Actor | None:
        request_id = getattr(request.state, "request_id", "")
        ip = client_ip(request)
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            return service.token_actor(session, auth[7:].strip(), ip=ip, request_id=request_id)
        token = self.session_token(request)
        found = service.resolve_session(session, self.settings, token)
        if found is None:
            return None
        row, user = found
        org = get_organisation_unscoped(session, user.org_id)
        return service.actor_for(
            user, org, session_id=row.id_hash, mfa_verified=row.mfa_verified,
            password_expired=service.password_expired(user, self.settings), ip=ip, request_id=request_id,
        )

    def csrf_token(self, request: Request) -> str:
        """Bound to the session cookie when signed in, otherwise to the anonymous seed cookie."""
        binding = self.session_token(request) or "seed:" + getattr(request.state, "csrf_seed", "")
        return hmac_sm3(self._csrf_key, binding.encode()).hex()
