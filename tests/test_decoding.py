"""VideoReader on real encoded videos: exact frames, in order, each decoded once; broken files fail clearly."""

from __future__ import annotations

import pickle
import shutil
import struct

import pytest
import torch
from conftest import frame_number

from inforates.data.decoding import (
    DECODE_STATS,
    VideoDecodeError,
    VideoReader,
    open_video,
    reset_decode_stats,
    video_source,
)


FORMATS = ["clip.mp4", "clip.avi", "clip.webm", "clip.mkv"]  # H.264, MPEG-4 Part 2, VP9, H.264 in Matroska


@pytest.mark.parametrize("name", FORMATS)
def test_reader_returns_the_requested_frames_in_the_order_asked(make_video, name):
    path = make_video(name, num_frames=30)
    indices = [29, 0, 7, 7, 3, 15, 28]
    with VideoReader(path) as video:
        assert video.total_frames == 30
        assert video.fps == pytest.approx(25.0)
        frames = video.get(indices)
    assert frames.dtype == torch.uint8 and frames.shape == (len(indices), 3, 64, 64)
    assert [frame_number(frame.numpy(), 30) for frame in frames] == indices


def test_each_distinct_frame_is_decoded_once(make_video):
    path = make_video("clip.mp4", num_frames=40)
    reset_decode_stats()
    with VideoReader(path) as video:
        frames = video.get([30, 5, 5, 5, 1, 30])
    assert (DECODE_STATS.opens, DECODE_STATS.frames_decoded) == (1, 3)
    assert torch.equal(frames[1], frames[3]) and torch.equal(frames[0], frames[5])
    reset_decode_stats()
    assert (DECODE_STATS.opens, DECODE_STATS.frames_decoded) == (0, 0)


def test_frame_count_comes_from_the_stream_not_a_lying_avi_header(make_video, tmp_path):
    original = make_video("clip.avi", num_frames=30)
    data = bytearray(original.read_bytes())
    avih, strh = data.find(b"avih"), data.find(b"strh")
    struct.pack_into("<I", data, avih + 8 + 16, 300)  # avih.dwTotalFrames
    struct.pack_into("<I", data, strh + 8 + 32, 300)  # strh.dwLength
    lying = tmp_path / "lying.avi"
    lying.write_bytes(bytes(data))
    assert VideoReader(lying, seek_mode="approximate").total_frames == 300  # what the header claims
    with VideoReader(lying) as video:
        assert video.total_frames == 30
        assert frame_number(video.get([29])[0].numpy(), 30) == 29


def test_out_of_range_indices_name_the_file(make_video):
    path = make_video("clip.mp4", num_frames=10)
    with VideoReader(path) as video, pytest.raises(IndexError, match=r"clip\.mp4.*\[0, 10\)"):
        video.get([3, 10])


@pytest.mark.parametrize("name", ["zero.mp4", "truncated.mp4", "text.avi", "audio_only.mp4", "corrupt_frames.mp4"])
def test_broken_files_raise_video_decode_error_and_are_left_untouched(broken_videos, name):
    path, stage = broken_videos[name]
    before = path.read_bytes()
    with pytest.raises(VideoDecodeError) as info:
        with VideoReader(path) as video:
            video.get(list(range(video.total_frames)))
    err = info.value
    assert (err.path, err.stage) == (str(path), stage)
    assert str(err).startswith(f"{path}: {stage}: {err.reason}")
    assert "ffprobe" in str(err) and ".cpp" not in err.reason
    if name == "audio_only.mp4":
        assert err.reason == "no video stream"
    assert path.exists() and path.read_bytes() == before
    assert pickle.loads(pickle.dumps(err)).args == err.args  # crosses DataLoader worker processes


def test_missing_file(tmp_path):
    with pytest.raises(VideoDecodeError, match=r"nowhere\.mp4: open: file not found"):
        VideoReader(tmp_path / "nowhere.mp4")


def test_video_source_of_every_row_form(make_video, tmp_path):
    from datasets import Dataset, Video
    from torchcodec.decoders import VideoDecoder

    path = make_video("clip.mp4", num_frames=12)
    assert video_source(str(path)) == video_source(path) == str(path)
    plain = Dataset.from_dict({"video": [str(path)]})
    undecoded = plain.cast_column("video", Video(decode=False))[0]["video"]
    assert isinstance(undecoded, dict) and video_source(undecoded) == str(path)
    decoded = plain.cast_column("video", Video())[0]["video"]
    assert isinstance(decoded, VideoDecoder) and video_source(decoded) == str(path)
    with pytest.raises(TypeError, match="decode=False"):
        video_source(VideoDecoder(str(path)))  # made outside datasets: its source is unknown
    with pytest.raises(ValueError, match="'path' or 'bytes'"):
        video_source({"path": None, "bytes": None})


def test_embedded_bytes_are_decoded_without_touching_the_named_path(make_video, tmp_path):
    path = make_video("clip.mkv", num_frames=12)
    data = path.read_bytes()
    moved = tmp_path / "elsewhere.mkv"
    shutil.move(path, moved)  # the row's path no longer exists: only its bytes can be decoded
    with open_video({"path": str(path), "bytes": data}) as video:
        assert video.path == str(path)
        assert [frame_number(f.numpy(), 12) for f in video.get([11, 2])] == [11, 2]
    with open_video({"path": None, "bytes": data}) as video:
        assert video.total_frames == 12
