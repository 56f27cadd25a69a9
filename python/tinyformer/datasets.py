"""Dataset loaders for the demos (numpy only: no torch, no torchvision).

Fashion-MNIST: the original IDX files, gzip'd or not
  ({train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]).
  load_fashion_mnist(root, "train"|"test") -> (images uint8 [N,28,28], labels uint8 [N])

CIFAR-10: the "python version" batches (cifar-10-batches-py/data_batch_1..5, test_batch):
  pickles of a dict with b"data" (N x 3072 uint8, each row R plane, G plane, B plane of
  32x32, row-major) and b"labels" (N ints in 0..9).
  load_cifar10(root, "train"|"test") -> (images uint8 [N,3,32,32], labels uint8 [N])
  The pickles are read with a restricted unpickler that only admits the numpy array
  reconstruction functions, so a crafted file cannot run code.

Every problem raises DatasetError (a ValueError) whose message names the file and what
is wrong with it; a missing file raises FileNotFoundError naming the paths tried.
"""
import gzip
import io
import os
import pickle

import numpy as np

FASHION_MNIST_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)
CIFAR10_CLASSES = (
    "airplane", "automobile", "bird", "cat", "deer",
    "dog", "frog", "horse", "ship", "truck",
)

DEFAULT_FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"


class DatasetError(ValueError):
    """A dataset file exists but is not in the expected format."""


# ---------------------------------------------------------------------------- IDX

# IDX type code -> big-endian numpy dtype (http://yann.lecun.com/exdb/mnist/).
_IDX_DTYPES = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_GZIP_MAGIC = b"\x1f\x8b"


def _read_maybe_gzip(path):
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == _GZIP_MAGIC:
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError, gzip.BadGzipFile) as e:
            raise DatasetError("%s: corrupt gzip data (%s)" % (path, e)) from None
    return raw


def parse_idx(data, name="<bytes>"):
    """Parse IDX bytes (already decompressed) into a numpy array in native byte order.

    Header: two zero bytes, a type code, the number of dimensions, then one big-endian
    uint32 per dimension. The payload must have exactly prod(dims) elements.
    """
    if len(data) < 4:
        raise DatasetError("%s: too short for an IDX header (%d bytes)" % (name, len(data)))
    if data[0] != 0 or data[1] != 0:
        raise DatasetError("%s: bad IDX magic number 0x%02x%02x%02x%02x (the first two "
                           "bytes must be zero)" % ((name,) + tuple(data[:4])))
    code, ndim = data[2], data[3]
    if code not in _IDX_DTYPES:
        raise DatasetError("%s: unknown IDX element type code 0x%02x" % (name, code))
    if ndim == 0:
        raise DatasetError("%s: IDX header has 0 dimensions" % name)
    header_len = 4 + 4 * ndim
    if len(data) < header_len:
        raise DatasetError("%s: truncated IDX header (%d dimensions need %d bytes, file has "
                           "%d)" % (name, ndim, header_len, len(data)))
    dims = tuple(int(d) for d in np.frombuffer(data, ">u4", count=ndim, offset=4))
    dtype = _IDX_DTYPES[code]
    count = 1
    for d in dims:
        count *= d
    expected = header_len + count * dtype.itemsize
    if len(data) < expected:
        raise DatasetError("%s: truncated IDX data: shape %s needs %d bytes, file has %d"
                           % (name, "x".join(map(str, dims)), expected, len(data)))
    if len(data) > expected:
        raise DatasetError("%s: %d unexpected bytes after the IDX data of shape %s"
                           % (name, len(data) - expected, "x".join(map(str, dims))))
    arr = np.frombuffer(data, dtype, count=count, offset=header_len).reshape(dims)
    return arr.astype(dtype.newbyteorder("="), copy=True)


def load_idx(path):
    """Read an IDX file (gzip'd or plain, detected from the content) as a numpy array."""
    return parse_idx(_read_maybe_gzip(path), name=path)


def _find_file(root, base):
    tried = []
    for name in (base + ".gz", base):
        p = os.path.join(root, name)
        tried.append(p)
        if os.path.isfile(p):
            return p
    raise FileNotFoundError("Fashion-MNIST file not found; tried: %s" % ", ".join(tried))


def load_fashion_mnist(root=DEFAULT_FASHION_MNIST_DIR, split="train"):
    """Return (images uint8 [N,28,28], labels uint8 [N]) for split 'train' or 'test'.

    Checks: IDX magic 0x00000803 for images and 0x00000801 for labels (unsigned byte,
    3 resp. 1 dimensions), 28x28 images, equal counts, labels in 0..9.
    """
    prefix = {"train": "train", "test": "t10k"}.get(split)
    if prefix is None:
        raise ValueError("split must be 'train' or 'test', not %r" % (split,))
    img_path = _find_file(root, "%s-images-idx3-ubyte" % prefix)
    lbl_path = _find_file(root, "%s-labels-idx1-ubyte" % prefix)
    images = load_idx(img_path)
    labels = load_idx(lbl_path)
    _check_idx_kind(images, img_path, 3, "images (magic 0x00000803)")
    _check_idx_kind(labels, lbl_path, 1, "labels (magic 0x00000801)")
    if images.shape[1:] != (28, 28):
        raise DatasetError("%s: images are %dx%d, expected 28x28"
                           % ((img_path,) + images.shape[1:]))
    if images.shape[0] != labels.shape[0]:
        raise DatasetError("%s has %d images but %s has %d labels"
                           % (img_path, images.shape[0], lbl_path, labels.shape[0]))
    if labels.size and labels.max() > 9:
        raise DatasetError("%s: label %d out of range 0..9" % (lbl_path, labels.max()))
    return images, labels


