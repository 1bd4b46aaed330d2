"""Every dataset layout, built here as a small real tree of encoded videos, loads into the same columns."""

from __future__ import annotations

import csv
import json
import logging
import shutil
from pathlib import Path

import datasets
import numpy as np
import pytest
from conftest import REPO_ROOT, numbered_frames, write_video

from inforates.configs import DataArguments, parse_recipe
from inforates.data.decoding import video_source
from inforates.data.skips import SkipLog
from inforates.data.sources import DatasetError, VideoRecord, carve_validation, load_video_dataset, subsample
from inforates.data.synthetic import CLASS_NAMES, generate_synthetic
from inforates.errors import RecipeError


def tiny(path: Path, num_frames: int = 3, seed: int = 0) -> Path:
    return write_video(path, numbered_frames(num_frames, 16, 16, seed=seed), fps=10.0)


def snapshot(root: Path) -> dict:
    """Every file under ``root`` with its size and modification time: loading must change none of them."""
    return {p: (p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*") if p.is_file()}


def class_of(dataset: datasets.Dataset, i: int) -> str:
    return dataset.features["label"].int2str(dataset[i]["label"])


def paths(dataset: datasets.Dataset) -> list[str]:
    return [video_source(v) for v in dataset.cast_column("video", datasets.Video(decode=False))["video"]]


def check_columns(splits: datasets.DatasetDict) -> None:
    """The contract every source keeps."""
    names = None
    ids = []
    for split, dataset in splits.items():
        assert split in ("train", "validation", "test")
        assert isinstance(dataset.features["video"], datasets.Video)
        label = dataset.features["label"]
        assert isinstance(label, datasets.ClassLabel) and label.names == sorted(label.names, key=_natural)
        names = names or label.names
        assert label.names == names
        assert dataset.features["video_id"].dtype == dataset.features["group"].dtype == "string"
        ids += list(dataset["video_id"])
    assert len(ids) == len(set(ids))


def _natural(name: str):
    return (0, int(name), "") if name.isdigit() else (1, 0, name)


# --- videofolder ------------------------------------------------------------------------------------------------
@pytest.fixture
def videofolder(tmp_path):
    root = tmp_path / "clips"
    for k, ext in enumerate([".mp4", ".avi", ".webm", ".mkv", ".mov", ".mp4"]):
        tiny(root / "train" / "jump" / f"j{k}{ext}")
        tiny(root / "train" / "run" / f"r{k}.mp4")
    for k in range(2):
        tiny(root / "test" / "jump" / f"j{k}.mp4")
        tiny(root / "test" / "run" / f"r{k}.mp4")
    (root / "train" / "run" / "notes.txt").write_text("not a video")
    return root


def test_videofolder_carves_validation_from_train_only(videofolder):
    before = snapshot(videofolder)
    args = DataArguments(dataset_dir=str(videofolder), validation_fraction=0.34)
    splits = load_video_dataset(args, seed=1)
    check_columns(splits)
    assert list(splits) == ["train", "validation", "test"]
    assert splits["train"].features["label"].names == ["jump", "run"]
    assert {len(s) for s in (splits["train"], splits["validation"], splits["test"])} == {8, 4}
    assert sorted(class_of(splits["validation"], i) for i in range(4)) == ["jump", "jump", "run", "run"]
    for split, dataset in splits.items():
        for i, path in enumerate(paths(dataset)):
            assert Path(path).parent.name == class_of(dataset, i)
            assert Path(path).parts[-3] == ("train" if split == "validation" else split)
    assert sorted(Path(p).suffix for p in paths(splits["train"]) + paths(splits["validation"])).count(".avi") == 1
    assert splits["test"][0]["video"].metadata.num_frames == 3  # decoded lazily by torchcodec
    assert list(splits["test"]["video_id"]) == [
        "test/jump/j0.mp4",
        "test/jump/j1.mp4",
        "test/run/r0.mp4",
        "test/run/r1.mp4",
    ]
    again = load_video_dataset(args, seed=1)
    assert list(again["validation"]["video_id"]) == list(splits["validation"]["video_id"])
    other = load_video_dataset(args, seed=2)
    assert sorted(list(other["train"]["video_id"]) + list(other["validation"]["video_id"])) == sorted(
        list(splits["train"]["video_id"]) + list(splits["validation"]["video_id"])
    )
    assert snapshot(videofolder) == before


def test_videofolder_val_folder_is_the_validation_split(tmp_path):
    for split in ("train", "val", "test"):
        for cls in ("a", "b"):
            tiny(tmp_path / split / cls / f"{split}_{cls}.mp4")
    splits = load_video_dataset(DataArguments(dataset_dir=str(tmp_path)))
    assert {name: len(s) for name, s in splits.items()} == {"train": 2, "validation": 2, "test": 2}


def test_videofolder_ucf_names_carry_their_group(tmp_path):
    for g in range(1, 5):
        for cls in ("Archery", "Bowling"):
            tiny(tmp_path / "train" / cls / f"v_{cls}_g{g:02d}_c01.avi")
    splits = load_video_dataset(DataArguments(dataset_dir=str(tmp_path), validation_fraction=0.25), seed=0)
    train_groups, val_groups = set(splits["train"]["group"]), set(splits["validation"]["group"])
    assert len(val_groups) == 1 and not train_groups & val_groups
    assert train_groups | val_groups == {"g01", "g02", "g03", "g04"}


@pytest.mark.parametrize(
    "layout, message",
    [
        ({}, "no train/validation/test folder"),
        ({"train/a/x.mp4": 1, "test/a/": 0}, r"test: no videos in its class folders"),
        ({"train/a/x.mp4": 1, "train/y.mp4": 1}, r"train: holds videos outside class folders \(e.g. y.mp4\)"),
        ({"train/a/x.mp4": 1, "test/b/y.mp4": 1}, r"test has classes that train lacks \(b\)"),
        ({"train/a/x.mp4": 1, "val/a/y.mp4": 1, "validation/a/z.mp4": 1}, "both val/ and validation/"),
    ],
)
def test_videofolder_bad_layouts_are_explained(tmp_path, layout, message):
    root = tmp_path / "data"
    root.mkdir()
    (root / "README.txt").write_text("user file")
    for relative, is_video in layout.items():
        if is_video:
            tiny(root / relative)
        else:
            (root / relative).mkdir(parents=True)
    before = snapshot(root)
    with pytest.raises(DatasetError, match=message) as err:
        load_video_dataset(DataArguments(dataset_dir=str(root)))
    assert str(root) in str(err.value)
    assert snapshot(root) == before


def test_missing_dataset_dir_names_the_key(tmp_path):
    with pytest.raises(ValueError, match=r"dataset_dir=.*nowhere.*folder not found"):
        load_video_dataset(DataArguments(dataset_dir=str(tmp_path / "nowhere")))
    with pytest.raises(ValueError, match="dataset_dir is not set"):
        load_video_dataset(DataArguments())


def dataset_fixtures(build, name: str, prefix: str):
    """``<prefix>_template`` (module-scoped, built once by ``build(folder)``) and ``<prefix>`` (a fresh copy of it
    for each test: some tests change it)."""

    @pytest.fixture(scope="module")
    def template(tmp_path_factory):
        return build(tmp_path_factory.mktemp(name))

    @pytest.fixture
    def copy(request, tmp_path):
        return Path(shutil.copytree(request.getfixturevalue(f"{prefix}_template"), tmp_path / name))

    return template, copy


# --- UCF-101 ----------------------------------------------------------------------------------------------------
UCF_CLASSES = ["ApplyEyeMakeup", "Archery", "Bowling"]


@pytest.fixture(scope="module")
def ucf_template(tmp_path_factory):
    """UCF-101/<Class>/v_<Class>_gXX_cYY.avi (MPEG-4 Part 2, like the release) + ucfTrainTestlist/ with CRLF lines.
    Split 1: groups 1-2 test, 3-7 train."""
    root = tmp_path_factory.mktemp("ucf")
    videos, lists = root / "UCF-101", root / "ucfTrainTestlist"
    lists.mkdir()
    train, test = [], []
    for label, cls in enumerate(UCF_CLASSES, 1):
        for g in range(1, 8):
            name = f"{cls}/v_{cls}_g{g:02d}_c01.avi"
            tiny(videos / name, seed=g)
            (test if g <= 2 else train).append(name)
            if g > 2:
                train[-1] += f" {label}"
    (lists / "classInd.txt").write_text("".join(f"{i} {c}\r\n" for i, c in enumerate(UCF_CLASSES, 1)))
    (lists / "trainlist01.txt").write_text("".join(f"{line}\r\n" for line in train))
    (lists / "testlist01.txt").write_text("".join(f"{line}\r\n" for line in test))
    return root


@pytest.fixture
def ucf(ucf_template, tmp_path):
    """A fresh copy of the UCF-101 tree for each test (some tests change it)."""
    return Path(shutil.copytree(ucf_template, tmp_path / "ucf"))


def test_ucf101_groups_never_straddle_splits(ucf):
    before = snapshot(ucf)
    for seed in (0, 1, 2):
        splits = load_video_dataset(DataArguments(dataset_source="ucf101", dataset_dir=str(ucf)), seed=seed)
        check_columns(splits)
        assert splits["train"].features["label"].names == UCF_CLASSES
        groups = {name: set(split["group"]) for name, split in splits.items()}
        assert groups["test"] == {"g01", "g02"}
        assert len(groups["validation"]) == 1  # 10 % of 5 groups -> one whole group
        assert groups["train"] | groups["validation"] == {f"g{g:02d}" for g in range(3, 8)}
        assert not groups["train"] & groups["validation"]
        for split in splits.values():
            for i, path in enumerate(paths(split)):
                assert Path(path).parent.name == class_of(split, i)
                assert split[i]["video_id"] == Path(path).stem and f"_{split[i]['group']}_" in path
        assert sorted(class_of(splits["validation"], i) for i in range(3)) == UCF_CLASSES
    assert snapshot(ucf) == before


def test_ucf101_videos_folder_itself_and_explicit_lists(ucf):
    args = DataArguments(
        dataset_source="ucf101", dataset_dir=str(ucf / "UCF-101"), annotations_path=str(ucf / "ucfTrainTestlist")
    )
    splits = load_video_dataset(args)
    assert sum(len(s) for s in splits.values()) == 21


def test_ucf101_missing_videos_are_recorded_not_fatal(ucf, caplog):
    gone = ucf / "UCF-101" / "Archery" / "v_Archery_g05_c01.avi"
    gone.rename(ucf / "elsewhere.avi")
    log = SkipLog()
    with caplog.at_level(logging.WARNING):
        splits = load_video_dataset(DataArguments(dataset_source="ucf101", dataset_dir=str(ucf)), skip_log=log)
    assert sum(len(s) for s in splits.values()) == 20
    assert [(row["path"], row["stage"]) for row in log.rows] == [(str(gone), "missing")]
    assert "1 videos listed in " + str(ucf / "ucfTrainTestlist") + " are missing" in caplog.text


@pytest.mark.parametrize(
    "listing, message",
    [
        ("testlist01.txt", r"testlist01.txt:1: class 'Yoga' is not in classInd.txt"),
        ("trainlist01.txt", r"trainlist01.txt:1: label 2 is 'Archery' in classInd.txt but the path is in Bowling/"),
    ],
)
def test_ucf101_unknown_classes_are_errors(ucf, listing, message):
    path = ucf / "ucfTrainTestlist" / listing
    extra = "Bowling/v_Bowling_g03_c02.avi 2" if listing.startswith("train") else "Yoga/v_Yoga_g01_c01.avi"
    path.write_text(f"{extra}\r\n" + path.read_text())
    with pytest.raises(DatasetError, match=message):
        load_video_dataset(DataArguments(dataset_source="ucf101", dataset_dir=str(ucf)))


def test_ucf101_without_lists_says_where_it_looked(ucf, tmp_path):
    with pytest.raises(DatasetError, match=r"classInd.txt.*set annotations_path"):
        args = DataArguments(dataset_source="ucf101", dataset_dir=str(ucf), annotations_path=str(tmp_path / "x"))
        load_video_dataset(args)
    with pytest.raises(DatasetError, match="trainlist02.txt: not found"):
        load_video_dataset(DataArguments(dataset_source="ucf101", dataset_dir=str(ucf), ucf_split=2))


# --- manifest ---------------------------------------------------------------------------------------------------
def write_csv(path: Path, rows: list[dict]) -> Path:
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_manifest_csv_with_splits_and_relative_paths(tmp_path):
    rows = []
    for k in range(4):
        for label in ("2", "10"):
            split = "train" if k < 3 else "test"
            rows.append({"path": f"videos/{label}_{k}.mp4", "label": label, "split": split})
            tiny(tmp_path / rows[-1]["path"])
    manifest = write_csv(tmp_path / "list.csv", rows)
    splits = load_video_dataset(DataArguments(dataset_source="manifest", manifest_path=str(manifest)), seed=0)
    check_columns(splits)
    assert splits["train"].features["label"].names == ["2", "10"]  # integer labels keep their order
    assert {name: len(s) for name, s in splits.items()} == {"train": 4, "validation": 2, "test": 2}
    assert list(splits["test"]["video_id"]) == ["videos/2_3.mp4", "videos/10_3.mp4"]
    for split in splits.values():
        for i, path in enumerate(paths(split)):
            assert Path(path).name.split("_")[0] == class_of(split, i) and Path(path).is_absolute()


def test_manifest_jsonl_without_split_is_all_test(tmp_path):
    lines = []
    for k, label in enumerate(["b", "a", "b"]):
        video = tiny(tmp_path / "v" / f"{k}.mp4")
        lines.append(json.dumps({"path": str(video), "label": label, "group": f"person{k % 2}"}))
    manifest = tmp_path / "eval.jsonl"
    manifest.write_text("\n".join(lines) + "\n\n")
    splits = load_video_dataset(DataArguments(dataset_source="manifest", manifest_path=str(manifest)))
    assert list(splits) == ["test"]
    assert splits["test"].features["label"].names == ["a", "b"]
    assert list(splits["test"]["group"]) == ["person0", "person1", "person0"]
    assert [class_of(splits["test"], i) for i in range(3)] == ["b", "a", "b"]


def test_manifest_paths_relative_to_dataset_dir_and_missing_rows_recorded(tmp_path):
    data = tmp_path / "data"
    tiny(data / "x.mp4")
    (tmp_path / "lists").mkdir()
    rows = [{"path": "x.mp4", "label": "a"}, {"path": "gone.mp4", "label": "a"}]
    manifest = write_csv(tmp_path / "lists" / "m.csv", rows)
    log = SkipLog()
    args = DataArguments(dataset_source="manifest", manifest_path=str(manifest), dataset_dir=str(data))
    splits = load_video_dataset(args, skip_log=log)
    assert len(splits["test"]) == 1 and [r["path"] for r in log.rows] == [str(data / "gone.mp4")]


@pytest.mark.parametrize(
    "rows, message",
    [
        ([{"file": "x.mp4", "label": "a"}], r"no path column \(it has file, label\)"),
        ([{"path": "x.mp4", "label": "a", "split": "dev"}], r"m.csv:2: split 'dev' is not train, validation or test"),
        ([{"path": "x.mp4", "label": ""}], "m.csv:2: the path or the label is empty"),
        ([{"path": "nope.mp4", "label": "a"}], r"m.csv: none of the listed videos is there; relative paths start at"),
        (
            [{"path": "x.mp4", "label": "a", "split": "train"}, {"path": "y.mp4", "label": "b", "split": "test"}],
            r"test has classes that train lacks \(b\)",
        ),
    ],
)
def test_manifest_bad_rows_are_named(tmp_path, rows, message):
    tiny(tmp_path / "x.mp4")
    tiny(tmp_path / "y.mp4")
    manifest = write_csv(tmp_path / "m.csv", rows)
    with pytest.raises(DatasetError, match=message) as err:
        load_video_dataset(DataArguments(dataset_source="manifest", manifest_path=str(manifest)))
    assert "m.csv" in str(err.value)


# --- hub (save_to_disk) -----------------------------------------------------------------------------------------
def test_hub_folder_renames_columns_aligns_labels_and_carves_validation(tmp_path):
    names = ["swim", "climb"]  # deliberately not sorted
    splits, truth = {}, {}
    for split, n in (("train", 8), ("test", 2)):
        clips = [str(tiny(tmp_path / "clips" / f"{split}{k}.mp4")) for k in range(n)]
        actions = [k % 2 for k in range(n)]
        truth.update({clip: names[action] for clip, action in zip(clips, actions)})
        features = datasets.Features({"clip": datasets.Value("string"), "action": datasets.ClassLabel(names=names)})
        splits[split] = datasets.Dataset.from_dict({"clip": clips, "action": actions}, features=features)
    datasets.DatasetDict(splits).save_to_disk(str(tmp_path / "saved"))

    saved = str(tmp_path / "saved")
    args = DataArguments(
        dataset_source="hub", dataset_name=saved, video_column="clip", label_column="action", validation_fraction=0.25
    )
    loaded = load_video_dataset(args, seed=0)
    check_columns(loaded)
    assert {name: len(s) for name, s in loaded.items()} == {"train": 6, "validation": 2, "test": 2}
    assert loaded["train"].features["label"].names == ["climb", "swim"]
    for split in loaded.values():
        for i, path in enumerate(paths(split)):
            assert class_of(split, i) == truth[path]
    assert list(loaded["test"]["video_id"]) == ["test0", "test1"] and set(loaded["test"]["group"]) == {""}
    assert loaded["test"][0]["video"].metadata.num_frames == 3


def test_hub_string_labels_and_missing_columns(tmp_path):
    clips = [str(tiny(tmp_path / f"{k}.mp4")) for k in range(3)]
    datasets.Dataset.from_dict({"video": clips, "label": ["b", "a", "b"]}).save_to_disk(str(tmp_path / "one"))
    loaded = load_video_dataset(DataArguments(dataset_source="hub", dataset_name=str(tmp_path / "one")))
    assert list(loaded) == ["test"] and loaded["test"].features["label"].names == ["a", "b"]
    assert list(loaded["test"]["label"]) == [1, 0, 1]
    with pytest.raises(DatasetError, match=r"no column 'clip' \(columns: video, label\); set video_column"):
        load_video_dataset(
            DataArguments(dataset_source="hub", dataset_name=str(tmp_path / "one"), video_column="clip")
        )


# --- groups from UCF-101 names (manifest, hub) ------------------------------------------------------------------
@pytest.fixture(scope="module")
def ucf_clips(ucf_template, tmp_path_factory):
    """``[(path, class, group)]``: three clips (c01-c03) of each class and group of the UCF-101 tree, in one folder.
    Groups g01-g02 are for test, g03-g07 for train."""
    folder = tmp_path_factory.mktemp("ucf_clips")
    clips = []
    for video in sorted((ucf_template / "UCF-101").glob("*/*.avi")):
        for c in (1, 2, 3):
            path = Path(shutil.copy(video, folder / video.name.replace("_c01", f"_c{c:02d}")))
            clips.append((path, video.parent.name, video.stem.split("_")[2]))
    return clips


def is_test_group(group: str) -> bool:
    return group in ("g01", "g02")


def no_group_warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if "have no group" in r.getMessage()]


def check_whole_groups(splits: datasets.DatasetDict, train_groups: set[str]) -> None:
    """Validation is one whole group: no group, nor class/group pair, in both train and validation."""
    check_columns(splits)
    assert set(splits["test"]["group"]) == {"g01", "g02"}
    pairs = {name: set(zip(split["label"], split["group"])) for name, split in splits.items()}
    assert not pairs["train"] & pairs["validation"]
    groups = {name: set(split["group"]) for name, split in splits.items()}
    assert len(groups["validation"]) == 1 and not groups["train"] & groups["validation"]
    assert groups["train"] | groups["validation"] == train_groups
    assert len(splits["validation"]) == 9  # 3 classes x 3 clips: 20 % of 45 training clips


@pytest.mark.parametrize("group_column", [False, True])
def test_manifest_ucf_names_give_groups_and_whole_group_validation(ucf_clips, tmp_path, caplog, group_column):
    rows = []
    for path, cls, group in ucf_clips:
        rows.append({"path": str(path), "label": cls, "split": "test" if is_test_group(group) else "train"})
        if group_column:  # an explicit group is kept, an empty one derived
            rows[-1]["group"] = "person7" if group == "g07" else ""
    manifest = write_csv(tmp_path / "clips.csv", rows)
    train_groups = {"g03", "g04", "g05", "g06", "person7" if group_column else "g07"}
    root = str(Path(ucf_clips[0][0]).parent)  # absolute paths must lie inside it
    args = DataArguments(dataset_source="manifest", manifest_path=str(manifest), validation_fraction=0.2,
                         dataset_dir=root)  # fmt: skip
    with caplog.at_level(logging.WARNING):
        for seed in (0, 1, 2):
            splits = load_video_dataset(args, seed=seed)
            check_whole_groups(splits, train_groups)
            for split in splits.values():
                for path, group in zip(paths(split), split["group"]):
                    assert group == ("person7" if group_column and "_g07_" in path else Path(path).stem.split("_")[2])
    assert not no_group_warnings(caplog)


@pytest.mark.parametrize("name_in", ["file name", "video_id"])
def test_hub_ucf_names_give_groups_and_whole_group_validation(ucf_clips, tmp_path, caplog, name_in):
    class_names = sorted({cls for _, cls, _ in ucf_clips})
    splits = {}
    for split in ("train", "test"):
        chosen = [(path, cls) for path, cls, group in ucf_clips if is_test_group(group) == (split == "test")]
        columns = {"clip": [str(path) for path, _ in chosen], "action": [class_names.index(c) for _, c in chosen]}
        if name_in == "video_id":  # files with plain names, the UCF-101 name in the video_id column
            columns["clip"] = [shutil.copy(p, tmp_path / f"{split}{k}.avi") for k, (p, _) in enumerate(chosen)]
            columns["video_id"] = [path.stem for path, _ in chosen]
        features = {"clip": datasets.Value("string"), "action": datasets.ClassLabel(names=class_names)}
        features.update({"video_id": datasets.Value("string")} if name_in == "video_id" else {})
        splits[split] = datasets.Dataset.from_dict(columns, features=datasets.Features(features))
    datasets.DatasetDict(splits).save_to_disk(str(tmp_path / "saved"))
    args = DataArguments(
        dataset_source="hub",
        dataset_name=str(tmp_path / "saved"),
        video_column="clip",
        label_column="action",
        validation_fraction=0.2,
    )
    with caplog.at_level(logging.WARNING):
        for seed in (0, 1, 2):
            loaded = load_video_dataset(args, seed=seed)
            check_whole_groups(loaded, {"g03", "g04", "g05", "g06", "g07"})
            for split in loaded.values():
                assert list(split["group"]) == [video_id.split("_")[2] for video_id in split["video_id"]]
    assert not no_group_warnings(caplog)


def manifest_of(clips, folder: Path, names: list[str], label_part: int) -> DataArguments:
    """The clips copied into ``folder`` under ``names``, in a manifest whose label is part ``label_part`` of the
    name (split on ``_``), every one in train."""
    rows = []
    for (path, _, _), name in zip(clips, names):
        shutil.copy(path, folder / name)
        rows.append({"path": name, "label": name.split("_")[label_part], "split": "train"})
    return DataArguments(dataset_source="manifest", manifest_path=str(write_csv(folder / "m.csv", rows)))


def test_ucf_like_names_without_groups_warn_once(ucf_clips, tmp_path, caplog):
    names = ["v_Archery_g03_c01.avi", "v_Archery_g04_c01_flipped.avi", "v_Bowling_g03_c01.avi", "v_Bowling_g04.avi"]
    args = manifest_of(ucf_clips, tmp_path, names, 1)
    with caplog.at_level(logging.WARNING):
        splits = load_video_dataset(args, seed=0)
    assert set(splits["train"]["group"]) | set(splits["validation"]["group"]) == {"g03", ""}
    [message] = no_group_warnings(caplog)
    assert "2 of its 4 videos have no group (e.g. v_Archery_g04_c01_flipped.avi)" in message
    assert "validation is carved per clip" in message and "add a group column" in message

    # A dataset named ucf101 whose names give no group: one warning for all its splits.
    caplog.clear()
    clips = [str(shutil.copy(path, tmp_path / f"clip{k}.avi")) for k, (path, _, _) in enumerate(ucf_clips[:4])]
    one = {"video": clips[:2], "label": ["a", "b"]}
    two = {"video": clips[2:], "label": ["a", "b"]}
    hub = datasets.DatasetDict({"train": datasets.Dataset.from_dict(one), "test": datasets.Dataset.from_dict(two)})
    hub.save_to_disk(str(tmp_path / "ucf101"))
    with caplog.at_level(logging.WARNING):
        load_video_dataset(DataArguments(dataset_source="hub", dataset_name=str(tmp_path / "ucf101")))
    [message] = no_group_warnings(caplog)
    assert "ucf101 looks like UCF-101 but 4 of its 4 videos have no group (e.g. clip0.avi)" in message


def test_other_names_without_groups_do_not_warn(ucf_clips, tmp_path, caplog):
    names = ["walk_0.avi", "v_jump_gate_climb.avi", "run_g01.avi", "run_c01.avi"]
    args = manifest_of(ucf_clips, tmp_path, names, 0)
    with caplog.at_level(logging.WARNING):
        splits = load_video_dataset(args)
        clips = [str(tmp_path / name) for name in names]
        datasets.Dataset.from_dict({"video": clips, "label": ["a", "b", "a", "b"]}).save_to_disk(str(tmp_path / "hub"))
        loaded = load_video_dataset(DataArguments(dataset_source="hub", dataset_name=str(tmp_path / "hub")))
    assert set(splits["train"]["group"]) == set(loaded["test"]["group"]) == {""}
    assert not no_group_warnings(caplog)


# --- Kinetics ---------------------------------------------------------------------------------------------------
def test_kinetics_maps_annotations_to_clips_and_reports_missing(tmp_path, caplog):
    clips, annotations = tmp_path / "k400", tmp_path / "annotations"
    annotations.mkdir()
    tables = {"train.csv": [], "validate.csv": []}
    clip_specs = [  # (label, split, folder under k400/; None: not downloaded)
        ("abseiling", "train", "train"),
        ("air drumming", "train", "train/air drumming"),
        ("abseiling", "train", "."),
        ("abseiling", "val", "val"),
        ("air drumming", "val", "val"),
        ("air drumming", "train", None),
    ]
    for k, (label, split, folder) in enumerate(clip_specs):
        youtube_id = f"yt{k}-_x"
        row = {"label": label, "youtube_id": youtube_id, "time_start": 10 * k, "time_end": 10 * k + 10, "split": split}
        tables["train.csv" if split == "train" else "validate.csv"].append(row)
        if folder is not None:
            tiny(clips / folder / f"{youtube_id}_{10 * k:06d}_{10 * k + 10:06d}.mp4")
    for name, rows in tables.items():
        write_csv(annotations / name, rows)
    before = snapshot(clips)
    log = SkipLog()
    args = DataArguments(dataset_source="kinetics", dataset_dir=str(clips), annotations_path=str(annotations))
    with caplog.at_level(logging.WARNING):
        splits = load_video_dataset(args, skip_log=log)
    check_columns(splits)
    assert {name: len(s) for name, s in splits.items()} == {"train": 3, "validation": 2}
    assert splits["train"].features["label"].names == ["abseiling", "air drumming"]
    assert list(splits["validation"]["video_id"]) == ["yt3-_x_000030_000040", "yt4-_x_000040_000050"]
    assert [class_of(splits["train"], i) for i in range(3)] == ["abseiling", "air drumming", "abseiling"]
    assert [(Path(r["path"]).name, r["stage"]) for r in log.rows] == [("yt5-_x_000050_000060", "missing")]
    assert "1 videos listed in " + str(tmp_path / "annotations") + " are missing" in caplog.text
    assert snapshot(clips) == before


def test_kinetics_rows_without_labels_are_errors(tmp_path):
    tiny(tmp_path / "clips" / "a_000000_000010.mp4")
    table = write_csv(tmp_path / "test.csv", [{"label": "", "youtube_id": "a", "time_start": 0, "time_end": 10}])
    args = DataArguments(dataset_source="kinetics", dataset_dir=str(tmp_path / "clips"), annotations_path=str(table))
    with pytest.raises(DatasetError, match=r"test.csv:2: the row lacks label"):
        load_video_dataset(args)


# --- HMDB-51 ----------------------------------------------------------------------------------------------------
HMDB_CLASSES = ["brush_hair", "cartwheel", "climb_stairs"]
# Per split plan, what each of a class's six videos is: 1 train, 2 test, 0 neither (as in the official files).
HMDB_PLANS = {1: [1, 1, 1, 1, 2, 0], 2: [2, 1, 1, 1, 1, 0], 3: [1, 1, 2, 0, 1, 1]}


def hmdb_name(cls: str, k: int) -> str:
    return f"Movie{k}_{cls}_u_nm_np1_fr_goo_{k}.avi"


def build_hmdb51(root: Path, plans: dict[int, list[int]] = HMDB_PLANS) -> Path:
    """hmdb51_org/<class>/<video>.avi (MPEG-4 Part 2, like the release) beside testTrainMulti_7030_splits/, whose
    lines end in a space as the official ones do."""
    splits = root / "testTrainMulti_7030_splits"
    splits.mkdir(parents=True)
    for c, cls in enumerate(HMDB_CLASSES):
        for k in range(6):
            tiny(root / "hmdb51_org" / cls / hmdb_name(cls, k), seed=10 * c + k)
        for plan, memberships in plans.items():
            lines = "".join(f"{hmdb_name(cls, k)} {n} \n" for k, n in enumerate(memberships))
            (splits / f"{cls}_test_split{plan}.txt").write_text(lines)
    return root


hmdb_template, hmdb = dataset_fixtures(build_hmdb51, "hmdb", "hmdb")


def hmdb_args(root: Path, **keys) -> DataArguments:
    return DataArguments(dataset_source="hmdb51", dataset_dir=str(root), **keys)


def test_hmdb51_official_split_with_validation_carved_by_film(hmdb):
    before = snapshot(hmdb)
    splits = load_video_dataset(hmdb_args(hmdb, validation_fraction=0.25), seed=0)
    check_columns(splits)
    assert {name: len(s) for name, s in splits.items()} == {"train": 9, "validation": 3, "test": 3}
    assert splits["test"].features["label"].names == HMDB_CLASSES
    assert sorted(class_of(splits["validation"], i) for i in range(3)) == HMDB_CLASSES  # one per class
    assert list(splits["test"]["video_id"]) == [Path(hmdb_name(cls, 4)).stem for cls in HMDB_CLASSES]
    held_out = set(splits["train"]["video_id"]) | set(splits["validation"]["video_id"])
    assert held_out == {Path(hmdb_name(cls, k)).stem for cls in HMDB_CLASSES for k in range(4)}  # the 0s: nowhere
    # the group is the film: Movie<k>'s clips of every class move to validation together, and only they
    assert set(splits["train"]["group"]) | set(splits["validation"]["group"]) == {f"Movie{k}" for k in range(4)}
    assert len(set(splits["validation"]["group"])) == 1
    assert not set(splits["validation"]["group"]) & set(splits["train"]["group"])
    for split in splits.values():
        for i, path in enumerate(paths(split)):
            assert Path(path).parent.name == class_of(split, i) and Path(path).is_absolute()
    assert splits["test"][0]["video"].metadata.num_frames == 3
    again = load_video_dataset(hmdb_args(hmdb, validation_fraction=0.25), seed=0)
    assert list(again["validation"]["video_id"]) == list(splits["validation"]["video_id"])
    assert snapshot(hmdb) == before


def test_hmdb_group_is_the_film():
    from inforates.data.sources.hmdb51 import hmdb_group

    assert hmdb_group("April_09_brush_hair_u_nm_np1_ba_goo_0", "brush_hair") == "April_09"
    assert hmdb_group("American_History_X_punch_u_cm_np1_fr_med_0", "punch") == "American_History_X"
    assert hmdb_group("some_clip_3", "wave") == "some_clip"  # no class in the name: the trailing number goes
    assert hmdb_group("clip", "wave") == "clip"


@pytest.mark.parametrize("plan", [1, 2, 3])
def test_hmdb51_split_plans_follow_their_files(hmdb, plan):
    splits = load_video_dataset(hmdb_args(hmdb, hmdb_split=plan, validation_fraction=0))
    for split, n in (("train", 1), ("test", 2)):
        expected = {Path(hmdb_name(c, k)).stem for c in HMDB_CLASSES for k, m in enumerate(HMDB_PLANS[plan]) if m == n}
        assert set(splits[split]["video_id"]) == expected


def test_hmdb51_videos_folder_itself_and_explicit_split_folder(hmdb, tmp_path):
    found_beside = load_video_dataset(hmdb_args(hmdb / "hmdb51_org"))
    moved = Path(shutil.move(hmdb / "testTrainMulti_7030_splits", tmp_path / "lists"))
    explicit = load_video_dataset(hmdb_args(hmdb, annotations_path=str(moved)))
    for splits in (found_beside, explicit):
        assert sum(len(s) for s in splits.values()) == 15


def test_hmdb51_missing_videos_are_recorded_not_fatal(hmdb, caplog):
    gone = hmdb / "hmdb51_org" / "cartwheel" / hmdb_name("cartwheel", 2)
    gone.unlink()
    (hmdb / "hmdb51_org" / "cartwheel" / hmdb_name("cartwheel", 5)).unlink()  # a 0: not missing, not used
    log = SkipLog()
    with caplog.at_level(logging.WARNING):
        splits = load_video_dataset(hmdb_args(hmdb), skip_log=log)
    assert sum(len(s) for s in splits.values()) == 14
    assert [(row["path"], row["stage"]) for row in log.rows] == [(str(gone), "missing")]
    assert "testTrainMulti_7030_splits are missing" in caplog.text


def test_hmdb51_layout_mistakes_are_one_line(hmdb, tmp_path):
    def error(args) -> str:
        with pytest.raises(DatasetError) as err:
            load_video_dataset(args)
        assert "\n" not in str(err.value)
        return str(err.value)

    assert "no <class>_test_split2.txt files" in error(hmdb_args(hmdb, hmdb_split=2, annotations_path=str(tmp_path)))
    bad = hmdb / "testTrainMulti_7030_splits" / "cartwheel_test_split1.txt"
    bad.write_text(bad.read_text() + "extra.avi 3\n")
    assert f"{bad}:7: expected '<video>.avi <0|1|2>', got 'extra.avi 3'" in error(hmdb_args(hmdb))
    shutil.rmtree(hmdb / "testTrainMulti_7030_splits")
    message = error(hmdb_args(hmdb))
    assert "HMDB-51 split files not found" in message and "set annotations_path" in message
    assert str(hmdb / "testTrainMulti_7030_splits") in message
    with pytest.raises(RecipeError, match=r"hmdb_split=4: HMDB-51 has splits 1, 2 and 3"):
        hmdb_args(hmdb, hmdb_split=4)


# --- Something-Something V2 -------------------------------------------------------------------------------------
SSV2_CLASSES = [  # labels.json's id order, deliberately not sorted
    "Pushing something from left to right",
    "Holding something next to something",
    "Putting something on something",
]
SSV2_TEMPLATES = [
    "Pushing [something] from left to right",
    "Holding [something] next to [something]",
    "Putting [something] on [something]",
]


def build_ssv2(root: Path, train_per_class: int = 4, prefix: str = "") -> Path:
    """20bn-something-something-v2/<id>.webm (VP9, like the release) and labels/{labels,train,validation,test}.json.
    Ids: train 1000 + 10 * class + k, validation 2000 + class, test (unlabelled) 3000."""
    videos, labels = root / "20bn-something-something-v2", root / "labels"
    labels.mkdir(parents=True)
    train, validation = [], []
    for c, template in enumerate(SSV2_TEMPLATES):
        things = ["a pen", "a cup"][: template.count("[")]
        for k in range(train_per_class):
            train.append({"id": str(1000 + 10 * c + k), "label": "x", "template": template, "placeholders": things})
        validation.append({"id": str(2000 + c), "label": "x", "template": template, "placeholders": things})
    for entry in train + validation + [{"id": "3000"}]:
        tiny(videos / f"{entry['id']}.webm", seed=int(entry["id"]))
    (labels / f"{prefix}labels.json").write_text(json.dumps({name: str(i) for i, name in enumerate(SSV2_CLASSES)}))
    (labels / f"{prefix}train.json").write_text(json.dumps(train))
    (labels / f"{prefix}validation.json").write_text(json.dumps(validation))
    (labels / f"{prefix}test.json").write_text(json.dumps([{"id": "3000"}]))
    return root


ssv2_template, ssv2 = dataset_fixtures(build_ssv2, "ssv2", "ssv2")


def ssv2_args(root: Path, **keys) -> DataArguments:
    return DataArguments(dataset_source="ssv2", dataset_dir=str(root), **keys)


def test_ssv2_classes_from_templates_official_validation_is_test(ssv2, caplog):
    before = snapshot(ssv2)
    with caplog.at_level(logging.INFO, logger="inforates"):  # an earlier run may have set its level
        splits = load_video_dataset(ssv2_args(ssv2, validation_fraction=0.25), seed=0)
    assert {name: len(s) for name, s in splits.items()} == {"train": 9, "validation": 3, "test": 3}
    for split in splits.values():
        assert split.features["label"].names == SSV2_CLASSES  # labels.json's id order, the same in every split
    assert list(splits["test"]["video_id"]) == ["2000", "2001", "2002"]
    assert [class_of(splits["test"], i) for i in range(3)] == SSV2_CLASSES
    assert sorted(class_of(splits["validation"], i) for i in range(3)) == sorted(SSV2_CLASSES)
    ids = [v for s in splits.values() for v in s["video_id"]]
    assert len(ids) == len(set(ids)) == 15 and "3000" not in ids
    truth = {str(1000 + 10 * c + k): name for c, name in enumerate(SSV2_CLASSES) for k in range(4)}
    truth.update({str(2000 + c): name for c, name in enumerate(SSV2_CLASSES)})
    for split in splits.values():
        for i, (video_id, path) in enumerate(zip(split["video_id"], paths(split))):
            assert Path(path).name == f"{video_id}.webm" and class_of(split, i) == truth[video_id]
    assert splits["test"][0]["video"].metadata.num_frames == 3
    assert "test.json has no labels and is not used" in caplog.text
    assert snapshot(ssv2) == before


def test_ssv2_flip_is_off_by_default():
    assert DataArguments(dataset_source="ssv2").horizontal_flip is False
    assert DataArguments(dataset_source="ssv2", horizontal_flip=True).horizontal_flip is True
    assert DataArguments(dataset_source="hmdb51").horizontal_flip is True


def test_ssv2_videos_folder_itself_older_names_and_mixed_case(tmp_path):
    root = build_ssv2(tmp_path / "old", train_per_class=2, prefix="something-something-v2-")
    train = root / "labels" / "something-something-v2-train.json"
    entries = json.loads(train.read_text())
    entries[0]["template"] = "Pushing [Something] from left to right"
    train.write_text(json.dumps(entries))
    (root / "20bn-something-something-v2" / "2000.webm").unlink()  # re-encoded: used when the .webm is absent
    tiny(root / "20bn-something-something-v2" / "2000.mp4")
    tiny(root / "20bn-something-something-v2" / "2001.mp4")  # beside its .webm: the release's file wins
    splits = load_video_dataset(ssv2_args(root / "20bn-something-something-v2"), seed=0)  # labels/ found beside it
    assert [Path(p).name for p in paths(splits["test"])] == ["2000.mp4", "2001.webm", "2002.webm"]
    assert {name: len(s) for name, s in splits.items()} == {"train": 3, "validation": 3, "test": 3}
    classes = {video_id: class_of(s, i) for s in splits.values() for i, video_id in enumerate(s["video_id"])}
    assert classes["1000"] == SSV2_CLASSES[0] and classes["1011"] == SSV2_CLASSES[1]


def test_ssv2_missing_videos_are_recorded_not_fatal(ssv2):
    gone = ssv2 / "20bn-something-something-v2" / "2001.webm"
    gone.unlink()
    log = SkipLog()
    splits = load_video_dataset(ssv2_args(ssv2), skip_log=log)
    assert len(splits["test"]) == 2
    assert [(row["path"], row["stage"]) for row in log.rows] == [(str(gone), "missing")]


def test_ssv2_annotation_mistakes_are_one_line(ssv2, tmp_path):
    def error(args) -> str:
        with pytest.raises(DatasetError) as err:
            load_video_dataset(args)
        assert "\n" not in str(err.value)
        return str(err.value)

    labels = ssv2 / "labels"
    train = json.loads((labels / "train.json").read_text())
    (labels / "train.json").write_text(json.dumps(train + [{"id": "1999", "template": "Tearing [something]"}]))
    message = error(ssv2_args(ssv2))
    assert "train.json: video 1999 has template 'Tearing [something]'" in message
    assert "'Tearing something' is not a class of labels.json" in message
    (labels / "train.json").write_text(json.dumps(train))
    (labels / "validation.json").unlink()
    message = error(ssv2_args(ssv2))
    assert f"{labels / 'validation.json'}: not found; set annotations_path" in message
    message = error(ssv2_args(ssv2, annotations_path=str(tmp_path)))
    assert f"SSv2 labels.json not found (looked in {tmp_path})" in message
    (labels / "labels.json").write_text('{"Moving something": "3"}')
    assert "class ids are not 0..0" in error(ssv2_args(ssv2))


# --- Diving48 ---------------------------------------------------------------------------------------------------
DIVING_VOCAB = [
    ["Back", "15som", "05Twis", "FREE"],
    ["Back", "15som", "15Twis", "FREE"],
    ["Forward", "25som", "NoTwis", "PIKE"],
]


def build_diving48(root: Path, vocab: bool = True) -> Path:
    """rgb/<vid_name>.mp4 and Diving48_V2_{train,test}.json (+ Diving48_vocab.json): labels 0-2, four train clips
    and one test clip each."""
    entries = {"train": [], "test": []}
    for label in range(3):
        for k in range(5):
            split = "test" if k == 4 else "train"
            name = f"yt{label}{k}_{k * 100:05d}"
            entries[split].append({"vid_name": name, "label": label, "start_frame": 0, "end_frame": 3})
            tiny(root / "rgb" / f"{name}.mp4", seed=10 * label + k)
    for split, rows in entries.items():
        (root / f"Diving48_V2_{split}.json").write_text(json.dumps(rows))
    if vocab:
        (root / "Diving48_vocab.json").write_text(json.dumps(DIVING_VOCAB))
    return root


diving_template, diving = dataset_fixtures(build_diving48, "diving48", "diving")


def test_diving48_vocabulary_names_classes_in_label_order(diving):
    before = snapshot(diving)
    args = DataArguments(dataset_source="diving48", dataset_dir=str(diving), validation_fraction=0.25)
    splits = load_video_dataset(args, seed=0)
    assert {name: len(s) for name, s in splits.items()} == {"train": 9, "validation": 3, "test": 3}
    names = [" ".join(v) for v in DIVING_VOCAB]
    assert splits["train"].features["label"].names == names == splits["test"].features["label"].names
    assert list(splits["test"]["label"]) == [0, 1, 2]
    assert list(splits["test"]["video_id"]) == ["yt04_00400", "yt14_00400", "yt24_00400"]
    for split in splits.values():
        for video_id, label, path in zip(split["video_id"], split["label"], paths(split)):
            assert int(video_id[2]) == label and Path(path) == diving / "rgb" / f"{video_id}.mp4"
    assert snapshot(diving) == before


def test_diving48_without_vocabulary_and_its_mistakes(diving):
    (diving / "Diving48_vocab.json").unlink()
    gone = diving / "rgb" / "yt13_00300.mp4"
    gone.unlink()
    log = SkipLog()
    splits = load_video_dataset(
        DataArguments(dataset_source="diving48", dataset_dir=str(diving / "rgb")), skip_log=log
    )
    assert splits["train"].features["label"].names == ["0", "1", "2"]
    assert sum(len(s) for s in splits.values()) == 14 and [r["path"] for r in log.rows] == [str(gone)]
    (diving / "Diving48_vocab.json").write_text(json.dumps(DIVING_VOCAB[:2]))
    with pytest.raises(
        DatasetError, match=r"Diving48_V2_train.json: entry 8 has label 2, beyond the 2 classes of Diving48_vocab.json"
    ):
        load_video_dataset(DataArguments(dataset_source="diving48", dataset_dir=str(diving)))
    (diving / "Diving48_V2_test.json").unlink()
    with pytest.raises(DatasetError, match=r"Diving48_V2_test.json: not found; set annotations_path"):
        load_video_dataset(DataArguments(dataset_source="diving48", dataset_dir=str(diving)))


def test_new_recipes_parse_with_their_sources():
    cpu_only = [] if torch_cuda() else ["--use_cpu", "true"]
    expected = {
        "recipes/videomae/hmdb51.yaml": ("hmdb51", True),
        "recipes/timesformer/hmdb51.yaml": ("hmdb51", True),
        "recipes/vivit/hmdb51.yaml": ("hmdb51", True),
        "recipes/videomae/ssv2.yaml": ("ssv2", False),
        "recipes/videomae/diving48.yaml": ("diving48", True),
    }
    for path, (source, flip) in expected.items():
        recipe = parse_recipe(["--config", str(REPO_ROOT / path), *cpu_only])
        assert (recipe.data.dataset_source, recipe.data.horizontal_flip) == (source, flip), path
    assert parse_recipe(["--config", str(REPO_ROOT / "recipes/videomae/hmdb51.yaml"), *cpu_only]).data.hmdb_split == 1


def torch_cuda() -> bool:
    import torch

    return torch.cuda.is_available()


# --- synthetic --------------------------------------------------------------------------------------------------
def test_synthetic_source_adds_frequency_columns(tmp_path):
    root = generate_synthetic(
        tmp_path / "synth", num_frames=8, fps=8.0, size=16, videos_per_class={"train": 2, "validation": 1, "test": 1}
    )
    splits = load_video_dataset(DataArguments(dataset_source="synthetic", dataset_dir=str(root)))
    check_columns(splits)
    assert splits["train"].features["label"].names == sorted(CLASS_NAMES)
    assert {name: len(s) for name, s in splits.items()} == {"train": 12, "validation": 6, "test": 6}
    with open(root / "metadata.csv", newline="") as f:
        metadata = {row["video_id"]: row for row in csv.DictReader(f)}
    for name, split in splits.items():
        for i in range(len(split)):
            row = {k: v for k, v in split[i].items() if k != "video"}
            expected = metadata[row["video_id"]]
            assert (name, class_of(split, i)) == (expected["split"], expected["class"])
            assert row["f_hz"] == float(expected["f_hz"]) and row["fps"] == 8.0
            assert f"{row['shape']}_{row['direction']}" == expected["class"]


def test_synthetic_source_generates_when_missing(tmp_path):
    args = DataArguments(dataset_source="synthetic", dataset_dir=str(tmp_path / "new"), synth_scale=0.02, synth_seed=4)
    splits = load_video_dataset(args)
    assert {name: len(s) for name, s in splits.items()} == {"train": 6, "validation": 6, "test": 6}
    assert (tmp_path / "new" / "synthetic.json").is_file()


# --- subsets ----------------------------------------------------------------------------------------------------
def labelled(counts: list[int]) -> datasets.Dataset:
    labels = [c for c, n in enumerate(counts) for _ in range(n)]
    names = [f"c{i}" for i in range(len(counts))]
    features = datasets.Features({"label": datasets.ClassLabel(names=names), "row": datasets.Value("int64")})
    return datasets.Dataset.from_dict({"label": labels, "row": list(range(len(labels)))}, features=features)


def test_subsample_is_seeded_stratified_and_ordered():
    data = labelled([60, 30, 9, 1])
    subset = subsample(data, 20, seed=3)
    counts = np.bincount(list(subset["label"]), minlength=4)
    # shares 12, 6, 1.8, 0.2 -> largest remainder 12, 6, 2, 0 -> the empty class takes one from the largest
    assert counts.tolist() == [11, 6, 2, 1]
    assert list(subset["row"]) == sorted(subset["row"])
    assert list(subsample(data, 20, seed=3)["row"]) == list(subset["row"])
    assert list(subsample(data, 20, seed=4)["row"]) != list(subset["row"])
    assert subsample(data, 500, seed=0) is data and subsample(data, None) is data
    assert np.bincount(list(subsample(data, 2, seed=0)["label"]), minlength=4).tolist() == [1, 1, 0, 0]
    with pytest.raises(ValueError, match="n must be an integer >= 1"):
        subsample(data, 0)


def test_max_videos_apply_to_train_and_validation(videofolder):
    args = DataArguments(dataset_dir=str(videofolder), max_train_videos=4, max_validation_videos=2)
    splits = load_video_dataset(args, seed=0)
    assert {name: len(s) for name, s in splits.items()} == {"train": 4, "validation": 2, "test": 4}
    assert sorted(np.bincount(list(splits["train"]["label"])).tolist()) == [2, 2]


def test_carve_validation_by_group_keeps_every_group_whole():
    records = [VideoRecord(f"{g}{k}", f"c{k % 3}", "train", f"{g}{k}", f"g{g}") for g in range(10) for k in range(6)]
    records += [VideoRecord("t", "c0", "test", "t", "g0")]
    carve_validation(records, 0.2, seed=5)
    held = {r.group for r in records if r.split == "validation"}
    assert len(held) == 2 and not held & {r.group for r in records if r.split == "train"}
    assert records[-1].split == "test"


def test_every_registered_source_has_its_module_and_its_docs():
    """What README's "Extending" says a source takes: a module with load(), a registry entry, a docs section."""
    import importlib
    import inspect

    from inforates.configs import DATASET_SOURCES
    from inforates.data.sources import SOURCES

    docs = (REPO_ROOT / "docs" / "data.md").read_text()
    assert DATASET_SOURCES == tuple(SOURCES)
    for name in SOURCES:
        load = importlib.import_module(f"inforates.data.sources.{name}").load
        assert list(inspect.signature(load).parameters) == ["data_args", "seed", "skip_log"], name
        assert f"## `{name}`" in docs, f"docs/data.md has no section for the {name} source"


def test_diving48_clips_are_cut_to_their_annotated_frames_in_training_and_evaluation(tmp_path):
    from conftest import frame_number

    from inforates.data.collator import VideoCollator
    from inforates.data.processor import ProcessorSettings
    from inforates.evaluation.grid import GridCollator
    from inforates.evaluation.videos import eval_videos
    from inforates.sampling import SamplingVariant

    total = 60
    entries = {"train": [], "test": []}
    for label in range(2):
        for k, split in enumerate(("train", "train", "test")):
            name = f"d{label}{k}"
            window = {"start_frame": 20, "end_frame": 44} if k != 1 else {"start_frame": 0, "end_frame": 500}
            entries[split].append({"vid_name": name, "label": label, **window})
            write_video(tmp_path / "rgb" / f"{name}.mp4", numbered_frames(total, 32, 32, seed=k), fps=10.0)
    for split, rows in entries.items():
        (tmp_path / f"Diving48_V2_{split}.json").write_text(json.dumps(rows))
    splits = load_video_dataset(DataArguments(dataset_source="diving48", dataset_dir=str(tmp_path)), seed=0)
    rows = list(splits["train"]) + list(splits["validation"]) + list(splits["test"])
    assert {(r["video_id"], r["start_frame"], r["end_frame"]) for r in rows} >= {("d00", 20, 44), ("d01", 0, 500)}

    identity = ProcessorSettings(image_mean=0.0, image_std=1.0, shortest_edge=None, crop_size=None, rescale_factor=1)
    collator = VideoCollator(identity, 8, SamplingVariant(coverage=100, stride=1), train=True, clips_per_video=4,
                             random_resized_crop=False, horizontal_flip=False)  # fmt: skip
    for row in rows:
        batch = collator([row])["pixel_values"]
        seen = {frame_number(frame.numpy(), total) for clip in batch for frame in clip}
        low, high = (20, 43) if row["start_frame"] == 20 else (0, total - 1)  # an end past the video: its last frame
        assert low <= min(seen) and max(seen) <= high, (row["video_id"], sorted(seen))

    videos = eval_videos(splits["test"])
    assert videos.segments(0, len(videos)) == [(20, 24), (20, 24)]
    grid = GridCollator([SamplingVariant(coverage=100, stride=1), SamplingVariant(coverage=50, stride=2)], 8,
                        identity, seed=0)  # fmt: skip
    clips, frames, _ = grid.video_clips(videos.values(0, 1)[0], videos.table["video_id"][0], videos.segments(0, 1)[0])
    assert frames == 24  # the cells' facts are the annotated frames'
    full = [frame_number(f.numpy(), total) for f in clips[0]]
    assert full == [20 + i for i in SamplingVariant(coverage=100, stride=1).indices(24, 8)]
    whole = eval_videos(splits["train"].remove_columns(["start_frame", "end_frame"]))
    assert set(whole.segments(0, len(whole))) == {None}  # sources without annotations: whole videos
    assert videos.digest() != eval_videos(splits["test"].remove_columns(["start_frame", "end_frame"])).digest()
