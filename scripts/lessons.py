#!/usr/bin/env python3
"""The commands and recorded outputs of the course's lessons, checked and re-recorded.

A lesson (a chapter's README.md) shows two kinds of fenced block:

* **command blocks**: lines a reader types, e.g. ``build/bin/lrn_demo``. Every such line
  is run by ``lessons.py run`` (the ``lesson_runs_<chapter>`` tests), in the order the
  lesson shows them, in a scratch copy of the repository's root (class Workspace) whose
  ``build/`` is the build under test and whose ``out/`` starts empty. A block whose commands take more than a minute is followed by an HTML
  comment giving a quick stand-in with the same flags, run instead::

      <!-- quick stand-in: build/bin/alexnet train --variant mini --epochs 1 --limit 256 --out out/mini -->

* **recorded blocks**: what a program printed, headed by the command and where it ran::

      $ build/bin/lrn_demo   # recorded on 2-core AMD EPYC, Debian 12, commit 1a2b3c4
      CPU: forward 7.09 ms, backward 33.42 ms (one core, naive loops)

  A line ``...`` inside stands for lines left out. ``lessons.py run`` also runs the
  command (or the stand-in after the block) and checks that the block still has the form
  of what the program prints now: the same lines, labels and columns, every number
  allowed to differ, runs of lines of one form (a row per epoch) counted as one.
  ``lessons.py record`` (``scripts/record``) reruns the commands and rewrites the blocks.

* **recorded figures**: a picture beside the lesson that one of its commands draws::

      <!-- recorded figure: mini_curves.png is what alexnet plot writes to out/mini/curves.png -->

  ``run`` checks the command still writes it; ``record`` copies it over the picture.

Commands with ``--device cuda`` need a GPU: ``run`` leaves them to a build whose GPU is
real or emulated (``--gpu``), and ``record`` takes their output from a
``scripts/gpu_check.sh`` log (``--gpu-log``), since this machine may have no GPU.
"""
import argparse
import hashlib
import os
import platform
import re
import shutil
import subprocess
import tempfile
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMMAND_START = re.compile(r"^(build/|scripts/|python3 |g\+\+ |ctest |mpirun |PYTHON=\S+ scripts/)")
SHELL_LOOP = re.compile(r"^for \w+ in .*; do$")
RECORDED_HEADER = re.compile(
    r"^\$ (?P<command>.+?)\s+# recorded on (?P<machine>.+), commit (?P<commit>[0-9a-f]{7,40})$")
STAND_IN = re.compile(r"^<!-- (?P<kind>quick stand-in|stand-in for your own data): (?P<command>.+?) -->$")
FIGURE = re.compile(r"<!-- recorded figure: (?P<figure>\S+) is what (?P<command>.+?) writes to (?P<output>out/\S+) -->")
ELLIPSIS = "..."
GPU_FLAG = "--device cuda"


@dataclass
class Block:
    """One fenced block of a lesson: its lines (fences excluded) and where they are."""
    first_line: int          # index in the file of the line after the opening fence
    lines: list
    stand_in: str = None     # the stand-in given after the block, if any
    own_data: bool = False   # the block needs the reader's files: record runs the stand-in too

    @property
    def recorded(self):
        return self.header() is not None

    def header(self):
        return RECORDED_HEADER.match(self.lines[0].strip()) if self.lines else None

    def commands(self):
        """The shell commands of a command block: one per line, with `\\` continuations
        and `for ...; do ... done` loops joined into one."""
        commands, pending, depth = [], [], 0
        for line in self.lines:
            text = line.strip()
            if not pending and not (COMMAND_START.match(text) or SHELL_LOOP.match(text)):
                continue
            pending.append(text)
            if SHELL_LOOP.match(text):
                depth += 1
            elif text == "done" or text.startswith("done "):
                depth -= 1
            if text.endswith("\\") or depth > 0:
                continue
            commands.append("\n".join(pending))
            pending = []
        return commands


def read_blocks(text):
    """The fenced blocks of a markdown text with language none or sh, and their stand-ins."""
    lines = text.split("\n")
    blocks, i = [], 0
    while i < len(lines):
        fence = lines[i].strip()
        if not fence.startswith("```"):
            i += 1
            continue
        language = fence[3:].strip()
        end = i + 1
        while end < len(lines) and not lines[end].strip().startswith("```"):
            end += 1
        if language in ("", "sh"):
            block = Block(i + 1, lines[i + 1:end])
            after = end + 1
            while after < len(lines) and not lines[after].strip():
                after += 1
            stand_in = STAND_IN.match(lines[after].strip()) if after < len(lines) else None
            if stand_in:
                block.stand_in = stand_in.group("command")
                block.own_data = stand_in.group("kind") != "quick stand-in"
            blocks.append(block)
        i = end + 1
    return blocks


