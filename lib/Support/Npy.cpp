//===- Npy.cpp - NumPy .npy files -----------------------------------------===//
#include "tinyformer/Support/Npy.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <cstring>

using namespace llvm;

namespace {

/// The value of `key` in the header dict, e.g. 'descr': '<f4'.
StringRef headerField(StringRef header, StringRef key) {
  size_t at = header.find(("'" + key + "'").str());
  if (at == StringRef::npos)
    return {};
  StringRef rest = header.drop_front(at + key.size() + 2).ltrim(" :");
  if (rest.starts_with("'"))
    return rest.drop_front().take_until([](char c) { return c == '\''; });
  if (rest.starts_with("("))
    return rest.drop_front().take_until([](char c) { return c == ')'; });
  return rest.take_until([](char c) { return c == ',' || c == '}'; }).trim();
}

template <typename T>
void convert(const char *data, size_t count, std::vector<float> &out) {
  out.resize(count);
  for (size_t i = 0; i < count; ++i) {
    T v;
    std::memcpy(&v, data + i * sizeof(T), sizeof(T));
    out[i] = float(v);
  }
}

} // namespace

bool tinyformer::readNpy(StringRef path, NpyArray &array, std::string &error) {
  auto file = MemoryBuffer::getFile(path, /*IsText=*/false);
  if (!file) {
    error = "cannot read '" + path.str() + "': " + file.getError().message();
    return false;
  }
  return parseNpy((*file)->getBuffer(), path, array, error);
}

bool tinyformer::parseNpy(StringRef bytes, StringRef path, NpyArray &array,
                          std::string &error) {
  if (bytes.size() < 10 || !bytes.starts_with("\x93NUMPY")) {
    error = "'" + path.str() + "' is not a .npy file";
    return false;
  }
  unsigned major = uint8_t(bytes[6]);
  size_t headerLen, offset;
  if (major == 1) {
    headerLen = uint8_t(bytes[8]) | (uint8_t(bytes[9]) << 8);
    offset = 10;
  } else {
    if (bytes.size() < 12) {
      error = "'" + path.str() + "' is truncated";
      return false;
    }
    headerLen = uint32_t(uint8_t(bytes[8])) | (uint32_t(uint8_t(bytes[9])) << 8) |
                (uint32_t(uint8_t(bytes[10])) << 16) |
                (uint32_t(uint8_t(bytes[11])) << 24);
    offset = 12;
  }
  if (offset + headerLen > bytes.size()) {
    error = "'" + path.str() + "' is truncated";
    return false;
  }
  StringRef header = bytes.substr(offset, headerLen);
  array.dtype = headerField(header, "descr").str();
  if (headerField(header, "fortran_order") != "False") {
    error = "'" + path.str() + "' is in Fortran order; save it in C order";
    return false;
  }
  array.shape.clear();
  SmallVector<StringRef> dims;
  headerField(header, "shape").split(dims, ',', -1, /*KeepEmpty=*/false);
  // The element count can only be as large as the data: at most the file's
  // size, which also keeps the products below from overflowing.
  size_t count = 1;
  bool tooLarge = false;
  for (StringRef d : dims) {
    int64_t v;
    if (d.trim().getAsInteger(10, v) || v < 0) {
      error = "'" + path.str() + "' has a malformed shape";
      return false;
    }
    array.shape.push_back(v);
    if (v != 0 && count > bytes.size() / size_t(v))
      tooLarge = true;
    count = tooLarge ? count : count * size_t(v);
  }
  if (tooLarge && llvm::is_contained(array.shape, 0))
    count = 0, tooLarge = false;
  const char *data = bytes.data() + offset + headerLen;
  size_t available = bytes.size() - offset - headerLen;
  struct Kind {
    const char *descr;
    size_t size;
    void (*convert)(const char *, size_t, std::vector<float> &);
  };
  static const Kind kinds[] = {
      {"<f4", 4, convert<float>},   {"<f8", 8, convert<double>},
      {"|i1", 1, convert<int8_t>},  {"|u1", 1, convert<uint8_t>},
      {"<i4", 4, convert<int32_t>}, {"<i8", 8, convert<int64_t>},
  };
  for (const Kind &k : kinds) {
    if (array.dtype != k.descr)
      continue;
    if (tooLarge || available / k.size < count) {
      error = "'" + path.str() + "' holds fewer values than its shape says";
      return false;
    }
    k.convert(data, count, array.values);
    return true;
  }
  error = "'" + path.str() + "' has dtype '" + array.dtype +
          "', which is not supported";
  return false;
}

bool tinyformer::writeNpy(StringRef path, ArrayRef<int64_t> shape,
                          ArrayRef<float> values, std::string &error) {
  return writeNpyBytes(path, "<f4", shape,
                       StringRef(reinterpret_cast<const char *>(values.data()),
                                 values.size() * sizeof(float)),
                       error);
}

bool tinyformer::writeNpyInt8(StringRef path, ArrayRef<int64_t> shape,
                              ArrayRef<int8_t> values, std::string &error) {
  return writeNpyBytes(
      path, "|i1", shape,
      StringRef(reinterpret_cast<const char *>(values.data()), values.size()),
      error);
}

bool tinyformer::writeNpyBytes(StringRef path, StringRef dtype,
                               ArrayRef<int64_t> shape, StringRef data,
                               std::string &error) {
  // A header that disagrees with the data would make a plausible-looking
  // file of the wrong values. (The dtype's last character is its size.)
  size_t count = 1;
  for (int64_t d : shape)
    count *= size_t(d);
  if (dtype.empty() || count * size_t(dtype.back() - '0') != data.size()) {
    error = "internal error: " + std::to_string(data.size()) +
            " bytes of '" + dtype.str() + "' do not fill the shape written to '" +
            path.str() + "'";
    return false;
  }
  std::string dict =
      "{'descr': '" + dtype.str() + "', 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < shape.size(); ++i)
    dict += (i ? ", " : "") + std::to_string(shape[i]);
  if (shape.size() == 1)
    dict += ","; // NumPy's one-element tuple: (4,)
  dict += "), }";
  // Pad so that the data starts on a multiple of 64 bytes.
  size_t total = 10 + dict.size() + 1;
  dict.append((64 - total % 64) % 64, ' ');
  dict += '\n';
  std::error_code ec;
  raw_fd_ostream os(path, ec, sys::fs::OF_None);
  if (ec) {
    error = "cannot write '" + path.str() + "': " + ec.message();
    return false;
  }
  os << "\x93NUMPY" << char(1) << char(0) << char(dict.size() & 0xff)
     << char(dict.size() >> 8) << dict;
  os << data;
  return true;
}

bool tinyformer::checkFinite(const NpyArray &array, int64_t sampleSize,
                             StringRef what, std::string &error) {
  auto bad = llvm::find_if(array.values, [](float x) { return !std::isfinite(x); });
  if (bad == array.values.end())
    return true;
  error = (what + " has " + (std::isnan(*bad) ? "NaN" : "infinite") +
           " values (the first in sample " +
           Twine((bad - array.values.begin()) / std::max<int64_t>(sampleSize, 1)) +
           "); every value must be finite")
              .str();
  return false;
}
