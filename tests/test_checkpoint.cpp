// Checkpoints (host/evolution/checkpoint.cpp) and their container (host/evolution/npz.cpp): exact
// round trips, a standard zip/.npy layout, and clean errors on damaged files.

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "npz.hpp"
#include "enu/checkpoint.hpp"
#include "enu/common.hpp"

namespace enu {
namespace {

namespace fs = std::filesystem;

std::vector<uint32_t> float_bits(const std::vector<float>& values) {
  std::vector<uint32_t> bits(values.size());
  if (!values.empty()) std::memcpy(bits.data(), values.data(), 4 * values.size());
  return bits;
}

uint64_t double_bits(double value) {
  uint64_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
}

float float_from_bits(uint32_t bits) {
  float value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

// Random bit patterns (so NaNs with payloads too) after the values most likely
// to be mangled by a text or float conversion.
std::vector<float> awkward_floats(size_t count, std::mt19937& rng) {
  std::vector<float> values = {0.15625f,
                               -0.0f,
                               std::numeric_limits<float>::denorm_min(),
                               -std::numeric_limits<float>::denorm_min() * 77,
                               std::numeric_limits<float>::max(),
                               -std::numeric_limits<float>::infinity(),
                               float_from_bits(0x7FC12345),  // quiet NaN with a payload
                               0.1f,
                               3.4e37f};
  while (values.size() < count) values.push_back(float_from_bits(static_cast<uint32_t>(rng())));
  values.resize(count);
  return values;
}

Checkpoint sample_checkpoint(size_t param_count, bool adam, uint32_t seed = 1) {
  std::mt19937 rng(seed);
  Checkpoint checkpoint;
  checkpoint.state.generation = 123456789012ull;
  checkpoint.state.optimizer_steps = 42;
  checkpoint.state.theta = awkward_floats(param_count, rng);
  checkpoint.state.moment1 = awkward_floats(param_count, rng);
  if (adam) checkpoint.state.moment2 = awkward_floats(param_count, rng);
  checkpoint.seed = 0xFFFFFFFFFFFFFFFFull;
  checkpoint.best_fitness = 0.1 + 1e-17;
  checkpoint.best_generation = 99;
  checkpoint.config_yaml =
      "# resolved config\nes:\n  sigma: 0.02\n  name: \"a: 'quoted' value\"\n\ttab: |\n  trailing  \n\n";
  return checkpoint;
}

void expect_same(const Checkpoint& expected, const Checkpoint& actual) {
  EXPECT_EQ(expected.state.generation, actual.state.generation);
  EXPECT_EQ(expected.state.optimizer_steps, actual.state.optimizer_steps);
  EXPECT_EQ(float_bits(expected.state.theta), float_bits(actual.state.theta));
  EXPECT_EQ(float_bits(expected.state.moment1), float_bits(actual.state.moment1));
  EXPECT_EQ(float_bits(expected.state.moment2), float_bits(actual.state.moment2));
  EXPECT_EQ(expected.seed, actual.seed);
  EXPECT_EQ(double_bits(expected.best_fitness), double_bits(actual.best_fitness));
  EXPECT_EQ(expected.best_generation, actual.best_generation);
  EXPECT_EQ(expected.config_yaml, actual.config_yaml);
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

uint32_t u32_at(const std::string& bytes, size_t at) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = v << 8 | static_cast<unsigned char>(bytes[at + i]);
  return v;
}

class CheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path(::testing::TempDir()) / ("enu_checkpoint_" + std::string(info->name()) + "_" +
                                               std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string file(const std::string& name) const { return (dir_ / name).string(); }

  // Loading `path` must throw enu::Error (never anything else, never crash)
  // whose message names the file; returns the message.
  static std::string load_error(const std::string& path) {
    try {
      load_checkpoint(path);
    } catch (const Error& e) {
      const std::string message = e.what();
      EXPECT_NE(message.find(path), std::string::npos) << message;
      return message;
    }
    ADD_FAILURE() << "loading " << path << " did not throw";
    return "";
  }

  // Rewrites one member of a saved checkpoint (or drops it when `bytes` is
  // null), keeping the archive itself valid.
  void replace_member(const std::string& path, const std::string& name, const std::string* bytes) {
    std::vector<npz::Member> members = npz::unzip_stored(read_bytes(path));
    std::vector<npz::Member> kept;
    for (npz::Member& m : members) {
      if (m.name != name) {
        kept.push_back(std::move(m));
      } else if (bytes) {
        kept.push_back({name, *bytes});
      }
    }
    write_bytes(path, npz::zip_stored(kept));
  }

  fs::path dir_;
};

TEST(Npz, Crc32MatchesTheStandardCheckValue) {
  // The check value of CRC-32/ISO-HDLC, the zip CRC, is defined on "123456789".
  const std::string check = "123456789";
  EXPECT_EQ(npz::crc32(check.data(), check.size()), 0xCBF43926u);
  EXPECT_EQ(npz::crc32(check.data() + 5, 4, npz::crc32(check.data(), 5)), 0xCBF43926u) << "continuation";
  EXPECT_EQ(npz::crc32(nullptr, 0), 0u);
}

TEST(Npz, NpyHeaderIsNumpysAndDataIs64ByteAligned) {
  const std::string npy = npz::npy_from_floats({1.0f, -2.0f, 0.5f});
  ASSERT_EQ(npy.compare(0, 8, std::string("\x93NUMPY\x01\x00", 8)), 0);
  const size_t header_size = static_cast<unsigned char>(npy[8]) | static_cast<unsigned char>(npy[9]) << 8;
  EXPECT_EQ((10 + header_size) % 64, 0u);
  const std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }";
  EXPECT_EQ(npy.substr(10, header_size), dict + std::string(header_size - dict.size() - 1, ' ') + "\n");
  ASSERT_EQ(npy.size(), 10 + header_size + 12);
  EXPECT_EQ(u32_at(npy, 10 + header_size + 4), 0xC0000000u) << "-2.0f little-endian";
  EXPECT_EQ(float_bits(npz::floats_from_npy(npy, "x.npy")), float_bits({1.0f, -2.0f, 0.5f}));
  EXPECT_TRUE(npz::floats_from_npy(npz::npy_from_floats({}), "empty.npy").empty());
}

TEST(Npz, NpyWithWrongDtypeShapeOrOrderIsRejected) {
  // A .npy with the given header dict; format 1.0 has a 2-byte header length,
  // 2.0 a 4-byte one.
  const auto npy_with = [](const std::string& dict, size_t data_bytes, char major = 1) {
    const std::string header = dict + "\n";
    std::string npy = std::string("\x93NUMPY", 6) + major + '\0';
    for (int byte = 0; byte < (major == 1 ? 2 : 4); ++byte) npy += static_cast<char>(header.size() >> (8 * byte));
    return npy + header + std::string(data_bytes, '\0');
  };
  const auto error = [](const std::string& npy) {
    try {
      npz::floats_from_npy(npy, "theta.npy");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(error(npy_with("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", 16)).find("dtype '<f8'"),
            std::string::npos);
  EXPECT_NE(error(npy_with("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", 8)).find("Fortran"),
            std::string::npos);
  EXPECT_NE(error(npy_with("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 24)).find("(2, 3)"),
            std::string::npos);
  EXPECT_NE(error(npy_with("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", 12)).find("12 data bytes"),
            std::string::npos);
  EXPECT_NE(error(npy_with("{'descr': '<f4', 'shape': (3,), }", 12)).find("needs the keys"), std::string::npos);
  EXPECT_NE(error(npy_with("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }", 0))
                .find("too large"),
            std::string::npos);
  EXPECT_NE(error("PK\x03\x04").find("not a .npy"), std::string::npos);
  EXPECT_EQ(npz::floats_from_npy(npy_with("{'descr':'<f4','fortran_order':False,'shape':(3,)}", 12, 2), "v2.npy"),
            std::vector<float>(3, 0.0f));
}

TEST(Npz, ZipRoundTripsMembersAndRefusesCompressedOnes) {
  const std::vector<npz::Member> members = {{"a.txt", "hello"}, {"empty", ""}, {"b.bin", std::string("\0\xFF\0", 3)}};
  const std::string archive = npz::zip_stored(members);
  const std::vector<npz::Member> back = npz::unzip_stored(archive);
  ASSERT_EQ(back.size(), members.size());
  for (size_t i = 0; i < members.size(); ++i) {
    EXPECT_EQ(back[i].name, members[i].name);
    EXPECT_EQ(back[i].bytes, members[i].bytes);
  }
  // Mark the first member deflated (method 8) in both headers.
  std::string deflated = archive;
  deflated[8] = 8;
  deflated[archive.find("PK\x01\x02") + 10] = 8;
  EXPECT_THROW(npz::unzip_stored(deflated), Error);
  EXPECT_THROW(npz::unzip_stored(npz::zip_stored({{"x", "1"}, {"x", "2"}})), Error) << "duplicate names";
}

TEST_F(CheckpointTest, SaveThenLoadIsBitExact) {
  // Adam (two moments) and SGD (moment2 empty), and best fitnesses that a
  // decimal round trip could lose: -0, a denormal, infinities, a NaN payload.
  const double best_fitnesses[] = {0.1 + 1e-17, -0.0, std::numeric_limits<double>::denorm_min() * 3,
                                   -std::numeric_limits<double>::infinity(), std::nan("0x5")};
  for (const bool adam : {true, false}) {
    for (const double best : best_fitnesses) {
      Checkpoint saved = sample_checkpoint(1000, adam);
      saved.best_fitness = best;
      save_checkpoint(file("run.npz"), saved);
      expect_same(saved, load_checkpoint(file("run.npz")));
    }
  }
  const Checkpoint empty;  // zero parameters, default everything
  save_checkpoint(file("empty.npz"), empty);
  expect_same(empty, load_checkpoint(file("empty.npz")));
}

TEST_F(CheckpointTest, FileIsAStandardZip) {
  save_checkpoint(file("run.npz"), sample_checkpoint(10, true));
  const std::string bytes = read_bytes(file("run.npz"));
  ASSERT_GE(bytes.size(), 30u);
  EXPECT_EQ(u32_at(bytes, 0), 0x04034b50u) << "local file header signature";
  EXPECT_EQ(u32_at(bytes, bytes.size() - 22), 0x06054b50u) << "end of central directory, no comment";
  // The first member is header.yaml; its local header records its CRC-32.
  const size_t name_size = static_cast<unsigned char>(bytes[26]);
  ASSERT_EQ(bytes.substr(30, name_size), "header.yaml");
  const std::string header = npz::unzip_stored(bytes).front().bytes;
  EXPECT_EQ(u32_at(bytes, 14), npz::crc32(header.data(), header.size()));
  EXPECT_NE(header.find("format: enu-checkpoint\nversion: 1\n"), std::string::npos) << header;
  EXPECT_NE(header.find("param_count: 10\n"), std::string::npos) << header;
}

TEST_F(CheckpointTest, FlippedByteInThetaFailsItsCrc) {
  save_checkpoint(file("run.npz"), sample_checkpoint(100, true));
  std::string bytes = read_bytes(file("run.npz"));
  // The first "theta.npy" is the local header's name; the .npy follows it.
  const size_t npy = bytes.find("theta.npy") + std::strlen("theta.npy");
  ASSERT_EQ(bytes.compare(npy, 6, "\x93NUMPY"), 0);
  const size_t data = npy + 10 + (static_cast<unsigned char>(bytes[npy + 8]) | static_cast<unsigned char>(bytes[npy + 9]) << 8);
  bytes[data + 17] ^= 0x01;
  write_bytes(file("run.npz"), bytes);
  const std::string message = load_error(file("run.npz"));
  EXPECT_NE(message.find("CRC-32 mismatch"), std::string::npos) << message;
  EXPECT_NE(message.find("theta.npy"), std::string::npos) << message;
}

TEST_F(CheckpointTest, EveryTruncationThrows) {
  save_checkpoint(file("full.npz"), sample_checkpoint(300, true));
  const std::string bytes = read_bytes(file("full.npz"));
  const std::string path = file("cut.npz");
  // A coarse stride over the whole file, plus every length near both ends
  // where the headers and the central directory are.
  std::vector<size_t> lengths;
  for (size_t n = 0; n < bytes.size(); n += 37) lengths.push_back(n);
  for (size_t n = 0; n < 64; ++n) lengths.push_back(n);
  for (size_t n = bytes.size() - 400; n < bytes.size(); ++n) lengths.push_back(n);
  for (const size_t length : lengths) {
    write_bytes(path, bytes.substr(0, length));
    SCOPED_TRACE("truncated to " + std::to_string(length) + " of " + std::to_string(bytes.size()) + " bytes");
    load_error(path);
  }
  write_bytes(path, bytes.substr(0, bytes.size() - 1));
  EXPECT_NE(load_error(path).find("truncated"), std::string::npos);
}

TEST_F(CheckpointTest, GarbageFilesThrow) {
  write_bytes(file("empty.npz"), "");
  EXPECT_NE(load_error(file("empty.npz")).find("not a zip archive"), std::string::npos);

  std::mt19937 rng(7);
  std::string noise(5000, '\0');
  for (char& c : noise) c = static_cast<char>(rng());
  write_bytes(file("noise.npz"), noise);
  load_error(file("noise.npz"));

  EXPECT_NE(load_error(file("missing.npz")).find("No such file"), std::string::npos);
  EXPECT_NE(load_error(dir_.string()).find("cannot read"), std::string::npos) << "a directory";

  // An end record pointing its central directory past the end of the file.
  std::string end_only = std::string("PK\x05\x06", 4) + std::string(18, '\0');
  end_only[8] = end_only[10] = 1;   // one entry
  end_only[12] = 46;                // 46 bytes of directory
  end_only[17] = 0x10;              // at offset 4096
  write_bytes(file("end_only.npz"), end_only);
  EXPECT_NE(load_error(file("end_only.npz")).find("central directory at offset 4096"), std::string::npos);
}

TEST_F(CheckpointTest, RandomByteChangesThrowOrLoadButNeverCrash) {
  save_checkpoint(file("full.npz"), sample_checkpoint(50, false));
  const std::string bytes = read_bytes(file("full.npz"));
  std::mt19937 rng(11);
  for (size_t at = 0; at < bytes.size(); at += 3) {
    std::string changed = bytes;
    changed[at] = static_cast<char>(changed[at] ^ (1 + rng() % 255));
    write_bytes(file("changed.npz"), changed);
    try {
      load_checkpoint(file("changed.npz"));  // e.g. a changed timestamp is harmless
    } catch (const Error&) {
    }
  }
}

TEST_F(CheckpointTest, BadHeadersAndMembersAreNamed) {
  const std::string path = file("run.npz");
  const Checkpoint saved = sample_checkpoint(8, true);
  save_checkpoint(path, saved);
  const std::string header = npz::unzip_stored(read_bytes(path)).front().bytes;
  const auto with_header = [&](const std::string& from, const std::string& to) {
    save_checkpoint(path, saved);
    std::string changed = header;
    changed.replace(changed.find(from), from.size(), to);
    replace_member(path, "header.yaml", &changed);
    return load_error(path);
  };
  EXPECT_NE(with_header("version: 1", "version: 2").find("unsupported checkpoint version 2"), std::string::npos);
  EXPECT_NE(with_header("format: enu-checkpoint", "format: other").find("format is 'other'"), std::string::npos);
  EXPECT_NE(with_header("param_count: 8", "param_count: 9").find("theta has 8 values"), std::string::npos);
  EXPECT_NE(with_header("seed: ", "seed: -").find("'seed'"), std::string::npos);
  EXPECT_NE(with_header("generation: ", "generation_: ").find("lacks the key 'generation'"), std::string::npos);
  EXPECT_NE(with_header("format:", "[format:").find("header.yaml"), std::string::npos);

  save_checkpoint(path, saved);
  replace_member(path, "moment1.npy", nullptr);
  EXPECT_NE(load_error(path).find("missing member 'moment1.npy'"), std::string::npos);

  const std::string short_moment = npz::npy_from_floats({1.0f, 2.0f});
  save_checkpoint(path, saved);
  replace_member(path, "moment1.npy", &short_moment);
  EXPECT_NE(load_error(path).find("moment1 has 2 values"), std::string::npos);
  save_checkpoint(path, saved);
  replace_member(path, "moment2.npy", &short_moment);
  EXPECT_NE(load_error(path).find("moment2 has 2 values, expected 0 (SGD) or param_count (8)"), std::string::npos);
}

TEST_F(CheckpointTest, SaveReplacesAtomicallyAndLeavesNoTemporary) {
  const std::string path = file("run.npz");
  save_checkpoint(path, sample_checkpoint(20, true, 1));
  const Checkpoint second = sample_checkpoint(30, false, 2);
  save_checkpoint(path, second);
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir_)) names.push_back(entry.path().filename().string());
  EXPECT_EQ(names, std::vector<std::string>{"run.npz"});
  expect_same(second, load_checkpoint(path));
}

TEST_F(CheckpointTest, SaveErrorsNameThePath) {
  const std::string path = file("no/such/dir/run.npz");
  try {
    save_checkpoint(path, sample_checkpoint(4, true));
    ADD_FAILURE() << "saving into a missing directory did not throw";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("No such file or directory"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(file("no")));

  Checkpoint inconsistent = sample_checkpoint(4, true);
  inconsistent.state.moment1.pop_back();
  EXPECT_THROW(save_checkpoint(file("bad.npz"), inconsistent), Error);
  EXPECT_TRUE(fs::is_empty(dir_)) << "a refused save creates nothing";
}

// The interpreter that has numpy, or "" when none does.
std::string python_with_numpy() {
  for (const std::string python : {"python3", "/usr/bin/python3"}) {
    if (std::system((python + " -c 'import numpy' >/dev/null 2>&1").c_str()) == 0) return python;
  }
  return "";
}

TEST_F(CheckpointTest, NumpyLoadsTheCheckpoint) {
  const std::string python = python_with_numpy();
  if (python.empty()) GTEST_SKIP() << "no python3 with numpy (tried python3 and /usr/bin/python3)";
  const Checkpoint saved = sample_checkpoint(257, false);
  save_checkpoint(file("run.npz"), saved);
  const std::string command =
      python + " " + ENU_SOURCE_DIR + "/tools/read_checkpoint.py '" + file("run.npz") + "' 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr) << command;
  std::string output;
  char buffer[4096];
  for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) output.append(buffer, n);
  ASSERT_EQ(::pclose(pipe), 0) << command << "\n" << output;

  char first[64];
  std::snprintf(first, sizeof first, "theta[0] = %.9g\n", static_cast<double>(saved.state.theta[0]));
  for (const std::string& expected : {std::string("format: enu-checkpoint\n"), std::string("param_count: 257\n"),
                                     std::string("theta: shape (257,) dtype float32\n"),
                                     std::string("moment1: shape (257,) dtype float32\n"),
                                     std::string("moment2: shape (0,) dtype float32\n"), std::string(first)}) {
    EXPECT_NE(output.find(expected), std::string::npos) << "expected '" << expected << "' in:\n" << output;
  }
}

}  // namespace
}  // namespace enu
