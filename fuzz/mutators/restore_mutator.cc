#include "mutators/restore_mutator.h"

#include <algorithm>
#include <functional>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "format/page.h"
#include "log_image.h"
#include "restore/script.h"

namespace jetfault::fuzz {

namespace format = jet::format;

namespace {

constexpr std::size_t kSector = 4096;  // log sectors and checkpoint copies
constexpr char kManifestName[] = "jetbackup.manifest";
constexpr std::uint8_t kResealed = 4;  // RestoreEdit::action bit: re-sealed

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

class RestoreMutation {
 public:
  RestoreMutation(MutationRng& rng, const ByteMutator& fallback, const RestoreMutatorContext& context,
                  const std::vector<std::string>& files, faultfs::MemFs& state)
      : rng_(rng), fallback_(fallback), context_(context), files_(files), state_(state) {}

  // One new edit inside a structure, computed against the files as the script left them.
  std::optional<RestoreEdit> NewEdit() {
    for (int attempt = 0; attempt < 4; ++attempt) {
      const std::size_t roll = rng_.Below(100);
      std::optional<RestoreEdit> edit;
      if (roll < 52) {
        edit = LogEdit(&RestoreMutation::RecordPayload);
      } else if (roll < 58) {
        edit = LogEdit(&RestoreMutation::RecordType);
      } else if (roll < 66) {
        edit = LogEdit(&RestoreMutation::SegmentField);
      } else if (roll < 69) {
        edit = LogEdit(&RestoreMutation::LogHeaderField);
      } else if (roll < 89) {
        edit = DatabasePage();
      } else if (roll < 94) {
        edit = DatabaseHeader();
      } else if (roll < 96) {
        edit = SmallRange([](const std::string& name) { return name == kManifestName; }, 20, 0, 4);
      } else if (roll < 99) {
        edit = SmallRange([](const std::string& name) { return EndsWith(name, ".chk"); }, 4, 700, 8);
      } else {
        edit = LogCut();  // a log cut at a segment boundary, re-sealed (the manifest follows)
      }
      if (!edit) continue;
      if (rng_.Percent(3)) edit->action &= static_cast<std::uint8_t>(~kResealed);  // left unsealed
      return edit;
    }
    return std::nullopt;
  }

 private:
  using LogEditFn = std::optional<RestoreEdit> (RestoreMutation::*)(std::size_t, std::vector<std::uint8_t>&,
                                                                    const LogImage&);

  std::string Name(std::size_t index) const { return faultfs::BaseName(files_[index]); }
  bool InSet(std::size_t index) const { return faultfs::ParentPath(files_[index]) == context_.backup_dir; }

  // A file that still exists and satisfies `pred`, with its bytes.
  std::optional<std::size_t> Pick(const std::function<bool(std::size_t)>& pred, std::vector<std::uint8_t>* bytes) {
    std::vector<std::size_t> candidates;
    for (std::size_t i = 0; i < files_.size(); ++i) {
      if (pred(i)) candidates.push_back(i);
    }
    while (!candidates.empty()) {
      const std::size_t k = rng_.Below(candidates.size());
      if (faultfs::ReadWholeFile(state_, files_[candidates[k]], bytes).ok() && !bytes->empty()) return candidates[k];
      candidates.erase(candidates.begin() + static_cast<std::ptrdiff_t>(k));
    }
    return std::nullopt;
  }

  RestoreEdit Overwrite(std::size_t index, std::size_t offset, std::span<const std::uint8_t> bytes) const {
    return RestoreEdit{static_cast<std::uint8_t>(index), kResealed, static_cast<std::uint32_t>(offset),
                       std::vector<std::uint8_t>(bytes.begin(), bytes.end())};
  }

  // Mutates file[offset, offset + length) (clipped to the file) and returns the edit.
  std::optional<RestoreEdit> MutateAt(std::size_t index, const std::vector<std::uint8_t>& file, std::size_t offset,
                                      std::size_t length) {
    if (offset >= file.size()) return std::nullopt;
    length = std::min({length, file.size() - offset, kMaxRestoreEditBytes});
    std::vector<std::uint8_t> field(file.begin() + static_cast<std::ptrdiff_t>(offset),
                                    file.begin() + static_cast<std::ptrdiff_t>(offset + length));
    MutateField(rng_, field, file, fallback_);
    return Overwrite(index, offset, field);
  }

  std::optional<RestoreEdit> LogEdit(LogEditFn fn) {
    std::vector<std::uint8_t> file;
    const auto index = Pick([this](std::size_t i) { return EndsWith(Name(i), ".log"); }, &file);
    if (!index) return std::nullopt;
    LogImage image;
    if (!ParseLogImage(file, &image)) {
      // A header that no longer decodes: re-sealing a header byte may repair it.
      return MutateAt(*index, file, rng_.Below(96), 1);
    }
    return (this->*fn)(*index, file, image);
  }

