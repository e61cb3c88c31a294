import pytest

from lishui.core.crypto import CryptoError, FieldCipher, SettingsKeyProvider, hmac_sm3, self_test, sm3


def test_sm3_known_answer():
    assert sm3(b"abc").hex() == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    self_test()


def test_sm4_gcm_round_trip_and_randomised_nonce():
    cipher = FieldCipher(SettingsKeyProvider("k" * 40))
    a = cipher.encrypt("6228480000001234567", "ctx")
    b = cipher.encrypt("6228480000001234567", "ctx")
    assert a != b
    assert "6228480000001234567" not in a
    assert cipher.decrypt(a, "ctx") == "6228480000001234567"


def test_tampered_ciphertext_fails_loudly():
    import base64

    cipher = FieldCipher(SettingsKeyProvider("k" * 40))
    raw = bytearray(base64.b64decode(cipher.encrypt("secret", "ctx")))
    raw[-1] ^= 1
    with pytest.raises(CryptoError, match="tampered"):
        cipher.decrypt(base64.b64encode(bytes(raw)).decode(), "ctx")


def test_ciphertext_is_bound_to_its_field():
    cipher = FieldCipher(SettingsKeyProvider("k" * 40))
    with pytest.raises(CryptoError):
        cipher.decrypt(cipher.encrypt("secret", "people.id_number"), "organisations.bank_account")


def test_wrong_key_fails():
    token = FieldCipher(SettingsKeyProvider("k" * 40)).encrypt("secret", "ctx")
    with pytest.raises(CryptoError):
        FieldCipher(SettingsKeyProvider("j" * 40)).decrypt(token, "ctx")


def test_blind_index_is_deterministic_and_keyed():
    a = FieldCipher(SettingsKeyProvider("k" * 40))
    b = FieldCipher(SettingsKeyProvider("j" * 40))
    assert a.blind_index("x", "c") == a.blind_index("x", "c")
    assert a.blind_index("x", "c") != b.blind_index("x", "c")
    assert len(hmac_sm3(b"k", b"m")) == 32
