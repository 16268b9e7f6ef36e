"""Hostile and careless input (issue 11): refused clearly, promptly, in bounded memory.

The catalogue :data:`HOSTILE` extends the one of ``test_bad_inputs.py`` (same BASE, same
``#<`` line markers, same rendered form ``file:line: path: message``) with inputs built to
hurt: YAML bombs, deep nesting, control characters, tags, numbers that cannot be meant,
booleans for numbers, empty names. Then files that are not files (folders, devices,
pipes), ``extends`` to them, the calibration's messages, outputs that cannot be written,
the memory estimate, and the command line in a real process with its memory capped.
"""

from __future__ import annotations

import os
import resource
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_bad_inputs import BASE, Bad, assert_bad_file, bad, marked_line, problem_at, run_cli

import placesim as ps
import placesim.cli as cli
from placesim import PlacesimError, ScenarioError
from placesim.run.memory import check_memory, estimate
from placesim.scenario.limits import MAX_DEPTH, MAX_EXTENDS, MAX_FILE_MB_VARIABLE, MAX_VALUES

ROOT = Path(__file__).resolve().parents[1]


def billion_laughs(levels: int = 9, width: int = 9) -> str:
    """A file whose aliases repeat the one before ``width`` times, ``levels`` deep."""
    lines = ["lol0: &a0 [" + ", ".join(['"lol"'] * width) + "]"]
    lines += [f"lol{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]" for i in range(1, levels + 1)]
    return "placesim: 1\nname: laughs\n" + "\n".join(lines[:-1]) + "\n" + lines[-1] + "  #<\n"


def merge_bomb(levels: int = 40) -> str:
    """Aliases doubling through YAML merge keys (<<)."""
    lines = ["m0: &m0 {k: 1}"] + [f"m{i}: &m{i} {{<<: [*m{i - 1}, *m{i - 1}], k{i}: 1}}" for i in range(1, levels)]
    return "placesim: 1\nname: merges\n" + "\n".join(lines) + "  #<\n"


def block_nesting(levels: int) -> str:
    return "placesim: 1\nname: deep\n" + "".join(" " * i + f"k{i}:\n" for i in range(levels)) + " " * levels + "v: 1\n"


