"""IS-fashion, FD-fashion and the Fashion-MNIST classifier (hjgan_plugin.metrics.fashion), on the real
Fashion-MNIST files of Debian's ``dataset-fashion-mnist`` (skipped, saying so, where they are absent)."""
from __future__ import annotations

import math

import pytest
import torch

from hjgan_plugin.datasets.idx import DEBIAN_FASHION_MNIST
from hjgan_plugin.datasets.torchvision_mnist import raw_folder, write_mnist_layout
from hjgan_plugin.metrics.digits import DigitClassifier
from hjgan_plugin.metrics.fashion import FashionClassifier, fd_fashion, is_fashion, load_fashion_split, resize

pytestmark = pytest.mark.skipif(not DEBIAN_FASHION_MNIST.is_dir(),
                                reason=f"no Fashion-MNIST IDX files in {DEBIAN_FASHION_MNIST} "
                                       "(apt-get install dataset-fashion-mnist)")


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """The first 3000 training images (and the whole t10k) in torchvision's layout."""
    root = tmp_path_factory.mktemp("fashion")
    write_mnist_layout(root, DEBIAN_FASHION_MNIST, subset=3000)
    return raw_folder(root)


@pytest.fixture(scope="module")
def clf(small):
    torch.set_num_threads(2)
    return FashionClassifier(seed=0, epochs=5, folder=small, size=16).fit()


def test_split_shapes_range_and_labels(small):
    x, y = load_fashion_split("train", small)
    assert x.shape == (3000, 1, 28, 28) and x.dtype == torch.float32 and y.dtype == torch.int64
    assert 0 <= float(x.min()) and float(x.max()) <= 1 and float(x.max()) > 0.99
    assert set(y.tolist()) == set(range(10))
    assert load_fashion_split("test", small)[0].shape == (10000, 1, 28, 28)


def test_split_refusals(tmp_path):
    with pytest.raises(ValueError, match="split must be one of"):
        load_fashion_split("valid")
    with pytest.raises(FileNotFoundError, match="apt-get install dataset-fashion-mnist"):
        load_fashion_split("train", tmp_path / "nowhere")


def test_resize_keeps_a_matching_size_and_averages_down():
    x = torch.rand(3, 1, 28, 28)
    assert resize(x) is x
    assert resize(x, 16).shape == (3, 1, 16, 16)
    assert torch.allclose(resize(torch.full((1, 1, 28, 28), 0.25), 16), torch.full((1, 1, 16, 16), 0.25))


def test_classifier_learns_real_images_and_round_trips(clf, tmp_path):
    assert clf.accuracy("test") > 0.7  # 3000 images, 5 epochs at 16x16 (chance: 0.1)
    x, _ = load_fashion_split("test", clf.folder)
    assert clf.features(x[:5]).shape == (5, 128)
    assert torch.equal(clf.predict(x[:100]), clf.predict(resize(x[:100], 16)))  # resized to its size
    path = tmp_path / "fashion.pt"
    clf.save(path)
    loaded = FashionClassifier.load(path)
    assert loaded.size == 16 and torch.equal(loaded.logits(x[:50]), clf.logits(x[:50]))


def test_classifier_refusals(clf, tmp_path):
    with pytest.raises(ValueError, match="multiple of 4"):
        FashionClassifier(size=30)
    with pytest.raises(RuntimeError, match="FashionClassifier is not trained: call fit"):
        FashionClassifier().predict(torch.zeros(2, 1, 28, 28))
    with pytest.raises(ValueError, match=r"\(n, 1, H, W\)"):
        clf.predict(torch.zeros(2, 3, 28, 28))
    with pytest.warns(UserWarning, match=r"\(x \+ 1\) / 2"):
        clf.predict(torch.full((2, 1, 16, 16), -1.0))
    missing = tmp_path / "none.pt"
    with pytest.raises(FileNotFoundError, match=r"none\.pt.*FashionClassifier\(seed=0\)\.fit\(\)"):
        FashionClassifier.load(missing)
    with pytest.raises(RuntimeError, match="refusing to save an untrained FashionClassifier"):
        FashionClassifier().save(missing)
    digits = tmp_path / "digits.pt"
    DigitClassifier(seed=0, epochs=1).fit().save(digits)
    with pytest.raises(ValueError, match="not a FashionClassifier file"):
        FashionClassifier.load(digits)


def test_is_fashion_exact_cases_and_real_images(clf):
    same = torch.rand(1, 1, 16, 16).repeat(400, 1, 1, 1)
    assert is_fashion(same, clf)["is_mean"] == pytest.approx(1.0, abs=1e-6)  # one prediction for all: KL 0
    x, y = load_fashion_split("test", clf.folder)
    real = is_fashion(x[:2000], clf)["is_mean"]
    assert 4 < real <= 10
    one_class = x[:2000][y[:2000] == 0]
    assert is_fashion(one_class, clf, splits=2)["is_mean"] < real  # no spread over classes


def test_fd_fashion_zero_on_itself_and_grows_with_distance(clf):
    x, _ = load_fashion_split("test", clf.folder)
    a, b = x[:1500], x[1500:3000]
    assert fd_fashion(a, a, clf) == pytest.approx(0.0, abs=1e-6)
    near, far = fd_fashion(a, b, clf), fd_fashion(a, (b + 0.5 * torch.rand_like(b)).clamp(0, 1), clf)
    assert 0 < near < far and math.isfinite(far)


def test_fd_fashion_refusals(clf):
    x, _ = load_fashion_split("test", clf.folder)
    with pytest.raises(ValueError, match="fake has 100 finite images.*at least 129"):
        fd_fashion(x[:500], x[:100], clf)
    bad = x[:300].clone()
    bad[:200] = float("nan")
    with pytest.warns(RuntimeWarning, match="200 of 300"), pytest.raises(ValueError, match="fake has 100"):
        fd_fashion(x[:500], bad, clf)
