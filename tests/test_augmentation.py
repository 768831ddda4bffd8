"""Augmentation and test-time augmentation: shapes, determinism, what each transform does."""

from __future__ import annotations

import numpy as np
import pytest

import handgrad as hg
from handgrad.data import augmentation as aug

L = hg.layers


def asymmetric_images(n=3, c=2, h=6, w=6, dtype=np.float32):
    return np.random.default_rng(0).random((n, c, h, w)).astype(dtype)


def one_pixel(h=7, w=7, row=2, col=4):
    x = np.zeros((1, 1, h, w), dtype=np.float32)
    x[0, 0, row, col] = 1.0
    return x


RANDOM = [
    aug.RandomRotation(15),
    aug.RandomZoom(0.2),
    aug.RandomShift(2),
    aug.RandomCrop(1),
    aug.RandomFlip(),
    aug.GaussianNoise(0.1),
]
FIXED = [aug.Identity(), aug.Rotate(30), aug.Zoom(1.2), aug.Shift(1, -2), aug.Flip()]


@pytest.mark.parametrize("transform", RANDOM + FIXED, ids=repr)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_transforms_keep_shape_and_dtype(transform, dtype):
    x = asymmetric_images(dtype=dtype)
    out = transform(x)
    assert out.shape == x.shape and out.dtype == dtype
    assert not np.shares_memory(out, x)


def test_pipeline_is_deterministic_for_a_seed():
    x = asymmetric_images(n=8)

    def make(seed):
        return aug.Compose(
            [
                aug.RandomRotation(20),
                aug.RandomZoom(0.1),
                aug.RandomShift(1),
                aug.RandomFlip(),
                aug.GaussianNoise(0.05),
            ],
            seed=seed,
        )

    a, b, c = make(7), make(7), make(8)
    first = [a(x) for _ in range(3)]
    second = [b(x) for _ in range(3)]
    for p, q in zip(first, second, strict=True):
        np.testing.assert_array_equal(p, q)  # bit for bit
    assert not np.array_equal(first[0], first[1])  # a new draw for every batch
    assert not np.array_equal(first[0], c(x))  # another seed, other draws


def test_transforms_draw_per_sample():
    x = np.repeat(one_pixel(row=3, col=3), 32, axis=0)
    out = aug.RandomShift(3)(x, np.random.default_rng(0))
    positions = {tuple(np.argwhere(img[0])[0]) for img in out}
    assert len(positions) > 10  # not one shift for the whole batch


def test_rotation_by_90_degrees_equals_rot90():
    x = asymmetric_images()
    np.testing.assert_allclose(aug.Rotate(90)(x), np.rot90(x, 1, axes=(2, 3)), atol=1e-6)
    np.testing.assert_allclose(aug.Rotate(-90)(x), np.rot90(x, -1, axes=(2, 3)), atol=1e-6)
    np.testing.assert_allclose(aug.Rotate(180)(x), x[..., ::-1, ::-1], atol=1e-6)
    np.testing.assert_array_equal(aug.Rotate(0)(x), x)
    # a random rotation whose range is one angle is that rotation
    fixed = aug.RandomRotation((90, 90))(x, np.random.default_rng(0))
    np.testing.assert_allclose(fixed, np.rot90(x, 1, axes=(2, 3)), atol=1e-6)


def test_rotation_agrees_with_scipy_inside_the_image():
    ndimage = pytest.importorskip("scipy.ndimage")
    x = asymmetric_images(dtype=np.float64)
    ours = aug.Rotate(25)(x)
    ref = ndimage.rotate(x, 25, axes=(3, 2), reshape=False, order=1, mode="constant", cval=0)
    np.testing.assert_allclose(ours[..., 1:-1, 1:-1], ref[..., 1:-1, 1:-1], atol=1e-6)


def test_random_rotation_stays_in_its_range():
    # a pixel at distance r from the center moves along its circle by at most the max angle
    x = np.repeat(one_pixel(h=41, w=41, row=20, col=35), 50, axis=0)  # 15 px right of center
    out = aug.RandomRotation(10)(x, np.random.default_rng(1))
    rows, cols = np.indices((41, 41))
    weight = out[:, 0].sum(axis=(1, 2))
    cy = (out[:, 0] * rows).sum(axis=(1, 2)) / weight
    cx = (out[:, 0] * cols).sum(axis=(1, 2)) / weight
    angles = np.degrees(np.arctan2(-(cy - 20), cx - 20))  # counter-clockwise, rows point down
    assert np.abs(angles).max() <= 10.5
    assert angles.min() < -5 and angles.max() > 5


def test_shift_moves_a_pixel_by_the_expected_offset():
    x = one_pixel(row=2, col=4)
    out = aug.Shift(3, -1)(x)
    assert np.argwhere(out[0, 0]).tolist() == [[5, 3]]
    assert out.sum() == 1
    # shifted off the image: the pixel is gone, the fill comes in
    np.testing.assert_array_equal(aug.Shift(0, 5, fill=0.5)(x)[0, 0, :, :5], 0.5)


