#pragma once
/// @brief A small writer and reader of uncompressed zip archives holding float32
/// .npy members: the container of checkpoints (an .npz that np.load reads).
/// Internal to host/. Errors are enu::Error with messages that name the member
/// and the offset but not the file; callers add the file name.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace enu::npz {

/// CRC-32 as used by zip, gzip and PNG (IEEE 802.3, reflected, polynomial
/// 0xEDB88320). Pass the previous result as `crc` to continue over more bytes.
uint32_t crc32(const void* data, size_t size, uint32_t crc = 0);

struct Member {
  std::string name;
  std::string bytes;
};

/// The bytes of a zip archive storing `members` uncompressed (method 0), in
/// order, with fixed timestamps so equal members give equal archives. Throws
/// enu::Error when the archive would need zip64 (a member or the whole >= 4 GiB).
std::string zip_stored(const std::vector<Member>& members);

/// The members of the zip archive held in `archive`, in central-directory order.
/// Every offset is bounds-checked; each member must be stored (not compressed or
/// encrypted), agree with its local header and match its CRC-32; names are unique.
std::vector<Member> unzip_stored(const std::string& archive);

/// A 1-D little-endian float32 .npy (format 1.0) whose data starts 64-byte
/// aligned within the .npy, as numpy writes it.
std::string npy_from_floats(const std::vector<float>& values);

/// The values of a 1-D little-endian float32 C-order .npy (format 1.0, 2.0 or
/// 3.0); `name` (the member name) goes into error messages.
std::vector<float> floats_from_npy(const std::string& npy, const std::string& name);

}  // namespace enu::npz
