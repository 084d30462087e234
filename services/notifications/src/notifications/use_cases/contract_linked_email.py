"""ContractLinked → "contract … was added to your portal account", as holder or co-holder.

Always sent, however late it arrives: the contract stays linked until another event says
otherwise, and a co-holder learns of it only this way.
"""

from __future__ import annotations

from notifications.domain.delivery import EmailKind
from notifications.domain.links import contracts_link
from notifications.domain.locale import pick_language
from notifications.use_cases.addressees import account_addressee
from notifications.use_cases.queue_email import MailRoom, queue_email
from portal_chassis.uow import UnitOfWork
from portal_schemas.identity import ContractLinked

KIND = EmailKind.CONTRACT_LINKED


async def queue_contract_linked_email(
    uow: UnitOfWork, room: MailRoom, event_id: str, data: ContractLinked
) -> None:
    language = pick_language(data.language)
    await queue_email(
        uow,
        room,
        event_id=event_id,
        kind=KIND,
        # Filed under the contract's customer: operators look up what was sent about it. The
        # greeting names the account's own customer, not the holder of a co-held contract.
        to=await account_addressee(
            uow,
            room,
            account_id=data.account_id,
            email=str(data.email),
            language=language,
            customer_number=data.customer_number,
        ),
        values={
            "contract_number": data.contract_number,
            # Phrased by the language's labels; an unknown role fails to render, never blank.
            "role": data.role,
            "link": contracts_link(room.settings.public_url),
        },
    )