@pytest.mark.parametrize("transform", [aug.RandomShift(2), aug.RandomCrop(2)], ids=repr)
def test_random_shift_and_crop_move_within_their_range(transform):
    x = np.repeat(one_pixel(row=3, col=3), 200, axis=0)
    out = transform(x, np.random.default_rng(0))
    moves = np.array([np.argwhere(img[0])[0] - 3 for img in out])
    assert np.abs(moves).max() == 2
    assert set(moves[:, 0]) == set(moves[:, 1]) == {-2, -1, 0, 1, 2}
    assert (out.sum(axis=(1, 2, 3)) == 1).all()


def test_flip_equals_reversed_columns():
    x = asymmetric_images()
    np.testing.assert_array_equal(aug.Flip()(x), x[..., ::-1])
    np.testing.assert_array_equal(aug.Flip(horizontal=False, vertical=True)(x), x[..., ::-1, :])
    rng = np.random.default_rng(0)
    np.testing.assert_array_equal(aug.RandomFlip(probability=1.0)(x, rng), x[..., ::-1])
    np.testing.assert_array_equal(aug.RandomFlip(probability=0.0)(x, rng), x)
    half = aug.RandomFlip()(np.repeat(x[:1], 200, axis=0), rng)
    flipped = np.all(half == x[:1, ..., ::-1], axis=(1, 2, 3))
    assert 60 < flipped.sum() < 140


def test_zoom_scales_about_the_center():
    # On a linear ramp bilinear sampling is exact: zoom by s maps value v to c + (v - c) / s.
    ramp = np.tile(np.arange(9, dtype=np.float64), (1, 1, 9, 1))
    out = aug.Zoom(2.0)(ramp)
    np.testing.assert_allclose(out[0, 0, 4], 4 + (np.arange(9) - 4) / 2)
    np.testing.assert_array_equal(aug.Zoom(1.0)(ramp), ramp)
    # shrinking pads with the fill value
    small = aug.Zoom(0.5, fill=-1.0)(np.ones((1, 1, 9, 9)))
    assert small[0, 0, 4, 4] == 1 and small[0, 0, 0, 0] == -1


def test_random_zoom_range():
    x = np.ones((100, 1, 21, 21))
    out = aug.RandomZoom((0.5, 0.9))(x, np.random.default_rng(0))
    area = out.sum(axis=(1, 2, 3)) / 21**2  # the shrunk square's area fraction ~ s^2
    assert 0.2 < area.min() and area.max() < 0.9


def test_gaussian_noise_statistics_and_clipping():
    x = np.full((50, 1, 20, 20), 0.5, dtype=np.float32)
    noisy = aug.GaussianNoise(0.1)(x, np.random.default_rng(0))
    assert abs((noisy - x).mean()) < 0.003
    assert (noisy - x).std() == pytest.approx(0.1, rel=0.03)
    clipped = aug.GaussianNoise(1.0, clip=(0, 1))(x, np.random.default_rng(0))
    assert clipped.min() == 0 and clipped.max() == 1


def test_pipeline_accepts_flat_images_with_image_shape():
    x = asymmetric_images(n=4, c=1, h=5, w=5).reshape(4, 25)
    out = aug.Compose([aug.Flip()], image_shape=(1, 5, 5))(x)
    assert out.shape == (4, 25)
    np.testing.assert_array_equal(out.reshape(4, 1, 5, 5), x.reshape(4, 1, 5, 5)[..., ::-1])
    with pytest.raises(ValueError, match=r"cannot be reshaped to image_shape \(1, 4, 4\)"):
        aug.Compose([aug.Flip()], image_shape=(1, 4, 4))(x)


def test_digit_pipeline_has_no_flip():
    pipeline = aug.digit_pipeline(seed=0)
    assert not any(isinstance(t, aug.RandomFlip) for t in pipeline.transforms)
    x = asymmetric_images(n=5, c=1, h=8, w=8)
    assert pipeline(x).shape == x.shape


def test_bad_inputs_and_arguments_are_refused():
    with pytest.raises(
        ValueError,
        match=r"x must be a batch of images \(N, channels, height, "
        r"width\), got an array of shape \(4, 25\)",
    ):
        aug.Compose([aug.RandomShift(1)])(np.zeros((4, 25)))
    with pytest.raises(TypeError, match="x must be a float array, got dtype int64"):
        aug.Rotate(10)(np.zeros((1, 1, 3, 3), dtype=np.int64))
    with pytest.raises(ValueError, match="degrees must be >= 0"):
        aug.RandomRotation(-5)
    with pytest.raises(ValueError, match="degrees low must not exceed high"):
        aug.RandomRotation((10, -10))
    with pytest.raises(ValueError, match="max_shift must be a non-negative int"):
        aug.RandomShift(-1)
    with pytest.raises(ValueError, match="zoom must keep scales positive"):
        aug.RandomZoom(1.5)
    with pytest.raises(ValueError, match="horizontal=True and/or vertical=True"):
        aug.RandomFlip(horizontal=False)
    with pytest.raises(TypeError, match="transforms must be callables"):
        aug.Compose([3])
    with pytest.raises(TypeError, match="dy must be an int"):
        aug.Shift(0.5, 0)


