"""Tests for tinyformer.datasets (numpy only).

  /usr/bin/python3 -m unittest discover -s python/tests

Writes tiny files in the real formats (gzip'd IDX; CIFAR-10 python-version batch
pickles) to a temporary folder and checks the loaders, and that malformed files raise
DatasetError with a message that says what is wrong. The real Fashion-MNIST files are
checked too when they are installed.
"""
import gzip
import os
import pickle
import struct
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from tinyformer import datasets  # noqa: E402
from tinyformer.datasets import DatasetError  # noqa: E402

import numpy as np  # noqa: E402


def idx_bytes(arr, code=0x08):
    arr = np.asarray(arr)
    header = bytes([0, 0, code, arr.ndim]) + b"".join(struct.pack(">I", d) for d in arr.shape)
    return header + arr.astype(arr.dtype.newbyteorder(">")).tobytes()


def write(path, data, gz=True):
    with (gzip.open(path, "wb") if gz else open(path, "wb")) as f:
        f.write(data)


class IdxTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name
        rng = np.random.default_rng(0)
        self.images = rng.integers(0, 256, size=(5, 28, 28), dtype=np.uint8)
        self.labels = np.array([9, 0, 3, 7, 1], dtype=np.uint8)

    def tearDown(self):
        self.tmp.cleanup()

    def p(self, name):
        return os.path.join(self.dir, name)

    def write_pair(self, prefix="t10k", images=None, labels=None, gz=True):
        ext = ".gz" if gz else ""
        write(self.p("%s-images-idx3-ubyte%s" % (prefix, ext)),
              idx_bytes(self.images if images is None else images), gz)
        write(self.p("%s-labels-idx1-ubyte%s" % (prefix, ext)),
              idx_bytes(self.labels if labels is None else labels), gz)

    def test_load_pair_gzip(self):
        self.write_pair("t10k")
        x, y = datasets.load_fashion_mnist(self.dir, "test")
        self.assertEqual(x.dtype, np.uint8)
        self.assertEqual(y.dtype, np.uint8)
        np.testing.assert_array_equal(x, self.images)
        np.testing.assert_array_equal(y, self.labels)

    def test_load_pair_plain(self):
        self.write_pair("train", gz=False)
        x, y = datasets.load_fashion_mnist(self.dir, "train")
        np.testing.assert_array_equal(x, self.images)
        np.testing.assert_array_equal(y, self.labels)

    def test_big_endian_types(self):
        a = np.arange(-6, 6, dtype=np.int32).reshape(3, 4) * 100000
        path = self.p("i32.idx")
        write(path, idx_bytes(a, 0x0C), gz=False)
        b = datasets.load_idx(path)
        self.assertEqual(b.dtype, np.int32)
        np.testing.assert_array_equal(a, b)

    def test_bad_magic(self):
        path = self.p("bad.gz")
        write(path, b"\x08\x03\x00\x00" + bytes(16))
        with self.assertRaisesRegex(DatasetError, "bad IDX magic"):
            datasets.load_idx(path)

    def test_unknown_type_code(self):
        path = self.p("bad.gz")
        write(path, bytes([0, 0, 0x07, 1]) + struct.pack(">I", 1) + b"\x00")
        with self.assertRaisesRegex(DatasetError, "unknown IDX element type"):
            datasets.load_idx(path)

    def test_truncated_data(self):
        path = self.p("short.gz")
        write(path, idx_bytes(self.images)[:-10])
        with self.assertRaisesRegex(DatasetError, "truncated IDX data"):
            datasets.load_idx(path)

    def test_truncated_header(self):
        path = self.p("short.gz")
        write(path, bytes([0, 0, 8, 3]) + struct.pack(">I", 5))
        with self.assertRaisesRegex(DatasetError, "truncated IDX header"):
            datasets.load_idx(path)

    def test_trailing_bytes(self):
        path = self.p("long.gz")
        write(path, idx_bytes(self.labels) + b"xx")
        with self.assertRaisesRegex(DatasetError, "unexpected bytes"):
            datasets.load_idx(path)

    def test_corrupt_gzip(self):
        path = self.p("corrupt.gz")
        good = gzip.compress(idx_bytes(self.labels))
        with open(path, "wb") as f:
            f.write(good[:12])
        with self.assertRaisesRegex(DatasetError, "corrupt gzip"):
            datasets.load_idx(path)

    def test_count_mismatch(self):
        self.write_pair("t10k", labels=self.labels[:4])
        with self.assertRaisesRegex(DatasetError, "5 images but .* 4 labels"):
            datasets.load_fashion_mnist(self.dir, "test")

    def test_images_and_labels_swapped(self):
        # a labels file where the images file should be: wrong magic (1 dimension)
        write(self.p("t10k-images-idx3-ubyte.gz"), idx_bytes(self.labels))
        write(self.p("t10k-labels-idx1-ubyte.gz"), idx_bytes(self.labels))
        with self.assertRaisesRegex(DatasetError, "0x00000803"):
            datasets.load_fashion_mnist(self.dir, "test")

    def test_wrong_image_size(self):
        self.write_pair("t10k", images=self.images[:, :27, :])
        with self.assertRaisesRegex(DatasetError, "27x28, expected 28x28"):
            datasets.load_fashion_mnist(self.dir, "test")

    def test_label_out_of_range(self):
        self.write_pair("t10k", labels=np.array([1, 2, 10, 3, 4], np.uint8))
        with self.assertRaisesRegex(DatasetError, "label 10 out of range"):
            datasets.load_fashion_mnist(self.dir, "test")

    def test_missing_file(self):
        with self.assertRaisesRegex(FileNotFoundError, "t10k-images-idx3-ubyte"):
            datasets.load_fashion_mnist(self.dir, "test")

    def test_bad_split(self):
        with self.assertRaises(ValueError):
            datasets.load_fashion_mnist(self.dir, "val")


