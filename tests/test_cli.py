"""The `inforates` command: subcommand listing and `inforates sample`."""

import subprocess
import sys

from inforates.cli import main
from inforates.commands import COMMANDS


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
    assert lines["distinct frames"].strip() == "6 of 8 (padded: 2 repeats)"
    assert "11 frames = 0.440 s at 25 fps" in lines["span"]


def test_sample_spacing_budget_in_frames_and_seconds():
    """The issue's CLI examples: 8 distinct frames 4 apart on a 175-frame UCF-101 video, in frames and seconds."""
    common = ("--sampler", "spacing_budget", "--frames", "175", "--budget", "8", "--clip-len", "16", "--fps", "25")
    by_frames = run_cli("sample", *common, "--spacing", "4")
    by_seconds = run_cli("sample", *common, "--spacing", "0.16", "--spacing-unit", "seconds")
    for proc, name in ((by_frames, "d4_k8"), (by_seconds, "d0p16s_k8")):
        assert proc.returncode == 0, proc.stderr
        lines = dict(line.split(":", 1) for line in proc.stdout.splitlines())
        assert lines["variant"].split()[0] == name
        assert lines["indices"].split() == [str(73 + 4 * (i // 2)) for i in range(16)]
        assert lines["distinct frames"].strip() == "8 of 16 (padded: 8 repeats)"
        assert lines["median spacing"].strip() == "4 frames = 0.160 s"
    short = run_cli("sample", "--sampler", "spacing_budget", "--frames", "20", "--spacing", "8", "--budget", "4")
    assert short.returncode == 0 and "too short" in short.stdout
    for bad, why in (
        (("--budget", "20", "--spacing", "4"), "budget 20 is more frames than the model takes"),
        (("--budget", "8", "--spacing", "0.01", "--spacing-unit", "seconds"), "under 1 frame"),
        (("--budget", "8", "--spacing", "4", "--spacing-unit", "minutes"), "invalid choice"),
    ):
        proc = run_cli("sample", *common[:4], "--clip-len", "16", "--fps", "25", *bad)
        assert proc.returncode == 2 and why in proc.stderr, proc.stderr


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
