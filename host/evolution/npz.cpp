#include "npz.hpp"

#include <array>
#include <cstdio>
#include <cstring>
#include <optional>
#include <set>

#include "enu/common.hpp"

namespace enu::npz {
namespace {

// Zip record signatures and fixed sizes (PKWARE APPNOTE 4.3.7, 4.3.12, 4.3.16).
constexpr uint32_t kLocalSignature = 0x04034b50;
constexpr uint32_t kCentralSignature = 0x02014b50;
constexpr uint32_t kEndSignature = 0x06054b50;
constexpr size_t kLocalSize = 30, kCentralSize = 46, kEndSize = 22;
constexpr size_t kMaxComment = 0xFFFF;
constexpr uint16_t kVersionNeeded = 20;                // 2.0: plain stored files
constexpr uint16_t kDosTime = 0, kDosDate = (0 << 9) | (1 << 5) | 1;  // 1980-01-01 00:00
constexpr uint16_t kFlagEncrypted = 1 << 0, kFlagDataDescriptor = 1 << 3;

constexpr char kNpyMagic[] = "\x93NUMPY";
constexpr size_t kNpyMagicSize = 6;
constexpr size_t kNpyAlign = 64;                       // numpy's ARRAY_ALIGN

std::array<uint32_t, 256> make_crc_table() {
  std::array<uint32_t, 256> table{};
  for (uint32_t byte = 0; byte < 256; ++byte) {
    uint32_t c = byte;
    for (int bit = 0; bit < 8; ++bit) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[byte] = c;
  }
  return table;
}

void put_u16(std::string& out, uint16_t v) {
  out.push_back(static_cast<char>(v & 0xFF));
  out.push_back(static_cast<char>(v >> 8));
}

void put_u32(std::string& out, uint32_t v) {
  for (int shift = 0; shift < 32; shift += 8) out.push_back(static_cast<char>((v >> shift) & 0xFF));
}

uint16_t get_u16(const std::string& in, size_t at) {
  return static_cast<uint16_t>(static_cast<unsigned char>(in[at]) |
                               static_cast<unsigned char>(in[at + 1]) << 8);
}

uint32_t get_u32(const std::string& in, size_t at) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = v << 8 | static_cast<unsigned char>(in[at + i]);
  return v;
}

std::string hex(uint32_t v) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%08X", v);
  return text;
}

// Throws unless [offset, offset + length) lies inside the archive. Offsets come
// from the file, so they are 64-bit here and the sum cannot wrap.
void require(const std::string& archive, uint64_t offset, uint64_t length, const std::string& what) {
  if (offset + length > archive.size()) {
    throw Error("truncated: " + what + " at offset " + std::to_string(offset) + " (" +
                std::to_string(length) + " bytes) beyond end of file (" + std::to_string(archive.size()) +
                " bytes)");
  }
}

// The end-of-central-directory record: the last signature whose comment runs
// exactly to the end of the file.
size_t find_end_record(const std::string& archive) {
  if (archive.size() >= kEndSize) {
    const size_t last = archive.size() - kEndSize;
    const size_t first = last > kMaxComment ? last - kMaxComment : 0;
    for (size_t at = last + 1; at-- > first;) {
      if (get_u32(archive, at) == kEndSignature && at + kEndSize + get_u16(archive, at + 20) == archive.size()) {
        return at;
      }
    }
  }
  throw Error("not a zip archive, or truncated: no end-of-central-directory record in " +
              std::to_string(archive.size()) + " bytes");
}

