"""Atomic writes that respect the umask, text files with byte-order marks, JSON objects, failed saves."""

import codecs
import os
import stat

import pytest
import torch

from vaelab.errors import ConfigError, RunError
from vaelab.io import read_json_mapping, read_text, save_torch, write_json, write_text


@pytest.fixture
def umask():
    old = os.umask(0o022)
    yield lambda m: os.umask(m)
    os.umask(old)


@pytest.mark.parametrize("mask,mode", [(0o022, 0o644), (0o027, 0o640), (0o002, 0o664), (0o077, 0o600)])
def test_written_files_follow_the_umask(tmp_path, umask, mask, mode):
    umask(mask)
    write_text(tmp_path / "a.txt", "x")
    write_json(tmp_path / "b.json", {"a": 1})
    save_torch(tmp_path / "c.pt", {"w": torch.zeros(2)})
    for name in ("a.txt", "b.json", "c.pt"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == mode


@pytest.mark.parametrize("bom,encoding", [(b"", "utf-8"), (codecs.BOM_UTF8, "utf-8"),
                                          (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"),
                                          (codecs.BOM_UTF32_LE, "utf-32-le")])
def test_text_with_any_byte_order_mark_reads_the_same(tmp_path, bom, encoding):
    text = "model: {name: vae}  # d\u00e9j\u00e0\n"
    (tmp_path / "c.yaml").write_bytes(bom + text.encode(encoding))
    assert read_text(tmp_path / "c.yaml") == text


def test_undecodable_text_names_the_file_and_the_byte(tmp_path):
    (tmp_path / "c.yaml").write_bytes(b"model: \xe9\n")
    with pytest.raises(ConfigError, match=r"c.yaml is not UTF-8 text \(byte 0xe9 at offset 7\); save it as UTF-8"):
        read_text(tmp_path / "c.yaml")


@pytest.mark.parametrize("content,kind", [("[1, 2]", "an array"), ('"x"', "a string"), ("3", "a number"),
                                          ("null", "null"), ("{", None)])
def test_a_json_file_must_hold_an_object(tmp_path, content, kind):
    (tmp_path / "m.json").write_text(content)
    match = f"holds {kind}, not a JSON object" if kind else "not valid JSON"
    with pytest.raises(RunError, match=match):
        read_json_mapping(tmp_path / "m.json")
    (tmp_path / "m.json").write_text('{"a": 1}')
    assert read_json_mapping(tmp_path / "m.json") == {"a": 1}


def test_a_failed_save_names_the_file_and_leaves_nothing(tmp_path, monkeypatch):
    (tmp_path / "latest.pt").write_bytes(b"old")

    def full_disk(obj, f):
        raise RuntimeError("[enforce fail at inline_container.cc:603] . unexpected pos 64 vs 0\nmore")

    monkeypatch.setattr(torch, "save", full_disk)
    with pytest.raises(RunError, match=r"cannot write .*latest.pt \(\[enforce fail.*MiB free on its disk"):
        save_torch(tmp_path / "latest.pt", {"w": 1})
    assert [p.name for p in tmp_path.iterdir()] == ["latest.pt"]
    assert (tmp_path / "latest.pt").read_bytes() == b"old"
