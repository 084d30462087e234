"""Portal access on request: someone without the registration details asks for an account;
operations approve or refuse; an approved requester chooses a password through an invitation.

The request answers the same whatever is sent (an open request for the same address is not
made twice, and nothing tells whether the address or the customer number is known). Approving
opens an ``invited`` account (no password, so it cannot log in, and a password reset does
nothing for it) with the request's customer number, and an invitation: a link token stored as
its SHA-256, single use, valid ``invitation_days``; AccountRegistered (``access_request``)
announces the account and PortalAccessApproved carries the link's token encrypted for notifications.
Accepting it sets the password (the password rules apply), which also confirms the address:
the account becomes active (AccountActivated) and the customer is signed in.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from identity.db.repositories import AccessRequests, Accounts, Invitations, RegistrationFactsRepository
from identity.db.tables import AccessRequest, Account, Invitation
from identity.domain.hashing import off_loop
from identity.domain.password_policy import check_password
from identity.domain.registration import INVITED, without_whitespace
from identity.domain.secrets import hash_password, new_token, token_digest
from identity.settings import IdentitySettings
from identity.use_cases.registration import activate_account
from identity.use_cases.sessions import IssuedTokens, open_session
from portal_chassis.auth import Operator
from portal_chassis.logging import get_logger
from portal_chassis.mail_secrets import MailSecretsEncrypter, SecretPurpose
from portal_chassis.problems import ProblemError
from portal_chassis.uow import UnitOfWork
from portal_schemas.identity import (
    AccessRefusalReason,
    AccountRegistered,
    PortalAccessApproved,
    PortalAccessRefused,
    PortalAccessRequested,
)
from portal_schemas.types import Language

log = get_logger(__name__)

APPROVED = "approved"
REFUSED = "refused"


def _invalid_invitation() -> ProblemError:
    return ProblemError(
        400,
        "invitation-invalid",
        "This invitation link is not valid, was already used or has expired. Contact customer "
        "service for a new one.",
    )


async def request_access(
    uow: UnitOfWork,
    *,
    name: str,
    customer_number: str,
    email: str,
    language: Language | None,
    now: datetime,
) -> None:
    address = email.strip().lower()
    requests = AccessRequests(uow.session)
    if await requests.open_for_email(address) is not None:
        log.info("access request for an address with an open request; not repeated")
        return
    number = without_whitespace(customer_number)
    facts = await RegistrationFactsRepository(uow.session).get(number)
    chosen: Language = language or (facts.language if facts else "nl")  # type: ignore[assignment]
    request = AccessRequest(
        id=str(uuid.uuid4()),
        name=name.strip(),
        customer_number=number,
        email=address,
        language=chosen,
        requested_at=now,
    )
    requests.add(request)
    uow.emit(
        PortalAccessRequested(
            request_id=request.id,
            name=request.name,
            customer_number=number,
            email=address,
            language=chosen,
        ),
        subject=request.id,
    )
    await uow.commit()
    log.info("portal access requested", request_id=request.id)


async def list_access_requests(
    uow: UnitOfWork, *, decided: bool, limit: int, offset: int
) -> tuple[list[AccessRequest], int]:
    return await AccessRequests(uow.session).page(decided=decided, limit=limit, offset=offset)


async def _open_request(uow: UnitOfWork, request_id: str) -> AccessRequest:
    request = await AccessRequests(uow.session).get_for_update(request_id)
    if request is None:
        raise ProblemError(404, "access-request-not-found", "There is no access request with this id.")
    if request.decision is not None:
        raise ProblemError(
            409,
            "access-request-decided",
            f"This request was already {request.decision}.",
            decision=request.decision,
        )
    return request


async def approve_access_request(
    uow: UnitOfWork,
    settings: IdentitySettings,
    mail_secrets: MailSecretsEncrypter,
    operator: Operator,
    request_id: str,
    *,
    now: datetime,
) -> AccessRequest:
    request = await _open_request(uow, request_id)
    facts = await RegistrationFactsRepository(uow.session).get(request.customer_number)
    if facts is not None and facts.segment == "business":
        raise ProblemError(
            422,
            "business-customer",
            "This customer number belongs to a business customer; the portal is for private "
            "customers. Refuse the request with reason business_customer.",
        )
    accounts = Accounts(uow.session)
    if await accounts.by_email(request.email) is not None:
        raise ProblemError(
            409,
            "account-exists",
            "This address already has an account: refuse the request or help the customer log in "
            "or reset the password.",
        )
    account = Account(
        id=str(uuid.uuid4()),
        email=request.email,
        customer_number=request.customer_number,
        password_hash=None,
        language=request.language,
        created_at=now,
        password_changed_at=now,
        failed_logins=0,
        status=INVITED,
    )
    accounts.add(account)
    token = new_token()
    invitation = Invitation(
        id=str(uuid.uuid4()),
        account_id=account.id,
        token_hash=token_digest(token),
        created_at=now,
        expires_at=now + settings.invitation_ttl,
    )
    request.decision = APPROVED
    request.decided_by = operator.name
    request.decided_at = now
    request.account_id = account.id
    try:
        await uow.session.flush()  # the invitation references the account
    except IntegrityError:
        await uow.rollback()  # an account for the address was committed at the same moment
        raise ProblemError(409, "account-exists", "This address already has an account.") from None
    Invitations(uow.session).add(invitation)
    uow.emit(
        AccountRegistered(
            account_id=account.id,
            customer_number=account.customer_number,
            email=account.email,
            language=account.language,
            method="access_request",
        ),
        subject=account.id,
    )
    uow.emit(
        PortalAccessApproved(
            request_id=request.id,
            account_id=account.id,
            email=account.email,
            language=account.language,
            sealed_token=mail_secrets.encrypt(token, SecretPurpose.INVITATION_TOKEN),
            expires_at=invitation.expires_at,
        ),
        subject=request.id,
    )
    await uow.commit()
    log.info("access request approved", request_id=request.id, account_id=account.id, operator=operator.name)
    return request


async def refuse_access_request(
    uow: UnitOfWork, operator: Operator, request_id: str, reason: AccessRefusalReason, *, now: datetime
) -> AccessRequest:
    request = await _open_request(uow, request_id)
    request.decision = REFUSED
    request.reason = reason
    request.decided_by = operator.name
    request.decided_at = now
    uow.emit(
        PortalAccessRefused(
            request_id=request.id,
            email=request.email,
            language=request.language,
            reason=reason,
        ),
        subject=request.id,
    )
    await uow.commit()
    log.info("access request refused", request_id=request.id, reason=reason, operator=operator.name)
    return request


async def accept_invitation(
    uow: UnitOfWork,
    settings: IdentitySettings,
    token: str,
    password: str,
    *,
    now: datetime,
    stay_signed_in: bool = False,
) -> IssuedTokens:
    """Set the first password with the invitation's token and sign the customer in. A refused
    password leaves the token working for a better one."""
    invitations = Invitations(uow.session)
    invitation = await invitations.by_token_digest_for_update(token_digest(token))
    if invitation is None or invitation.used_at is not None or invitation.expires_at <= now:
        raise _invalid_invitation()
    account = await Accounts(uow.session).get(invitation.account_id)
    assert account is not None, "invitations reference an account"
    if account.status != INVITED:
        raise _invalid_invitation()
    check_password(password, email=account.email, customer_number=account.customer_number)
    if not await invitations.use(invitation.id, now):  # a concurrent request used it first
        await uow.rollback()
        raise _invalid_invitation()
    account.password_hash = await off_loop(hash_password, password)
    account.password_changed_at = now
    await activate_account(uow, account, now)
    tokens = await open_session(uow, settings, account, stay_signed_in=stay_signed_in, now=now)
    await uow.commit()
    log.info("invitation accepted; account active", account_id=account.id)
    return tokens
