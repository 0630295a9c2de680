// fuzz/corpus/seed_writer.h — where corpus_gen puts seeds: OUTDIR/<target>/seed-<name>.
// Identical content under two names is written once (the first name wins), so a
// scenario that produces the same page twice does not bloat the corpus.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace jetfault::corpus {

using Bytes = std::vector<std::uint8_t>;

class SeedWriter {
 public:
  explicit SeedWriter(std::filesystem::path root) : root_(std::move(root)) {}

  void Write(const std::string& target, const std::string& name, const Bytes& bytes) {
    if (!seen_.insert({target, bytes}).second) return;
    const std::filesystem::path dir = root_ / target;
    std::filesystem::create_directories(dir);
    const std::filesystem::path path = dir / ("seed-" + name);
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (!out) throw std::runtime_error("cannot write " + path.string());
    ++count_;
  }
  int count() const { return count_; }

 private:
  std::filesystem::path root_;
  std::set<std::pair<std::string, Bytes>> seen_;
  int count_ = 0;
};

}  // namespace jetfault::corpus