def _check_idx_kind(arr, path, ndim, what):
    if arr.dtype != np.uint8 or arr.ndim != ndim:
        raise DatasetError("%s: expected IDX uint8 %s with %d dimension(s), got %s with "
                           "shape %s" % (path, what, ndim, arr.dtype, arr.shape))


# ---------------------------------------------------------------------------- CIFAR-10

CIFAR10_TRAIN_FILES = tuple("data_batch_%d" % i for i in range(1, 6))
CIFAR10_TEST_FILES = ("test_batch",)

# Globals a CIFAR-10 batch pickle may reference (numpy array reconstruction only).
_SAFE_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.numeric", "_frombuffer"),      # pickle protocol 5
    ("numpy._core.numeric", "_frombuffer"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("_codecs", "encode"),   # how protocol-2 pickles store bytes
}


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) in _SAFE_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError("global %s.%s is not allowed in a CIFAR-10 batch"
                                     % (module, name))


def load_cifar10_batch(path):
    """Read one python-version CIFAR-10 batch: (images uint8 [N,3,32,32], labels uint8 [N])."""
    with open(path, "rb") as f:
        raw = f.read()
    try:
        d = _RestrictedUnpickler(io.BytesIO(raw), encoding="bytes").load()
    except Exception as e:  # UnpicklingError, EOFError, ValueError, ... from bad bytes
        raise DatasetError("%s: not a readable CIFAR-10 batch pickle (%s: %s)"
                           % (path, type(e).__name__, e)) from None
    if not isinstance(d, dict):
        raise DatasetError("%s: expected a dict, got %s" % (path, type(d).__name__))
    for key in (b"data", b"labels"):
        if key not in d and key.decode() not in d:
            raise DatasetError("%s: missing key %r (keys: %s)"
                               % (path, key, sorted(map(repr, d.keys()))))
    data = d.get(b"data", d.get("data"))
    labels = d.get(b"labels", d.get("labels"))
    if not isinstance(data, np.ndarray):
        raise DatasetError("%s: b'data' is a %s, expected a numpy array"
                           % (path, type(data).__name__))
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072:
        raise DatasetError("%s: b'data' must be uint8 of shape N x 3072, got %s %s"
                           % (path, data.dtype, data.shape))
    try:
        labels = np.asarray(labels)
    except Exception as e:
        raise DatasetError("%s: b'labels' is not a list of integers (%s)" % (path, e)) from None
    if labels.ndim != 1 or not (labels.size == 0 or np.issubdtype(labels.dtype, np.integer)):
        raise DatasetError("%s: b'labels' must be a flat list of integers, got %s of shape %s"
                           % (path, labels.dtype, labels.shape))
    if labels.shape[0] != data.shape[0]:
        raise DatasetError("%s: %d images but %d labels" % (path, data.shape[0], labels.shape[0]))
    if labels.size and (labels.min() < 0 or labels.max() > 9):
        raise DatasetError("%s: labels out of range 0..9 (min %d, max %d)"
                           % (path, labels.min(), labels.max()))
    return data.reshape(-1, 3, 32, 32).copy(), labels.astype(np.uint8)


def _cifar_dir(root):
    sub = os.path.join(root, "cifar-10-batches-py")
    return sub if os.path.isdir(sub) else root


def load_cifar10(root, split="train", layout="NCHW"):
    """Return (images uint8 [N,3,32,32] (or [N,32,32,3] with layout='NHWC'), labels uint8 [N]).

    root is the cifar-10-batches-py folder or its parent. 'train' concatenates
    data_batch_1..5 in order, 'test' reads test_batch.
    """
    files = {"train": CIFAR10_TRAIN_FILES, "test": CIFAR10_TEST_FILES}.get(split)
    if files is None:
        raise ValueError("split must be 'train' or 'test', not %r" % (split,))
    if layout not in ("NCHW", "NHWC"):
        raise ValueError("layout must be 'NCHW' or 'NHWC', not %r" % (layout,))
    d = _cifar_dir(root)
    paths = [os.path.join(d, f) for f in files]
    missing = [p for p in paths if not os.path.isfile(p)]
    if missing:
        raise FileNotFoundError("CIFAR-10 batch file(s) not found: %s" % ", ".join(missing))
    parts = [load_cifar10_batch(p) for p in paths]
    images = np.concatenate([p[0] for p in parts])
    labels = np.concatenate([p[1] for p in parts])
    if layout == "NHWC":
        images = np.ascontiguousarray(images.transpose(0, 2, 3, 1))
    return images, labels