# --- the form of an output -------------------------------------------------------------

NUMBER = re.compile(r"(?<![A-Za-z_\d.])[-+]?(?:\d[\d,]*(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")
HASH = re.compile(r"\b(?=[0-9a-f]*\d)[0-9a-f]{7,40}\b")


def line_form(line):
    """A line with every number and commit hash replaced by '#', spaces collapsed."""
    return " ".join(NUMBER.sub("#", HASH.sub("#", line)).split())


def grouped_forms(lines):
    """The lines as (form, [lines]), with every run of a repeated pattern of up to four
    forms (a row per epoch; an epoch's progress lines and its summary) taken as one group
    whose form is the pattern's. A blank line has no form: it travels with the line before
    it (or, at the start, the line after it), so that a block recorded again keeps them."""
    groups, leading = [], []
    for line in lines:
        if not line.strip():
            (groups[-1][1] if groups else leading).append(line)
            continue
        groups.append((ELLIPSIS if line.strip() == ELLIPSIS else line_form(line), leading + [line]))
        leading = []
    for period in range(1, 5):
        collapsed, i = [], 0
        while i < len(groups):
            pattern = [form for form, _ in groups[i:i + period]]
            end = i + period
            while (len(pattern) == period and ELLIPSIS not in pattern
                   and [form for form, _ in groups[end:end + period]] == pattern):
                end += period
            if end > i + period:
                collapsed.append((("repeated",) + tuple(pattern),
                                  [line for _, run in groups[i:end] for line in run]))
                i = end
            else:
                collapsed.append(groups[i])
                i += 1
        groups = collapsed
    return groups


def align(recorded_lines, printed_lines):
    """Matches a recorded block (with '...' for left-out lines) against what a program
    printed, group by group. Returns, for each recorded group, the printed group it
    matches (None for '...'), or None when the forms do not match."""
    want, have = grouped_forms(recorded_lines), grouped_forms(printed_lines)
    memo = {}

    def match(i, j):  # recorded groups i.. against printed groups j..
        if (i, j) in memo:
            return memo[(i, j)]
        if i == len(want):
            result = [] if j == len(have) else None
        elif want[i][0] == ELLIPSIS:
            result = None
            for k in range(j, len(have) + 1):
                rest = match(i + 1, k)
                if rest is not None:
                    result = [None] + rest
                    break
        elif j < len(have) and want[i][0] == have[j][0]:
            rest = match(i + 1, j + 1)
            result = None if rest is None else [have[j][1]] + rest
        else:
            result = None
        memo[(i, j)] = result
        return result

    return match(0, 0)


def form_difference(recorded_lines, printed_lines):
    """Why the two do not have one form, as lines of text."""
    want = [form for form, _ in grouped_forms(recorded_lines)]
    have = [form for form, _ in grouped_forms(printed_lines)]
    report = ["recorded (numbers as #, repeated rows once):"] + ["  " + str(f) for f in want]
    report += ["printed now:"] + ["  " + str(f) for f in have]
    return report


# --- running commands ----------------------------------------------------------------

PYTHON_PREFIX = re.compile(r"^PYTHON=\S+ ")


class Workspace:
    """A scratch folder that looks like the repository's root to a lesson's commands:
    a link to every entry of the root but out/ and the build folders, `build` a link to
    the build under test, and an empty out/. So the commands run as a reader runs them,
    a rerun starts afresh, and the reader's own out/ is never touched."""

    def __init__(self, build):
        self.path = Path(tempfile.mkdtemp(prefix="alexnet-lesson-"))
        for entry in ROOT.iterdir():
            if entry.name != "out" and not entry.name.startswith("build"):
                (self.path / entry.name).symlink_to(entry)
        (self.path / "build").symlink_to(Path(build).resolve())
        (self.path / "out").mkdir()
        self.entries = set(os.listdir(self.path))

    def strays(self):
        """What the commands created beside out/, outside the repository's own entries."""
        return sorted(set(os.listdir(self.path)) - self.entries)

    def __enter__(self):
        return self

    def __exit__(self, *_):
        shutil.rmtree(self.path)  # unlinks the links, never follows them


