"""Every event type of the suite: (event_type, major version) -> payload model and topic."""

from __future__ import annotations

from dataclasses import dataclass

from portal_schemas.billing import (
    AdvanceChanged,
    BillingModeChanged,
    InvoiceIssued,
    InvoicePaid,
    PaymentReceived,
    PaymentReminderDue,
    PaymentReturned,
)
from portal_schemas.contracts import (
    CoHolderAdded,
    ContractAmended,
    ContractCreated,
    ContractMoved,
    ContractRequestRefused,
    ContractTerminated,
    ContractWithdrawn,
    CustomerDetailsChanged,
    CustomerRegistered,
    DocumentAvailable,
    RegistrationCodeIssued,
    RenewalProposed,
    TariffsPublished,
    UnilateralChangeAnnounced,
)
from portal_schemas.envelope import EventData
from portal_schemas.hub import IntervalReadingsPublished, MeterInstalled, SwitchNoticeReceived
from portal_schemas.identity import (
    AccountActivated,
    AccountLocked,
    AccountRegistered,
    AccountsMerged,
    AccountUnlocked,
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
    SmartMeterDataRequested,
    SmartMeterReconsentNeeded,
)
from portal_schemas.notifications import MarketingUnsubscribed


@dataclass(frozen=True)
class EventSpec:
    model: type[EventData]

    @property
    def event_type(self) -> str:
        return self.model.event_type

    @property
    def version(self) -> int:
        return self.model.schema_version

    @property
    def topic(self) -> str:
        return self.model.topic()


_MODELS: tuple[type[EventData], ...] = (
    AccountRegistered,
    AccountActivated,
    AccountLocked,
    AccountUnlocked,
    ActivationRequested,
    PasswordResetRequested,
    PasswordChanged,
    EmailChangeRequested,
    EmailChanged,
    PreferencesChanged,
    ContractLinked,
    AccountsMerged,
    PortalAccessRequested,
    PortalAccessApproved,
    PortalAccessRefused,
    CustomerRegistered,
    ContractCreated,
    ContractRequestRefused,
    RegistrationCodeIssued,
    ContractTerminated,
    CustomerDetailsChanged,
    ContractMoved,
    ContractWithdrawn,
    CoHolderAdded,
    TariffsPublished,
    ContractAmended,
    RenewalProposed,
    UnilateralChangeAnnounced,
    DocumentAvailable,
    SwitchNoticeReceived,
    MeterInstalled,
    IntervalReadingsPublished,
    MeterReadingReceived,
    ReadingReminderDue,
    FinalReadingRequested,
    SmartMeterConsentGranted,
    SmartMeterConsentRevoked,
    SmartMeterReconsentNeeded,
    SmartMeterDataRequested,
    InvoiceIssued,
    AdvanceChanged,
    BillingModeChanged,
    PaymentReceived,
    PaymentReturned,
    InvoicePaid,
    PaymentReminderDue,
    MarketingUnsubscribed,
)

REGISTRY: dict[tuple[str, int], EventSpec] = {(m.event_type, m.schema_version): EventSpec(m) for m in _MODELS}


def spec_for(event_type: str, version: int) -> EventSpec:
    try:
        return REGISTRY[(event_type, version)]
    except KeyError:
        raise LookupError(f"unknown event type {event_type} v{version}") from None