# ---------------------------------------------------------------- test-time augmentation
def test_tta_transforms_are_the_fixed_set():
    transforms = aug.tta_transforms()
    assert isinstance(transforms[0], aug.Identity)
    assert len(transforms) == 1 + 4 + 2 + 2  # identity, 4 crops, +-15 degrees, 2 sizes
    angles = sorted(t.angle for t in transforms if isinstance(t, aug.Rotate))
    assert angles == [-15.0, 15.0]
    x = asymmetric_images()
    for t in transforms:  # deterministic: no random draws
        np.testing.assert_array_equal(t(x), t(x))
    product = aug.tta_transforms(
        crops=[(0, 0), (1, 1)], angles=(-15, 0, 15), scales=(1.0, 0.9), combine="product"
    )
    assert len(product) == 2 * 3 * 2
    # ordered scale, angle, crop: index 2 is (1.0, 0, (0, 0)), index 3 is (1.0, 0, (1, 1))
    np.testing.assert_array_equal(product[2](x), x)
    np.testing.assert_array_equal(product[3](x), aug.Shift(1, 1)(x))
    np.testing.assert_allclose(product[0](x), aug.Rotate(-15)(x))
    with pytest.raises(ValueError, match="combine must be 'union' or 'product'"):
        aug.tta_transforms(combine="all")


def test_tta_predict_is_the_mean_of_transformed_predictions():
    model = hg.Sequential(
        [
            L.Conv2D(4, 3, padding="same", activation="relu", input_shape=(1, 8, 8)),
            L.MaxPooling2D(2),
            L.Flatten(),
            L.Dense(3, activation="softmax"),
        ],
        seed=0,
    )
    x = asymmetric_images(n=10, c=1, h=8, w=8)
    transforms = aug.tta_transforms()
    expected = np.mean([model.predict(t(x)) for t in transforms], axis=0)
    probabilities = aug.tta_predict(model, x, transforms)
    np.testing.assert_allclose(probabilities, expected, rtol=1e-6)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-6)
    assert probabilities.dtype == np.float32
    # one transform, the identity: plain predict
    np.testing.assert_allclose(aug.tta_predict(model, x, [aug.Identity()]), model.predict(x))


def test_tta_predict_for_a_flat_input_model():
    model = hg.Sequential([L.Dense(3, activation="softmax", input_dim=36)], seed=0)
    x = asymmetric_images(n=5, c=1).reshape(5, 36)
    transforms = [aug.Identity(), aug.Rotate(15)]
    expected = (
        model.predict(x) + model.predict(aug.Rotate(15)(x.reshape(5, 1, 6, 6)).reshape(5, 36))
    ) / 2
    got = aug.tta_predict(model, x, transforms, image_shape=(1, 6, 6))
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    with pytest.raises(ValueError, match="at least one transform"):
        aug.tta_predict(model, x, [], image_shape=(1, 6, 6))


def test_public_module_path_and_fit_integration():
    assert hg.data.augmentation is aug
    calls = []

    def spy(x):
        calls.append(x.shape)
        return x

    pipeline = aug.Compose([aug.RandomShift(1), spy], seed=0)
    model = hg.Sequential(
        [L.Conv2D(2, 3, input_shape=(1, 6, 6)), L.Flatten(), L.Dense(2, activation="softmax")],
        seed=0,
    )
    model.compile("categorical_crossentropy", "sgd")
    x = asymmetric_images(n=10, c=1)
    y = np.arange(10) % 2
    model.fit(x, y, epochs=2, batch_size=4, augment=pipeline, validation_data=(x, y), verbose=0)
    assert calls == [(4, 1, 6, 6), (4, 1, 6, 6), (2, 1, 6, 6)] * 2  # training batches only


def test_model_predict_tta_is_the_mean_over_transforms():
    import handgrad as hg
    from handgrad.data import augmentation as aug

    rng = np.random.default_rng(0)
    X = rng.random((6, 1, 8, 8)).astype(np.float32)
    model = hg.Sequential(
        [
            hg.layers.Conv2D(2, 3, input_shape=(1, 8, 8)),
            hg.layers.Flatten(),
            hg.layers.Dense(3, "softmax"),
        ],
        seed=0,
    )
    transforms = aug.tta_transforms()
    expected = np.mean([model.predict(t(X)) for t in transforms], axis=0)
    np.testing.assert_allclose(model.predict(X, tta=transforms), expected, rtol=1e-6)
    np.testing.assert_allclose(model.predict(X, tta=True), expected, rtol=1e-6)
    np.testing.assert_array_equal(model.predict(X, tta=False), model.predict(X))
    with pytest.raises(TypeError, match="callables"):
        model.predict(X, tta=[3])