def shell_text(command):
    """The command as bash runs it: a lesson's `PYTHON=/path/to/venv/bin/python` becomes
    the PYTHON of this environment, and `python3` the Python running this script (the
    one CMake found with NumPy)."""
    command = PYTHON_PREFIX.sub(lambda _: f"PYTHON={os.environ.get('PYTHON', 'python3')} ", command)
    return re.sub(r"(?m)^(\s*)python3 ", lambda m: m.group(1) + sys.executable + " ", command)


def torch_missing(command):
    """Why a command that needs PyTorch (it sets PYTHON) cannot run here, or None."""
    if not PYTHON_PREFIX.match(command):
        return None
    python = os.environ.get("PYTHON", "python3")
    found = subprocess.run([python, "-c", "import torch"], capture_output=True).returncode == 0
    return None if found else f"needs PyTorch: set PYTHON to a Python that has it (now {python})"


def run_shell(command, workspace, capture=True):
    """Runs a command in the workspace; captured, its standard error follows its
    standard output into one text (`result.stdout`), as a terminal shows both. As
    root (CI), Open MPI's mpirun is told twice that root may start processes, as
    chapter 17 tells a reader to do."""
    env = dict(os.environ)
    if os.geteuid() == 0:
        env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    return subprocess.run(["bash", "-c", "set -eo pipefail\n" + shell_text(command)],
                          cwd=workspace.path, text=True, env=env, stdout=subprocess.PIPE if capture else None,
                          stderr=subprocess.STDOUT if capture else None)


def without_comment(command):
    """A one-line command without its trailing `# ...` comment."""
    return re.sub(r"\s+#[^'\"]*$", "", command)


def flags(text):
    return set(re.findall(r"(?<![\w-])--[a-z][\w-]*", text))


def needs_gpu(command):
    return GPU_FLAG in command


def checkout_state():
    """Every path git reports as changed, untracked or ignored, with its content hash,
    outside out/ and the build folders: what a lesson's commands must leave alone."""
    # -z: paths as they are, not quoted (a test's hostile file name, "run\nb", must still match "build-")
    status = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "-z", "--ignored",
                             "--untracked-files=all"], text=True, capture_output=True, check=True)
    state = {}
    for line in filter(None, status.stdout.split("\0")):
        path = line[3:]
        if path.startswith(("out/", "build/", "build-")):
            continue
        file = ROOT / path
        state[line] = hashlib.sha1(file.read_bytes()).hexdigest() if file.is_file() else ""
    return state


def command_check(command):
    """A ctest line runs as a listing (-N) that must name at least one test."""
    if command.startswith("ctest "):
        return command + " -N", lambda out: re.search(r"Total Tests: [1-9]", out) is not None
    return command, None


def lesson_jobs(blocks):
    """What a lesson's test runs, in order: (block, the command shown, the command run:
    the shown one or its stand-in)."""
    for block in blocks:
        if block.recorded:
            shown = block.header().group("command")
            yield block, shown, block.stand_in or shown
        elif block.commands() and block.stand_in:
            yield block, "\n".join(block.commands()), block.stand_in
        else:
            for command in block.commands():
                yield block, command, command


def figures(readme):
    """The lesson's recorded figures: (file beside the lesson, command, what it writes in out/)."""
    return [(readme.parent / m.group("figure"), m.group("command"), m.group("output"))
            for m in FIGURE.finditer(readme.read_text())]


