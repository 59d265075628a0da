"""What :class:`ecgaug.base.BaseGenerativeSampler` guarantees every sampler.

No input gives a silent wrong result (batch sizes, labels of another type,
mixed label types), ``warm_start`` honours or refuses changed settings,
``save``/``load`` detect damaged and hand-made files and keep every
``sampling_strategy``, and the same ``random_state`` gives the same beats
whatever other threads of the process do (issue 16, items 1, 2, 3, 5, 9, 10).
"""

from __future__ import annotations

import threading
from collections import Counter

import numpy as np
import pytest
import torch
from sklearn.base import clone

from ecgaug._persist import content_digest
from ecgaug.base import BaseGenerativeSampler
from tests.test_common import SAMPLERS, ids

#: the learning-rate setting of each sampler, and an architecture setting with
#: another value, for the warm-start test
LR = {"CGANSampler": "lr_g", "TTSCGANSampler": "lr_g", "DiffusionSampler": "lr"}
ARCH = {
    "CGANSampler": ("g_width", 8),
    "TTSCGANSampler": ("g_depth", 2),
    "DiffusionSampler": ("n_layers", 4),
}


@pytest.fixture(scope="module")
def tiny(bundled_sample):
    """120 real beats of three classes, imbalanced."""
    X, y = bundled_sample.data, bundled_sample.target
    rng = np.random.RandomState(1)
    keep = np.concatenate(
        [
            rng.choice(np.flatnonzero(y == c), n, replace=False)
            for c, n in [(0, 70), (2, 30), (3, 20)]
        ]
    )
    return X[keep], y[keep]


def _one_epoch(sampler, **params):
    return clone(sampler).set_params(n_epochs=1, **params)


@pytest.fixture(scope="module", params=SAMPLERS, ids=ids)
def fitted(request, tiny, one_thread_module):
    X, y = tiny
    return _one_epoch(request.param).fit(X, y)


# ------------------------------------------------------ 1. batch sizes
@pytest.mark.parametrize("bad", [-1, 0, 2.5, True, "8"])
def test_bad_sample_batch_size_is_refused(fitted, bad):
    with pytest.raises(ValueError, match=r"batch_size must be a positive integer"):
        fitted.sample(5, batch_size=bad)
    with pytest.raises(ValueError, match=r"batch_size must be a positive integer"):
        next(fitted.iter_sample(5, batch_size=bad))


@pytest.mark.parametrize("bad", [-1, 2.5, True, None])
def test_bad_n_samples_is_refused(fitted, bad):
    with pytest.raises(ValueError, match="n_samples must be a non-negative integer"):
        fitted.sample(bad)


def test_sample_batch_size_set_after_fit_is_used(fitted, monkeypatch):
    est = clone(fitted)
    est.__dict__.update(fitted.__dict__)  # a fitted copy sharing the networks
    sizes = []
    generate = est._generate
    monkeypatch.setattr(
        est, "_generate", lambda y, g: sizes.append(len(y)) or generate(y, g)
    )
    est.set_params(sample_batch_size=4)
    X, _ = est.sample(10, y=0)
    assert sizes == [4, 4, 2]
    np.testing.assert_allclose(X, fitted.sample(10, y=0)[0], atol=1e-5)
    with pytest.raises(ValueError, match="sample_batch_size must be a positive"):
        est.set_params(sample_batch_size=0).sample(3)


# ---------------------------------------------------------- 2. labels
@pytest.mark.parametrize(
    "label, kind",
    [
        (2.5, "float"),
        (2.0, "float"),
        (True, "bool"),
        (np.bool_(False), "bool"),
        ("2", "str"),
        ([0, 2.5, 3], "float"),
        (np.array(["0", "2", "3"]), "str"),
        ([0, "S", 3], "str"),
    ],
)
def test_labels_of_another_type_are_not_cast(fitted, label, kind):
    n = len(label) if isinstance(label, list | np.ndarray) else 3
    with pytest.raises(ValueError, match=rf"y holds {kind} label.*int classes"):
        fitted.sample(n, y=label)


def test_labels_of_the_fitted_type_come_back_as_classes(fitted):
    _, ys = fitted.sample(3, y=np.int8(2))
    assert ys.dtype == fitted.classes_.dtype and ys.tolist() == [2, 2, 2]
    _, ys = fitted.sample(3, y=[0, 3, 2])
    assert ys.tolist() == [0, 3, 2]


