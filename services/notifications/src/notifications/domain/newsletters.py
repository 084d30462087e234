"""Newsletters: what a campaign's text may be, which language a recipient reads it in, and the
id that makes each recipient's copy one delivery."""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Mapping
from typing import TypeVar, get_args

from portal_schemas.notifications import MarketingTopic
from portal_schemas.types import Language

NEWSLETTERS: tuple[MarketingTopic, ...] = get_args(MarketingTopic)
# Every campaign has a Dutch text: the language of everyone whose own it does not have.
FALLBACK_LANGUAGE: Language = "nl"
SUBJECT_MAX = 150
BODY_MAX = 20_000

# Fixed for ever: a recipient's copy of a campaign keeps its id (and so its Message-ID).
_CAMPAIGN_NAMESPACE = uuid.UUID("0b7e3c52-6a49-4f0e-9d0c-2f6f3e51a8d4")
_BLANK_LINES = re.compile(r"\n[ \t]*\n")

T = TypeVar("T")


def recipient_event_id(campaign_id: str, account_id: str) -> str:
    """The event id of one account's copy of a campaign: deliveries are unique per event id and
    kind, so a campaign can never queue two copies for the same account."""
    return str(uuid.uuid5(_CAMPAIGN_NAMESPACE, f"{campaign_id}/{account_id}"))


def text_for(content: Mapping[Language, T], language: Language) -> tuple[Language, T]:
    """The campaign's text in the recipient's language when it has one, else the Dutch one."""
    if language in content:
        return language, content[language]
    return FALLBACK_LANGUAGE, content[FALLBACK_LANGUAGE]


def subject_problem(subject: str) -> str | None:
    """Why a subject cannot be used, or None: one line of visible text (it becomes a header)."""
    if any(unicodedata.category(c) == "Cc" for c in subject):
        return "must be one line without control characters"
    if not subject.strip():
        return "must not be blank"
    return None


def body_problem(body: str) -> str | None:
    """Why a body cannot be used, or None: plain text, line breaks and tabs allowed."""
    if any(unicodedata.category(c) == "Cc" and c not in "\r\n\t" for c in body):
        return "must be plain text without control characters"
    if not body.strip():
        return "must not be blank"
    return None


def paragraphs(body: str) -> list[str]:
    """The body split on blank lines; single line breaks stay inside their paragraph."""
    text = body.replace("\r\n", "\n").replace("\r", "\n")
    found = (part.strip() for part in _BLANK_LINES.split(text))
    return [part for part in found if part]