def run_lesson(readme, workspace, gpu):
    """Runs the commands and recorded blocks of one lesson that need a GPU (gpu) or do
    not; returns the failures and how many commands ran."""
    failures, ran = [], 0
    blocks = read_blocks(readme.read_text())
    if not blocks:
        return [f"{readme}: no command or recorded block found"], ran
    for block, shown, command in lesson_jobs(blocks):
        missing = flags(shown) - flags(command)
        if missing:
            failures.append(f"{readme}:{block.first_line}: the stand-in lacks the flags "
                            f"{' '.join(sorted(missing))} of: {shown}")
            continue
        if needs_gpu(command) != gpu:
            continue
        if torch_missing(command):
            print(f"$ {command}\nskipped: {torch_missing(command)}")
            continue
        command, accept = command_check(command)
        print(f"$ {command}", flush=True)
        result = run_shell(command, workspace)
        ran += 1
        sys.stdout.write(result.stdout[-4000:])
        if result.returncode != 0 or (accept and not accept(result.stdout)):
            failures.append(f"{readme}:{block.first_line}: failed (exit {result.returncode}): "
                            f"{command}\n{result.stdout[-2000:]}")
        elif block.recorded and align(block.lines[1:], result.stdout.splitlines()) is None:
            failures.append(f"{readme}:{block.first_line}: the recorded block no longer has "
                            f"the form of what `{shown}` prints:\n  "
                            + "\n  ".join(form_difference(block.lines[1:], result.stdout.splitlines())))
    for figure, command, output in figures(readme):
        if not gpu and not (workspace.path / output).is_file():
            failures.append(f"{readme}: {figure.name} is recorded from {output}, which `{command}` did not write")
        elif not gpu and not figure.is_file():
            failures.append(f"{readme}: the recorded figure {figure.name} is missing")
    return failures, ran


def command_run(args):
    before = checkout_state()
    failures, ran = [], 0
    with Workspace(args.build) as workspace:
        for readme in args.lessons:
            lesson_failures, lesson_ran = run_lesson(Path(readme).resolve(), workspace, args.gpu)
            failures += lesson_failures
            ran += lesson_ran
        if workspace.strays():
            failures.append("the commands wrote outside out/: " + ", ".join(workspace.strays()))
    after = checkout_state()
    if before != after:
        changed = sorted(set(before.items()) ^ set(after.items()))
        failures.append("the commands wrote outside out/ (git status before and after differ):\n  "
                        + "\n  ".join(f"{line} {digest}" for line, digest in changed))
    for failure in failures:
        print("FAILED: " + failure, file=sys.stderr)
    if failures:
        return 1
    if args.gpu and ran == 0:
        print("SKIP: no command of these lessons needs a GPU")
        return 77
    print(f"{ran} commands succeeded, every recorded block has its program's form, "
          "and nothing was written outside out/")
    return 0


# --- recording -----------------------------------------------------------------------

def this_machine():
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = " ".join(line.split(":", 1)[1].split())
                break
    except OSError:
        pass
    system = platform.system()
    try:
        release = dict(line.split("=", 1) for line in Path("/etc/os-release").read_text().split("\n") if "=" in line)
        system = release.get("PRETTY_NAME", system).strip('"').replace(" GNU/Linux", "")
    except OSError:
        pass
    return f"{os.cpu_count()}-core {model}, {system}"


def current_commit():
    changed = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", ".", ":!*.md"],
                             text=True, capture_output=True, check=True).stdout.strip()
    if changed:
        sys.exit("record: commit the code first (a recording names the commit it ran at); changed:\n" + changed)
    return subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                          text=True, capture_output=True, check=True).stdout.strip()


def gpu_log_outputs(log_text):
    """The outputs in a scripts/gpu_check.sh log: {program + arguments: (lines, gpu, commit)}.
    Each program's output there starts with "$ PATH/PROGRAM ARGS" and ends at the next
    "-- " outcome line or "== " heading."""
    gpu = re.search(r"^gpu: ([^,\n]+)", log_text, re.M)
    build = re.search(r"^build: .*?\b([0-9a-f]{7,40})\b", log_text, re.M)
    outputs, current = {}, None
    for line in log_text.splitlines():
        if line.startswith("$ "):
            current = log_key(line[2:])
            outputs[current] = []
        elif line.startswith(("-- ", "== ")):
            current = None
        elif current is not None:
            outputs[current].append(line)
    where = gpu.group(1).strip() if gpu else "an unnamed GPU"
    commit = build.group(1) if build else None
    return {key: (lines, where, commit) for key, lines in outputs.items()}


def log_key(command):
    """A command as the GPU log and a lesson both name it: the program's file name and its arguments."""
    words = command.split()
    return " ".join([Path(words[0]).name] + words[1:])


def rerecorded(block, printed, machine, commit):
    """The block's new lines: the header with machine and commit, then what was printed,
    keeping the block's '...' where its form still matches."""
    command = block.header().group("command")
    header = f"$ {command}   # recorded on {machine}, commit {commit}"
    groups = align(block.lines[1:], printed)
    if groups is None:
        print("  the form changed: the whole output replaces the old block")
        body = list(printed)
    else:
        recorded = grouped_forms(block.lines[1:])
        body = []
        for group, (_, old_lines) in zip(groups, recorded):
            body += old_lines if group is None else group  # '...' stays, with the blank lines after it
    while body and not body[-1].strip():
        body.pop()
    return [header] + body


