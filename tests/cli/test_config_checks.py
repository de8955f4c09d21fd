"""Every configuration mistake is refused before anything runs, by ``validate`` and ``run``
alike: one ``error: ...`` line naming the key (with a "did you mean"), exit 2, no traceback,
and never the value of a secret or the contents of a file that is not a recipe."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from mmrecipe.cli import entry

REPO = Path(__file__).resolve().parents[2]
OASIS = REPO / "recipes" / "oasis.yaml"
CURATE = REPO / "recipes" / "curate-folder.yaml"

BACKEND = """name: t
input: {{format: image_folder}}
backends:
  mllm: {{type: openai, model: m, base_url: "http://127.0.0.1:9/v1", {extra}}}
ops: [{{op: image_intake, name: intake}}]
"""
STEPS = "name: t\ninput: {format: image_folder}\nops:\n  - {op: image_intake, name: intake}\n"
BOMB = (
    "name: t\n"
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    + "".join(
        f"{n}: &{n} [{', '.join(['*' + p] * 9)}]\n"
        for p, n in zip("abcdefgh", "bcdefghi", strict=True)
    )
    + "description: *i\n"
)

#: (case id, recipe file contents, extra arguments, texts the one error line must contain)
CASES: list[tuple[str, str | bytes, list[str], list[str]]] = [
    (
        "backend-typo-key",
        BACKEND.format(extra="concurency: 4"),
        [],
        ["backends.mllm.concurency", "did you mean 'concurrency'", "recipe.yaml, line 4]"],
    ),
    (
        "concurrency-abc",
        BACKEND.format(extra="concurrency: abc"),
        [],
        ["backends.mllm.concurrency"],
    ),
    ("concurrency-0", BACKEND.format(extra="concurrency: 0"), [], ["backends.mllm.concurrency"]),
    (
        "timeout-0",
        BACKEND.format(extra="timeout_s: 0"),
        [],
        ["backends.mllm.timeout_s", "greater than 0"],
    ),
    ("timeout-neg", BACKEND.format(extra="timeout_s: -1"), [], ["backends.mllm.timeout_s"]),
    (
        "backend-type-typo",
        BACKEND.format(extra="concurrency: 2").replace("openai", "openia"),
        [],
        ["backends.mllm.type", "did you mean 'openai'"],
    ),
    (
        "api-key-in-recipe",
        BACKEND.format(extra="api_key: sk-VERYSECRET"),
        [],
        ["backends.mllm.api_key", "api_key_env"],
    ),
    (
        "api-key-by-set",
        BACKEND.format(extra="concurrency: 2"),
        ["--set", "backends.mllm.api_key=sk-VERYSECRET"],
        ["backends.mllm.api_key"],
    ),
    (
        "key-pasted-as-env-name",
        BACKEND.format(extra="api_key_env: sk-VERYSECRET"),
        [],
        ["backends.mllm.api_key_env", "name of an environment variable"],
    ),
    (
        "type-switch-by-set",
        OASIS.read_text(),
        ["--set", "backends.mllm.type=transformers"],
        ["backends.mllm", "base_url", "'transformers'", "--set 'backends.mllm={type: transformers"],
    ),
    (
        "new-type-schema-by-set",
        OASIS.read_text(),
        ["--set", "backends.mllm={type: transformers, model: m, batch_size: 0}"],
        ["backends.mllm.batch_size"],
    ),
    ("ops-not-a-list", "name: t\nops: 5\n", [], ["ops", "line 2"]),
    (
        "error-in-extended-file",
        "extends: base.yaml\nname: child\n",
        [],
        ["ops[0].params", "base.yaml, line 3"],
    ),
    ("step-not-a-mapping", "name: t\nops: [5]\n", [], ["ops[0]"]),
    ("not-utf8", b"name: t\xff\xfe\nops: []\n", [], ["not a valid recipe", "UTF-8"]),
    (
        "unwritable-format",
        STEPS + "output: {formats: [image_folder]}\n",
        [],
        ["output.formats", "image_folder", "writable"],
    ),
    (
        "format-typo",
        STEPS + "output: {formats: [lava]}\n",
        [],
        ["output.formats", "did you mean 'llava'"],
    ),
    ("plugin-raises", "name: t\nplugins: [mmr_bad_plugin]\nops: []\n", [], ["plugins", "boom"]),
    ("plugin-missing", "name: t\nplugins: [mmr_no_such_plugin]\nops: []\n", [], ["plugins"]),
    (
        "unknown-op",
        "name: t\nops: [{op: image_intak}]\n",
        [],
        ["image_intak", "did you mean 'image_intake'"],
    ),
    (
        "op-param-typo",
        STEPS.replace("name: intake}", "name: intake, max_pixel: 5}"),
        [],
        ["intake", "max_pixel", "did you mean 'max_pixels'"],
    ),
    ("recipe-key-typo", STEPS + "outptu: {}\n", [], ["outptu", "did you mean 'output'"]),
    (
        "input-key-typo",
        STEPS.replace("format: image_folder", "format: image_folder, pth: x"),
        [],
        ["input.pth", "did you mean 'path'"],
    ),
    (
        "input-format-typo",
        STEPS.replace("format: image_folder", "format: image_foldr"),
        [],
        ["input.format", "did you mean 'image_folder'"],
    ),
    (
        "params-not-a-mapping",
        "name: t\nops: [{op: image_intake, params: 5}]\n",
        [],
        ["ops[0].params"],
    ),
    ("executor-range", STEPS + "executor: {shard_size: 0}\n", [], ["executor.shard_size"]),
    (
        "step-typo-by-set",
        STEPS,
        ["--set", "ops.intak.min_side=3"],
        ["intak", "did you mean 'intake'"],
    ),
    (
        "yaml-error-line-column",
        "name: t\nops:\n  - op: image_intake\n   min_side: [\n",
        [],
        ["not a valid recipe", "line 4, column"],
    ),
    ("duplicate-key", STEPS + "name: u\n", [], ["'name'", "twice"]),
    ("alias-bomb", BOMB, [], ["not a valid recipe", "aliases expand"]),
    ("huge", "name: t\ndescription: " + "x" * (2 << 20) + "\n", [], ["size limit"]),
    ("extends-non-recipe", "extends: shadow\nops: []\n", [], ["shadow is not a valid recipe"]),
    ("extends-bad-yaml", "extends: secrets.ini\nops: []\n", [], ["secrets.ini is not a valid"]),
]


def _cli(
    args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str]:
    """Run the ``mmrecipe`` entry point in this process (as the console script does)."""
    monkeypatch.setattr(sys, "argv", ["mmrecipe", *args])
    code = 0
    try:
        entry()
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, capsys.readouterr().err


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with a plugin that raises on import and two files that are not recipes."""
    (tmp_path / "mmr_bad_plugin.py").write_text("raise RuntimeError('boom')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "shadow").write_text("root:$6$SECRETHASH$abcdef:19000:0:99999:7:::\n")
    (tmp_path / "secrets.ini").write_text("[db]\npassword = SECRETHASH: {oops\n")
    (tmp_path / "base.yaml").write_text("name: base\nops:\n  - {op: image_intake, params: 5}\n")
    (tmp_path / "images").mkdir()
    Image.new("RGB", (16, 16)).save(tmp_path / "images" / "a.png")
    return tmp_path


@pytest.mark.parametrize("command", ["validate", "run"])
@pytest.mark.parametrize(("case", "text", "extra", "needles"), CASES, ids=[c[0] for c in CASES])
def test_config_error_is_one_line(
    case: str,
    text: str | bytes,
    extra: list[str],
    needles: list[str],
    command: str,
    files: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    recipe = files / "recipe.yaml"
    if isinstance(text, bytes):
        recipe.write_bytes(text)
    else:
        recipe.write_text(text)
    run_dir = files / "run"
    args = [command, str(recipe), *extra]
    if command == "run":
        args += ["-o", str(run_dir), "--input", str(files / "images"), "--quiet"]
    code, err = _cli(args, capsys, monkeypatch)
    assert code == 2, err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    assert "VERYSECRET" not in err and "SECRETHASH" not in err
    assert not run_dir.exists(), "nothing may run before the recipe is checked"


def test_input_is_a_literal_path(tmp_path: Path) -> None:
    """``--input "dir/my #1"`` reads that folder, not ``dir/my`` (no YAML parsing)."""
    folder = tmp_path / "dir" / "my #1"
    folder.mkdir(parents=True)
    for i in range(3):
        Image.new("RGB", (16 + i, 16)).save(folder / f"{i}.png")
    (tmp_path / "dir" / "my").mkdir()  # what the YAML parser would have read: empty
    run = tmp_path / "run"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mmrecipe",
            "run",
            str(CURATE),
            "--input",
            str(folder),
            "-o",
            str(run),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "kept 3" in done.stdout
    assert str(folder) in (run / "recipe.yaml").read_text()


def test_ops_with_an_unknown_name(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, err = _cli(["ops", "exact_dedupe"], capsys, monkeypatch)
    assert code == 2 and err.strip() == (
        "error: unknown op 'exact_dedupe'; did you mean 'exact_dedup'? (`mmrecipe ops` lists them)"
    )


def test_a_bad_set_value_is_echoed(
    files: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    recipe = Path(__file__).resolve().parents[2] / "recipes" / "curate-folder.yaml"
    code, err = _cli(
        ["validate", str(recipe), "--set", "ops.intake.min_side=abc"], capsys, monkeypatch
    )
    assert code == 2 and "min_side" in err and "(got 'abc')" in err, err
    code, err = _cli(
        ["validate", str(recipe), "--set", "executor.shard_size=x1"], capsys, monkeypatch
    )
    assert code == 2 and "(got 'x1')" in err, err
