"""The README's commands and `make help`'s targets are run, not only described.

Every shell block of the README is either run (each command as written: by `.ci/run`, or by a
test that builds its command line from the README's text) or marked in its fence as needing
what this machine does not have (```sh needs-aws, ```sh needs-docker), with the README saying
so in words. Every target `make help` lists is run by `.ci/run`, reached from one it runs, or
named below with the reason CI does not run it. A command added to the README or a target added
to the Makefile without either fails here."""

import re
import shlex
from pathlib import Path

import test_cargo_lambda

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
CI = ROOT / ".ci" / "run"
MAKEFILE = ROOT / "Makefile"

# What a shell block may need that CI does not have, by the word its fence carries.
MARKS = {"needs-aws": "an AWS account and its credentials", "needs-docker": "a Docker engine"}

# Commands a test runs, built from these very strings (see test_cargo_lambda.py).
RUN_BY_TESTS = set(test_cargo_lambda.README_COMMANDS)

# `make help` targets whose tests CI runs through another target: target -> (that target, the file).
RUN_WITHIN = {"test-mutations": ("test-infra", "tests/infra/test_mutations.py")}

# `make help` targets CI does not run, each with its reason.
NOT_RUN_IN_CI = {
    "deploy": "deploys to your AWS account (refuses to run when CI is set)",
    "fuzz": "needs the nightly toolchain (cargo +nightly fuzz), which CI's machine does not fetch",
    "bench": "measures for minutes and reports figures (BENCHMARKS.md); it checks budgets, not behaviour",
    "clean": "removes the build output and virtualenvs CI runs from",
    "fmt": "rewrites the sources; `make lint` runs its check (cargo fmt --check)",
    "build": "a release build of the binaries `make test` builds and runs in the test profile",
    "build-lambda": "the arm64 release zip; `make bench` builds and measures it",
}


def shell_blocks(text):
    """(fence info words, line number, body) of every ```sh block."""
    blocks, lines = [], text.splitlines()
    i = 0
    while i < len(lines):
        m = re.match(r"^```(sh|bash|shell|console)\b(.*)$", lines[i])
        if m:
            start, body = i + 1, []
            i += 1
            while i < len(lines) and not lines[i].startswith("```"):
                body.append(lines[i])
                i += 1
            blocks.append((m.group(2).split(), start, "\n".join(body)))
        i += 1
    return blocks


def commands(body):
    """The commands of a block as token lists: continuations joined, comments dropped."""
    joined = re.sub(r"\\\n\s*", " ", body)
    out = []
    for line in joined.splitlines():
        tokens = shlex.split(line, comments=True)
        if tokens:
            out.append(tokens)
    return out


def ci_commands():
    """.ci/run's commands; `step` (its timing wrapper) runs the rest of the line as written."""
    return [tokens[1:] if tokens[:1] == ["step"] else tokens for tokens in commands(CI.read_text())]


def run_by_ci(tokens):
    return tokens in ci_commands()


def test_every_readme_shell_command_is_run_or_marked():
    blocks = shell_blocks(README.read_text())
    assert blocks, "the README has no shell blocks: the parser is wrong"
    tested = [shlex.split(c) for c in RUN_BY_TESTS]
    unrun = []
    for words, line, body in blocks:
        unknown = [w for w in words if w not in MARKS]
        assert not unknown, f"README line {line}: unknown fence word(s) {unknown}; known: {sorted(MARKS)}"
        if words:
            continue
        for tokens in commands(body):
            if not run_by_ci(tokens) and tokens not in tested:
                unrun.append(f"README line {line}: {shlex.join(tokens)}")
    assert not unrun, ("README commands neither run by .ci/run nor by a test, nor marked "
                       f"({', '.join(MARKS)}):\n" + "\n".join(unrun))


def test_the_first_screen_commands_are_run_by_ci_in_the_readme_order():
    first = shell_blocks(README.read_text())[0]
    assert first[0] == [], "the first screen's commands are offline"
    cmds = commands(first[2])
    assert cmds == [["make", "demo"], ["make", "test"]], cmds
    ci = ci_commands()
    assert all(c in ci for c in cmds)
    assert ci.index(["make", "demo"]) < ci.index(["make", "test"]), "the README's order"


def test_a_marked_block_says_so_in_words():
    """A reader does not see fence words: the paragraph before a marked block names the need."""
    text = README.read_text()
    lines = text.splitlines()
    for words, line, _ in shell_blocks(text):
        if not words:
            continue
        before = " ".join(lines[max(0, line - 12):line - 1])
        need = {"needs-aws": "your AWS account", "needs-docker": "Docker"}[words[0]]
        assert need in before, f"README line {line}: a {words[0]} block whose text before it does not say {need}"


def help_targets():
    return re.findall(r"^([a-zA-Z_-]+):.*?## ", MAKEFILE.read_text(), re.M)


def prerequisites():
    """Each Makefile target's prerequisites (the `a: b c` lines)."""
    deps = {}
    for m in re.finditer(r"^([a-zA-Z_.$()/-]+):([^=\n#]*)", MAKEFILE.read_text(), re.M):
        deps.setdefault(m.group(1), []).extend(m.group(2).split())
    return deps


def test_every_make_help_target_is_run_by_ci_or_says_why_not():
    deps = prerequisites()
    run = {tokens[1] for tokens in ci_commands() if tokens[:1] == ["make"] and len(tokens) > 1}
    reached, todo = set(), list(run)
    while todo:
        target = todo.pop()
        if target not in reached:
            reached.add(target)
            todo.extend(deps.get(target, []))
    targets = help_targets()
    assert {"demo", "test", "preview", "invoke", "validate", "lint", "sam-validate"} <= set(targets)
    for target, (within, path) in RUN_WITHIN.items():
        rule = MAKEFILE.read_text().split(f"\n{target}:", 1)[1].split("\n\n", 1)[0]
        assert within in reached and path in rule, (target, within, rule)
        assert (ROOT / path).parent == ROOT / "tests" / "infra", f"{path} is not among test-infra's tests"
    for target in targets:
        if target in RUN_WITHIN:
            continue
        if target in NOT_RUN_IN_CI:
            assert target not in reached, f"{target} is run by CI: take it out of NOT_RUN_IN_CI"
        else:
            assert target in reached, f"make {target} is listed by make help but neither run by .ci/run nor excused"
    assert set(NOT_RUN_IN_CI) <= set(targets), "an excuse for a target make help no longer lists"
