"""Demo accounts: one user for every role, with generated passwords (no default accounts)."""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass

import pyotp
from sqlalchemy.orm import Session

from lishui.core.actor import Actor
from lishui.core.db import cipher_of
from lishui.identity import service
from lishui.identity.models import User
from lishui.identity.roles import ROLES


@dataclass
class DemoAccount:
    username: str
    role: str
    password: str
    totp_secret: str = ""


def generate_password(length: int = 16) -> str:
    alphabet = string.ascii_letters + string.digits + "!@#%^*-_=+"
    while True:
        pw = "".join(secrets.choice(alphabet) for _ in range(length))
        if (any(c.islower() for c in pw) and any(c.isupper() for c in pw) and any(c.isdigit() for c in pw)
                and any(not c.isalnum() for c in pw)):
            return pw


def create_accounts(session: Session, actor: Actor, org_for_role: dict[str, int]) -> list[DemoAccount]:
    accounts = []
    for code, role in ROLES.items():
        org_id = org_for_role.get(code)
        if org_id is None:
            continue
        password = generate_password()
        user = service.create_user(session, actor, username=code.removesuffix("_user").replace("_", "-"),
                                   display_name=f"演示{role.label}", org_id=org_id, role=code, password=password)
        secret = ""
        if role.mfa_required:
            secret = pyotp.random_base32()
            db_user = session.get(User, user.id)
            assert db_user is not None
            db_user.totp_secret_cipher = cipher_of(session).encrypt(secret, f"users.totp:{user.id}")
        accounts.append(DemoAccount(user.username, role.label, password, secret))
    return accounts
