"""What checking and converting entries needs from the rest of the database, read once per use case."""

from __future__ import annotations

from dataclasses import dataclass

from engine.catalogue.columns import OrgNames
from engine.catalogue.entry import References
from engine.persistence.repositories import catalogue as stored
from engine.persistence.repositories import organisation as org
from engine.persistence.repositories.definitions import latest_definitions
from engine.persistence.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Lookups:
    refs: References
    names: OrgNames


def file_ref_exists(uow: UnitOfWork, ref: str) -> bool:
    """``name#sha256-prefix`` names a stored catalogue file with that name."""
    name, _, prefix = ref.rpartition("#")
    found = stored.file_by_sha256_prefix(uow, prefix)
    return found is not None and found.name == name


def lookups(uow: UnitOfWork) -> Lookups:
    organs = org.organs(uow)
    departments = org.departments(uow)
    refs = References(
        organs={o.code: (o.credit_code, o.is_active) for o in organs},
        departments={d.code: d.organ_code for d in departments},
        posts={p.code: p.organ_code for p in org.posts(uow)},
        processes=frozenset(d.matter_code for d in latest_definitions(uow)),
        has_file=lambda ref: file_ref_exists(uow, ref))
    names = OrgNames(organ_names={o.code: o.name for o in organs},
                     departments={d.code: (d.organ_code, d.name) for d in departments})
    return Lookups(refs, names)
