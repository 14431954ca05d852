"""Tests of the sklearn-palsy command-line tool, through its entry point."""

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sklearn_palsy.cli import main


def test_demo_writes_the_cohort_and_prints_its_summary(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "patients with palsy : 21" in out
    assert "controls            : 21" in out
    assert "images              : 210" in out
    for expression in ("rest", "smile", "raise_eyebrows", "close_eyes", "pucker"):
        assert expression in out
    assert "face detection rate : 100.0%" in out or "face detection rate : 9" in out
    assert "not a medical device" in out
    manifest = pd.read_csv(tmp_path / "cohort" / "manifest.csv")
    assert len(manifest) == 210
    assert all((tmp_path / "cohort" / image).is_file() for image in manifest.image)


def test_entry_point_is_installed_and_has_help():
    script = Path(sys.executable).parent / "sklearn-palsy"
    result = subprocess.run([str(script), "demo", "--help"], capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0
    assert "--out" in result.stdout


def test_bad_arguments_exit_non_zero_with_a_message(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["no-such-command"])
    assert exit_.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
