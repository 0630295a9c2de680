// Properties of MemFs crash images, checked against a deliberately naive model of
// one file: a byte vector for the volatile state, one for the durable state, and the
// list of operations since the last sync.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>

#include "faultfs/mem_fs.h"
#include "test_util.h"

namespace faultfs {
namespace {

using testing_util::Contents;

struct ModelOp {
  bool is_truncate = false;
  std::uint64_t offset = 0;  // new size for a truncate
  std::vector<std::uint8_t> data;
};

void Apply(std::vector<std::uint8_t>& file, const ModelOp& op) {
  if (op.is_truncate) {
    file.resize(op.offset, 0);
    return;
  }
  if (file.size() < op.offset + op.data.size()) file.resize(op.offset + op.data.size(), 0);
  std::copy(op.data.begin(), op.data.end(), file.begin() + static_cast<std::ptrdiff_t>(op.offset));
}

struct Workload {
  MemFs fs;
  std::vector<std::uint8_t> live;
  std::vector<std::uint8_t> durable;
  std::vector<ModelOp> pending;
};

// Runs a random sequence of writes, truncates and syncs on /f. Each write fills its
// range with one non-zero tag byte, so a byte in an image names the write it came from.
void RunRandomWorkload(Workload* w) {
  std::unique_ptr<File> f;
  RC_ASSERT(w->fs.Open("/f", OpenOptions{Access::kReadWrite, kShareAll, Disposition::kCreateNew}, &f).ok());
  RC_ASSERT(w->fs.SyncDir("/").ok());
  const int steps = *rc::gen::inRange(1, 40);
  for (int i = 0; i < steps; ++i) {
    int kind = *rc::gen::inRange(0, 10);
    if (kind < 6) {
      ModelOp op;
      op.offset = *rc::gen::inRange<std::uint64_t>(0, 12000);
      op.data.assign(*rc::gen::inRange<std::size_t>(1, 5000), static_cast<std::uint8_t>(i % 254 + 1));
      RC_ASSERT(f->Write(op.offset, op.data).ok());
      Apply(w->live, op);
      w->pending.push_back(std::move(op));
    } else if (kind < 8) {
      ModelOp op;
      op.is_truncate = true;
      op.offset = *rc::gen::inRange<std::uint64_t>(0, 15000);
      RC_ASSERT(f->Truncate(op.offset).ok());
      if (w->live.size() != op.offset) w->pending.push_back(op);  // MemFs skips no-op truncates
      Apply(w->live, op);
    } else {
      RC_ASSERT(f->Sync().ok());
      w->durable = w->live;
      w->pending.clear();
    }
  }
  RC_ASSERT(w->fs.PendingWrites().size() == w->pending.size());
}

std::vector<std::uint8_t> ImageBytes(MemFs& image) {
  std::string s = Contents(image, "/f");
  return std::vector<std::uint8_t>(s.begin(), s.end());
}

// Whatever the policy: every byte was written (or is a zero some size change made),
// everything synced and not since overwritten survives, and the size is one some
// subset of the pending operations could produce.
RC_GTEST_PROP(CrashImageProperty, ImagesRespectTheDurabilityModel, ()) {
  Workload w;
  RunRandomWorkload(&w);
  CrashPolicy policy = CrashPolicy::Random(*rc::gen::arbitrary<std::uint64_t>(),
                                           *rc::gen::inRange<std::uint32_t>(0, 1'000'001));
  policy.keep_per_million = *rc::gen::inRange<std::uint32_t>(0, 1'000'001);
  policy.atomic_unit = *rc::gen::element<std::uint32_t>(512, 4096);
  policy.reorder = *rc::gen::arbitrary<bool>();
  std::vector<std::uint8_t> image = ImageBytes(*w.fs.CrashImage(policy));
  RC_LOG() << "seed " << policy.seed << " tear " << policy.tear_per_million << " reorder " << policy.reorder;

  std::uint64_t min_size = w.durable.size(), max_size = w.durable.size();
  for (const ModelOp& op : w.pending) {
    std::uint64_t end = op.is_truncate ? op.offset : op.offset + op.data.size();
    max_size = std::max(max_size, end);
    if (op.is_truncate) min_size = std::min(min_size, op.offset);
  }
  RC_ASSERT(image.size() >= min_size);
  RC_ASSERT(image.size() <= max_size);

  for (std::uint64_t i = 0; i < std::max<std::uint64_t>(image.size(), w.durable.size()); ++i) {
    bool touched = false, zero_allowed = i >= w.durable.size();
    std::vector<std::uint8_t> written;
    for (const ModelOp& op : w.pending) {
      if (op.is_truncate) {
        if (op.offset <= i) touched = zero_allowed = true;
      } else if (i >= op.offset && i < op.offset + op.data.size()) {
        touched = true;
        written.push_back(op.data[0]);
      }
    }
    if (!touched && i < w.durable.size()) {
      // Synced and never touched since: must be there, unchanged.
      RC_ASSERT(i < image.size());
      RC_ASSERT(image[i] == w.durable[i]);
      continue;
    }
    if (i >= image.size()) continue;
    std::uint8_t v = image[i];
    bool allowed = (i < w.durable.size() && v == w.durable[i]) || (v == 0 && zero_allowed) ||
                   std::find(written.begin(), written.end(), v) != written.end();
    RC_ASSERT(allowed);
  }
}

// With explicit keep/drop fates and no tearing or reordering, the image is exactly the
// durable state plus the kept operations applied in issue order.
RC_GTEST_PROP(CrashImageProperty, KeptSubsetIsAppliedExactly, ()) {
  Workload w;
  RunRandomWorkload(&w);
  std::vector<PendingWrite> pending = w.fs.PendingWrites();
  CrashPolicy policy;
  std::vector<std::uint8_t> expected = w.durable;
  for (std::size_t i = 0; i < pending.size(); ++i) {
    bool keep = *rc::gen::arbitrary<bool>();
    policy.write_overrides[pending[i].sequence] = keep ? Fate::kKeep : Fate::kDrop;
    if (keep) Apply(expected, w.pending[i]);
  }
  RC_ASSERT(ImageBytes(*w.fs.CrashImage(policy)) == expected);
  RC_ASSERT(ImageBytes(*w.fs.CrashImage(CrashPolicy::KeepAll())) == w.live);
  RC_ASSERT(ImageBytes(*w.fs.CrashImage(CrashPolicy::DropAll())) == w.durable);
}

std::vector<std::uint8_t> Replayed(std::vector<std::uint8_t> file, const std::vector<ModelOp>& ops) {
  for (const ModelOp& op : ops) Apply(file, op);
  return file;
}

// Stores bytes over what a file holds, never past its end (MemFs::CorruptStored).
void Overwrite(std::vector<std::uint8_t>& file, std::uint64_t offset, const std::vector<std::uint8_t>& bytes) {
  if (offset >= file.size()) return;
  const std::size_t n = std::min<std::size_t>(bytes.size(), file.size() - offset);
  std::copy_n(bytes.begin(), n, file.begin() + static_cast<std::ptrdiff_t>(offset));
}

// A sync makes durable exactly the pending writes that are still pending, on top of what
// was durable: writes lost by a failed sync stay lost, and bytes corrupted in storage
// stay corrupted under writes that did not cover them, however the operations interleave.
RC_GTEST_PROP(CrashImageProperty, SyncMakesDurableExactlyTheWritesStillPending, ()) {
  MemFs fs;
  std::unique_ptr<File> f;
  RC_ASSERT(fs.Open("/f", OpenOptions{Access::kReadWrite, kShareAll, Disposition::kCreateNew}, &f).ok());
  RC_ASSERT(fs.SyncDir("/").ok());
  std::vector<std::uint8_t> live, durable;
  std::vector<ModelOp> pending;
  const int steps = *rc::gen::inRange(1, 40);
  for (int i = 0; i < steps; ++i) {
    const int kind = *rc::gen::inRange(0, 10);
    if (kind < 5) {
      ModelOp op;
      op.offset = *rc::gen::inRange<std::uint64_t>(0, 12000);
      op.data.assign(*rc::gen::inRange<std::size_t>(1, 9000), static_cast<std::uint8_t>(i % 254 + 1));
      RC_ASSERT(f->Write(op.offset, op.data).ok());
      Apply(live, op);
      pending.push_back(std::move(op));
    } else if (kind < 6) {
      ModelOp op;
      op.is_truncate = true;
      op.offset = *rc::gen::inRange<std::uint64_t>(0, 15000);
      RC_ASSERT(f->Truncate(op.offset).ok());
      if (live.size() != op.offset) pending.push_back(op);  // MemFs skips no-op truncates
      Apply(live, op);
    } else if (kind < 8) {
      RC_ASSERT(f->Sync().ok());
      durable = Replayed(durable, pending);
      pending.clear();
    } else if (kind < 9) {
      RC_ASSERT(fs.LoseUnsyncedWrites(*f) == pending.size());
      pending.clear();
    } else {
      const std::uint64_t offset = *rc::gen::inRange<std::uint64_t>(0, 12000);
      const std::vector<std::uint8_t> garbage(*rc::gen::inRange<std::size_t>(1, 6000), 0xFF);
      RC_ASSERT(fs.CorruptStored("/f", offset, garbage).ok());
      Overwrite(live, offset, garbage);
      Overwrite(durable, offset, garbage);
    }
    RC_ASSERT(ImageBytes(fs) == live);
  }
  RC_ASSERT(ImageBytes(*fs.CrashImage(CrashPolicy::DropAll())) == durable);
  RC_ASSERT(ImageBytes(*fs.CrashImage(CrashPolicy::KeepAll())) == Replayed(durable, pending));
  RC_ASSERT(f->Sync().ok());
  RC_ASSERT(ImageBytes(*fs.CrashImage(CrashPolicy::DropAll())) == Replayed(durable, pending));
}

RC_GTEST_PROP(CrashImageProperty, SamePolicySameImage, ()) {
  Workload w;
  RunRandomWorkload(&w);
  CrashPolicy policy = CrashPolicy::Random(*rc::gen::arbitrary<std::uint64_t>(), 300'000);
  policy.reorder = true;
  RC_ASSERT(ImageBytes(*w.fs.CrashImage(policy)) == ImageBytes(*w.fs.CrashImage(policy)));
}

}  // namespace
}  // namespace faultfs
