"""`ejournal forecast evaluate`: the forecast's backtest on a school's CSV archive."""

from __future__ import annotations

import datetime as dt
import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from ejournal.cli import main
from ejournal.domain.forecast.features import Rounding


def _archive(tmp: Path, *, periods: int = 4, students: int = 30) -> tuple[Path, Path]:
    """Periods of six weeks, a mark a week around each student's level; the period mark is
    the rounded average of the period's marks."""
    rng = random.Random(11)
    marks = ["student,subject,period,date,mark,weight"]
    outcomes = ["student,subject,period,period_mark"]
    rounding = Rounding()
    for p in range(periods):
        start = dt.date(2025, 9, 1) + dt.timedelta(days=60 * p)
        for s in range(students):
            level = 2.2 + (s % 7) * 0.45
            values = []
            for week in range(6):
                v = max(1, min(5, round(rng.gauss(level, 0.4))))
                w = 2 if week == 5 else 1
                values.append((v, w))
                day = start + dt.timedelta(days=7 * week)
                marks.append(f"s{s},Математика,P{p},{day.isoformat()},{v},{w}")
            avg = sum(v * w for v, w in values) / sum(w for _, w in values)
            outcomes.append(f"s{s},Математика,P{p},{rounding.mark(avg)}")
    m = tmp / "marks.csv"
    o = tmp / "outcomes.csv"
    m.write_text("\n".join(marks) + "\n", encoding="utf-8")
    o.write_text("\n".join(outcomes) + "\n", encoding="utf-8")
    return m, o


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["forecast", "evaluate", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_evaluate_prints_the_three_methods_as_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Leave one period out, all marks known: every period mark is predicted by each method."""
    m, o = _archive(tmp_path)
    code, out, err = _run(capsys, "--marks", str(m), "--outcomes", str(o), "--known-share", "1",
                          "--format", "json")  # fmt: skip
    assert code == 0, err
    doc = json.loads(out)
    assert doc["periods"] == 4
    for key in ("model", "average_baseline", "last_period_baseline"):
        assert set(doc[key]) >= {"n", "exact", "mae", "recall_2"}
        assert doc[key]["n"] == 4 * 30
    # With every mark known, the rounded average is the period mark by construction.
    assert doc["average_baseline"]["exact"] == 1.0
    assert doc["model"]["exact"] >= 0.9


def test_half_the_dates_known_is_the_default(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With half the dates known the average baseline is no longer always right."""
    m, o = _archive(tmp_path)
    code, out, _ = _run(capsys, "--marks", str(m), "--outcomes", str(o))
    assert code == 0
    doc = json.loads(out)
    assert doc["known_share"] == 0.5
    assert doc["average_baseline"]["exact"] < 1.0


@pytest.mark.parametrize(
    ("marks", "outcomes", "expected"),
    [
        ("student,subject,period,date,mark\n", "student,subject,period,period_mark\n",
         "MARKS.csv: нет столбцов weight"),
        ("student,subject,period,date,mark,weight\ns1,М,P1,2025-09-01,7,1\n",
         "student,subject,period,period_mark\ns1,М,P1,4\n",
         "MARKS.csv, строка 2: отметка должна быть целым числом от 1 до 5, а не «7»"),
        ("student,subject,period,date,mark,weight\ns1,М,P1,01.09.2025,4,1\n",
         "student,subject,period,period_mark\ns1,М,P1,4\n",
         "MARKS.csv, строка 2: дата должна быть в виде ГГГГ-ММ-ДД"),
        ("student,subject,period,date,mark,weight\ns1,М,P1,2025-09-01,4,1\n",
         "student,subject,period,period_mark\ns1,М,P1,4\ns2,М,P1,1\n",
         "OUTCOMES.csv, строка 3: итоговая отметка должна быть целым числом от 2 до 5"),
        ("student,subject,period,date,mark,weight\n",
         "student,subject,period,period_mark\ns1,М,P1,4\n",
         "MARKS.csv: в файле нет ни одной строки данных"),
        ("", "student,subject,period,period_mark\ns1,М,P1,4\n", "MARKS.csv: файл пуст"),
        ("student,subject,period,date,mark,weight\ns1,М,P1,2025-09-01,4,0\n",
         "student,subject,period,period_mark\ns1,М,P1,4\n",
         "MARKS.csv, строка 2: вес должен быть положительным числом"),
    ],
)  # fmt: skip
def test_bad_files_give_a_russian_error_with_the_row(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    marks: str,
    outcomes: str,
    expected: str,
) -> None:
    """Missing columns, marks out of range, bad dates, empty data: one Russian line, code 2."""
    m = tmp_path / "m.csv"
    o = tmp_path / "o.csv"
    m.write_text(marks, encoding="utf-8")
    o.write_text(outcomes, encoding="utf-8")
    code, out, err = _run(capsys, "--marks", str(m), "--outcomes", str(o))
    assert code == 2 and out == ""
    assert expected in err
    assert len(err.strip().splitlines()) == 1


def test_a_missing_file_and_a_bad_share_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file that is not there, or --known-share outside (0, 1], is a one-line error."""
    m, o = _archive(tmp_path, periods=2, students=3)
    code, _, err = _run(capsys, "--marks", str(tmp_path / "nope.csv"), "--outcomes", str(o))
    assert code == 2 and "файл не найден" in err
    code, _, err = _run(capsys, "--marks", str(m), "--outcomes", str(o), "--known-share", "1.5")
    assert code == 2 and "доля" in err


def test_the_console_script_runs_it(tmp_path: Path) -> None:
    """The installed command prints the JSON (a real process)."""
    m, o = _archive(tmp_path, periods=3, students=12)
    result = subprocess.run(
        [sys.executable, "-m", "ejournal.cli", "forecast", "evaluate", "--marks", str(m),
         "--outcomes", str(o), "--format", "json"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["model"]["n"] == 3 * 12