def record_lesson(path, workspace, gpu_outputs, machine, commit, only=None):
    """Reruns a lesson's commands in order and rewrites its recorded blocks; with `only`, just the
    commands and recorded blocks whose command contains it (for those that need no other), and the
    figures they draw."""
    text = path.read_text()
    lines = text.split("\n")
    rewritten = []  # (block, new lines)
    recorded_commands = {block.header().group("command") for block in read_blocks(text) if block.recorded}
    for block in read_blocks(text):
        if only is not None and block.recorded and only not in block.header().group("command"):
            continue
        if not block.recorded:
            commands = [block.stand_in] if block.own_data else block.commands()
            for command in commands:
                if only is not None and only not in command:
                    continue
                if needs_gpu(command) or torch_missing(command) or without_comment(command) in recorded_commands:
                    continue  # the recorded block runs it (a benchmark once is enough)
                command, _ = command_check(command)
                print(f"$ {command}", flush=True)
                if run_shell(command, workspace, capture=False).returncode != 0:
                    sys.exit(f"record: `{command}` failed")
            continue
        command = block.header().group("command")
        print(f"$ {command}   (recorded block, line {block.first_line})", flush=True)
        if log_key(command) in gpu_outputs:
            printed, where, log_commit = gpu_outputs[log_key(command)]
            rewritten.append((block, rerecorded(block, printed, where, log_commit or commit)))
        elif needs_gpu(command) or torch_missing(command):
            print("  left as it is: " + (torch_missing(command) or
                  "needs a GPU (give a scripts/gpu_check.sh log that ran it with --gpu-log)"))
        else:
            result = run_shell(command, workspace)
            if result.returncode != 0:
                sys.exit(f"record: `{command}` failed (exit {result.returncode}):\n{result.stdout}")
            rewritten.append((block, rerecorded(block, result.stdout.splitlines(), machine, commit)))
    for figure, command, output in figures(path):
        written = workspace.path / output
        if only is not None and not written.is_file():
            continue  # not drawn by the commands `only` chose
        if not written.is_file():
            sys.exit(f"record: `{command}` did not write {output}, the figure {figure.name}")
        shutil.copyfile(written, figure)
        print(f"  {figure.relative_to(ROOT)}: copied from {output}")
    for block, new in reversed(rewritten):
        indent = re.match(r"\s*", lines[block.first_line - 1]).group(0)
        lines[block.first_line:block.first_line + len(block.lines)] = [(indent + line).rstrip() for line in new]
    path.write_text("\n".join(lines))


def command_record(args):
    gpu_outputs = gpu_log_outputs(Path(args.gpu_log).read_text()) if args.gpu_log else {}
    commit, machine = current_commit(), this_machine()
    with Workspace(args.build) as workspace:
        for readme in args.lessons:
            record_lesson(Path(readme).resolve(), workspace, gpu_outputs, machine, commit, args.only)
        if args.keep_out:
            shutil.copytree(workspace.path / "out", args.keep_out, dirs_exist_ok=True)
            print(f"the commands' out/ is kept in {args.keep_out}")
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="action", required=True)
    run = commands.add_parser("run", help="run every command a lesson shows and check its recorded blocks")
    run.add_argument("lessons", nargs="+", help="chapter README.md files")
    run.add_argument("--build", default="build", help="the build folder that build/ stands for")
    run.add_argument("--gpu", action="store_true",
                     help="run only the commands that need a GPU (a real or emulated one); "
                          "without it, only the others")
    record = commands.add_parser("record", help="rerun the recorded blocks' commands and rewrite the blocks")
    record.add_argument("lessons", nargs="+", help="chapter README.md files")
    record.add_argument("--build", default="build", help="the build folder that build/ stands for")
    record.add_argument("--gpu-log", help="a scripts/gpu_check.sh log: the GPU blocks' outputs")
    record.add_argument("--only", metavar="TEXT",
                        help="rerun only the commands and recorded blocks that contain TEXT, and the figures they draw")
    record.add_argument("--keep-out", metavar="DIR",
                        help="copy what the commands wrote to out/ into DIR (their logs, to read beside the blocks)")
    args = parser.parse_args()
    return command_run(args) if args.action == "run" else command_record(args)


if __name__ == "__main__":
    sys.exit(main())