HOSTILE: dict[str, Bad] = {
    # ---- bytes and characters
    "nul-byte": Bad(bad(("name: base\n", "name: ba\x00se  #<\n")), "", ("control character", "U+0000, NUL", "column 9")),
    "escape-character": Bad(bad(("    organisation: vcs\n", "    organisation: v\x1bcs  #<\n")), "",
                            ("control character", "U+001B", "plain text")),
    "delete-character": Bad(bad(("name: base\n", "name: base\x7f  #<\n")), "", ("control character", "U+007F, DEL")),
    "c1-control-character": Bad(bad(("name: base\n", "name: \x9bbase  #<\n")), "", ("control character", "U+009B")),
    "form-feed": Bad(bad(("domains:\n  money:\n", "\x0cdomains:\n  money:\n")), "", ("control character", "form feed"),
                     line=12),  # (str.splitlines would count the form feed as a line break; YAML does not)
    # ---- YAML tags, on anything
    "python-tag-on-list": Bad(bad(("    domains: [money]\n",
                                   "    domains: !!python/object/apply:os.system [money]  #<\n")),
                              "services.advice.domains",
                              ("'!!python/object/apply:os.system' on this list is not allowed", "nothing was run")),
    "local-tag-on-mapping": Bad(bad(("    duration: {distribution: fixed, days: 0.2}",
                                     "    duration: !foo {distribution: fixed, days: 0.2}  #<")),
                                "services.ae.duration", ("'!foo' on this mapping is not allowed",)),
    "python-tag-on-scalar": Bad(bad(("    organisation: vcs\n", "    organisation: !!python/name:os.system ''  #<\n")),
                                "services.advice.organisation", ("'!!python/name:os.system'", "not allowed")),
    "str-tag": Bad(bad(("name: base\n", "name: !!str base  #<\n")), "name", ("'!!str' on this value is not allowed",)),
    "non-specific-tag": Bad(bad(("    servers: 5\n", "    servers: ! 5  #<\n")), "services.advice.servers",
                            ("YAML tag '!'", "not allowed")),
    "binary-tag": Bad(bad(("name: base\n", "name: !!binary aGVsbG8=  #<\n")), "name", ("'!!binary'",)),
    "set-tag": Bad(bad(("    domains: [money]\n", "    domains: !!set {money}  #<\n")), "services.advice.domains",
                   ("'!!set' on this mapping",)),
    "tag-on-key": Bad(bad(("    servers: 5\n", "    !!str servers: 5  #<\n")), "services.advice",
                      ("'!!str' on this key is not allowed",)),
    "tag-on-open-days": Bad(bad(("  days_per_week: 5\n", "  days_per_week: 5\n  open_days: !!python/object/apply:"
                                                          "builtins.list [[mon, tue, wed, thu, fri]]  #<\n")),
                            "int.open_days", ("on this list is not allowed",)),
    # ---- aliases, nesting, size
    "billion-laughs": Bad(billion_laughs(), "lol9[0]",
                          ("aliases expand the file to", f"more than the limit of {MAX_VALUES:,}", "*a8", "billion laughs")),
    "merge-key-bomb": Bad(merge_bomb(), "m39.<<[0]", ("aliases expand the file to", "*m38")),
    "recursive-alias-list": Bad("placesim: 1\nname: x\nloop: &a [1, *a]  #<\n", "loop[1]",
                                ("alias *a names the list or mapping it is inside",)),
    "recursive-alias-mapping": Bad("placesim: 1\nname: x\nloop: &a\n  again: *a  #<\n", "loop.again",
                                   ("contains itself",)),
    "alias-chain-too-deep": Bad("placesim: 1\n" + "".join(f"a{i}: &a{i} [*a{i - 1}]\n" if i else "a0: &a0 [0]\n"
                                                           for i in range(MAX_DEPTH + 5)) + "z: *a54  #<\n",
                                "z", ("aliases nest the file", f"more than the limit of {MAX_DEPTH}")),
    "deep-brackets": Bad("placesim: 1\nname: x\nfoo: " + "[" * 20_000 + "]" * 20_000 + "\n", "foo" + "[0]" * (MAX_DEPTH - 1),
                         (f"nested more than {MAX_DEPTH} levels deep",), line=3),
    "deep-block-nesting": Bad(block_nesting(3_000), ".".join(f"k{i}" for i in range(MAX_DEPTH)),
                              (f"nested more than {MAX_DEPTH} levels deep",), line=MAX_DEPTH + 3),
    "too-many-values": Bad("placesim: 1\nname: x\nv: [" + ",".join(["0"] * (MAX_VALUES + 10)) + "]\n",
                           f"v[{MAX_VALUES - 7}]", (f"more than {MAX_VALUES:,} values",), line=3),
    "empty-key": Bad(bad(("  ae:\n", "  '':  #<\n")), "services", ("keys must be names", "an empty name")),
    "blank-key": Bad(bad(("  north:\n    population: 1000\n", "  '   ':  #<\n    population: 1000\n")),
                     "neighbourhoods", ("keys must be names",)),
    # ---- booleans are not numbers, numbers are not booleans
    "servers-true": Bad(bad(("    servers: 5\n", "    servers: true  #<\n")), "services.advice.servers",
                        ("expected a whole number or 'unlimited'", "got true")),
    "servers-false": Bad(bad(("    servers: 5\n", "    servers: false  #<\n")), "services.advice.servers", ("got false",)),
    "staff-true": Bad(bad(("    staff: 2\n", "    staff: true  #<\n")), "services.housing.staff",
                      ("expected a number", "got true")),
    "days-per-week-true": Bad(bad(("  days_per_week: 5\n", "  days_per_week: true  #<\n")), "int.days_per_week",
                              ("expected a whole number, got true",)),
    "cohort-size-true": Bad(bad(("      north: 100\n", "      north: yes  #<\n")), "cohorts.hardship.size.north",
                            ("expected a whole number, got true",)),
    "hazard-pair-with-bool": Bad(bad(("help_seeking_per_year: [0.2, 0.6]", "help_seeking_per_year: [true, 0.6]  #<")),
                                 "cohorts.hardship.hazards.money.help_seeking_per_year[0]", ("expected a number, got true",)),
    "initial-share-bool": Bad(bad(("money: [0.6, 0.25, 0.1, 0.05]", "money: [true, 0, 0, 0]  #<")),
                              "cohorts.hardship.initial.money[0]", ("expected a number, got true",)),
    "probability-true": Bad(bad(("        probability: 0.5\n", "        probability: true  #<\n")),
                            "services.advice.referrals[0].probability", ("expected a number, got true",)),
    "huddle-one": Bad(bad(("  days_per_week: 5\n", "  days_per_week: 5\n  huddle: 1  #<\n")), "int.huddle",
                      ("expected true or false, got 1",)),
    # ---- numbers that cannot be meant
    "servers-10-to-30": Bad(bad(("    servers: 5\n", "    servers: 1000000000000000000000000000000  #<\n")),
                            "services.advice.servers", ("must be at most 10000000",)),
    "servers-hexadecimal-huge": Bad(bad(("    servers: 5\n", "    servers: 0xFFFFFFFFFFFFFFFFFFFF  #<\n")),
                                    "services.advice.servers", ("must be at most 10000000",)),
    "caseload-huge": Bad(bad(("    caseload: 10\n", "    caseload: 100000000000  #<\n")), "services.housing.caseload",
                         ("must be at most 10000000",)),
    "rate-per-day-1e308": Bad(bad(("arrivals: {rate_per_day: 2, level: 3}", "arrivals: {rate_per_day: 1.0e+308, level: 3}  #<")),
                              "services.ae.arrivals.rate_per_day", ("must be at most 1e+06", "1e+308")),
    "warmup-days-1e308": Bad(bad(("  warmup_days: 0\n", "  warmup_days: 1.0e+308  #<\n")), "time.warmup_days",
                             ("must be at most 36525",)),
    "horizon-days-huge": Bad(bad(("  horizon_days: 60\n", "  horizon_days: 100000000  #<\n")), "time.horizon_days",
                             ("must be at most 36525",)),
    "cohort-of-10-to-13": Bad(bad(("      north: 100\n", "      north: 10000000000000  #<\n")),
                              "cohorts.hardship.size.north", ("must be at most 100000000",)),
    "population-huge": Bad(bad(("    population: 1000\n  south:", "    population: 1000000000000  #<\n  south:")),
                           "neighbourhoods.north.population", ("must be at most 100000000",)),
    "onset-hazard-huge": Bad(bad(("        onset_per_year: 0.3\n", "        onset_per_year: 1.0e+9  #<\n")),
                             "cohorts.hardship.hazards.money.onset_per_year", ("must be at most 10000",)),
    "escalation-hazard-huge": Bad(bad(("help_seeking_per_year: [0.2, 0.6]", "help_seeking_per_year: [0.2, 0.6]\n"
                                       "        escalation_per_year: [1.0e+300, 0]  #<")),
                                  "cohorts.hardship.hazards.money.escalation_per_year[0]", ("must be at most 10000",)),
    "coupling-huge": Bad(bad(("cohorts:\n", "coupling:\n  money:\n    housing: 1.0e+200  #<\ncohorts:\n")),
                         "coupling.money.housing", ("must be at most 1000",)),
    "effect-multiplier-huge": Bad(bad(("      sd_days: 30\n", "      sd_days: 30\n    effect: {escalation_multiplier: 1.0e+6}  #<\n")),
                                  "services.advice.effect.escalation_multiplier", ("must be at most 1000",)),
    "money-huge": Bad(bad(("    caseload: 10\n", "    caseload: 10\n    costs: {per_day_gbp: 1.0e+20}  #<\n")),
                      "services.housing.costs.per_day_gbp", ("must be at most 1e+12",)),
    "duration-mean-huge": Bad(bad(("      mean_days: 30\n", "      mean_days: 1.0e+9  #<\n")),
                              "services.housing.duration.mean_days", ("must be at most 36525",)),
    "empirical-value-huge": Bad(bad(("    duration: {distribution: fixed, days: 0.2}",
                                     "    duration: {distribution: empirical, values_days: [1, 1.0e+12]}  #<")),
                                "services.ae.duration.values_days[1]", ("must be at most 36525",)),
    "referral-delay-huge": Bad(bad(("        probability: 0.5\n", "        probability: 0.5\n        delay_days: 1.0e+99  #<\n")),
                               "services.advice.referrals[0].delay_days", ("must be at most 36525",)),
    "schedule-rate-huge": Bad(bad(("arrivals: {rate_per_day: 2, level: 3}",
                                   "arrivals: {schedule: [{from_day: 0, rate_per_day: 1.0e+30}]}  #<")),
                              "services.ae.arrivals.schedule[0].rate_per_day", ("must be at most 1e+06",)),
    "int-fte-huge": Bad(bad(("fte: 2,", "fte: 1.0e+40,"), ("caseload: 25}", "caseload: 25}  #<")),
                        "int.workers.adviser.fte", ("must be at most 1e+06",)),
    "int-start-day-huge": Bad(bad(("      start_day: 0\n", "      start_day: 1.0e+300  #<\n")),
                              "int.neighbourhoods.north.start_day", ("must be at most 36525",)),
    "nan-in-a-pair": Bad(bad(("help_seeking_per_year: [0.2, 0.6]", "help_seeking_per_year: [.nan, 0.6]  #<")),
                         "cohorts.hardship.hazards.money.help_seeking_per_year[0]", ("not-a-number",)),
    "huge-integer-where-a-number": Bad(bad(("          probability: 0.3\n", "          probability: " + "9" * 400 + "  #<\n")),
                                       "domains.money.crisis.responses[0].probability", ("expected a number",)),
    # ---- empty names
    "service-named-empty": Bad(bad(("  ae:\n", "  \"\":  #<\n")), "services", ("keys must be names",)),
    "organisation-empty": Bad(bad(("    organisation: vcs\n", "    organisation: ''  #<\n")),
                              "services.advice.organisation", ("must not be empty",)),
    "organisation-blank": Bad(bad(("    organisation: vcs\n", "    organisation: '   '  #<\n")),
                              "services.advice.organisation", ("must not be blank",)),
    "referral-to-empty": Bad(bad(("      - to: housing\n", "      - to: ''  #<\n")), "services.advice.referrals[0].to",
                             ("must not be empty",)),
    "int-name-empty": Bad(bad(("  days_per_week: 5\n", "  days_per_week: 5\n  name: ''  #<\n")), "int.name",
                          ("must not be empty",)),
}