// Reads one stored member given its central-directory entry at `entry`; returns
// the entry's total size so the caller can step to the next.
size_t read_member(const std::string& archive, size_t entry, Member& member) {
  const uint16_t flags = get_u16(archive, entry + 8);
  const uint16_t method = get_u16(archive, entry + 10);
  const uint32_t crc = get_u32(archive, entry + 16);
  const uint32_t packed_size = get_u32(archive, entry + 20);
  const uint32_t size = get_u32(archive, entry + 24);
  const uint16_t name_size = get_u16(archive, entry + 28);
  const size_t tail = size_t{name_size} + get_u16(archive, entry + 30) + get_u16(archive, entry + 32);
  const uint32_t local = get_u32(archive, entry + 42);
  require(archive, entry + kCentralSize, tail, "central directory entry name");
  member.name = archive.substr(entry + kCentralSize, name_size);
  const std::string quoted = "member '" + member.name + "'";

  if (packed_size == 0xFFFFFFFF || size == 0xFFFFFFFF || local == 0xFFFFFFFF) {
    throw Error(quoted + " uses zip64, which is not supported");
  }
  if (flags & kFlagEncrypted) throw Error(quoted + " is encrypted");
  if (method != 0) {
    throw Error(quoted + " is compressed (method " + std::to_string(method) + "); only stored members are supported");
  }
  if (packed_size != size) {
    throw Error(quoted + " is stored but its sizes differ (" + std::to_string(packed_size) + " packed, " +
                std::to_string(size) + " unpacked)");
  }

  require(archive, local, kLocalSize, "local header of " + quoted);
  if (get_u32(archive, local) != kLocalSignature) {
    throw Error("no local header signature for " + quoted + " at offset " + std::to_string(local));
  }
  const uint16_t local_flags = get_u16(archive, local + 6);
  const uint16_t local_name_size = get_u16(archive, local + 26);
  const uint64_t data = uint64_t{local} + kLocalSize + local_name_size + get_u16(archive, local + 28);
  require(archive, local + kLocalSize, local_name_size, "local header name of " + quoted);
  if (archive.compare(local + kLocalSize, local_name_size, member.name) != 0) {
    throw Error("local header of " + quoted + " names '" + archive.substr(local + kLocalSize, local_name_size) + "'");
  }
  if (get_u16(archive, local + 8) != method) throw Error("local header of " + quoted + " disagrees on the method");
  // With a data descriptor (bit 3) the local CRC and sizes may be zero; the
  // central directory is then the authority.
  if (!(local_flags & kFlagDataDescriptor) &&
      (get_u32(archive, local + 14) != crc || get_u32(archive, local + 18) != packed_size ||
       get_u32(archive, local + 22) != size)) {
    throw Error("local header of " + quoted + " disagrees with the central directory on CRC or sizes");
  }
  require(archive, data, size, "data of " + quoted);
  member.bytes = archive.substr(data, size);
  const uint32_t actual = crc32(member.bytes.data(), member.bytes.size());
  if (actual != crc) {
    throw Error("CRC-32 mismatch in " + quoted + ": recorded " + hex(crc) + ", computed " + hex(actual));
  }
  return kCentralSize + tail;
}

// The dict of a .npy header, e.g. {'descr': '<f4', 'fortran_order': False, 'shape': (3,), }.
// A Python literal of exactly these three keys; nothing else is accepted.
struct NpyHeader {
  std::optional<std::string> descr;
  std::optional<bool> fortran_order;
  std::optional<std::vector<uint64_t>> shape;
};

class NpyHeaderParser {
 public:
  NpyHeaderParser(const std::string& text, const std::string& name) : text_(text), name_(name) {}

  NpyHeader parse() {
    NpyHeader header;
    expect('{');
    while (!accept('}')) {
      const std::string key = quoted();
      expect(':');
      if (key == "descr" && !header.descr) {
        header.descr = quoted();
      } else if (key == "fortran_order" && !header.fortran_order) {
        header.fortran_order = boolean();
      } else if (key == "shape" && !header.shape) {
        header.shape = tuple();
      } else {
        fail("unexpected or repeated key '" + key + "'");
      }
      if (!accept(',')) {
        expect('}');
        break;
      }
    }
    skip_space();
    if (pos_ != text_.size()) fail("trailing characters after the dict");
    if (!header.descr || !header.fortran_order || !header.shape) {
      fail("the dict needs the keys 'descr', 'fortran_order' and 'shape'");
    }
    return header;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw Error("member '" + name_ + "': bad .npy header at character " + std::to_string(pos_) + ": " + what);
  }

  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\n' || text_[pos_] == '\t')) ++pos_;
  }

  bool accept(char c) {
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  void expect(char c) {
    if (!accept(c)) fail(std::string("expected '") + c + "'");
  }

  std::string quoted() {
    skip_space();
    if (pos_ >= text_.size() || (text_[pos_] != '\'' && text_[pos_] != '"')) fail("expected a quoted string");
    const size_t end = text_.find(text_[pos_], pos_ + 1);
    if (end == std::string::npos) fail("unterminated string");
    std::string value = text_.substr(pos_ + 1, end - pos_ - 1);
    pos_ = end + 1;
    return value;
  }

  bool boolean() {
    skip_space();
    for (const bool value : {false, true}) {
      const std::string word = value ? "True" : "False";
      if (text_.compare(pos_, word.size(), word) == 0) {
        pos_ += word.size();
        return value;
      }
    }
    fail("expected True or False");
  }

  std::vector<uint64_t> tuple() {
    std::vector<uint64_t> values;
    expect('(');
    while (!accept(')')) {
      skip_space();
      uint64_t value = 0;
      const size_t start = pos_;
      for (; pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9'; ++pos_) {
        if (value > (uint64_t{1} << 56)) fail("dimension too large");
        value = value * 10 + static_cast<uint64_t>(text_[pos_] - '0');
      }
      if (pos_ == start) fail("expected a dimension");
      values.push_back(value);
      if (!accept(',')) {
        expect(')');
        break;
      }
    }
    return values;
  }

  const std::string& text_;
  const std::string& name_;
  size_t pos_ = 0;
};

