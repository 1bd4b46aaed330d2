"""The built-in aliasing benchmark: shapes rotating clockwise or counter-clockwise at a known frequency.

    >>> from inforates.aliasing import aliasing_x
    >>> aliasing_x(f_hz=1.5, delta_frames=16, fps=24.0)  # revolutions between two sampled frames
    1.0
    >>> predicted_direction_visible(1.2, 16, 24.0)  # frac(x) > 0.5: the shape appears to turn backwards
    False
    >>> SynthParams(task="pretrain").class_names[:2]
    ('square_cw_slow', 'square_cw_fast')

``generate_synthetic("data/synthetic", seed=0)`` writes it (and reuses a folder that already holds this benchmark).

Classes are ``<shape>_<direction>``, shape in {dot, bar, triangle} and direction in {cw, ccw}. Every video turns
its shape rigidly about the frame centre at ``f_hz`` revolutions per second (drawn per video), with a random phase,
orbit radius, size, colours and a static textured background plus per-frame noise. A single frame carries no
direction cue (the shapes are mirror-symmetric about their radius and the phase is uniform), so the direction can
only be read from motion between frames, and sampling sparser than the Nyquist limit (``frac(x) >= 0.5``) makes it
unreadable. Videos are rendered in numpy, encoded as H.264 MP4 with torchcodec's ``VideoEncoder`` and laid out as a
videofolder ``root/{train,validation,test}/<class>/<video_id>.mp4`` with ``metadata.csv`` (one row per video) and
``synthetic.json`` (the generation parameters). ``inforates synth`` (``inforates/synth.py``) writes it from the
command line. ``task="pretrain"`` draws another task from the same renderer (other shapes; direction and speed
band in the label) for the demo's pretrained checkpoints. Modules: :mod:`.params` (parameters, tasks, draws),
:mod:`.render` (frames, encoding), :mod:`.folder` (the folder). See docs/synthetic.md.
"""

from .folder import (
    FORMAT_VERSION,
    MANIFEST_NAME,
    METADATA_COLUMNS,
    METADATA_NAME,
    ensure_synthetic,
    generate_synthetic,
    make_params,
    read_params,
)
from .params import (
    CLASS_NAMES,
    DEFAULT_VIDEOS_PER_CLASS,
    SHAPES,
    SPLITS,
    TASKS,
    SyntheticVideo,
    SynthParams,
    Task,
    draw_video,
    iter_videos,
    predicted_direction_visible,
)
from .render import render, shape_angles


__all__ = [
    "CLASS_NAMES", "DEFAULT_VIDEOS_PER_CLASS", "FORMAT_VERSION", "MANIFEST_NAME", "METADATA_COLUMNS",
    "METADATA_NAME", "SHAPES", "SPLITS", "TASKS", "SynthParams", "SyntheticVideo", "Task", "draw_video",
    "ensure_synthetic", "generate_synthetic", "iter_videos", "make_params", "predicted_direction_visible", "read_params",
    "render", "shape_angles",
]  # fmt: skip
