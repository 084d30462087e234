"""The events notifications reacts to; each handler is thin and calls one use case.

Handlers run inside the chassis' unit of work, after the inbox claim and before its commit.
They need the mail room (templates, sealing key, sender), so the set is built per app by
``event_handlers``; handler names are inbox keys and consumer groups: never rename them.
"""

from __future__ import annotations

from notifications.use_cases.access_approved_email import queue_access_approved_email
from notifications.use_cases.access_refused_email import queue_access_refused_email
from notifications.use_cases.access_requested_email import queue_access_requested_email
from notifications.use_cases.account_locked_email import queue_account_locked_email
from notifications.use_cases.activation_email import queue_activation_email
from notifications.use_cases.contract_confirmation_email import queue_contract_confirmation
from notifications.use_cases.contract_linked_email import queue_contract_linked_email
from notifications.use_cases.document_email import queue_document_email
from notifications.use_cases.email_change_email import queue_email_change_emails
from notifications.use_cases.invoice_email import queue_invoice_email
from notifications.use_cases.move_email import queue_move_email
from notifications.use_cases.password_changed_email import queue_password_changed_email
from notifications.use_cases.password_reset_email import queue_password_reset_email
from notifications.use_cases.queue_email import MailRoom
from notifications.use_cases.reading_confirmation import queue_reading_confirmation
from notifications.use_cases.reading_request_email import queue_final_reading_request, queue_reading_reminder
from notifications.use_cases.recipients import change_recipient_email, keep_preferences, keep_recipient
from notifications.use_cases.renewal_email import queue_renewal_email
from notifications.use_cases.smart_meter_consent_email import (
    queue_consent_granted_email,
    queue_consent_revoked_email,
    queue_reconsent_email,
)
from notifications.use_cases.termination_email import queue_termination_email
from notifications.use_cases.unilateral_change_email import queue_unilateral_change_email
from notifications.use_cases.withdrawal_email import queue_withdrawal_email
from portal_chassis.consumers import EventHandlers
from portal_chassis.uow import UnitOfWork
from portal_schemas import Envelope
from portal_schemas.billing import InvoiceIssued
from portal_schemas.contracts import (
    ContractCreated,
    ContractMoved,
    ContractTerminated,
    ContractWithdrawn,
    DocumentAvailable,
    RenewalProposed,
    UnilateralChangeAnnounced,
)
from portal_schemas.identity import (
    AccountActivated,
    AccountLocked,
    ActivationRequested,
    ContractLinked,
    EmailChanged,
    EmailChangeRequested,
    PasswordChanged,
    PasswordResetRequested,
    PortalAccessApproved,
    PortalAccessRefused,
    PortalAccessRequested,
    PreferencesChanged,
)
from portal_schemas.metering import (
    FinalReadingRequested,
    MeterReadingReceived,
    ReadingReminderDue,
    SmartMeterConsentGranted,
    SmartMeterConsentRevoked,
    SmartMeterReconsentNeeded,
)


