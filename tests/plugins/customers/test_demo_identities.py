"""Demo data shows the encrypted fields: ``crm seed --customers N`` gives most Chinese people
a valid resident ID-card number and about half the Chinese companies a bank and account, each
found by its exact value, while foreign customers and the other fields stay as before."""

from __future__ import annotations

from sqlalchemy import select

from crm_core.auth.models import User
from crm_core.testing import create_test_user, invoke_cli
from plugins.customers.identity import (
    normalise_bank_account,
    normalise_bank_name,
    normalise_id_card,
)
from plugins.customers.models import Customer


def test_seeded_people_have_valid_id_cards_and_companies_bank_accounts(customers_app,
                                                                        session) -> None:
    create_test_user(customers_app, "owner")
    result = invoke_cli(customers_app, "seed", "--customers", "120")
    assert result.exit_code == 0, result.output
    customers = session.scalars(select(Customer).order_by(Customer.id)).all()
    chinese_people = [c for c in customers if c.country == "CN" and c.kind == "person"]
    chinese_companies = [c for c in customers if c.country == "CN" and c.kind == "company"]
    with_id = [c for c in chinese_people if c.id_card_number]
    with_bank = [c for c in chinese_companies if c.bank_account]
    assert chinese_people and len(with_id) >= len(chinese_people) / 2
    assert 0 < len(with_bank) < len(chinese_companies)
    for customer in with_id:  # the check character and the birth date are right
        assert normalise_id_card(customer.id_card_number) == customer.id_card_number
        assert not customer.bank_account
    for customer in with_bank:
        assert normalise_bank_account(customer.bank_account) == customer.bank_account
        assert normalise_bank_name(customer.bank_name) == customer.bank_name
        assert customer.bank_name.endswith("支行") and not customer.id_card_number
    assert not any(c.id_card_number or c.bank_account for c in customers if c.country != "CN")
    assert len({c.id_card_number for c in with_id}) == len(with_id)

    from plugins.customers.search import services as search

    boss = session.get(User, create_test_user(customers_app, "boss", superuser=True).id)
    for wanted, number in ((with_id[0], with_id[0].id_card_number),
                           (with_bank[0], with_bank[0].bank_account)):
        hits = search.search_customers(session, number, user=boss, limit=10)
        assert [hit.code for hit in hits] == [wanted.code]
