"""Identity: users, roles and permissions, sessions, API tokens, the audit-trail pages."""

from lishui.identity.auth import PlatformAuthenticator
from lishui.identity.roles import ROLES, Role
from lishui.identity.service import create_user

__all__ = ["ROLES", "PlatformAuthenticator", "Role", "create_user"]