def event_handlers(room: MailRoom) -> EventHandlers:
    handlers = EventHandlers()

    @handlers.on(AccountActivated, name="recipients")
    async def on_account_activated(uow: UnitOfWork, event: Envelope, data: AccountActivated) -> None:
        await keep_recipient(uow, data, as_of=event.occurred_at)

    @handlers.on(EmailChanged, name="recipient-email")
    async def on_email_changed(uow: UnitOfWork, event: Envelope, data: EmailChanged) -> None:
        await change_recipient_email(uow, data, as_of=event.occurred_at)

    @handlers.on(PreferencesChanged, name="recipient-preferences")
    async def on_preferences_changed(uow: UnitOfWork, event: Envelope, data: PreferencesChanged) -> None:
        await keep_preferences(uow, data, as_of=event.occurred_at)

    @handlers.on(PasswordResetRequested, name="password-reset-email")
    async def on_password_reset_requested(
        uow: UnitOfWork, event: Envelope, data: PasswordResetRequested
    ) -> None:
        await queue_password_reset_email(uow, room, str(event.event_id), data)

    @handlers.on(AccountLocked, name="account-locked-email")
    async def on_account_locked(uow: UnitOfWork, event: Envelope, data: AccountLocked) -> None:
        await queue_account_locked_email(uow, room, str(event.event_id), data)

    @handlers.on(PasswordChanged, name="password-changed-email")
    async def on_password_changed(uow: UnitOfWork, event: Envelope, data: PasswordChanged) -> None:
        await queue_password_changed_email(uow, room, str(event.event_id), data)

    @handlers.on(ActivationRequested, name="activation-email")
    async def on_activation_requested(uow: UnitOfWork, event: Envelope, data: ActivationRequested) -> None:
        await queue_activation_email(uow, room, str(event.event_id), event.occurred_at, data)

    @handlers.on(EmailChangeRequested, name="email-change-emails")
    async def on_email_change_requested(uow: UnitOfWork, event: Envelope, data: EmailChangeRequested) -> None:
        await queue_email_change_emails(uow, room, str(event.event_id), event.occurred_at, data)

    @handlers.on(ContractLinked, name="contract-linked-email")
    async def on_contract_linked(uow: UnitOfWork, event: Envelope, data: ContractLinked) -> None:
        await queue_contract_linked_email(uow, room, str(event.event_id), data)

    @handlers.on(PortalAccessRequested, name="access-requested-email")
    async def on_access_requested(uow: UnitOfWork, event: Envelope, data: PortalAccessRequested) -> None:
        await queue_access_requested_email(uow, room, str(event.event_id), data)

    @handlers.on(PortalAccessApproved, name="access-approved-email")
    async def on_access_approved(uow: UnitOfWork, event: Envelope, data: PortalAccessApproved) -> None:
        await queue_access_approved_email(uow, room, str(event.event_id), data)

    @handlers.on(PortalAccessRefused, name="access-refused-email")
    async def on_access_refused(uow: UnitOfWork, event: Envelope, data: PortalAccessRefused) -> None:
        await queue_access_refused_email(uow, room, str(event.event_id), data)

    @handlers.on(MeterReadingReceived, name="reading-confirmation-email")
    async def on_meter_reading_received(uow: UnitOfWork, event: Envelope, data: MeterReadingReceived) -> None:
        await queue_reading_confirmation(uow, room, str(event.event_id), data)

    @handlers.on(ReadingReminderDue, name="reading-reminder-email")
    async def on_reading_reminder_due(uow: UnitOfWork, event: Envelope, data: ReadingReminderDue) -> None:
        await queue_reading_reminder(uow, room, str(event.event_id), data)

    @handlers.on(FinalReadingRequested, name="final-reading-request-email")
    async def on_final_reading_requested(
        uow: UnitOfWork, event: Envelope, data: FinalReadingRequested
    ) -> None:
        await queue_final_reading_request(uow, room, str(event.event_id), data)

    @handlers.on(SmartMeterConsentGranted, name="smart-meter-consent-granted-email")
    async def on_consent_granted(uow: UnitOfWork, event: Envelope, data: SmartMeterConsentGranted) -> None:
        await queue_consent_granted_email(uow, room, str(event.event_id), data)

    @handlers.on(SmartMeterConsentRevoked, name="smart-meter-consent-revoked-email")
    async def on_consent_revoked(uow: UnitOfWork, event: Envelope, data: SmartMeterConsentRevoked) -> None:
        await queue_consent_revoked_email(uow, room, str(event.event_id), data)

    @handlers.on(SmartMeterReconsentNeeded, name="smart-meter-reconsent-email")
    async def on_reconsent_needed(uow: UnitOfWork, event: Envelope, data: SmartMeterReconsentNeeded) -> None:
        await queue_reconsent_email(uow, room, str(event.event_id), data)

    @handlers.on(InvoiceIssued, name="invoice-email")
    async def on_invoice_issued(uow: UnitOfWork, event: Envelope, data: InvoiceIssued) -> None:
        await queue_invoice_email(uow, room, str(event.event_id), data)

    @handlers.on(ContractCreated, name="contract-confirmation-email")
    async def on_contract_created(uow: UnitOfWork, event: Envelope, data: ContractCreated) -> None:
        await queue_contract_confirmation(uow, room, str(event.event_id), event.occurred_at, data)

    @handlers.on(DocumentAvailable, name="document-available-email")
    async def on_document_available(uow: UnitOfWork, event: Envelope, data: DocumentAvailable) -> None:
        await queue_document_email(uow, room, str(event.event_id), data)

    @handlers.on(RenewalProposed, name="renewal-proposal-email")
    async def on_renewal_proposed(uow: UnitOfWork, event: Envelope, data: RenewalProposed) -> None:
        await queue_renewal_email(uow, room, str(event.event_id), data)

    @handlers.on(UnilateralChangeAnnounced, name="unilateral-change-email")
    async def on_unilateral_change_announced(
        uow: UnitOfWork, event: Envelope, data: UnilateralChangeAnnounced
    ) -> None:
        await queue_unilateral_change_email(uow, room, str(event.event_id), data)

    @handlers.on(ContractMoved, name="contract-moved-email")
    async def on_contract_moved(uow: UnitOfWork, event: Envelope, data: ContractMoved) -> None:
        await queue_move_email(uow, room, str(event.event_id), data)

    @handlers.on(ContractTerminated, name="contract-terminated-email")
    async def on_contract_terminated(uow: UnitOfWork, event: Envelope, data: ContractTerminated) -> None:
        await queue_termination_email(uow, room, str(event.event_id), data)

    @handlers.on(ContractWithdrawn, name="contract-withdrawn-email")
    async def on_contract_withdrawn(uow: UnitOfWork, event: Envelope, data: ContractWithdrawn) -> None:
        await queue_withdrawal_email(uow, room, str(event.event_id), data)

    return handlers
