"""Password hashing (argon2id) and the password policy."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from lishui.core.errors import FieldError, ValidationFailed

_hasher = PasswordHasher()
MIN_LENGTH = 12


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


# A fixed hash to verify against when the user does not exist, so timing does not reveal it.
DUMMY_HASH = _hasher.hash("not-a-real-password-Xx1!")


def check_policy(password: str, username: str = "", field: str = "password") -> None:
    """At least 12 characters from at least 3 of: upper, lower, digits, symbols; not the username."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"至少{MIN_LENGTH}个字符")
    classes = sum(
        [
            any(c.isupper() for c in password),
            any(c.islower() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        ]
    )
    if classes < 3:
        problems.append("须包含大写字母、小写字母、数字、符号中的至少三类")
    if username and username.lower() in password.lower():
        problems.append("不得包含用户名")
    if problems:
        raise ValidationFailed("密码不符合要求：" + "；".join(problems), [FieldError(field, "；".join(problems))])
