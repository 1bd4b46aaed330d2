"""Malformed or hostile annotation files: one error naming the file and the line, and no file outside the dataset's
folder is ever opened."""

from __future__ import annotations

import json
import os

import pytest
from test_sources import diving, diving_template, tiny, ucf, ucf_template, write_csv  # noqa: F401

from inforates.configs import DataArguments
from inforates.data.sources import DatasetError, load_video_dataset
from inforates.data.sources.annotation_files import read_lines


def ucf_args(ucf) -> DataArguments:  # noqa: F811
    return DataArguments(dataset_source="ucf101", dataset_dir=str(ucf))


def add_line(path, line: str, first: bool = True) -> None:
    old = path.read_text()
    path.write_text(f"{line}\r\n{old}" if first else f"{old}{line}\r\n")


@pytest.mark.parametrize(
    "listing, line, message",
    [
        ("testlist01.txt", "Archery/../../../etc/passwd", r"testlist01.txt:1: 'Archery/../../../etc/passwd' lies outside"),
        ("trainlist01.txt", "Archery/v_Archery_g03_c01.avi two", r"trainlist01.txt:1: expected '<Class>/<video>.avi \[<label>\]'"),
        ("trainlist01.txt", "Archery/v_Archery_g03_c01.avi 2 extra", r"trainlist01.txt:1: expected"),
    ],
)  # fmt: skip
def test_ucf101_bad_lines_name_file_and_line(ucf, listing, line, message):  # noqa: F811
    add_line(ucf / "ucfTrainTestlist" / listing, line)
    with pytest.raises(DatasetError, match=message):
        load_video_dataset(ucf_args(ucf))


def test_ucf101_training_video_listed_again_in_test_is_a_leak(ucf):  # noqa: F811
    add_line(ucf / "ucfTrainTestlist" / "testlist01.txt", "Archery/./v_Archery_g03_c01.avi", first=False)
    with pytest.raises(DatasetError, match=r"v_Archery_g03_c01.avi is listed twice, as train .* and as test .*"
                                           r"testlist01.txt:7\)"):  # fmt: skip
        load_video_dataset(ucf_args(ucf))


def test_text_encodings_detected_or_refused_with_the_line(ucf):  # noqa: F811
    lists = ucf / "ucfTrainTestlist"
    (lists / "classInd.txt").write_bytes("1 ApplyEyeMakeup\n2 Archery\n3 Bowling\n".encode("utf-16"))  # with BOM
    assert len(load_video_dataset(ucf_args(ucf))["test"]) == 6
    (lists / "trainlist01.txt").write_bytes((lists / "trainlist01.txt").read_bytes() + b"Archery/caf\xe9.avi 2\r\n")
    with pytest.raises(
        DatasetError, match=r"trainlist01.txt:16: not UTF-8 text \(byte 0xe9\); save the file as UTF-8"
    ):
        load_video_dataset(ucf_args(ucf))
    assert read_lines(lists / "testlist01.txt", "")[0] == (1, "ApplyEyeMakeup/v_ApplyEyeMakeup_g01_c01.avi")


@pytest.mark.parametrize("listed", ["../outside.mp4", "{outside}"])
def test_manifest_paths_outside_the_root_are_refused(tmp_path, listed):
    outside = tiny(tmp_path / "outside.mp4")
    root = tmp_path / "data"
    tiny(root / "x.mp4")
    manifest = write_csv(
        root / "m.csv", [{"path": "x.mp4", "label": "a"}, {"path": listed.format(outside=outside), "label": "a"}]
    )
    with pytest.raises(DatasetError, match=r"m.csv:3: .*outside.mp4' lies outside .*data"):
        load_video_dataset(DataArguments(dataset_source="manifest", manifest_path=str(manifest)))


def test_links_leading_out_of_a_videofolder_are_refused(tmp_path):
    outside = tiny(tmp_path / "elsewhere" / "secret.mp4")
    root = tmp_path / "data"
    for split in ("train", "test"):
        tiny(root / split / "a" / "x.mp4")
    os.symlink(outside, root / "test" / "a" / "y.mp4")
    with pytest.raises(DatasetError, match=r"test/a/y.mp4: 'test/a/y.mp4' lies outside"):
        load_video_dataset(DataArguments(dataset_dir=str(root)))


def test_manifest_rows_with_more_fields_than_the_header(tmp_path):
    tiny(tmp_path / "x.mp4")
    (tmp_path / "m.csv").write_text("path,label\nx.mp4,a\nx.mp4,walking, fast\n")
    with pytest.raises(DatasetError, match=r"m.csv:3: 3 fields, but the header has 2 \(path,label\); quote values"):
        load_video_dataset(DataArguments(dataset_source="manifest", manifest_path=str(tmp_path / "m.csv")))


def test_manifest_same_video_under_two_names_in_two_splits(tmp_path):
    tiny(tmp_path / "v" / "x.mp4")
    tiny(tmp_path / "v" / "y.mp4")
    rows = [{"path": "v/x.mp4", "label": "a", "split": "train"}, {"path": "v/y.mp4", "label": "a", "split": "train"},
            {"path": "./v/../v/x.mp4", "label": "a", "split": "test"}]  # fmt: skip
    manifest = write_csv(tmp_path / "m.csv", rows)
    with pytest.raises(DatasetError, match=r"x.mp4 is listed twice, as train 'v/x.mp4' \(.*m.csv:2\) and as test "
                                           r"'./v/../v/x.mp4' \(.*m.csv:4\)"):  # fmt: skip
        load_video_dataset(DataArguments(dataset_source="manifest", manifest_path=str(manifest)))


def test_diving48_labels_beyond_its_classes_or_unseen_in_training(diving):  # noqa: F811
    (diving / "Diving48_vocab.json").unlink()
    test = json.loads((diving / "Diving48_V2_test.json").read_text())
    args = DataArguments(dataset_source="diving48", dataset_dir=str(diving))
    (diving / "Diving48_V2_test.json").write_text(json.dumps([*test, {**test[0], "label": 99}]))
    with pytest.raises(
        DatasetError, match=r"Diving48_V2_test.json: entry 3 has label 99, beyond Diving48's 48 classes"
    ):
        load_video_dataset(args)
    tiny(diving / "rgb" / "new7.mp4")
    (diving / "Diving48_V2_test.json").write_text(json.dumps([*test, {**test[0], "vid_name": "new7", "label": 7}]))
    with pytest.raises(DatasetError, match=r"test has classes that train lacks \(7\)"):
        load_video_dataset(args)
    (diving / "Diving48_V2_test.json").write_text(json.dumps([*test, {**test[0], "vid_name": "../../x"}]))
    with pytest.raises(DatasetError, match=r"Diving48_V2_test.json: entry 3: '../../x.mp4' lies outside"):
        load_video_dataset(args)
