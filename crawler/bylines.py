"""The words Blogger put around names, in the languages of its interface (data only).

A post's author is read only from an explicit byline: a byline element (``post-author``,
``vcard``, ``byline-author``...) or a footer that starts with one of ``POSTED_BY`` ("posted by
NAME @ 7:00 AM"). Comment headers end with one of ``SAID`` ("NAME said...", "NAME pisze...").
The extraction stage uses these to tell a byline from other footer text; the transform stage
uses them to clean the names.
"""

from __future__ import annotations

import re

POSTED_BY: tuple[str, ...] = (
    "posted by", "written by", "by",  # en
    "eingestellt von", "gepostet von", "veröffentlicht von", "geschrieben von",  # de
    "publicado por", "escrito por", "enviado por",  # es, pt
    "publié par", "publie par", "posté par", "poste par", "écrit par",  # fr
    "pubblicato da", "postato da", "scritto da",  # it
    "postado por", "postada por",  # pt
    "geplaatst door", "gepost door", "geschreven door",  # nl
    "opublikowane przez", "opublikował", "opublikowała", "autor:", "wysłany przez",  # pl
    "upplagd av", "publicerat av", "postat av",  # sv
    "indsendt af", "lagt ind af", "skrevet af",  # da
    "lagt inn av", "postet av", "publisert av",  # no
    "lähettänyt", "julkaissut", "kirjoittanut",  # fi
    "publicat de", "publicat per",  # ro, ca
    "postat de",  # ro
    "vystavil", "vystavila", "publikoval", "publikovala", "zverejnil", "zverejnila",  # cs, sk
    "bejegyezte:", "bejegyezte",  # hu
    "gönderen", "yayınlayan",  # tr
    "αναρτήθηκε από",  # el
    "опубликовано", "автор:", "написал", "написала", "опубліковано", "публикувано от",  # ru, uk, bg
    "objavio", "objavila", "objavil", "objavila je", "објавио",  # hr, sl, sr
    "paskelbė", "publicēja", "postitas",  # lt, lv, et
    "diposting oleh", "dikirim oleh", "diposkan oleh", "dicatat oleh",  # id, ms
    "đăng bởi", "được đăng bởi",  # vi
    "nai-post ni",  # tl
    "โพสต์โดย",  # th
    "投稿者", "張貼者：", "張貼者", "发帖者", "發佈者：", "作者：", "게시자:", "게시자",  # ja, zh, ko
    "مرسلة بواسطة", "פורסם על ידי", "प्रस्तुतकर्ता", "द्वारा पोस्ट किया गया",  # ar, he, hi
)
"""Byline phrases before the author's name ("Posted by", "Eingestellt von", "Publié par"...)."""

SAID: tuple[str, ...] = (
    "said", "says", "wrote", "dijo", "ha dicho", "escribió", "escribio", "hat gesagt", "sagte",
    "schrieb", "a dit", "a écrit", "ha detto", "ha scritto", "disse", "escreveu", "zei", "schreef",
    "skrev", "sa", "sagde", "sanoi", "kirjoitti", "napisał", "napisała", "napisal", "pisze",
    "powiedział", "написал", "написала", "сказал", "сказала", "сказав", "каже", "va dir", "ha dit",
    "a spus", "a scris", "řekl", "řekla", "napsal", "povedal", "írta", "dedi", "dedi ki",
    "είπε", "kaže", "je rekel", "rekao", "mengatakan", "berkata", "nói", "nói…", "sinabi",
    "ने कहा", "說", "说", "提到", "さんは書きました", "님이 말씀하셨습니다", "قال", "אמר", "אמרה",
)
"""Suffixes after a commenter's name ("said...", "pisze...", "hat gesagt…")."""

_PHRASES = "|".join(re.escape(p) for p in sorted(POSTED_BY, key=len, reverse=True))
POSTED_BY_RE = re.compile(rf"^\s*(?:{_PHRASES})(?:\s*:)?(?:\s+|(?<=:)|$)", re.IGNORECASE)
"""Matches a byline phrase at the start of a text."""


def starts_with_byline(text: str) -> bool:
    """Whether ``text`` opens with a byline phrase ("posted by NAME...")."""
    return POSTED_BY_RE.match(text) is not None
