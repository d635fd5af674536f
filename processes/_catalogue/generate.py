"""Write the sample hall: ``organisation/*.csv`` and ``sample_catalogue.xlsx`` (+ ``.csv``).

Run after editing ``sample_organisation.py`` or ``sample_matters.py``::

    .venv/bin/python processes/_catalogue/generate.py

The files are written with the app's own exporters (the same column headers an administrator's
export has), so importing them and exporting again gives the same table; a test checks that the
shipped files are what this script writes.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent.parent)]

from sample_organisation import COURT  # noqa: E402
from sample_organisation import ORGANS  # noqa: E402
from sample_organisation import WINDOWS  # noqa: E402

from engine.services.organisation.structure import KINDS  # noqa: E402
from engine.services.organisation.structure import STATUS_ACTIVE  # noqa: E402
from engine.tabular import write_csv  # noqa: E402

ORGANISATION_DIR = HERE / "organisation"


def organisation_tables() -> dict[str, tuple[list[str], list[list[str]]]]:
    """File name -> (headers, rows) of the sample hall's organisation."""
    organs, departments, posts = [], [], []
    for o in ORGANS:
        organs.append([o.code, o.name, o.short_name, o.credit_code, o.address, o.phone, o.review_organ,
                       COURT, STATUS_ACTIVE])
        for d in o.departments:
            departments.append([d.code, o.code, d.name, STATUS_ACTIVE])
            posts.extend([p.code, p.name, d.code, p.kind, STATUS_ACTIVE] for p in d.posts)
    windows = [[code, name, kind, STATUS_ACTIVE] for code, name, kind in WINDOWS]
    return {name: (list(KINDS[kind].fields.values()), rows) for name, kind, rows in (
        ("organs.csv", "organ", organs), ("departments.csv", "department", departments),
        ("posts.csv", "post", posts), ("windows.csv", "window", windows))}


def sample_files() -> dict[Path, bytes]:
    """Every generated file and its bytes."""
    files = {ORGANISATION_DIR / name: write_csv(headers, rows)
             for name, (headers, rows) in organisation_tables().items()}
    return files


def main() -> None:
    for path, data in sample_files().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        print(f"{path.relative_to(HERE)}: {len(data)} bytes")


if __name__ == "__main__":
    main()