  std::optional<RestoreEdit> RecordPayload(std::size_t index, std::vector<std::uint8_t>& file, const LogImage& image) {
    if (image.records.empty()) return std::nullopt;
    const std::size_t r = rng_.Below(image.records.size());
    const LogImage::Record& record = image.records[r];
    if (record.payload_size == 0) return RecordType(index, file, image);
    const std::size_t from = rng_.Below(record.payload_size);
    const std::size_t n = 1 + rng_.Below(std::min<std::size_t>(16, record.payload_size - from));
    const auto runs = image.PayloadRuns(r, from, n);
    return MutateAt(index, file, runs.front().first, runs.front().second);
  }

  std::optional<RestoreEdit> RecordType(std::size_t index, std::vector<std::uint8_t>& file, const LogImage& image) {
    if (image.records.empty()) return std::nullopt;
    const std::size_t at = image.Offset(image.records[rng_.Below(image.records.size())].begin);
    const std::uint8_t type = rng_.Percent(80) ? image.records[rng_.Below(image.records.size())].type
                                               : static_cast<std::uint8_t>(rng_.Next());
    (void)file;
    return Overwrite(index, at, std::span(&type, 1));
  }

  std::optional<RestoreEdit> SegmentField(std::size_t index, std::vector<std::uint8_t>& file, const LogImage& image) {
    if (image.segments.empty()) return std::nullopt;
    const std::size_t base = image.segments[rng_.Below(image.segments.size())].isec * kSector;
    static constexpr std::pair<std::size_t, std::size_t> kFields[] = {{16, 8}, {24, 8}, {32, 2}, {34, 2}, {8, 8}};
    const auto [offset, length] = kFields[rng_.Below(std::size(kFields))];
    return MutateAt(index, file, base + offset, length);
  }

  std::optional<RestoreEdit> LogHeaderField(std::size_t index, std::vector<std::uint8_t>& file, const LogImage&) {
    // generation, csecLGFile, page size, tmCreate, tmPrevGen, signLog, flags, lgposPrevGenEnd, attach list
    static constexpr std::pair<std::size_t, std::size_t> kFields[] = {{4, 4},  {12, 2}, {14, 2}, {16, 8},  {24, 8},
                                                                      {44, 4}, {72, 4}, {76, 8}, {671, 16}};
    const auto [offset, length] = kFields[rng_.Below(std::size(kFields))];
    return MutateAt(index, file, offset, length);
  }

  std::optional<RestoreEdit> LogCut() {
    std::vector<std::uint8_t> file;
    const auto index = Pick([this](std::size_t i) { return EndsWith(Name(i), ".log"); }, &file);
    if (!index || file.size() < 3 * kSector) return std::nullopt;
    const std::size_t sectors = file.size() / kSector;
    RestoreEdit edit{static_cast<std::uint8_t>(*index),
                     static_cast<std::uint8_t>(kResealed | 2),
                     static_cast<std::uint32_t>((2 + rng_.Below(sectors - 2)) * kSector),
                     {}};
    return edit;
  }

  bool IsDatabaseCopy(std::size_t i) const {
    const std::string name = Name(i);
    return InSet(i) && name != kManifestName && !EndsWith(name, ".log");
  }

  std::optional<RestoreEdit> DatabasePage() {
    std::vector<std::uint8_t> file;
    const auto index = Pick([this](std::size_t i) { return IsDatabaseCopy(i); }, &file);
    const std::size_t page_size = context_.page_size;
    if (!index || file.size() / page_size < 4) return std::nullopt;
    // Pages 1..pgno_last sit at file pages 2..n-2 (header pair first, trailer last).
    const std::size_t p = 2 + rng_.Below(file.size() / page_size - 3);
    const std::size_t base = p * page_size;
    const auto page = std::span<const std::uint8_t>(file).subspan(base, page_size);
    const std::size_t roll = rng_.Below(100);
    if (roll < 35) {
      // dbtime, pgnoPrev, pgnoNext, objid, flags (what replay and the link check read) twice as
      // often as cbFree, cbUncommittedFree, ibMicFree, ctag (the layout, which verification
      // refuses when it no longer adds up: db_page_fuzzer's ground)
      static constexpr std::pair<std::size_t, std::size_t> kFields[] = {{8, 8},  {16, 4}, {20, 4}, {24, 4}, {36, 4},
                                                                        {8, 8},  {16, 4}, {20, 4}, {24, 4}, {36, 4},
                                                                        {28, 2}, {30, 2}, {32, 2}, {34, 2}};
      const auto [offset, length] = kFields[rng_.Below(std::size(kFields))];
      return MutateAt(*index, file, base + offset, length);
    }
    const std::size_t count = format::NodeCount(page);
    if (count == 0) return MutateAt(*index, file, base + 8, 8);
    const std::size_t i = rng_.Below(count);
    if (roll < 90) {
      const auto node = format::NodeAt(page, i);
      if (node.empty()) return std::nullopt;
      const std::size_t from = rng_.Below(node.size());
      const std::size_t offset = static_cast<std::size_t>(node.data() - file.data()) + from;
      return MutateAt(*index, file, offset, 1 + rng_.Below(std::min<std::size_t>(16, node.size() - from)));
    }
    // The tag of node i (ib, cb) at the end of the page.
    return MutateAt(*index, file, base + page_size - format::kTagSize * (i + 1), format::kTagSize);
  }

