"""RandAugment on clips: timm's operations and draws, PIL's pixels, the same on every frame, seeded."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from conftest import decoded_texture

from inforates.configs import DataArguments
from inforates.data.rand_augment import (
    OPERATIONS,
    RAND_INCREASING_TRANSFORMS,
    RAND_TRANSFORMS,
    RandAugment,
    RandAugmentSpec,
    apply_operation,
    parse_rand_augment,
)
from inforates.errors import RecipeError


# Operations whose output depends on statistics of the whole clip (one table or mean per clip).
CLIP_STATISTICS = {"AutoContrast", "Equalize", "Contrast", "ContrastIncreasing"}


@pytest.fixture(scope="module")
def real_clip(tmp_path_factory):
    """6 decoded 48x64 frames of a moving texture (an H.264 round trip): every frame differs."""
    return decoded_texture(tmp_path_factory.mktemp("ra"), 6, 48, 64)


@pytest.fixture(scope="module")
def static_clip(real_clip):
    """One real decoded frame repeated: a clip of 4 identical frames."""
    return real_clip[2:3].expand(4, -1, -1, -1).contiguous()


# --- parsing -------------------------------------------------------------------------------------------------------


def test_parse_reads_timm_notation_and_rejects_what_it_cannot_read():
    assert parse_rand_augment("rand-m7-n4-mstd0.5-inc1") == RandAugmentSpec(7.0, 4, 0.5, True)
    assert parse_rand_augment("m9") == RandAugmentSpec(9.0, 2, 0.0, False)
    assert parse_rand_augment(" n3-m0-inc0 ") == RandAugmentSpec(0.0, 3, 0.0, False)
    for text, why in [
        ("m7-k4", r"cannot read 'k4'"),
        ("m7-m8", r"cannot read 'm8'"),  # a part given twice
        ("rand-m7-n4-", r"cannot read ''"),
        ("n2", "no magnitude"),
        ("m10.5", "outside 0..10"),
        ("m5-n0", "integer >= 1"),
        ("m5-n2.5", "integer >= 1"),
        ("m5-inc2", "inc takes 0 or 1"),
    ]:
        with pytest.raises(ValueError, match=why):
            parse_rand_augment(text)
    with pytest.raises(RecipeError, match=r"rand_augment='m5-n0': .*integer >= 1"):
        DataArguments(rand_augment="m5-n0")


# --- the operation table -------------------------------------------------------------------------------------------


def test_operation_sets_and_magnitude_rules_are_timms():
    assert RAND_TRANSFORMS == (
        "AutoContrast", "Equalize", "Invert", "Rotate", "Posterize", "Solarize", "SolarizeAdd", "Color", "Contrast",
        "Brightness", "Sharpness", "ShearX", "ShearY", "TranslateXRel", "TranslateYRel",
    )  # fmt: skip
    increasing = {"Posterize", "Solarize", "Color", "Contrast", "Brightness", "Sharpness"}
    assert RAND_INCREASING_TRANSFORMS == tuple(n + "Increasing" if n in increasing else n for n in RAND_TRANSFORMS)
    # timm's _LEVEL_DENOM rules at magnitude 7 (before the sign)
    expected = {
        "Rotate": 21.0, "Posterize": 2, "PosterizeIncreasing": 2, "Solarize": 179, "SolarizeIncreasing": 77,
        "SolarizeAdd": 77, "Color": 1.36, "ColorIncreasing": 0.63, "ShearX": 0.21, "TranslateXRel": 0.315,
    }  # fmt: skip
    for name, argument in expected.items():
        assert OPERATIONS[name].argument(7) == pytest.approx(argument), name
    signed = {n for n, op in OPERATIONS.items() if op.signed}
    assert signed == {"Rotate", "ShearX", "ShearY", "TranslateXRel", "TranslateYRel"} | {
        n + "Increasing" for n in ("Color", "Contrast", "Brightness", "Sharpness")
    }
    with pytest.raises(ValueError, match="unknown RandAugment operation 'Cutout'"):
        apply_operation(torch.zeros(1, 3, 4, 4, dtype=torch.uint8), "Cutout", 5)


@pytest.mark.parametrize("name", list(OPERATIONS))
def test_every_operation_keeps_the_clip_and_treats_every_frame_alike(name, real_clip, static_clip):
    for magnitude, negate in [(3, False), (9, True)]:
        out = apply_operation(real_clip, name, magnitude, negate)
        assert out.dtype == torch.uint8 and out.shape == real_clip.shape
        static = apply_operation(static_clip, name, magnitude, negate)
        assert all(torch.equal(static[0], frame) for frame in static[1:])  # identical frames stay identical
        if name in CLIP_STATISTICS:
            # one lookup per channel for the whole clip: a value maps to the same output in every frame
            for c in range(3):
                pairs = torch.stack([real_clip[:, c].flatten().int(), out[:, c].flatten().int()], 1).unique(dim=0)
                assert len(pairs) == len(pairs[:, 0].unique())
        else:
            frame_by_frame = torch.cat([apply_operation(f[None], name, magnitude, negate) for f in real_clip])
            assert torch.equal(out, frame_by_frame)
    assert not torch.equal(real_clip, apply_operation(real_clip, name, 9, True))  # every operation does something


IDENTITY_AT_ZERO = [
    "Rotate", "ShearX", "ShearY", "TranslateXRel", "TranslateYRel", "SolarizeIncreasing", "SolarizeAdd",
    "ColorIncreasing", "ContrastIncreasing", "BrightnessIncreasing", "SharpnessIncreasing",
]  # fmt: skip


def test_magnitude_zero_is_the_identity_where_timms_is(real_clip):
    for name in IDENTITY_AT_ZERO:
        assert torch.equal(apply_operation(real_clip, name, 0), real_clip), name
        assert torch.equal(apply_operation(real_clip, name, 0, negate=True), real_clip), name
    # where timm's magnitude 0 is not the identity, it is what timm's argument says
    assert torch.equal(apply_operation(real_clip, "Solarize", 0), 255 - real_clip)  # threshold 0: all inverted
    assert torch.equal(apply_operation(real_clip, "Posterize", 0), torch.zeros_like(real_clip))  # 0 bits kept
    assert torch.equal(apply_operation(real_clip, "PosterizeIncreasing", 0), real_clip & 0xF0)  # 4 bits kept
    assert torch.equal(apply_operation(real_clip, "Brightness", 0), (real_clip.float() * 0.1).to(torch.uint8))
    assert torch.equal(
        apply_operation(real_clip, "TranslateXRel", 10), apply_operation(real_clip, "TranslateXRel", 11)
    )


def test_geometric_operations_fill_with_grey_and_move_the_way_timm_does():
    frame = torch.zeros(1, 3, 20, 40, dtype=torch.uint8)
    frame[..., :, :20] = 200
    moved = apply_operation(frame, "TranslateXRel", 5)  # 0.225 of the width: content moves left by 9 pixels
    assert (
        (moved[..., :, :11] == 200).all() and (moved[..., :, 11:31] == 0).all() and (moved[..., :, 31:] == 128).all()
    )
    back = apply_operation(frame, "TranslateXRel", 5, negate=True)
    assert (back[..., :, :9] == 128).all() and (back[..., :, 9:29] == 200).all()
    turned = apply_operation(frame, "Rotate", 10)  # 30 degrees: the corners leave the frame
    assert turned[0, :, 0, -1].tolist() == [128, 128, 128] and turned[0, :, 10, 10].tolist() == [200, 200, 200]


def test_operations_match_pil_as_timm_runs_them(static_clip):
    """On a clip of identical frames every operation is timm's PIL operation on that frame (colour: exactly;
    geometry: to one grey level, the rounding of a bilinear weight)."""
    Image = pytest.importorskip("PIL.Image")
    from PIL import ImageEnhance, ImageOps

    image = Image.fromarray(static_clip[0].permute(1, 2, 0).numpy())
    w, h = image.size
    fill = {"resample": Image.BILINEAR, "fillcolor": (128, 128, 128)}

    def affine(matrix):
        return lambda img: img.transform(img.size, Image.AFFINE, matrix, **fill)

    references = {
        ("AutoContrast", 0, False): ImageOps.autocontrast,
        ("Equalize", 0, False): ImageOps.equalize,
        ("Invert", 0, False): ImageOps.invert,
        ("Posterize", 6, False): lambda img: ImageOps.posterize(img, 2),
        ("PosterizeIncreasing", 6, False): lambda img: ImageOps.posterize(img, 2),
        ("Solarize", 4, False): lambda img: ImageOps.solarize(img, 102),
        ("SolarizeIncreasing", 4, False): lambda img: ImageOps.solarize(img, 154),
        ("Color", 2, False): lambda img: ImageEnhance.Color(img).enhance(2 / 10 * 1.8 + 0.1),
        ("ContrastIncreasing", 8, True): lambda img: ImageEnhance.Contrast(img).enhance(1.0 - 8 / 10 * 0.9),
        ("Contrast", 9, False): lambda img: ImageEnhance.Contrast(img).enhance(9 / 10 * 1.8 + 0.1),
        ("BrightnessIncreasing", 6, False): lambda img: ImageEnhance.Brightness(img).enhance(1.0 + 6 / 10 * 0.9),
        ("Sharpness", 10, False): lambda img: ImageEnhance.Sharpness(img).enhance(10 / 10 * 1.8 + 0.1),
        ("SharpnessIncreasing", 7, True): lambda img: ImageEnhance.Sharpness(img).enhance(1.0 - 7 / 10 * 0.9),
        ("Rotate", 4, True): lambda img: img.rotate(-12, **fill),
        ("ShearX", 5, False): affine((1, 0.15, 0, 0, 1, 0)),
        ("ShearY", 10, True): affine((1, 0, 0, -0.3, 1, 0)),
        ("TranslateXRel", 3, False): affine((1, 0, 0.135 * w, 0, 1, 0)),
        ("TranslateYRel", 8, True): affine((1, 0, 0, 0, 1, -0.36 * h)),
    }
    for (name, magnitude, negate), reference in references.items():
        ours = apply_operation(static_clip, name, magnitude, negate)[0].int()
        theirs = torch.from_numpy(np.asarray(reference(image)).copy()).permute(2, 0, 1).int()
        tolerance = 1 if name.startswith(("Rotate", "Shear", "Translate")) else 0
        assert (ours - theirs).abs().max() <= tolerance, name
    solarize_add = torch.where(static_clip < 128, (static_clip.int() + 55).clamp(max=255), static_clip.int())
    assert torch.equal(apply_operation(static_clip, "SolarizeAdd", 5).int(), solarize_add)


# --- the draws -----------------------------------------------------------------------------------------------------


def test_rand_augment_is_seeded_by_its_generator_and_the_same_on_every_frame(real_clip, static_clip):
    augment = RandAugment("rand-m9-n4-mstd0.5-inc1")
    state = torch.get_rng_state()
    outputs = [augment(real_clip, torch.Generator().manual_seed(seed)) for seed in range(12)]
    assert torch.equal(torch.get_rng_state(), state)  # only the given generator is drawn from
    assert all(torch.equal(augment(real_clip, torch.Generator().manual_seed(s)), outputs[s]) for s in (0, 5, 11))
    assert len({out.sum().item() for out in outputs}) > 8  # different seeds, different augmentations
    for seed in range(12):
        static = augment(static_clip, torch.Generator().manual_seed(seed))
        assert static.dtype == torch.uint8 and all(torch.equal(static[0], frame) for frame in static[1:])
    with pytest.raises(ValueError, match=r"uint8 clip \(T, 3, H, W\)"):
        augment(real_clip.float(), torch.Generator())
    assert repr(augment) == "RandAugment(rand-m9-n4-mstd0.5-inc1)"


def test_draws_follow_timm_choice_probability_magnitude_and_sign():
    augment = RandAugment(RandAugmentSpec(magnitude=9, num_ops=3, magnitude_std=1.0))
    generator = torch.Generator().manual_seed(0)
    plans = [augment.draw(generator) for _ in range(2000)]
    applied = [op for plan in plans for op in plan]
    assert abs(len(applied) / (3 * len(plans)) - 0.5) < 0.03  # each drawn operation runs with probability 1/2
    counts = {name: sum(op[0] == name for op in applied) for name in RAND_TRANSFORMS}
    assert min(counts.values()) > 0.6 * len(applied) / 15  # uniform over the 15 operations
    assert any(len({op[0] for op in plan}) < len(plan) for plan in plans)  # with replacement
    magnitudes = np.array([op[1] for op in applied])
    assert magnitudes.max() <= 10 and (magnitudes == 10).mean() > 0.1  # N(9, 1) clipped at 10
    assert abs(np.median(magnitudes) - 9) < 0.1 and magnitudes.std() > 0.5
    signs = [op[2] for op in applied if OPERATIONS[op[0]].signed]
    assert abs(np.mean(signs) - 0.5) < 0.05 and not any(op[2] for op in applied if not OPERATIONS[op[0]].signed)
    fixed = RandAugment("m6-n2").draw(torch.Generator().manual_seed(1))
    assert all(op[1] == 6 for op in fixed)
    uniform = [op[1] for _ in range(300) for op in RandAugment("m6-n2-mstd101").draw(generator)]
    assert 0 <= min(uniform) < 0.5 and 5.5 < max(uniform) <= 6  # timm: mstd above 100 is uniform in 0..m
    assert math.isclose(np.mean(uniform), 3, abs_tol=0.4)


def test_docs_clip_augmentation_snippet_is_videomaes_published_setting(tmp_path):
    import re

    import yaml
    from conftest import REPO_ROOT

    from inforates.configs import parse_recipe

    text = (REPO_ROOT / "docs" / "training.md").read_text()
    section = text.split("\n## Clip augmentation\n", 1)[1].split("\n## ", 1)[0]
    (snippet,) = re.findall(r"^```yaml\n(.*?)^```", section, flags=re.M | re.S)
    (tmp_path / "recipe.yaml").write_text(snippet)
    data = parse_recipe(["--config", str(tmp_path / "recipe.yaml"), "--output_dir", str(tmp_path)]).data
    assert parse_rand_augment(data.rand_augment) == RandAugmentSpec(7.0, 4, 0.5, True)
    assert (data.crop_min_scale, data.crop_max_scale, data.horizontal_flip) == (0.08, 1.0, True)
    assert (data.crop_min_aspect, data.crop_max_aspect) == pytest.approx((3 / 4, 4 / 3), abs=1e-4)
    published = yaml.safe_load((REPO_ROOT / "recipes" / "videomae" / "ucf101_published.yaml").read_text())
    assert {key: published[key] for key in yaml.safe_load(snippet)} == yaml.safe_load(snippet)
    ssv2 = parse_recipe(["--output_dir", str(tmp_path), "--dataset_source", "ssv2"]).data
    assert ssv2.horizontal_flip is False  # the source default the section names
