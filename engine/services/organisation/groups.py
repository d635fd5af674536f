"""A person's candidate groups, read from the organisation at the moment they act."""

from __future__ import annotations

from engine.persistence.repositories.accounts import UserRow
from engine.persistence.repositories.organisation import held_codes
from engine.persistence.unit_of_work import UnitOfWork
from engine.services.organisation.vocabulary import groups_of


def user_groups(uow: UnitOfWork, user: UserRow) -> frozenset[str]:
    """The account's roles, the posts it holds and its windows' groups (one query).

    Read on every request (sign-in session, API token), never cached on the account: that is what
    makes a change of a post's holders reach tasks already open.
    """
    post_codes, window_kinds = held_codes(uow, user.id)
    return groups_of(user.groups, post_codes, window_kinds)
