"""README.md: every command in its ```bash blocks is exercised, and every file it links to exists.

Cheap commands run for real (`inforates sample`); the others are parsed by the parser the program itself uses
(recipes + overrides by `parse_recipe`, `accelerate launch` flags by accelerate's own parser, `make` targets by
`make -n`, whose printed `inforates`/`accelerate` lines are checked again). A command line whose program has no
checker here fails, so a new README command cannot go untested. docs/data.md's recipe snippets are parsed too.
"""

from __future__ import annotations

import ast
import importlib
import re
import shlex
import subprocess
from pathlib import Path

import pytest

from inforates.configs import parse_recipe
from inforates.recipe_catalog import resolve_recipe


REPO_ROOT = Path(__file__).resolve().parents[1]
README = REPO_ROOT / "README.md"
DATA_DOC = REPO_ROOT / "docs" / "data.md"

# Paths in README commands that an earlier README command creates: path -> the recipe whose training run writes
# it. The test puts an empty folder in their place (model_name_or_path must be an existing folder to parse).
MADE_BY_README = {"outputs/ucf101/videomae": "recipes/videomae/ucf101.yaml"}

# Programs the README shows that this test does not run (downloads, unpacking, shell state), with why.
NOT_RUN = {
    "wget": "downloads the dataset",
    "unrar": "unpacks a downloaded archive",
    "unzip": "unpacks a downloaded archive",
    "source": "activates the environment `make install` creates",
}


def code_blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", text, flags=re.M | re.S)


def command_lines(block: str) -> list[str]:
    """The commands of a bash block: comment lines and blank lines dropped, `\\` continuations joined."""
    commands, current = [], ""
    for line in block.splitlines():
        stripped = line.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        commands.append(current + stripped)
        current = ""
    assert not current, f"a README command ends with a line continuation: {current!r}"
    return commands


def readme_commands() -> list[str]:
    return [c for block in code_blocks(README.read_text(), "bash") for c in command_lines(block)]


COMMANDS = readme_commands()


def cpu_flags() -> list[str]:
    """The GPU recipes are bf16; on a machine without CUDA, TrainingArguments refuses bf16 unless use_cpu."""
    import torch

    return [] if torch.cuda.is_available() else ["--use_cpu", "true"]


# ---------------------------------------------------------------------------------------------------------------
# Checkers, one per program
# ---------------------------------------------------------------------------------------------------------------
def check_recipe_args(args: list[str], prog: str, made: Path) -> None:
    args = [str(made) if a in MADE_BY_README and not (REPO_ROOT / a).exists() else a for a in args]
    if "--config" in args:  # a file of the repository, or a shipped recipe's name
        config = args[args.index("--config") + 1]
        assert (REPO_ROOT / config).is_file() or Path(resolve_recipe(config)).is_file(), config
    parse_recipe(args + cpu_flags(), prog=prog)


def check_inforates(args: list[str], made: Path, capsys) -> None:
    command, rest = args[0], args[1:]
    if command == "sample":
        from inforates.cli import main

        assert main(["sample", *rest]) == 0
        assert "indices:" in capsys.readouterr().out
    elif command in ("train", "evaluate", "bandwidth"):
        check_recipe_args(rest, f"inforates {command}", made)
    elif command == "compare":
        from inforates.commands.compare import make_parser

        make_parser().parse_args(rest)
    elif command == "synth":
        from inforates.commands.synth import make_parser

        make_parser().parse_args(rest)
    elif command == "push":  # parsed only: a push needs a trained run and the Hub
        from inforates.commands.push import make_parser

        args = make_parser().parse_args(rest)
        assert args.results is None or args.results.endswith("results.csv")
    elif command == "doctor":
        check_doctor(rest)
    elif command == "recipes":  # listed for real; a copy into this test's folder
        from inforates.commands.recipes import copy_recipe, make_parser

        parsed = make_parser().parse_args(rest)
        if parsed.action == "copy":
            assert copy_recipe(parsed.name, str(made / parsed.dest)).is_file()
        else:
            from inforates.cli import main

            assert main(["recipes", *rest]) == 0 and "videomae/ucf101_published" in capsys.readouterr().out
    elif command == "demo":
        from inforates.commands.demo import make_parser

        make_parser().parse_args(rest)
    elif command == "pretrain-demo":
        from inforates.commands.pretrain_demo import make_parser

        make_parser().parse_args(rest)
    elif command == "study":
        from inforates.commands.study import make_parser

        make_parser().parse_known_args(rest)  # unknown words are recipe overrides
    else:
        pytest.fail(f"README runs `inforates {command}`, which this test has no checker for")


def check_doctor(args: list[str]) -> None:
    """Parse with doctor's own argparse (the checks themselves are stubbed out), then parse its recipe."""
    from inforates.commands import doctor

    seen = {}

    def no_checks(config, output_dir):
        seen.update(config=config, output_dir=output_dir)
        return []

    original, doctor.run_checks = doctor.run_checks, no_checks
    try:
        assert doctor.main(args) == 0
    finally:
        doctor.run_checks = original
    if seen["config"]:
        parse_recipe(["--config", seen["config"], *cpu_flags()])


