"""The sample hall's organisation and the demo accounts that work in it.

``ensure_sample_organisation`` loads ``processes/_catalogue/organisation/*.csv`` through the same import
an administrator uses, once (when the database has no organ yet). ``ensure_demo_accounts`` then
creates the demo accounts of ``engine.services.accounts.DEMO_ACCOUNTS`` — each demo group becomes a
role, a post held or a window seat — and gives every post nobody demo holds a demo holder of its own,
``demo_<post code>`` (two for a 核查 post: a 现场核查 needs two different officers), so every matter of
the sample hall can be tried end to end.
"""

from __future__ import annotations

from engine.actors import Actor
from engine.persistence.repositories import accounts as stored
from engine.persistence.repositories import organisation as org
from engine.persistence.repositories.accounts import NewUser
from engine.services.accounts import DEMO_ACCOUNTS
from engine.services.accounts import DEMO_PASSWORD
from engine.services.accounts import DemoAccount
from engine.services.accounts import hash_password
from engine.services.context import EngineContext
from engine.services.organisation.importing import has_organisation
from engine.services.organisation.importing import load_organisation_folder
from engine.services.organisation.seals import ensure_demo_seals
from engine.services.organisation.vocabulary import APPLICANT_ROLE
from engine.services.organisation.vocabulary import STAFF_ROLES

#: Who the sample data is loaded as (shown in the admin audit log).
SEED_ACTOR = Actor("init", "初始化", frozenset({"admin"}))
#: Demo holders a post of each kind gets when no demo account names it.
_HOLDERS_BY_KIND = {"承办": 1, "审核": 1, "批准": 1, "负责人": 1, "核查": 2}
_WINDOW_BY_GROUP = {"fallback_clerk": "兜底", "window_clerk": "综合"}


def ensure_sample_organisation(ctx: EngineContext) -> bool:
    """Load the sample hall's organisation if the database has none; True when it was loaded."""
    if has_organisation(ctx):
        return False
    load_organisation_folder(ctx, SEED_ACTOR, ctx.settings.catalogue_dir / "organisation")
    return True


def _generated_holders(held: dict[str, int], posts: list[org.PostRow],
                       organs: dict[str, org.OrganRow]) -> list[DemoAccount]:
    accounts = []
    for post in posts:
        wanted = _HOLDERS_BY_KIND.get(post.kind, 0) - held.get(post.code, 0)
        first = held.get(post.code, 0) + 1
        for number in range(first, first + max(wanted, 0)):
            suffix = "" if number == 1 else str(number)
            organ = organs[post.organ_code]
            accounts.append(DemoAccount(f"demo_{post.code}{suffix}", f"【演示】{organ.short_name} {post.name}{suffix}",
                                        (post.code,), organ.short_name))
    return accounts


def _seat(account: DemoAccount, windows: list[org.WindowRow]) -> str | None:
    """The window a demo clerk sits at: a 兜底 window confers ``window_clerk`` too, so one seat is enough."""
    group = next((g for g in ("fallback_clerk", "window_clerk") if g in account.groups), None)
    if group is None:
        return None
    return account.window or next(w.code for w in windows if w.kind == _WINDOW_BY_GROUP[group])


def ensure_demo_accounts(ctx: EngineContext) -> list[str]:
    """Create the missing demo accounts with their roles, posts and windows (idempotent).

    :raise ValueError: a demo account names a group that is neither a role nor a post of the sample
        hall (a mistake in ``DEMO_ACCOUNTS``, caught by the tests).
    """
    ensure_sample_organisation(ctx)
    now = ctx.clock.now()
    with ctx.uow() as uow:
        posts = org.posts(uow)
        by_code = {p.code: p for p in posts}
        windows = org.windows(uow)
        held: dict[str, int] = {}
        for account in DEMO_ACCOUNTS:
            for group in account.groups:
                held[group] = held.get(group, 0) + 1
        wanted = [*DEMO_ACCOUNTS, *_generated_holders(held, posts, {o.code: o for o in org.organs(uow)})]
        existing = stored.existing_usernames(uow, [a.username for a in wanted])
        missing = [a for a in wanted if a.username not in existing]
        if not missing:
            return []
        password_hash = hash_password(ctx, DEMO_PASSWORD)  # one public password: one hash serves them all
        roles_of = {a.username: [g for g in a.groups if g in STAFF_ROLES or g == APPLICANT_ROLE] for a in missing}
        stored.insert_users(uow, [NewUser(username=a.username, display_name=a.display_name,
                                          password_hash=password_hash, groups=",".join(roles_of[a.username]),
                                          department=a.department, credit_code=a.credit_code, kind=a.kind,
                                          is_demo=True) for a in missing], now)
        users = stored.users_by_usernames(uow, [a.username for a in missing])
        window_ids = {w.code: w.id for w in windows}
        for account in missing:
            user_id = users[account.username].id
            for group in account.groups:
                if group in roles_of[account.username] or group in _WINDOW_BY_GROUP:
                    continue
                if group not in by_code:
                    raise ValueError(f"demo account {account.username}: {group} is neither a role nor a post")
                org.add_post_member(uow, by_code[group].id, user_id, now)
            seat = _seat(account, windows)
            if seat is not None:
                org.add_window_clerk(uow, window_ids[seat], user_id, now)
        uow.commit()
    ensure_demo_seals(ctx, SEED_ACTOR)  # a demo hall prints a seal, marked 演示 on every document
    return [a.username for a in missing]

