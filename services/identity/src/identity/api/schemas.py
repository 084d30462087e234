"""Identity's HTTP request and response bodies."""

from __future__ import annotations

from pydantic import BaseModel, EmailStr, Field


class PasswordResetRequest(BaseModel):
    email: EmailStr


class Accepted(BaseModel):
    status: str = "accepted"
    detail: str


class PasswordResetConfirmation(BaseModel):
    token: str = Field(min_length=20, max_length=200)
    new_password: str = Field(min_length=10, max_length=128)


class Credentials(BaseModel):
    email: EmailStr
    password: str = Field(min_length=1, max_length=128)
    stay_signed_in: bool = Field(
        False, description="Keep the session for days instead of hours (a trusted device)."
    )


class RefreshTokenBody(BaseModel):
    refresh_token: str = Field(min_length=20, max_length=200)


class SessionTokens(BaseModel):
    access_token: str
    token_type: str = "Bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int = Field(description="Seconds the access token is valid.")
    refresh_token: str = Field(description="Single use: each refresh answers with the next one.")
    refresh_expires_in: int = Field(description="Seconds the refresh token is valid.")
