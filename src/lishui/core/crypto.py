"""National cryptography (SM3, SM4-GCM) behind a key-provider interface.

Keys never appear in code. The default provider derives keys from settings; a KMS or
cipher-machine provider can replace it by implementing ``KeyProvider``.
"""

from __future__ import annotations

import base64
import os
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

VERSION = b"\x01"


class CryptoError(RuntimeError):
    pass


class KeyProvider(Protocol):
    def field_key(self) -> bytes:
        """16-byte SM4 key for field encryption."""

    def index_key(self) -> bytes:
        """Key for HMAC-SM3 blind indexes."""

    def audit_key(self) -> bytes:
        """Key for the HMAC-SM3 audit hash chain."""


def sm3(data: bytes) -> bytes:
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize()


def hmac_sm3(key: bytes, data: bytes) -> bytes:
    mac = hmac.HMAC(key, hashes.SM3())
    mac.update(data)
    return mac.finalize()


class SettingsKeyProvider:
    """Keys derived with HMAC-SM3 from the secret key (or the explicit field key)."""

    def __init__(self, secret_key: str, field_key_hex: str = "") -> None:
        master = secret_key.encode()
        self._field = bytes.fromhex(field_key_hex) if field_key_hex else hmac_sm3(master, b"field")[:16]
        self._index = hmac_sm3(master, b"blind-index")
        self._audit = hmac_sm3(master, b"audit-chain")

    def field_key(self) -> bytes:
        return self._field

    def index_key(self) -> bytes:
        return self._index

    def audit_key(self) -> bytes:
        return self._audit


class FieldCipher:
    """SM4-GCM for sensitive fields; ciphertext is text: base64(version | nonce | tag | body)."""

    def __init__(self, keys: KeyProvider) -> None:
        self._keys = keys

    def encrypt(self, plaintext: str, context: str) -> str:
        nonce = os.urandom(12)
        encryptor = Cipher(algorithms.SM4(self._keys.field_key()), modes.GCM(nonce)).encryptor()
        encryptor.authenticate_additional_data(context.encode())
        body = encryptor.update(plaintext.encode()) + encryptor.finalize()
        return base64.b64encode(VERSION + nonce + encryptor.tag + body).decode()

    def decrypt(self, token: str, context: str) -> str:
        try:
            raw = base64.b64decode(token.encode(), validate=True)
        except ValueError as exc:
            raise CryptoError(f"ciphertext of {context} is not valid base64") from exc
        if len(raw) < 29 or raw[:1] != VERSION:
            raise CryptoError(f"ciphertext of {context} has an unknown format")
        nonce, tag, body = raw[1:13], raw[13:29], raw[29:]
        decryptor = Cipher(algorithms.SM4(self._keys.field_key()), modes.GCM(nonce, tag)).decryptor()
        decryptor.authenticate_additional_data(context.encode())
        try:
            return (decryptor.update(body) + decryptor.finalize()).decode()
        except InvalidTag as exc:
            raise CryptoError(f"ciphertext of {context} failed authentication: tampered or wrong key") from exc

    def blind_index(self, plaintext: str, context: str) -> str:
        return hmac_sm3(self._keys.index_key(), f"{context}:{plaintext}".encode()).hex()


# Known-answer vectors: SM3 from GB/T 32905-2016 appendix A; SM4 from GB/T 32907-2016 appendix A.
_SM3_KAT = (b"abc", "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0")
_SM4_KAT = (
    "0123456789abcdeffedcba9876543210",
    "0123456789abcdeffedcba9876543210",
    "681edf34d206965e86b3e94f536e4246",
)


def self_test() -> None:
    """Start-up self-test of the national algorithms against published vectors."""
    if sm3(_SM3_KAT[0]).hex() != _SM3_KAT[1]:
        raise CryptoError("SM3 self-test failed")
    key, plain, expected = (bytes.fromhex(v) for v in _SM4_KAT)
    encryptor = Cipher(algorithms.SM4(key), modes.ECB()).encryptor()  # noqa: S305 - KAT of the block cipher
    if encryptor.update(plain) + encryptor.finalize() != expected:
        raise CryptoError("SM4 self-test failed")
