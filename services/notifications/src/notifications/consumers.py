"""The events notifications reacts to; each handler is thin and calls one use case.

Handlers run inside the chassis' unit of work, after the inbox claim and before its commit.
They need the mail room (templates, sealing key, sender), so the set is built per app by
``event_handlers``; handler names are inbox keys and consumer groups: never rename them.

An email handler whose customer nobody can be written to yet parks the event under its name
(use_cases/parking.py); AccountActivated later hands it back by that name to be handled again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from notifications.use_cases.access_approved_email import queue_access_approved_email
from notifications.use_cases.access_refused_email import queue_access_refused_email
from notifications.use_cases.access_requested_email import queue_access_requested_email
from notifications.use_cases.account_locked_email import queue_account_locked_email
from notifications.use_cases.activation_email import queue_activation_email
from notifications.use_cases.advance_email import queue_advance_email
from notifications.use_cases.billing_mode_email import queue_billing_mode_email
from notifications.use_cases.contract_confirmation_email import queue_contract_confirmation
from notifications.use_cases.contract_linked_email import queue_contract_linked_email
from notifications.use_cases.customer_contacts import keep_customer_name
from notifications.use_cases.document_email import queue_document_email
from notifications.use_cases.email_change_email import queue_email_change_emails
from notifications.use_cases.invoice_email import queue_invoice_email
from notifications.use_cases.move_email import queue_move_email
from notifications.use_cases.parking import Parking, RecipientNotKnown
from notifications.use_cases.password_changed_email import queue_password_changed_email
from notifications.use_cases.password_reset_email import queue_password_reset_email
from notifications.use_cases.payment_emails import (
    queue_payment_received_email,
    queue_payment_reminder,
    queue_payment_returned_email,
)
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
from portal_chassis.consumers import EventHandlers, Handler
from portal_chassis.dead_letter import PermanentError
from portal_chassis.uow import UnitOfWork
from portal_schemas import Envelope, EventData
from portal_schemas.billing import (
    AdvanceChanged,
    BillingModeChanged,
    InvoiceIssued,
    PaymentReceived,
    PaymentReminderDue,
    PaymentReturned,
)
from portal_schemas.contracts import (
    ContractCreated,
    ContractMoved,
    ContractTerminated,
    ContractWithdrawn,
    CustomerDetailsChanged,
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

E = TypeVar("E", bound=EventData)
# An email use case that needs only the event's id and data (most of them).
EmailUseCase = Callable[[UnitOfWork, MailRoom, str, E], Awaitable[None]]


def event_handlers(room: MailRoom) -> EventHandlers:
    handlers = EventHandlers()
    # Handler name -> the handler, for the events parked under that name.
    parkable: dict[str, Callable[[UnitOfWork, Envelope], Awaitable[None]]] = {}

    async def replay(uow: UnitOfWork, name: str, event: Envelope) -> None:
        handle = parkable.get(name)
        if handle is None:
            raise PermanentError(f"no handler {name!r} for a parked event")
        await handle(uow, event)

    parking = Parking(room.sealer, room.settings.parking_window, replay)

    def emails(model: type[E], *, name: str) -> Callable[[Handler[E]], Handler[E]]:
        """Registers an email handler; the event parks when its customer has no account yet."""

        def register(handler: Handler[E]) -> Handler[E]:
            async def handle(uow: UnitOfWork, event: Envelope, data: E) -> None:
                try:
                    await handler(uow, event, data)
                except RecipientNotKnown as unknown:
                    await parking.park(
                        uow, handler=name, event=event, customer_number=unknown.customer_number
                    )

            async def handle_parked(uow: UnitOfWork, event: Envelope) -> None:
                await handler(uow, event, model.model_validate(event.data))

            handlers.on(model, name=name)(handle)
            parkable[name] = handle_parked
            return handler

        return register

    def mail(model: type[E], name: str, use_case: EmailUseCase[E]) -> None:
        async def handle(uow: UnitOfWork, event: Envelope, data: E) -> None:
            await use_case(uow, room, str(event.event_id), data)

        emails(model, name=name)(handle)

    @handlers.on(AccountActivated, name="recipients")
    async def on_account_activated(uow: UnitOfWork, event: Envelope, data: AccountActivated) -> None:
        await keep_recipient(uow, data, as_of=event.occurred_at, parking=parking)

    @handlers.on(EmailChanged, name="recipient-email")
    async def on_email_changed(uow: UnitOfWork, event: Envelope, data: EmailChanged) -> None:
        await change_recipient_email(uow, data, as_of=event.occurred_at)

    @handlers.on(PreferencesChanged, name="recipient-preferences")
    async def on_preferences_changed(uow: UnitOfWork, event: Envelope, data: PreferencesChanged) -> None:
        await keep_preferences(uow, data, as_of=event.occurred_at)

    # Contracts' side of the read model: the name to greet by.
    @handlers.on(CustomerDetailsChanged, name="customer-contacts-name")
    async def on_customer_details_changed(
        uow: UnitOfWork, event: Envelope, data: CustomerDetailsChanged
    ) -> None:
        await keep_customer_name(uow, data, as_of=event.occurred_at)

    mail(PasswordResetRequested, "password-reset-email", queue_password_reset_email)
    mail(AccountLocked, "account-locked-email", queue_account_locked_email)
    mail(PasswordChanged, "password-changed-email", queue_password_changed_email)

    # These three also need the moment of the request (what supersedes what, withdrawal period).
    @emails(ActivationRequested, name="activation-email")
    async def on_activation_requested(uow: UnitOfWork, event: Envelope, data: ActivationRequested) -> None:
        await queue_activation_email(uow, room, str(event.event_id), event.occurred_at, data)

    @emails(EmailChangeRequested, name="email-change-emails")
    async def on_email_change_requested(uow: UnitOfWork, event: Envelope, data: EmailChangeRequested) -> None:
        await queue_email_change_emails(uow, room, str(event.event_id), event.occurred_at, data)

    @emails(ContractCreated, name="contract-confirmation-email")
    async def on_contract_created(uow: UnitOfWork, event: Envelope, data: ContractCreated) -> None:
        await queue_contract_confirmation(uow, room, str(event.event_id), event.occurred_at, data)

    mail(ContractLinked, "contract-linked-email", queue_contract_linked_email)
    mail(PortalAccessRequested, "access-requested-email", queue_access_requested_email)
    mail(PortalAccessApproved, "access-approved-email", queue_access_approved_email)
    mail(PortalAccessRefused, "access-refused-email", queue_access_refused_email)
    mail(MeterReadingReceived, "reading-confirmation-email", queue_reading_confirmation)
    mail(ReadingReminderDue, "reading-reminder-email", queue_reading_reminder)
    mail(FinalReadingRequested, "final-reading-request-email", queue_final_reading_request)
    mail(SmartMeterConsentGranted, "smart-meter-consent-granted-email", queue_consent_granted_email)
    mail(SmartMeterConsentRevoked, "smart-meter-consent-revoked-email", queue_consent_revoked_email)
    mail(SmartMeterReconsentNeeded, "smart-meter-reconsent-email", queue_reconsent_email)
    mail(InvoiceIssued, "invoice-email", queue_invoice_email)
    mail(AdvanceChanged, "advance-changed-email", queue_advance_email)
    mail(BillingModeChanged, "billing-mode-changed-email", queue_billing_mode_email)
    mail(PaymentReminderDue, "payment-reminder-email", queue_payment_reminder)
    mail(PaymentReturned, "payment-returned-email", queue_payment_returned_email)
    # Card, transfer and energy cheque only: a direct debit collected sends nothing, nor does
    # InvoicePaid (see use_cases/payment_emails.py).
    mail(PaymentReceived, "payment-received-email", queue_payment_received_email)
    mail(DocumentAvailable, "document-available-email", queue_document_email)
    mail(RenewalProposed, "renewal-proposal-email", queue_renewal_email)
    mail(UnilateralChangeAnnounced, "unilateral-change-email", queue_unilateral_change_email)
    mail(ContractMoved, "contract-moved-email", queue_move_email)
    mail(ContractTerminated, "contract-terminated-email", queue_termination_email)
    mail(ContractWithdrawn, "contract-withdrawn-email", queue_withdrawal_email)

    return handlers
