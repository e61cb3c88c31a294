"""Interface language: Simplified Chinese by default, English available.

Templates write Chinese text through ``t("中文", "English")`` so both stand side by side.
"""

from __future__ import annotations

LANGUAGES = ("zh", "en")


def pick(lang: str, zh: str, en: str) -> str:
    return en if lang == "en" else zh