@pytest.mark.parametrize("case", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_input(tmp_path: Path, case: Bad) -> None:
    """Each hostile case: the message names file, line and field, within seconds."""
    start = time.perf_counter()
    assert_bad_file(tmp_path, {"bad.yaml": case.yaml}, path=case.path, words=case.words, line=case.line)
    assert time.perf_counter() - start < 15


def test_the_hostile_catalogue_is_large() -> None:
    assert len(HOSTILE) >= 40


def test_shipped_files_are_within_every_limit() -> None:
    """The bounds refuse none of the files placesim ships (scenarios, options, set-ups)."""
    from placesim.calibration.calibrate import prepare
    from placesim.calibration.setup import load_setup
    from placesim.options import load_options
    from placesim.validation import load_validation

    scenarios = [p for folder in ("scenarios", "tests/scenarios", "benchmarks/scenarios", "calibration/harlesden")
                 for p in sorted((ROOT / folder).rglob("*.yaml")) if p.name not in ("options.yaml", "setup.yaml", "truth.yaml", "validation.yaml")]
    assert len(scenarios) >= 8
    for p in scenarios:
        ps.load_scenario(p)
    load_options(ROOT / "scenarios/brent/options.yaml")
    load_validation(ROOT / "scenarios/brent/validation.yaml")
    for setup in sorted((ROOT / "calibration").glob("*/setup.yaml")):
        prepare(load_setup(setup))


# --------------------------------------------------------------------------- files that are not files


def test_a_directory_says_so(tmp_path: Path) -> None:
    folder = tmp_path / "a_directory.yaml"
    folder.mkdir()
    with pytest.raises(ScenarioError) as info:
        ps.load_scenario(folder)
    assert str(info.value) == f"{folder}: is a directory, expected a YAML file"


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom", "/dev/null"])
def test_a_device_as_the_scenario_file(device: str) -> None:
    if not Path(device).exists():
        pytest.skip(f"no {device}")
    start = time.perf_counter()
    with pytest.raises(ScenarioError) as info:
        ps.load_scenario(device)
    assert str(info.value) == f"{device}: is a device, not a regular file; expected a YAML file"
    assert time.perf_counter() - start < 5


def test_a_pipe_is_refused_without_waiting(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    with pytest.raises(ScenarioError, match="is a pipe, not a regular file"):
        ps.load_scenario(fifo)


def test_a_file_over_the_size_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MAX_FILE_MB_VARIABLE, "0.001")  # 1,000 bytes
    f = tmp_path / "big.yaml"
    f.write_text(BASE)
    with pytest.raises(ScenarioError) as info:
        ps.load_scenario(f)
    (p,) = info.value.problems
    assert (p.file, p.line) == (str(f), None)
    assert "is 0.00" in p.message and "the limit is 0.001 MB" in p.message and MAX_FILE_MB_VARIABLE in p.message
    monkeypatch.setenv(MAX_FILE_MB_VARIABLE, "1")
    assert ps.load_scenario(f).name == "base"


def test_a_bad_size_limit_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    f = tmp_path / "base.yaml"
    f.write_text(BASE)
    for value in ("lots", "-1", "0", "nan"):
        monkeypatch.setenv(MAX_FILE_MB_VARIABLE, value)
        with pytest.raises(PlacesimError, match=f"{MAX_FILE_MB_VARIABLE}=.*expected a number of megabytes"):
            ps.load_scenario(f)


def test_text_over_the_size_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MAX_FILE_MB_VARIABLE, "0.001")
    with pytest.raises(ScenarioError, match="more than the limit of 0.001 MB"):
        ps.Scenario.from_yaml(BASE)


