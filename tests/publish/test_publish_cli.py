"""The publishing commands: keychain stats, card and push --dry-run, and their one-line errors."""

from __future__ import annotations

import sys

import pytest

from keychain.cli import main
from keychain.publish.card import CARD

from .test_push import REPO, built, out  # noqa: F401  (fixtures)


def cli(monkeypatch, capsys, *args):
    monkeypatch.setattr(sys, "argv", ["keychain", *map(str, args)])
    try:
        main()
        code = 0
    except SystemExit as exited:
        code = exited.code or 0
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_stats_card_and_dry_run(out, monkeypatch, capsys):
    code, stdout, _ = cli(monkeypatch, capsys, "stats", out, "--config", "synthetic-keychain-4k")
    assert code == 0 and "synthetic-keychain-4k v1: 12 rows" in stdout and "chain_depths.png" in stdout
    assert "hotpotqa-keychain-8k v1" not in stdout
    code, stdout, _ = cli(monkeypatch, capsys, "card", out)
    assert code == 0 and (out / CARD).is_file()
    code, stdout, _ = cli(monkeypatch, capsys, "push", out, "--repo", REPO, "--dry-run")
    assert code == 0 and "dry run: nothing is sent" in stdout and "train-00000-of-00001.parquet" in stdout
    assert f"card diff against {out / CARD}:" in stdout


def read_only(monkeypatch):
    """Every write of plots and card fails as on a read-only mount (root ignores chmod)."""
    import errno

    def refuse(path, data):
        raise OSError(errno.EROFS, "Read-only file system", str(path))

    monkeypatch.setattr("keychain.check.plots.write_bytes_atomic", refuse)
    monkeypatch.setattr("keychain.publish.card.write_bytes_atomic", refuse)


def test_stats_on_a_read_only_folder_prints_its_table_and_where_plots_were_not_written(out, monkeypatch, capsys):
    read_only(monkeypatch)
    code, stdout, err = cli(monkeypatch, capsys, "stats", out, "--config", "synthetic-keychain-4k")
    assert code == 0 and err == ""
    assert "synthetic-keychain-4k v1: 12 rows" in stdout and "fill ratio" in stdout
    stats_dir = out / "synthetic-keychain-4k" / "v1" / "stats"
    assert f"plots not written: cannot write to {stats_dir} (Read-only file system); pass --plots-dir DIR" in stdout
    assert f"card not written: cannot write {out / CARD} (Read-only file system)" in stdout


def test_stats_plots_dir_writes_outside_the_folder(out, monkeypatch, capsys, tmp_path):
    before = sorted(out.rglob("*"))
    code, stdout, _ = cli(monkeypatch, capsys, "stats", out, "--plots-dir", tmp_path / "plots")
    assert code == 0 and sorted(out.rglob("*")) == before  # nothing written into OUT, the card neither
    written = sorted(p.relative_to(tmp_path / "plots").as_posix() for p in (tmp_path / "plots").rglob("*.png"))
    assert "synthetic-keychain-4k/v1/chain_depths.png" in written and len(written) == 6


def test_push_dry_run_on_a_read_only_folder_succeeds(out, monkeypatch, capsys):
    read_only(monkeypatch)
    code, stdout, err = cli(monkeypatch, capsys, "push", out, "--repo", REPO, "--dry-run")
    assert code == 0 and err == "" and "drawn when pushed" in stdout


@pytest.mark.parametrize("args, fragment", [
    (("push", "{out}", "--repo", "https://huggingface.co/someone/test", "--dry-run"), "names a model repository"),
    (("push", "{out}", "--repo", REPO, "--config", "nope", "--dry-run"), "--config nope is not a finished config"),
    (("stats", "{missing}"), "no such folder"),
    (("card", "{missing}"), "no such folder"),
])
def test_cli_bad_input_is_one_line(out, monkeypatch, capsys, args, fragment):
    args = [a.format(out=out, missing=out / "missing") for a in args]
    code, _, err = cli(monkeypatch, capsys, *args)
    lines = [line for line in err.splitlines() if line.strip()]
    assert code != 0 and len(lines) == 1 and lines[0].startswith("error: ") and fragment in lines[0], err