  std::optional<RestoreEdit> DatabaseHeader() {
    std::vector<std::uint8_t> file;
    const auto index = Pick([this](std::size_t i) { return IsDatabaseCopy(i); }, &file);
    if (!index) return std::nullopt;
    const std::size_t base = rng_.Below(2) * context_.page_size;  // the primary or the shadow
    // dbtimeDirtied, signDb, dbstate, lgposConsistent, lgposAttach, lgposDetach, bkinfoFullCur, objidLast,
    // genMinRequired, genMaxRequired, pgnoLast (both words)
    static constexpr std::pair<std::size_t, std::size_t> kFields[] = {
        {16, 8}, {24, 4}, {52, 4}, {56, 8}, {80, 8}, {96, 8}, {184, 24}, {212, 4}, {296, 4}, {300, 4}, {1024, 4}};
    const auto [offset, length] = kFields[rng_.Below(std::size(kFields))];
    auto edit = MutateAt(*index, file, base + offset, length);
    if (edit && offset == 1024) {  // pgnoLast is stored twice; keep the twins equal (mostly)
      edit->bytes.resize(8);
      std::copy_n(edit->bytes.begin(), 4, edit->bytes.begin() + 4);
    }
    return edit;
  }

  // A few bytes of [from, to) (to 0: the end) of a file chosen by name.
  std::optional<RestoreEdit> SmallRange(const std::function<bool(const std::string&)>& by_name, std::size_t from,
                                        std::size_t to, std::size_t max_length) {
    std::vector<std::uint8_t> file;
    const auto index = Pick([&](std::size_t i) { return by_name(Name(i)); }, &file);
    if (!index) return std::nullopt;
    if (to == 0 || to > file.size()) to = file.size();
    if (from >= to) return std::nullopt;
    return MutateAt(*index, file, from + rng_.Below(to - from), 1 + rng_.Below(max_length));
  }

  MutationRng& rng_;
  const ByteMutator& fallback_;
  const RestoreMutatorContext& context_;
  const std::vector<std::string>& files_;
  faultfs::MemFs& state_;
};

}  // namespace

std::size_t MutateRestoreScript(std::uint8_t* data, std::size_t size, std::size_t max_size, std::uint64_t seed,
                                const RestoreMutatorContext& context, const ByteMutator& fallback, MutationKind* kind) {
  MutationRng rng(seed);
  if (kind != nullptr) *kind = MutationKind::kFallback;
  const std::size_t roll = rng.Below(100);
  if (roll < 15) return fallback(data, size, max_size);

  RestoreScript script = RestoreScript::Parse(Bytes(data, size));
  MutationKind done = MutationKind::kScript;
  if (roll < 30) {
    std::vector<std::size_t> unsealed;
    for (std::size_t i = 0; i < script.edits.size(); ++i) {
      if (!script.edits[i].resealed() && script.edits[i].kind() != EditAction::kDelete) unsealed.push_back(i);
    }
    const std::size_t op = rng.Below(100);
    if (op < 35 && !unsealed.empty()) {
      // An existing raw edit re-sealed: the same change, now past the checksums.
      script.edits[unsealed[rng.Below(unsealed.size())]].action |= kResealed;
    } else if (op < 70 && !script.edits.empty()) {
      script.edits.erase(script.edits.begin() + static_cast<std::ptrdiff_t>(rng.Below(script.edits.size())));
    } else if (op < 80) {
      script.head ^= 0x08;  // szDest: null or a directory that does not exist yet
    } else if (op < 90) {
      script.plan.clear();
    } else {
      const std::size_t plan_size = script.plan.size();
      script.plan.resize(plan_size + 64);
      script.plan.resize(fallback(script.plan.data(), plan_size, script.plan.size()));
    }
  } else {
    if (script.edits.size() == kMaxRestoreEdits) script.edits.erase(script.edits.begin());
    std::unique_ptr<faultfs::MemFs> state = context.base->Clone();
    const std::vector<std::string> files = EditableFiles(*state, context.backup_dir, context.log_dir);
    ApplyEdits(*state, files, script.edits, context.backup_dir, context.page_size);
    RestoreMutation mutation(rng, fallback, context, files, *state);
    std::optional<RestoreEdit> edit = mutation.NewEdit();
    if (!edit) return fallback(data, size, max_size);
    done = (edit->action & kResealed) != 0 ? MutationKind::kSealed : MutationKind::kDamaged;
    script.edits.push_back(std::move(*edit));
  }
  const std::vector<std::uint8_t> out = script.Serialize();
  if (out.size() > max_size) return fallback(data, size, max_size);
  std::copy(out.begin(), out.end(), data);
  if (kind != nullptr) *kind = done;
  return out.size();
}

}  // namespace jetfault::fuzz
