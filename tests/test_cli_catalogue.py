"""``onewindow init`` loads the sample hall; ``onewindow catalogue export|import [--dry-run]`` round-trips it
and refuses a bad row by number (in-process, ``tests.cli``, on a copy of one initialised SQLite database)."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest

from engine.services.catalogue.editing import list_entries
from engine.services.context import EngineContext
from engine.settings import EngineSettings
from tests.cli import Ran
from tests.cli import onewindow


@pytest.fixture
def db(demo_installation: tuple[Path, Ran], tmp_path: Path) -> Path:
    source, result = demo_installation
    assert result.returncode == 0, result.stderr
    return Path(shutil.copy(source, tmp_path / "ow.db"))


def _codes(db: Path) -> list[str]:
    ctx = EngineContext.create(EngineSettings(database_url=f"sqlite:///{db}"))
    try:
        return [version.code for version in list_entries(ctx, active_only=True)]
    finally:
        ctx.dispose()


def test_init_offers_the_sample_hall_once(demo_installation: tuple[Path, Ran], tmp_path: Path) -> None:
    source, result = demo_installation
    assert "已载入示例事项库：156 个事项（数据说明：示例数据）" in result.stdout
    db = Path(shutil.copy(source, tmp_path / "ow.db"))
    assert len(_codes(db)) >= 150
    again = onewindow("init", "--demo", db=db)
    assert again.returncode == 0 and "示例事项库" not in again.stdout


def _rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))


def _write(path: Path, rows: list[list[str]]) -> None:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8-sig")


def test_export_then_a_dry_run_then_an_import(db: Path, tmp_path: Path) -> None:
    exported = tmp_path / "catalogue.csv"
    result = onewindow("catalogue", "export", str(exported), db=db)
    assert result.returncode == 0, result.stderr
    rows = _rows(exported)
    promised = rows[0].index("承诺办结时限（工作日）")
    row = next(i for i, r in enumerate(rows) if r[0] == "jt_01")
    rows[row][promised] = "4"
    _write(tmp_path / "edited.csv", rows)
    plan = onewindow("catalogue", "import", str(tmp_path / "edited.csv"), "--dry-run", db=db)
    assert plan.returncode == 0, plan.stderr
    assert "修改 jt_01 道路货物运输经营许可\n    承诺办结时限（工作日）：'5' → '4'" in plan.stdout
    assert "试导入（未作修改）：新增 0 项，修改 1 项，未变 155 项" in plan.stdout
    onewindow("catalogue", "export", str(tmp_path / "after_dry_run.csv"), db=db)
    assert (tmp_path / "after_dry_run.csv").read_bytes() == exported.read_bytes()
    done = onewindow("catalogue", "import", str(tmp_path / "edited.csv"), db=db)
    assert "已导入：新增 0 项，修改 1 项" in done.stdout
    onewindow("catalogue", "export", str(tmp_path / "after.xlsx"), db=db)
    onewindow("catalogue", "import", str(tmp_path / "after.xlsx"), "--dry-run", db=db)


def test_a_bad_row_is_refused_by_number_and_nothing_changes(db: Path, tmp_path: Path) -> None:
    exported = tmp_path / "catalogue.csv"
    onewindow("catalogue", "export", str(exported), db=db)
    rows = _rows(exported)
    statutory = rows[0].index("法定办结时限（工作日）")
    rows[3][statutory] = "0"
    rows[5][0] = "Bad Code"
    _write(tmp_path / "bad.csv", rows)
    for extra in (("--dry-run",), ()):
        result = onewindow("catalogue", "import", str(tmp_path / "bad.csv"), *extra, db=db)
        assert result.returncode == 2
        assert "导入未执行（未作任何修改），共 2 处问题" in result.stderr
        assert "第 4 行：法定办结时限（工作日）：法定办结时限应为正整数（工作日）" in result.stderr
        assert "第 6 行：事项代码：事项代码只能包含小写字母、数字和下划线" in result.stderr
    onewindow("catalogue", "export", str(tmp_path / "after.csv"), db=db)
    assert (tmp_path / "after.csv").read_bytes() == exported.read_bytes()
    assert onewindow("catalogue", "import", str(tmp_path / "x.txt"), db=db).stderr.strip() == \
        "错误：文件应为 .csv 或 .xlsx 格式"