def test_not_utf8_names_the_line(tmp_path: Path) -> None:
    f = tmp_path / "latin1.yaml"
    f.write_bytes(BASE.replace("name: base", "name: caf\xe9").encode("latin-1"))
    with pytest.raises(ScenarioError) as info:
        ps.load_scenario(f)
    (p,) = info.value.problems
    assert p.line == 2 and "not UTF-8 text" in p.message


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_an_unreadable_file(tmp_path: Path) -> None:
    f = tmp_path / "secret.yaml"
    f.write_text(BASE)
    f.chmod(0)
    with pytest.raises(ScenarioError, match="permission denied"):
        ps.load_scenario(f)


# --------------------------------------------------------------------------- extends to what is not a scenario

EXTENDS_FILE = "placesim: 1\nname: variant\nextends: {target}  #<\n"


@pytest.mark.parametrize("target, words", [
    ("/dev/zero", ("extends '/dev/zero'", "is a device, not a regular file")),
    ("/dev/urandom", ("extends '/dev/urandom'", "is a device")),
    ("/etc/passwd", ("extends '/etc/passwd', which is not a scenario file", "a single value")),
], ids=["dev-zero", "dev-urandom", "etc-passwd"])
def test_extends_to_a_system_file(tmp_path: Path, target: str, words: tuple[str, ...]) -> None:
    if not Path(target).exists():
        pytest.skip(f"no {target}")
    err = assert_bad_file(tmp_path, {"variant.yaml": EXTENDS_FILE.format(target=target)}, path="extends", words=words)
    if target == "/etc/passwd":
        first = Path(target).read_text(errors="replace").splitlines()[0]
        assert first not in str(err) and first.split(":")[0] + ":" not in str(err).replace(str(tmp_path), "")


