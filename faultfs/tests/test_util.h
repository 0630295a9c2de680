// test_util.h — small helpers shared by the faultfs tests.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "faultfs/vfs.h"

namespace faultfs::testing_util {

inline std::vector<std::uint8_t> Bytes(const std::string& s) { return std::vector<std::uint8_t>(s.begin(), s.end()); }

// The whole file as a string; fails the test (and returns "<error>") if unreadable.
inline std::string Contents(Vfs& vfs, const std::string& path) {
  std::vector<std::uint8_t> data;
  Status s = ReadWholeFile(vfs, path, &data);
  EXPECT_TRUE(s.ok()) << path << ": " << s.ToString();
  if (!s.ok()) return "<error>";
  return std::string(data.begin(), data.end());
}

// Opens (creating if needed) for read/write, sharing everything.
inline std::unique_ptr<File> OpenRw(Vfs& vfs, const std::string& path) {
  std::unique_ptr<File> f;
  Status s = vfs.Open(path, OpenOptions{Access::kReadWrite, kShareAll, Disposition::kOpenAlways}, &f);
  EXPECT_TRUE(s.ok()) << path << ": " << s.ToString();
  return f;
}

// A fresh directory under /tmp, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    std::string pattern = "/tmp/faultfs_test.XXXXXX";
    char* made = ::mkdtemp(pattern.data());
    EXPECT_NE(made, nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace faultfs::testing_util
