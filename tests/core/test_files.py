"""Stored uploads: a random name in the upload folder (never the client's name), with the content's checksum."""

import hashlib
from importlib import resources

from lishui.core.files import store


def test_upload_is_stored_under_a_random_name_outside_the_served_folder(tmp_path):
    data = b"%PDF-1.4 evidence"
    name, digest = store(tmp_path / "uploads", data)
    again, _ = store(tmp_path / "uploads", data)
    assert name != again and len(name) == 32 and "/" not in name and "." not in name
    assert (tmp_path / "uploads" / name).read_bytes() == data
    assert digest == hashlib.sha256(data).hexdigest()
    static = resources.files("lishui.web").joinpath("static")
    assert not any(p.name == name for p in static.iterdir())