@unittest.skipUnless(os.path.isfile(os.path.join(datasets.DEFAULT_FASHION_MNIST_DIR,
                                                 "t10k-images-idx3-ubyte.gz")),
                     "Fashion-MNIST is not installed")
class RealFashionMnistTest(unittest.TestCase):
    def test_test_split(self):
        x, y = datasets.load_fashion_mnist(split="test")
        self.assertEqual(x.shape, (10000, 28, 28))
        self.assertEqual(y.shape, (10000,))
        self.assertEqual(np.bincount(y).tolist(), [1000] * 10)


def cifar_batch(n, seed):
    rng = np.random.default_rng(seed)
    data = rng.integers(0, 256, size=(n, 3072), dtype=np.uint8)
    labels = [int(v) for v in rng.integers(0, 10, size=n)]
    return {b"batch_label": b"tiny batch", b"labels": labels, b"data": data,
            b"filenames": [b"img%d.png" % i for i in range(n)]}


class Py2Pickler(pickle._Pickler):
    """Writes every str/bytes as a Python 2 `str` (SHORT_BINSTRING/BINSTRING), as cPickle
    did when the real CIFAR-10 batches were made (protocol 2)."""
    dispatch = dict(pickle._Pickler.dispatch)

    def save_py2_str(self, obj):
        if isinstance(obj, str):
            obj = obj.encode("latin-1")
        n = len(obj)
        if n < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([n]) + obj)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", n) + obj)

    dispatch[bytes] = save_py2_str
    dispatch[str] = save_py2_str


