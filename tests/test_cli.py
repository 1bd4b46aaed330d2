"""The `inforates` command: subcommand listing and `inforates sample`."""

import subprocess
import sys

from inforates.cli import COMMANDS, main


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "inforates.cli", *args], capture_output=True, text=True)


def test_help_lists_every_subcommand(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for name in ("sample", "synth", "train", "evaluate", "compare", "demo", "doctor"):
        assert name in out and name in COMMANDS


def test_unknown_command_is_an_error(capsys):
    assert main(["smaple"]) == 2
    assert "unknown command" in capsys.readouterr().err


def test_sample_prints_indices_and_facts():
    proc = run_cli("sample", "--frames", "50", "--coverage", "25", "--stride", "2", "--clip-len", "8", "--fps", "25")
    assert proc.returncode == 0, proc.stderr
    lines = dict(line.split(":", 1) for line in proc.stdout.splitlines())
    assert lines["variant"].split()[0] == "cov25_s2"
    assert lines["indices"].split() == ["0", "0", "2", "4", "6", "6", "8", "10"]
    assert lines["distinct frames"].strip() == "6 of 8"
    assert "11 frames = 0.440 s at 25 fps" in lines["span"]


def test_sample_other_samplers_and_bad_values():
    proc = run_cli(
        "sample", "--frames", "100", "--coverage", "50", "--stride", "4", "--clip-len", "4", "--sampler", "dense"
    )
    assert "19 23 27 31" in proc.stdout
    bad = run_cli("sample", "--frames", "0", "--coverage", "50")
    assert bad.returncode == 2 and "total_frames" in bad.stderr


def test_sample_does_not_import_torch():
    code = (
        "import sys; from inforates.cli import main; main(['sample', '--frames', '9']); print('torch' in sys.modules)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.stdout.strip().endswith("False")