def test_extends_to_a_name_too_long_for_the_system(tmp_path: Path) -> None:
    """Found by the random fuzz test: a path the system refuses to look up (ENAMETOOLONG) is
    the file's problem at its extends line, not an OSError."""
    assert_bad_file(tmp_path, {"variant.yaml": EXTENDS_FILE.format(target="x" * 5000)}, path="extends",
                    words=("which cannot be a file's path here", "File name too long", "..."))


def test_an_options_file_naming_a_scenario_too_long_for_the_system(tmp_path: Path) -> None:
    from toy_files import UNCERTAIN_OPTIONS, toy_options_folder

    root = toy_options_folder(tmp_path, UNCERTAIN_OPTIONS.replace("scenario: toy_siloed.yaml", "scenario: " + "y" * 5000))
    with pytest.raises(ps.ScenarioError, match="cannot be a file's path here") as exc:
        ps.load_options(root / "options.yaml")
    assert len(str(exc.value)) < 2000  # the name is cut in the message


@pytest.mark.parametrize("name, content, words", [
    ("folder", None, ("is a directory",)),
    ("binary.yaml", b"\x89PNG\r\n\x1a\n\x00\x00", ("cannot be read", "not UTF-8")),
    ("zip.yaml", b"PK\x03\x04\x14\x00\x00\x00", ("cannot be read", "control character")),
    ("latin1.yaml", "name: caf\xe9\n".encode("latin-1"), ("cannot be read", "not UTF-8")),
    ("list.yaml", b"- a\n- b\n", ("not a scenario file", "its top is a list")),
    ("empty.yaml", b"", ("not a scenario file", "empty")),
    ("text.yaml", b"password=hunter2\n", ("not a scenario file", "a single value")),
], ids=["folder", "binary", "zip", "latin1", "list", "empty", "text"])
def test_extends_to_what_is_not_a_scenario(tmp_path: Path, name: str, content: bytes | None,
                                           words: tuple[str, ...]) -> None:
    target = tmp_path / name
    if content is None:
        target.mkdir()
    else:
        target.write_bytes(content)
    err = assert_bad_file(tmp_path, {"variant.yaml": EXTENDS_FILE.format(target=name)}, path="extends", words=words)
    assert "hunter2" not in str(err)


