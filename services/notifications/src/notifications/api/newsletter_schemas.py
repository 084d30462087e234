"""Request and response bodies of the newsletter endpoints: campaigns and unsubscribing."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from notifications.domain.newsletters import BODY_MAX, SUBJECT_MAX, body_problem, subject_problem
from notifications.use_cases.campaigns import CampaignText
from portal_schemas.notifications import MarketingTopic
from portal_schemas.types import Language


class CampaignTextIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject: str = Field(min_length=1, max_length=SUBJECT_MAX, description="One line; the email's subject")
    body: str = Field(
        min_length=1,
        max_length=BODY_MAX,
        description="Plain text (no HTML); a blank line starts a new paragraph, a single line break stays",
    )

    @field_validator("subject")
    @classmethod
    def _one_line(cls, subject: str) -> str:
        problem = subject_problem(subject)
        if problem is not None:
            raise ValueError(problem)
        return subject.strip()

    @field_validator("body")
    @classmethod
    def _plain_text(cls, body: str) -> str:
        problem = body_problem(body)
        if problem is not None:
            raise ValueError(problem)
        return body

    def text(self) -> CampaignText:
        return CampaignText(subject=self.subject, body=self.body)


class CampaignContent(BaseModel):
    """The text per language. Dutch is required: whoever reads a language the campaign has no
    text in gets the Dutch one."""

    model_config = ConfigDict(extra="forbid")

    nl: CampaignTextIn
    en: CampaignTextIn | None = None
    fr: CampaignTextIn | None = None
    de: CampaignTextIn | None = None

    def texts(self) -> dict[Language, CampaignText]:
        given: dict[Language, CampaignTextIn | None] = {
            "nl": self.nl,
            "en": self.en,
            "fr": self.fr,
            "de": self.de,
        }
        return {language: text.text() for language, text in given.items() if text is not None}


class CampaignRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    newsletter: MarketingTopic = Field(description="Sent to the accounts opted in to this one only")
    content: CampaignContent


class CampaignQueued(BaseModel):
    id: str
    newsletter: MarketingTopic
    queued: int = Field(description="Emails queued: one per account opted in to the newsletter")


class CampaignDeliveries(BaseModel):
    pending: int = Field(description="Waiting for the mail server (also between retries)")
    sent: int
    skipped: int
    failed: int


class CampaignOut(BaseModel):
    id: str
    newsletter: MarketingTopic
    created_by: str = Field(description="The operator who sent it")
    created_at: datetime
    recipients: int = Field(description="Emails queued when it was sent")
    deliveries: CampaignDeliveries


class SubscriptionOut(BaseModel):
    newsletter: MarketingTopic
    subscribed: bool = Field(description="Whether the account receives this newsletter now")
    detail: str