// Python's repr of a shape tuple: (), (3,), (2, 3).
std::string shape_text(const std::vector<uint64_t>& shape) {
  std::string text = "(";
  for (size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + (shape.size() == 1 ? ",)" : ")");
}

}  // namespace

uint32_t crc32(const void* data, size_t size, uint32_t crc) {
  static const std::array<uint32_t, 256> table = make_crc_table();
  const auto* bytes = static_cast<const unsigned char*>(data);
  crc = ~crc;
  for (size_t i = 0; i < size; ++i) crc = table[(crc ^ bytes[i]) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

std::string zip_stored(const std::vector<Member>& members) {
  std::string archive, directory;
  if (members.size() >= 0xFFFF) throw Error("too many zip members (" + std::to_string(members.size()) + ")");
  for (const Member& member : members) {
    if (member.name.size() > 0xFFFF) throw Error("zip member name too long: " + member.name.substr(0, 64));
    if (member.bytes.size() >= 0xFFFFFFFF || archive.size() >= 0xFFFFFFFF) {
      throw Error("zip member '" + member.name + "' needs zip64 (4 GiB or more), which is not supported");
    }
    const uint32_t crc = crc32(member.bytes.data(), member.bytes.size());
    const auto size = static_cast<uint32_t>(member.bytes.size());
    const auto offset = static_cast<uint32_t>(archive.size());
    const auto name_size = static_cast<uint16_t>(member.name.size());

    // The local header and the central entry share the fields from "version
    // needed" to "extra length"; the central one adds its own around them.
    std::string common;
    put_u16(common, kVersionNeeded);
    put_u16(common, 0);  // flags
    put_u16(common, 0);  // method: stored
    put_u16(common, kDosTime);
    put_u16(common, kDosDate);
    put_u32(common, crc);
    put_u32(common, size);  // packed
    put_u32(common, size);  // unpacked
    put_u16(common, name_size);
    put_u16(common, 0);  // extra length

    put_u32(archive, kLocalSignature);
    archive += common;
    archive += member.name;
    archive += member.bytes;

    put_u32(directory, kCentralSignature);
    put_u16(directory, kVersionNeeded);  // version made by: MS-DOS attributes, 2.0
    directory += common;
    put_u16(directory, 0);  // comment length
    put_u16(directory, 0);  // disk number
    put_u16(directory, 0);  // internal attributes
    put_u32(directory, 0);  // external attributes
    put_u32(directory, offset);
    directory += member.name;
  }
  if (archive.size() + directory.size() >= 0xFFFFFFFF) throw Error("zip archive needs zip64 (4 GiB or more)");
  const auto directory_offset = static_cast<uint32_t>(archive.size());
  archive += directory;
  put_u32(archive, kEndSignature);
  put_u16(archive, 0);  // this disk
  put_u16(archive, 0);  // disk with the central directory
  put_u16(archive, static_cast<uint16_t>(members.size()));
  put_u16(archive, static_cast<uint16_t>(members.size()));
  put_u32(archive, static_cast<uint32_t>(directory.size()));
  put_u32(archive, directory_offset);
  put_u16(archive, 0);  // comment length
  return archive;
}

std::vector<Member> unzip_stored(const std::string& archive) {
  const size_t end = find_end_record(archive);
  const uint16_t entries = get_u16(archive, end + 10);
  const uint32_t directory_size = get_u32(archive, end + 12);
  const uint32_t directory_offset = get_u32(archive, end + 16);
  if (get_u16(archive, end + 4) != 0 || get_u16(archive, end + 6) != 0 || get_u16(archive, end + 8) != entries) {
    throw Error("multi-disk zip archives are not supported");
  }
  if (entries == 0xFFFF || directory_size == 0xFFFFFFFF || directory_offset == 0xFFFFFFFF) {
    throw Error("zip64 archives are not supported");
  }
  if (uint64_t{directory_offset} + directory_size > end) {
    throw Error("truncated: central directory at offset " + std::to_string(directory_offset) + " (" +
                std::to_string(directory_size) + " bytes) beyond end of file (" + std::to_string(archive.size()) +
                " bytes)");
  }

  std::vector<Member> members(entries);
  std::set<std::string> names;
  size_t entry = directory_offset;
  for (uint16_t i = 0; i < entries; ++i) {
    const std::string what = "central directory entry " + std::to_string(i);
    require(archive, entry, kCentralSize, what);
    if (get_u32(archive, entry) != kCentralSignature) {
      throw Error("no signature for " + what + " at offset " + std::to_string(entry));
    }
    entry += read_member(archive, entry, members[i]);
    if (entry > uint64_t{directory_offset} + directory_size) {
      throw Error(what + " runs past the central directory's recorded size");
    }
    if (!names.insert(members[i].name).second) throw Error("member '" + members[i].name + "' appears twice");
  }
  return members;
}

std::string npy_from_floats(const std::vector<float>& values) {
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + std::to_string(values.size()) + ",), }";
  // Pad with spaces so magic + version + length + header + '\n' fills whole 64-byte lines.
  const size_t prefix = kNpyMagicSize + 2 + 2;
  header.append((kNpyAlign - (prefix + header.size() + 1) % kNpyAlign) % kNpyAlign, ' ');
  header += '\n';

  std::string npy(kNpyMagic, kNpyMagicSize);
  npy += '\x01';  // format 1.0
  npy += '\x00';
  put_u16(npy, static_cast<uint16_t>(header.size()));
  npy += header;
  npy.reserve(npy.size() + 4 * values.size());
  for (const float value : values) {
    uint32_t bits;
    std::memcpy(&bits, &value, sizeof bits);
    put_u32(npy, bits);
  }
  return npy;
}

std::vector<float> floats_from_npy(const std::string& npy, const std::string& name) {
  const std::string quoted = "member '" + name + "'";
  if (npy.size() < kNpyMagicSize + 4 || npy.compare(0, kNpyMagicSize, kNpyMagic, kNpyMagicSize) != 0) {
    throw Error(quoted + " is not a .npy array (no \\x93NUMPY magic)");
  }
  // 1.0 has a 2-byte header length; 2.0 and 3.0 (UTF-8 header) a 4-byte one.
  const auto major = static_cast<unsigned char>(npy[6]);
  if (major < 1 || major > 3) {
    throw Error(quoted + ": unsupported .npy format version " + std::to_string(major) + "." +
                std::to_string(static_cast<unsigned char>(npy[7])));
  }
  const size_t length_size = major == 1 ? 2 : 4;
  const size_t prefix = kNpyMagicSize + 2 + length_size;
  if (npy.size() < prefix) throw Error(quoted + ": .npy truncated inside its header length");
  const uint64_t header_size = length_size == 2 ? get_u16(npy, 8) : get_u32(npy, 8);
  if (prefix + header_size > npy.size()) {
    throw Error(quoted + ": .npy header of " + std::to_string(header_size) + " bytes runs past the member's " +
                std::to_string(npy.size()) + " bytes");
  }
  const std::string text = npy.substr(prefix, header_size);
  const NpyHeader header = NpyHeaderParser(text, name).parse();

  if (*header.descr != "<f4") {
    throw Error(quoted + " has dtype '" + *header.descr + "', expected '<f4' (little-endian float32)");
  }
  if (*header.fortran_order) throw Error(quoted + " is in Fortran order, expected C order");
  if (header.shape->size() != 1) {
    throw Error(quoted + " has shape " + shape_text(*header.shape) + ", expected a 1-D array");
  }
  const uint64_t count = header.shape->front();
  const uint64_t data_size = npy.size() - prefix - header_size;
  if (data_size != count * 4) {
    throw Error(quoted + " holds " + std::to_string(data_size) + " data bytes, expected " + std::to_string(count * 4) +
                " for shape " + shape_text(*header.shape));
  }
  std::vector<float> values(count);
  for (size_t i = 0; i < count; ++i) {
    const uint32_t bits = get_u32(npy, prefix + header_size + 4 * i);
    std::memcpy(&values[i], &bits, sizeof bits);
  }
  return values;
}

}  // namespace enu::npz