def test_extends_to_a_pipe(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.yaml")
    assert_bad_file(tmp_path, {"variant.yaml": EXTENDS_FILE.format(target="pipe.yaml")}, path="extends",
                    words=("is a pipe",))


def test_extends_to_a_file_too_large(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MAX_FILE_MB_VARIABLE, "0.001")
    (tmp_path / "base.yaml").write_text(BASE)
    assert_bad_file(tmp_path, {"variant.yaml": EXTENDS_FILE.format(target="base.yaml")}, path="extends",
                    words=("extends", "the limit is 0.001 MB"))


def test_an_endless_extends_chain(tmp_path: Path) -> None:
    n = MAX_EXTENDS + 5
    for i in range(n):
        (tmp_path / f"f{i}.yaml").write_text(f"extends: f{i + 1}.yaml\n")
    with pytest.raises(ScenarioError) as info:
        ps.load_scenario(tmp_path / "f0.yaml")
    (p,) = info.value.problems
    assert p.path == "extends" and p.line == 1 and p.file == str(tmp_path / f"f{MAX_EXTENDS - 1}.yaml")
    assert f"more than {MAX_EXTENDS} files extend one another" in p.message


# --------------------------------------------------------------------------- options and calibration files


def test_options_file_naming_a_device(tmp_path: Path) -> None:
    text = ("placesim_options: 1\nname: x\nbase:\n  scenario: /dev/zero  #<\neconomics: {price_year: '2023/24'}\n"
            "options:\n  a: {overrides: {}}\n")
    f = tmp_path / "options.yaml"
    f.write_text(text)
    with pytest.raises(ScenarioError) as info:
        ps.load_options(f)
    assert_words_in(problem_at(info.value, f, marked_line(text), "base.scenario").message,
                    "scenario file '/dev/zero', which cannot be read", "is a device")


def test_options_file_problems_are_not_called_the_scenario(tmp_path: Path) -> None:
    f = tmp_path / "options.yaml"
    f.write_text("placesim_options: 1\nname: ''\nbase: {scenario: s.yaml}\neconomics: {}\noptions: {}\n"
                 "run: {replications: true, seed: -1}\n")
    with pytest.raises(ScenarioError) as info:
        ps.load_options(f)
    text = str(info.value)
    assert text.startswith(f"{len(info.value.problems)} problems in the options file:")
    assert "run.replications: expected a whole number, got true" in text
    assert "name: must not be empty" in text


def test_options_directory(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="is a directory, expected a YAML file"):
        ps.load_options(tmp_path)


@pytest.fixture()
def harlesden(tmp_path: Path) -> Path:
    """A copy of the Harlesden calibration (set-up, scenario, synthetic data)."""
    src = ROOT / "calibration" / "harlesden"
    for name in ("setup.yaml", "scenario.yaml", "observed_synthetic.csv"):
        (tmp_path / name).write_bytes((src / name).read_bytes())
    return tmp_path / "setup.yaml"


def test_bad_observed_csv_is_not_called_the_scenario(harlesden: Path) -> None:
    from placesim.calibration.calibrate import prepare
    from placesim.calibration.setup import load_setup

    csv = harlesden.parent / "observed_synthetic.csv"
    lines = csv.read_text().splitlines()
    rows = [i for i, line in enumerate(lines) if line and not line.startswith(("#", "period_start"))]
    for i in rows[:4]:
        lines[i] = lines[i].rsplit(",", 1)[0] + ",-5"
    csv.write_text("\n".join(lines) + "\n")
    with pytest.raises(ScenarioError) as info:
        prepare(load_setup(harlesden))
    assert str(info.value).startswith("4 problems in the observed data:")
    assert "scenario" not in str(info.value).splitlines()[0]


def test_observed_csv_with_a_nul(harlesden: Path) -> None:
    from placesim.calibration.calibrate import prepare
    from placesim.calibration.setup import load_setup

    csv = harlesden.parent / "observed_synthetic.csv"
    csv.write_bytes(csv.read_bytes().replace(b"\n", b"\n\x00", 1))
    with pytest.raises(ScenarioError) as info:
        prepare(load_setup(harlesden))
    (p,) = info.value.problems
    assert p.file == str(csv) and p.line == 2 and "U+0000, NUL" in p.message


def _periods(setup: Path, fit: str, holdout: str) -> None:
    text = setup.read_text()
    head, _, _ = text.partition("periods:")
    assert head != text, "the set-up has a periods section"
    rest = text[text.index("periods:"):].split("\n", 1)[1]
    body = "\n".join(line for line in rest.splitlines() if not line.startswith("  ") or not line.strip())
    setup.write_text(head + f"periods:\n  fit: {fit}\n  holdout: {holdout}  #<\n" + body.lstrip("\n") + "\n")


@pytest.mark.parametrize("fit, holdout", [
    ("{from: 2025-05-01, to: 2026-04-30}", "{from: 2026-03-01, to: 2026-10-31}"),
    ("{from: 0, to: 360}", "{from: 330, to: 540}"),
    ("{from: 2025-05-01, to: 2026-04-30}", "{from: 0, to: 30}"),
], ids=["dates", "day-numbers", "date-and-day"])
def test_holdout_overlapping_fit_is_refused(harlesden: Path, fit: str, holdout: str) -> None:
    from placesim.calibration.calibrate import prepare, split_periods
    from placesim.calibration.setup import load_setup

    _periods(harlesden, fit, holdout)
    setup = load_setup(harlesden)
    _, fit_scenario, obs, _ = prepare(setup)
    with pytest.raises(ScenarioError) as info:
        split_periods(setup, obs, fit_scenario)
    p = problem_at(info.value, harlesden, marked_line(harlesden.read_text()), "periods.holdout")
    assert "overlap the fitting periods" in p.message


def test_holdout_after_fit_is_accepted(harlesden: Path) -> None:
    from placesim.calibration.calibrate import prepare, split_periods
    from placesim.calibration.setup import load_setup

    _periods(harlesden, "{from: 2025-05-01, to: 2026-04-30}", "{from: 2026-05-01, to: 2027-04-30}")
    setup = load_setup(harlesden)
    _, fit_scenario, obs, _ = prepare(setup)
    fit, hold = split_periods(setup, obs, fit_scenario)
    assert fit.any() and hold.any() and not (fit & hold).any()


def test_window_from_after_to(harlesden: Path) -> None:
    from placesim.calibration.setup import load_setup

    _periods(harlesden, "{from: 2026-05-01, to: 2025-04-30}", "{from: 2027-01-01, to: 2027-02-01}")
    with pytest.raises(ScenarioError, match=r"periods\.fit\.from: from \(2026-05-01\) is after to \(2025-04-30\)"):
        load_setup(harlesden)


def test_setup_naming_a_directory_as_its_scenario(harlesden: Path) -> None:
    from placesim.calibration.calibrate import prepare
    from placesim.calibration.setup import load_setup

    (harlesden.parent / "folder.yaml").mkdir()
    text = harlesden.read_text().replace("scenario: scenario.yaml", "scenario: folder.yaml  #<", 1)
    harlesden.write_text(text)
    with pytest.raises(ScenarioError) as info:
        prepare(load_setup(harlesden))
    p = problem_at(info.value, harlesden, marked_line(text), "scenario")
    assert "scenario file 'folder.yaml', which cannot be read: is a directory" in p.message


def assert_words_in(text: str, *words: str) -> None:
    for w in words:
        assert w in text, f"{w!r} not in {text!r}"


# --------------------------------------------------------------------------- outputs checked before work


@pytest.fixture()
def good(tmp_path: Path) -> Path:
    f = tmp_path / "good.yaml"
    f.write_text(BASE)
    return f


@pytest.fixture()
def no_simulation(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record any simulation the CLI starts (there must be none)."""
    started: list[int] = []
    monkeypatch.setattr(cli, "simulate", lambda *a, **k: started.append(1))
    monkeypatch.setattr(cli, "compare_scenarios", lambda *a, **k: started.append(1))
    monkeypatch.setattr(cli, "run_options", lambda *a, **k: started.append(1))
    monkeypatch.setattr(cli, "run_calibration", lambda *a, **k: started.append(1))
    return started


@pytest.mark.parametrize("out", ["/proc/x.nc", "/sys/x.nc"])
def test_run_out_where_nothing_can_be_written(good: Path, no_simulation: list[int], out: str) -> None:
    result = run_cli("run", str(good), "--out", out, "--no-progress")
    assert result.exit_code == 2
    assert f"error: cannot write {out}:" in result.stderr
    assert no_simulation == []


def test_read_only_folder(good: Path, tmp_path: Path, no_simulation: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    """A folder the process may not write into (simulated: root may write anywhere)."""
    import tempfile

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    for command in (["run", str(good)], ["compare", str(good), str(good)]):
        result = run_cli(*command, "--out", str(tmp_path / "r.nc"), "--no-progress")
        assert result.exit_code == 2
        assert f"cannot write {tmp_path / 'r.nc'}: permission denied" in result.stderr
    result = run_cli("options", str(good), "--out", str(tmp_path / "out"), "--no-progress")
    assert result.exit_code == 2 and "permission denied" in result.stderr
    assert no_simulation == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into a read-only folder")
def test_really_read_only_folder(good: Path, tmp_path: Path, no_simulation: list[int]) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    result = run_cli("run", str(good), "--out", str(folder / "r.nc"), "--no-progress")
    assert result.exit_code == 2 and "permission denied" in result.stderr
    assert no_simulation == []


@pytest.mark.parametrize("command", ["calibrate", "options"])
def test_folder_outputs_where_nothing_can_be_written(good: Path, no_simulation: list[int], command: str) -> None:
    result = run_cli(command, str(good), "--out", "/proc/placesim-out", "--no-progress")
    assert result.exit_code == 2
    assert "error: cannot write" in result.stderr and "/proc" in result.stderr
    assert no_simulation == []


def test_out_is_a_folder(good: Path, tmp_path: Path, no_simulation: list[int]) -> None:
    result = run_cli("run", str(good), "--out", str(tmp_path), "--no-progress")
    assert result.exit_code == 2
    assert no_simulation == []


def test_report_output_where_nothing_can_be_written(tmp_path: Path) -> None:
    nc = tmp_path / "r.nc"
    nc.write_bytes(b"")
    result = run_cli("report", str(nc), "--output", "/proc/report.html")
    assert result.exit_code == 2 and "cannot write /proc/report.html" in result.stderr


def test_an_os_error_while_writing_is_a_message(good: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A disk that fills during the write: a message and exit 2, no traceback, no file left."""
    from placesim.results import Results

    def full(self, path):
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(Results, "to_netcdf", full)
    out = tmp_path / "r.nc"
    result = run_cli("run", str(good), "--out", str(out), "-r", "1", "--executor", "serial", "--no-progress")
    assert result.exit_code == 2
    assert f"error: {out}: no space left on device" in result.stderr
    assert not out.exists() and list(tmp_path.glob(".r.nc.*")) == []


def test_netcdf_writes_stay_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """io.write_netcdf never leaves a half-written file (the write goes to a temporary file)."""
    import xarray as xr

    from placesim.io import write_netcdf

    def half(self, path, **kwargs):
        Path(path).write_bytes(b"CDF half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(xr.Dataset, "to_netcdf", half)
    with pytest.raises(OSError):
        write_netcdf(xr.Dataset({"x": ("t", [1.0])}), tmp_path / "r.nc")
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- memory


def test_a_run_too_large_for_memory_is_refused_before_it_starts() -> None:
    s = ps.Scenario.from_yaml(bad(("      north: 100\n", "      north: 90000000\n")))
    start = time.perf_counter()
    with pytest.raises(PlacesimError) as info:
        ps.simulate(s, 10, 1)
    text = str(info.value)
    assert text.startswith("this run needs at least ")
    assert "90,000,100 residents" in text and "of memory available" in text and "GiB" in text
    assert time.perf_counter() - start < 5


def test_the_estimate() -> None:
    s = ps.Scenario.from_yaml(BASE)
    one = estimate({"s": s}, 1, "des", 1)
    more = estimate({"s": s}, 100, "des", 4)
    assert one.n_residents == 200 and one.residents == 200 * (720 + 20 * 2)
    assert more.outputs == 100 * one.outputs and more.total == 4 * (one.residents + one.recorders) + more.outputs
    assert estimate({"s": s}, 100, "sd", 4).residents == 0
    with pytest.raises(PlacesimError, match="more than the 1 KiB of memory available"):
        check_memory({"s": s}, 1, "des", 1, available=1024)
    assert check_memory({"s": s}, 1, "des", 1, available=10**12).total == one.total


def test_the_estimate_does_not_exceed_what_a_run_takes(tmp_path: Path) -> None:
    """The estimate is a lower bound, and a close one: a real replication of 40,000
    residents allocates at its peak at least what is estimated, and less than twice it."""
    f = tmp_path / "many.yaml"
    f.write_text(bad(("      north: 100\n", "      north: 40000\n")))
    script = (
        "import sys, tracemalloc\n"
        "import placesim as ps\n"
        "from placesim.run.memory import estimate\n"
        "s = ps.load_scenario(sys.argv[1])\n"
        "tracemalloc.start()\n"
        "ps.simulate(s, 1, 1)\n"
        "print(tracemalloc.get_traced_memory()[1], estimate({'s': s}, 1, 'des', 1).total)\n")
    out = subprocess.run([sys.executable, "-c", script, str(f)], capture_output=True, text=True, timeout=120,
                         cwd=ROOT, check=True, env={**os.environ, "PYTHONPATH": str(ROOT)}).stdout.split()
    peak, estimated = int(out[0]), int(out[1])
    assert estimated <= peak < 2 * estimated


def test_cli_refuses_too_many_replications(good: Path) -> None:
    result = run_cli("run", str(good), "-r", "1000000000")
    assert result.exit_code == 2 and "1000000000 is not in the range" in result.stderr


def test_replications_are_bounded_in_python() -> None:
    s = ps.Scenario.from_yaml(BASE)
    with pytest.raises(PlacesimError, match="from 1 to 100,000"):
        ps.simulate(s, 10**9, 1)


# --------------------------------------------------------------------------- the real command line, memory capped


def _cap_memory() -> None:  # pragma: no cover - runs in the child
    cap = 2 * 1024**3
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def test_cli_hostile_files_in_bounded_time_and_memory(tmp_path: Path) -> None:
    """The issue's cases through the real entry point, its address space capped at 2 GiB:
    each refused with file and line, exit 2, no traceback, all within seconds."""
    files = {
        "bomb.yaml": billion_laughs(),
        "brackets.yaml": "placesim: 1\nname: x\nfoo: " + "[" * 20_000 + "]" * 20_000 + "\n",
        "nested.yaml": block_nesting(3_000),
        "nul.yaml": "placesim: 1\nname: a\x00b\n",
        "zero.yaml": "placesim: 1\nextends: /dev/zero\n",
        "urandom.yaml": "placesim: 1\nextends: /dev/urandom\n",
        "tags.yaml": "placesim: 1\nname: x\nopen_days: !!python/object/apply:os.system [mon]\nfoo: !foo {a: 1}\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    big = tmp_path / "big.yaml"
    with big.open("w") as f:  # 6 MB: over the default limit of 5 MB
        f.write("placesim: 1\nname: big\ndescription: |\n")
        f.write(("  " + "x" * 98 + "\n") * 60_000)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "placesim.cli", "validate", *sorted(files), "big.yaml"],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path, preexec_fn=_cap_memory,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    elapsed = time.perf_counter() - start
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr + proc.stdout
    err = proc.stderr.replace("\n", "")
    for expected in ("bomb.yaml:12: lol9[0]: the aliases expand the file to", "brackets.yaml:3: foo[0]",
                     "nested.yaml:53: k0.k1.", "nul.yaml:2: a control character (U+0000, NUL)",
                     "zero.yaml:2: extends: extends '/dev/zero', which cannot be read: is a device",
                     "urandom.yaml:2: extends: extends '/dev/urandom'", "tags.yaml:3: open_days: the YAML tag",
                     "tags.yaml:4: foo: the YAML tag '!foo'", "big.yaml: the file is 6.06 MB; the limit is 5 MB"):
        assert expected in err, f"{expected!r} not in:\n{proc.stderr}"
    assert elapsed < 60


def test_cli_max_file_mb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MAX_FILE_MB_VARIABLE, "5")  # restored after the test (the option sets it)
    f = tmp_path / "base.yaml"
    f.write_text(BASE)
    result = run_cli("--max-file-mb", "0.001", "validate", str(f))
    assert result.exit_code == 2 and "the limit is 0.001 MB" in result.stderr
    assert run_cli("--max-file-mb", "1", "validate", str(f)).exit_code == 0


@pytest.mark.parametrize("content", [b"", b"placesim: 1\n", b"\x89HDF\r\n\x1a\n broken"], ids=["empty", "yaml", "broken-hdf"])
def test_report_of_a_file_that_is_not_results(tmp_path: Path, content: bytes) -> None:
    nc = tmp_path / "r.nc"
    nc.write_bytes(content)
    result = run_cli("report", str(nc), "--output", str(tmp_path / "r.html"))
    assert result.exit_code == 2
    assert f"{nc} is not a results file written by placesim" in result.stderr.replace("\n", "")
    assert not (tmp_path / "r.html").exists()
