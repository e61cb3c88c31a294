"""Chinese text into tokens: jieba words for matching, character n-grams for showcase search."""

from __future__ import annotations

import logging
import re
from functools import lru_cache

import jieba

jieba.setLogLevel(logging.WARNING)

_WORD = re.compile(r"[\w]+", re.UNICODE)
STOP = frozenset({
    "的", "了", "和", "与", "及", "或", "在", "是", "为", "对", "等", "我们", "需要", "一个", "有", "要", "把",
    "可以", "进行", "提供", "服务", "公司", "有限公司",
})


@lru_cache(maxsize=1)
def _ready() -> bool:
    jieba.initialize()
    return True


def words(text: str) -> list[str]:
    """Search-mode jieba segmentation, lower-cased, without punctuation, stop words or single characters
    (single Latin letters and digits are noise too)."""
    _ready()
    out = []
    for token in jieba.cut_for_search(text[:5000]):
        token = token.strip().lower()
        if len(token) < 2 or token in STOP or not _WORD.fullmatch(token):
            continue
        out.append(token)
    return out


def ngrams(text: str) -> list[str]:
    """Characters and character bigrams of each run of word characters: what showcase search indexes.
    A query's n-grams are a subset of the n-grams of any text containing the query."""
    grams: set[str] = set()
    for run in _WORD.findall(text.lower()):
        grams.update(run)
        grams.update(run[i:i + 2] for i in range(len(run) - 1))
    return sorted(grams)


def query_grams(query: str) -> list[str]:
    """The fewest n-grams that pin a query down: its bigrams, or the character itself for one character."""
    grams: set[str] = set()
    for run in _WORD.findall(query.lower()):
        if len(run) == 1:
            grams.add(run)
        else:
            grams.update(run[i:i + 2] for i in range(len(run) - 1))
    return sorted(grams)