class Cifar10Test(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = os.path.join(self.tmp.name, "cifar-10-batches-py")
        os.mkdir(self.dir)

    def tearDown(self):
        self.tmp.cleanup()

    def dump(self, name, obj, protocol=2):
        with open(os.path.join(self.dir, name), "wb") as f:
            pickle.dump(obj, f, protocol=protocol)

    def write_all(self):
        self.batches = {}
        for i, name in enumerate(datasets.CIFAR10_TRAIN_FILES + datasets.CIFAR10_TEST_FILES):
            b = cifar_batch(3 + i, seed=i)
            self.batches[name] = b
            self.dump(name, b, protocol=2 if i % 2 else pickle.HIGHEST_PROTOCOL)

    def test_train_and_test(self):
        self.write_all()
        for root in (self.tmp.name, self.dir):   # parent folder or the batches folder
            x, y = datasets.load_cifar10(root, "train")
            self.assertEqual(x.shape, (3 + 4 + 5 + 6 + 7, 3, 32, 32))
            self.assertEqual(x.dtype, np.uint8)
            self.assertEqual(y.dtype, np.uint8)
            b1 = self.batches["data_batch_1"]
            np.testing.assert_array_equal(x[0, 0].ravel(), b1[b"data"][0, :1024])   # R plane
            np.testing.assert_array_equal(x[0, 2].ravel(), b1[b"data"][0, 2048:])   # B plane
            np.testing.assert_array_equal(y[:3], b1[b"labels"])
            b5 = self.batches["data_batch_5"]
            np.testing.assert_array_equal(x[-7:].reshape(7, -1), b5[b"data"])
        xt, yt = datasets.load_cifar10(self.dir, "test", layout="NHWC")
        tb = self.batches["test_batch"]
        self.assertEqual(xt.shape, (8, 32, 32, 3))
        np.testing.assert_array_equal(xt[:, 5, 7, 1], tb[b"data"][:, 1024 + 5 * 32 + 7])
        np.testing.assert_array_equal(yt, tb[b"labels"])

    def test_python2_style_pickle(self):
        b = cifar_batch(3, 7)
        with open(os.path.join(self.dir, "test_batch"), "wb") as f:
            Py2Pickler(f, protocol=2).dump(b)
        x, y = datasets.load_cifar10(self.dir, "test")
        np.testing.assert_array_equal(x.reshape(3, -1), b[b"data"])
        np.testing.assert_array_equal(y, b[b"labels"])

    def test_wrong_row_size(self):
        b = cifar_batch(2, 0)
        b[b"data"] = b[b"data"][:, :3071]
        self.dump("test_batch", b)
        with self.assertRaisesRegex(DatasetError, "N x 3072"):
            datasets.load_cifar10(self.dir, "test")

    def test_missing_key(self):
        b = cifar_batch(2, 0)
        del b[b"labels"]
        self.dump("test_batch", b)
        with self.assertRaisesRegex(DatasetError, "missing key b'labels'"):
            datasets.load_cifar10(self.dir, "test")

    def test_label_count_mismatch(self):
        b = cifar_batch(4, 0)
        b[b"labels"] = b[b"labels"][:3]
        self.dump("test_batch", b)
        with self.assertRaisesRegex(DatasetError, "4 images but 3 labels"):
            datasets.load_cifar10(self.dir, "test")

    def test_label_out_of_range(self):
        b = cifar_batch(2, 0)
        b[b"labels"] = [3, 10]
        self.dump("test_batch", b)
        with self.assertRaisesRegex(DatasetError, "out of range"):
            datasets.load_cifar10(self.dir, "test")

    def test_not_a_pickle(self):
        with open(os.path.join(self.dir, "test_batch"), "wb") as f:
            f.write(b"this is not a pickle at all")
        with self.assertRaisesRegex(DatasetError, "not a readable CIFAR-10 batch"):
            datasets.load_cifar10(self.dir, "test")

    def test_truncated_pickle(self):
        raw = pickle.dumps(cifar_batch(2, 0), protocol=2)
        with open(os.path.join(self.dir, "test_batch"), "wb") as f:
            f.write(raw[: len(raw) // 2])
        with self.assertRaisesRegex(DatasetError, "not a readable CIFAR-10 batch"):
            datasets.load_cifar10(self.dir, "test")

    def test_code_in_pickle_is_refused(self):
        class Evil:
            def __reduce__(self):
                return (os.system, ("echo should-not-run",))
        self.dump("test_batch", {b"data": Evil(), b"labels": []})
        with self.assertRaisesRegex(DatasetError, "is not allowed"):
            datasets.load_cifar10(self.dir, "test")

    def test_not_a_dict(self):
        self.dump("test_batch", [1, 2, 3])
        with self.assertRaisesRegex(DatasetError, "expected a dict"):
            datasets.load_cifar10(self.dir, "test")

    def test_missing_batch(self):
        self.dump("data_batch_1", cifar_batch(2, 0))
        with self.assertRaisesRegex(FileNotFoundError, "data_batch_2"):
            datasets.load_cifar10(self.dir, "train")


if __name__ == "__main__":
    unittest.main()