def test_unknown_string_label_is_not_truncated(tiny):
    X, y = tiny
    names = np.array(["N", "S", "V", "F", "Q"])[y]
    est = _one_epoch(SAMPLERS[0]).fit(X, names)
    for label in ("NX", "Nx", ["N", "NN", "V"]):
        with pytest.raises(ValueError, match=r"Unknown class label.*'N"):
            est.sample(3, y=label)
    with pytest.raises(ValueError, match=r"y holds int label.*str classes"):
        est.sample(3, y=0)
    assert est.sample(2, y="V")[1].tolist() == ["V", "V"]


# ----------------------------------------------------- 9. mixed labels
@pytest.mark.parametrize("sampler", SAMPLERS, ids=ids)
def test_mixed_label_types_are_refused_in_fit(sampler, tiny):
    X, y = tiny
    mixed = y.astype(object)
    mixed[y == 3] = "V"
    for labels in (mixed, mixed.tolist()):
        with pytest.raises(ValueError, match=r"y mixes label types \(int, str\)"):
            clone(sampler).fit(X, labels)
        with pytest.raises(ValueError, match=r"y mixes label types \(int, str\)"):
            clone(sampler).fit_resample(X, labels)


# ------------------------------------------------------- 3. warm start
@pytest.mark.parametrize("sampler", SAMPLERS, ids=ids)
def test_warm_start_honours_changed_settings(sampler, tiny, one_thread):
    X, y = tiny
    name = type(sampler).__name__
    est = _one_epoch(sampler, warm_start=True).fit(X, y)
    assert est.n_epochs_ == 1
    est.set_params(n_epochs=2, **{LR[name]: 1.234e-5}).fit(X.astype(np.float64), y)
    assert est.n_epochs_ == 3  # n_epochs is per fit call
    optimizer = est.optimizer_ if name == "DiffusionSampler" else est.g_optimizer_
    assert {g["lr"] for g in optimizer.param_groups} == {1.234e-5}
    assert est.config_[LR[name]] == 1.234e-5
    assert est.sample(2)[0].dtype == np.float64  # the latest fit's dtype

    with pytest.raises(ValueError, match=r"outside the range data_range_"):
        est.fit(X * 1.5, y)
    key, value = ARCH[name]
    before = est.get_params()[key]
    with pytest.raises(ValueError, match=rf"warm_start cannot change {key}: "):
        est.set_params(**{key: value}).fit(X, y)
    est.set_params(**{key: before})
    with pytest.raises(ValueError, match=r"warm_start cannot change n_leads"):
        est.set_params(n_leads=11).fit(X, y)  # 187 = 11 * 17 time steps
    assert est.n_epochs_ == 3  # nothing was trained by the refused fits


# ------------------------------------------------------ 5. save / load
def test_flipped_bytes_in_the_weights_are_detected(fitted, tmp_path):
    path = tmp_path / "sampler.pt"
    fitted.save(path)
    data = bytearray(path.read_bytes())
    weights = next(iter(getattr(fitted, fitted._module_names[0]).parameters()))
    raw = weights.detach().cpu().numpy().tobytes()
    at = data.find(raw[:32])
    assert at > 0
    data[at + 5] ^= 0x10
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="checksum does not match"):
        type(fitted).load(path)


def _rewrite(tmp_path, fitted, change, sign=True):
    """Save ``fitted``, apply ``change`` to its payload and write it back."""
    path = tmp_path / "edited.pt"
    fitted.save(path)
    payload = torch.load(path, weights_only=True)
    change(payload)
    if sign:
        payload["sha256"] = content_digest(
            {k: v for k, v in payload.items() if k != "sha256"}
        )
    torch.save(payload, path)
    return path