def check_accelerate(args: list[str], made: Path) -> None:
    from accelerate.commands.config.config_args import load_config_from_file
    from accelerate.commands.launch import launch_command_parser

    assert args[0] == "launch", f"only `accelerate launch` is checked, not `accelerate {args[0]}`"
    launch = launch_command_parser().parse_args(args[1:])
    assert launch.config_file and (REPO_ROOT / launch.config_file).is_file(), launch.config_file
    config = load_config_from_file(launch.config_file)
    for deepspeed_file in (launch.deepspeed_config_file, (config.deepspeed_config or {}).get("deepspeed_config_file")):
        assert deepspeed_file is None or (REPO_ROOT / deepspeed_file).is_file(), deepspeed_file
    assert launch.module, "launch the package module: accelerate launch ... -m inforates.train"
    scripts = {"inforates.train": "inforates train", "inforates.evaluate": "inforates evaluate"}
    assert launch.training_script in scripts, launch.training_script
    check_recipe_args(launch.training_script_args, scripts[launch.training_script], made)


def check_make(args: list[str], made: Path, capsys) -> None:
    """`make -n` only prints; the `inforates`/`accelerate` lines it prints are checked like README lines."""
    # -o: take the install stamp as up to date, so an edited Makefile or setup.cfg does not print the install steps
    command = ["make", "-n", "-o", ".venv/.installed", *args]
    proc = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    for line in proc.stdout.splitlines():
        tokens = shlex.split(line)
        if tokens and tokens[0] in (".venv/bin/inforates", ".venv/bin/accelerate"):
            check([Path(tokens[0]).name, *tokens[1:]], made, capsys)


def check_not_run(tokens: list[str]) -> None:
    program = tokens[0]
    if program == "source":
        assert tokens[1:] == [".venv/bin/activate"]
        assert "VENV := .venv" in (REPO_ROOT / "Makefile").read_text()
    elif program in ("unrar", "unzip"):  # unpacks what a README wget downloads
        downloaded = {Path(t).name for c in COMMANDS for t in shlex.split(c) if t.startswith("https://")}
        archives = [t for t in tokens[1:] if t.endswith((".rar", ".zip"))]
        assert archives and all(Path(a).name in downloaded for a in archives), tokens
    elif program == "wget":
        assert any(t.startswith("https://") for t in tokens), tokens


def check(tokens: list[str], made: Path, capsys) -> None:
    while re.fullmatch(r"[A-Z_]+=\S*", tokens[0]):  # VAR=value before the program: the environment it runs in
        tokens = tokens[1:]
    program, args = tokens[0], tokens[1:]
    if program == "make":
        check_make(args, made, capsys)
    elif program == "inforates":
        check_inforates(args, made, capsys)
    elif program == "accelerate":
        check_accelerate(args, made)
    elif program in NOT_RUN:
        check_not_run(tokens)
    else:
        pytest.fail(
            f"README command {' '.join(tokens)!r}: no checker for {program!r}; add one to tests/test_readme.py"
        )


# ---------------------------------------------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------------------------------------------
def test_readme_starts_with_the_two_commands():
    text = README.read_text()
    first = code_blocks(text, "bash")[0]
    assert text.index("```bash") < text.index("\n## "), "the quick start comes before the first section"
    assert [shlex.split(c, comments=True) for c in command_lines(first)] == [["make", "demo"], ["make", "test"]]


def test_readme_has_commands_of_every_kind():
    programs = {shlex.split(c, comments=True)[0] for c in COMMANDS}
    assert {"make", "inforates", "accelerate"} <= programs
    assert len(COMMANDS) >= 20


@pytest.mark.parametrize("command", COMMANDS, ids=[c[:60] for c in COMMANDS])
def test_readme_command(command, tmp_path, capsys):
    tokens = shlex.split(command, comments=True)
    assert tokens, command
    made = tmp_path / "made_by_readme"
    made.mkdir()
    check(tokens, made, capsys)


def test_paths_made_by_readme_commands_are_what_they_claim():
    for path, recipe in MADE_BY_README.items():
        assert parse_recipe(["--config", recipe, *cpu_flags()]).training.output_dir == path
        assert any(shlex.split(c, comments=True)[:4] == ["inforates", "train", "--config", recipe] for c in COMMANDS)


def test_readme_python_blocks_compile_and_their_imports_exist():
    for block in code_blocks(README.read_text(), "python"):
        tree = ast.parse(block)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("inforates"):
                module = importlib.import_module(node.module)
                for alias in node.names:
                    assert hasattr(module, alias.name), f"{node.module}.{alias.name}"


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


@pytest.mark.parametrize("doc", [README, DATA_DOC], ids=lambda p: p.name)
def test_linked_files_exist(doc):
    text = re.sub(r"^```.*?^```", "", doc.read_text(), flags=re.M | re.S)
    targets = re.findall(r"\]\(([^)\s]+)\)", text)
    assert targets
    for target in targets:
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        path, _, anchor = target.partition("#")
        file = (doc.parent / path).resolve() if path else doc
        relative = file.relative_to(REPO_ROOT).as_posix()
        assert file.exists(), f"{doc.name} links to {target}, which does not exist"
        if anchor:
            headings = re.findall(r"^#+ (.+)$", file.read_text(), flags=re.M)
            assert anchor in {slug(h) for h in headings}, f"{doc.name}: no heading for #{anchor} in {relative}"


@pytest.mark.parametrize("snippet", code_blocks(DATA_DOC.read_text(), "yaml"))
def test_data_doc_recipe_snippets_parse(snippet, tmp_path):
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(snippet)
    parse_recipe(["--config", str(recipe), *cpu_flags()])
