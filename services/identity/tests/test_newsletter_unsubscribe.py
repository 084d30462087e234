"""MarketingUnsubscribed (a newsletter's one-click unsubscribe, from notifications) turns that
preference off and announces the whole set, unless the customer chose again after the click."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from identity.db.tables import Account
from portal_chassis.testing import Harness
from portal_schemas.identity import PreferencesChanged
from portal_schemas.notifications import MarketingTopic, MarketingUnsubscribed

from .conftest import PASSWORD, MovableClock

MakeAccount = Callable[..., Awaitable[str]]  # the make_account fixture (conftest)
ALL_ON = {"language": "de", "offers": True, "news": True, "energy_saving_advice": True}


async def log_in(service: Harness) -> dict[str, str]:
    """Signed in before the test moves the clock: the token is checked against the real time."""
    session = await service.client.post(
        "/v1/sessions", json={"email": "jan@example.nl", "password": PASSWORD}
    )
    assert session.status_code == 201, session.text
    return {"Authorization": f"Bearer {session.json()['access_token']}"}


async def choose(service: Harness, headers: dict[str, str], preferences: dict[str, Any]) -> None:
    """The customer sets their preferences in the portal."""
    answer = await service.client.put("/v1/me/preferences", headers=headers, json=preferences)
    assert answer.status_code == 200, answer.text


async def unsubscribed(service: Harness, account_id: str, newsletter: MarketingTopic, at: datetime) -> None:
    await service.deliver(
        MarketingUnsubscribed(account_id=account_id, newsletter=newsletter, unsubscribed_at=at),
        subject=account_id,
        producer="notifications",
    )


async def account_row(service: Harness, account_id: str) -> Account:
    async with service.runtime.sessions() as session:
        account = await session.get(Account, account_id)
    assert account is not None
    return account


async def announced(service: Harness) -> list[dict[str, Any]]:
    return [
        PreferencesChanged.model_validate(e.data).model_dump()
        for e in await service.outbox("PreferencesChanged")
    ]


async def test_the_newsletter_goes_off_and_the_whole_set_is_announced(
    service: Harness, make_account: MakeAccount, clock: MovableClock
) -> None:
    account_id = await make_account()
    headers = await log_in(service)
    await choose(service, headers, ALL_ON)
    click = clock.now + timedelta(minutes=5)

    await unsubscribed(service, account_id, "news", click)

    account = await account_row(service, account_id)
    assert (account.offers, account.news, account.energy_saving_advice) == (True, False, True)
    assert account.preferences_chosen_at == clock.now  # the choice in the settings, not the click
    *_, last = await service.outbox("PreferencesChanged")
    assert last.subject == account_id
    assert PreferencesChanged.model_validate(last.data).model_dump() == {
        "account_id": account_id,
        **ALL_ON,
        "news": False,
        "time_zone": None,
    }


async def test_already_off_changes_and_announces_nothing(
    service: Harness, make_account: MakeAccount, clock: MovableClock
) -> None:
    account_id = await make_account()
    headers = await log_in(service)
    await choose(service, headers, ALL_ON)
    await unsubscribed(service, account_id, "offers", clock.now + timedelta(minutes=1))
    before = await announced(service)

    await unsubscribed(service, account_id, "offers", clock.now + timedelta(minutes=2))  # clicked twice

    assert await announced(service) == before
    assert (await account_row(service, account_id)).offers is False


async def test_a_choice_made_after_the_click_wins(
    service: Harness, make_account: MakeAccount, clock: MovableClock
) -> None:
    account_id = await make_account()
    headers = await log_in(service)
    click = clock.now
    clock.advance(minutes=10)
    await choose(service, headers, ALL_ON)  # subscribed again in the settings, after the click
    before = await announced(service)

    await unsubscribed(service, account_id, "news", click)

    assert (await account_row(service, account_id)).news is True
    assert await announced(service) == before


async def test_a_language_change_after_the_click_does_not_keep_the_newsletter(
    service: Harness, make_account: MakeAccount, clock: MovableClock
) -> None:
    account_id = await make_account()
    headers = await log_in(service)
    await choose(service, headers, ALL_ON)
    click = clock.now + timedelta(minutes=1)
    clock.advance(minutes=10)
    await choose(service, headers, {**ALL_ON, "language": "fr"})  # only the language

    await unsubscribed(service, account_id, "news", click)

    account = await account_row(service, account_id)
    assert (account.language, account.news) == ("fr", False)


async def test_unsubscribes_arriving_out_of_order_all_apply(
    service: Harness, make_account: MakeAccount, clock: MovableClock
) -> None:
    account_id = await make_account()
    headers = await log_in(service)
    await choose(service, headers, ALL_ON)
    first, second = clock.now + timedelta(minutes=1), clock.now + timedelta(minutes=2)

    await unsubscribed(service, account_id, "energy_saving_advice", second)
    await unsubscribed(service, account_id, "offers", first)

    account = await account_row(service, account_id)
    assert (account.offers, account.news, account.energy_saving_advice) == (False, True, False)


async def test_an_unknown_account_is_ignored(service: Harness, clock: MovableClock) -> None:
    await unsubscribed(service, "no-such-account", "news", clock.now)
    assert await announced(service) == []