@pytest.mark.parametrize(
    "change, problem, sign",
    [
        (lambda p: p["fitted"].pop("classes"), r"'fitted' lacks \['classes'\]", 1),
        (lambda p: p.pop("modules"), "'modules' is missing", 1),
        (lambda p: p.update({"class": "ecgaug.base.np"}), "is not a Base", 1),
        (lambda p: p.update({"class": "ecgaug.base.Gone"}), "does not exist", 1),
        (lambda p: p.update({"class": "os.system"}), "not an ecgaug sampler", 1),
        (
            lambda p: p["params"].update({"bogus": 1}),
            r"no parameter\(s\) \['bogus'\]",
            1,
        ),
        (lambda p: p["fitted"].update({"n_timesteps": 50}), "does not fit a", 1),
        (lambda p: p.update({"format": "ecgaug.sampler/1"}), "its format is", 1),
        (lambda p: p.pop("sha256"), "no checksum", 0),
    ],
)
def test_hand_made_files_get_one_clear_error(fitted, tmp_path, change, problem, sign):
    path = _rewrite(tmp_path, fitted, change, bool(sign))
    with pytest.raises(
        ValueError, match=rf"not a valid ecgaug sampler file: .*{problem}"
    ):
        BaseGenerativeSampler.load(path)


def test_edited_file_without_new_checksum_is_refused(fitted, tmp_path):
    path = _rewrite(
        tmp_path, fitted, lambda p: p["fitted"].update({"data_range": [0, 9]}), False
    )
    with pytest.raises(ValueError, match="checksum does not match"):
        BaseGenerativeSampler.load(path)


def test_foreign_files_get_one_clear_error(tmp_path):
    text = tmp_path / "notes.pt"
    text.write_text("not a sampler\n")
    with pytest.raises(ValueError, match="not a valid ecgaug sampler file: it is not"):
        BaseGenerativeSampler.load(text)
    torch.save({"weights": torch.ones(3)}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="no ecgaug format tag"):
        BaseGenerativeSampler.load(tmp_path / "other.pt")
    with pytest.raises(FileNotFoundError):
        BaseGenerativeSampler.load(tmp_path / "absent.pt")


@pytest.mark.parametrize("sampler", SAMPLERS[:1], ids=ids[:1])
def test_strategies_survive_save_and_load(sampler, tiny, tmp_path):
    X, y = tiny
    numpy_keys = {np.int64(2): 60, np.int32(3): 50}
    est = _one_epoch(sampler, sampling_strategy=numpy_keys).fit(X, y)
    est.save(tmp_path / "dict.pt")
    loaded = type(est).load(tmp_path / "dict.pt")
    assert loaded.sampling_strategy == {2: 60, 3: 50}
    assert Counter(loaded.fit_resample(X, y)[1].tolist()) == {0: 70, 2: 60, 3: 50}

    est = _one_epoch(sampler, sampling_strategy=lambda t: {3: 45}).fit(X, y)
    with pytest.warns(UserWarning, match="cannot keep the callable"):
        est.save(tmp_path / "callable.pt")
    loaded = type(est).load(tmp_path / "callable.pt")
    assert loaded.sampling_strategy == {3: 45}
    assert loaded.sampling_strategy_ == {3: 25}
    assert Counter(loaded.fit_resample(X, y)[1].tolist()) == {0: 70, 2: 30, 3: 45}


# ---------------------------------------------------------- 10. seeding
@pytest.mark.parametrize("sampler", SAMPLERS, ids=ids)
def test_fits_in_threads_equal_serial_fits(sampler, tiny, one_thread):
    """Two fits in two threads of one process give the serial fits' samples,
    while a third thread draws from torch's global generator all along."""
    X, y = tiny
    est = _one_epoch(sampler, random_state=5)
    serial = [clone(est).fit(X, y).sample(6)[0] for _ in range(2)]
    np.testing.assert_array_equal(serial[0], serial[1])

    results, errors, stop = {}, [], threading.Event()
    barrier = threading.Barrier(3)

    def fit(k):
        try:
            barrier.wait()
            results[k] = clone(est).fit(X, y).sample(6)[0]
        except BaseException as exc:  # reported below
            errors.append(exc)

    def noise():
        barrier.wait()
        while not stop.is_set():
            torch.randn(64)
            torch.manual_seed(int(torch.randint(0, 1000, ())))

    threads = [threading.Thread(target=fit, args=(k,)) for k in range(2)]
    other = threading.Thread(target=noise)
    for t in (*threads, other):
        t.start()
    for t in threads:
        t.join()
    stop.set()
    other.join()
    assert not errors, errors
    for k in range(2):
        np.testing.assert_array_equal(results[k], serial[0])


def test_fit_leaves_the_global_generator_as_it_was(fitted, tiny):
    X, y = tiny
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    clone(fitted).fit(X, y)
    np.testing.assert_array_equal(torch.rand(3), expected)
