#include "faultfs/fault_fs.h"

#include <gtest/gtest.h>

#include "faultfs/posix_fs.h"
#include "test_util.h"

namespace faultfs {
namespace {

using testing_util::Bytes;
using testing_util::Contents;
using testing_util::OpenRw;
using testing_util::TempDir;

FaultPlan Plan(const std::string& text) {
  FaultPlan plan;
  std::string error;
  EXPECT_TRUE(ParseFaultPlanText(text, &plan, &error)) << error;
  return plan;
}

std::uint64_t Count(const FaultFs& fs, FaultKind kind) { return fs.fault_counts()[static_cast<std::size_t>(kind)]; }

// Writes `data` at offset 0 of a new /f through a FaultFs with `plan` over a MemFs:
// the write's code in *code, and what the MemFs then stores.
std::string StoredAfterOneWrite(const std::string& plan, const std::vector<std::uint8_t>& data, ErrorCode* code) {
  MemFs base;
  FaultFs fs(&base, Plan(plan));
  std::unique_ptr<File> f = OpenRw(fs, "/f");
  *code = f->Write(0, data).code();
  return Contents(base, "/f");
}

TEST(FaultFsTest, FailsTheNthMatchingOperationOnce) {
  MemFs base;
  FaultFs fs(&base, Plan("fail op=write path=/db/* nth=1 error=disk_full"));
  ASSERT_TRUE(fs.MakeDir("/db").ok());
  std::unique_ptr<File> other = OpenRw(fs, "/other");
  std::unique_ptr<File> f = OpenRw(fs, "/db/f");
  EXPECT_TRUE(other->Write(0, Bytes("x")).ok()) << "path does not match";
  EXPECT_TRUE(f->Write(0, Bytes("a")).ok());
  Status s = f->Write(1, Bytes("b"));
  EXPECT_EQ(s.code(), ErrorCode::kDiskFull);
  EXPECT_TRUE(f->Write(1, Bytes("c")).ok());
  EXPECT_EQ(Contents(base, "/db/f"), "ac") << "the failed write stored nothing";
  EXPECT_EQ(Count(fs, FaultKind::kFail), 1u);
}

TEST(FaultFsTest, PersistentFailureAndOffsetFilter) {
  MemFs base;
  FaultFs fs(&base, Plan("fail op=read offset_from=4096 offset_to=8192 times=0"));
  std::unique_ptr<File> f = OpenRw(fs, "/f");
  ASSERT_TRUE(f->Write(0, std::vector<std::uint8_t>(12288, 1)).ok());
  std::vector<std::uint8_t> buf(100);
  std::size_t got = 0;
  EXPECT_TRUE(f->Read(0, buf, &got).ok());
  EXPECT_EQ(f->Read(4000, buf, &got).code(), ErrorCode::kIoError) << "range overlaps the bad region";
  EXPECT_EQ(f->Read(8000, buf, &got).code(), ErrorCode::kIoError);
  EXPECT_TRUE(f->Read(8192, buf, &got).ok());
  EXPECT_EQ(Count(fs, FaultKind::kFail), 2u);
}

TEST(FaultFsTest, FsyncgateOverMemFsLosesTheDirtyData) {
  MemFs base;
  FaultFs fs(&base, Plan("fail op=sync lose_dirty=true"));
  std::unique_ptr<File> f = OpenRw(fs, "/log");
  ASSERT_TRUE(fs.SyncDir("/").ok());
  ASSERT_TRUE(f->Write(0, Bytes("commit")).ok());
  EXPECT_EQ(f->Sync().code(), ErrorCode::kIoError);
  EXPECT_EQ(Contents(fs, "/log"), "commit") << "the page cache still shows the data";
  EXPECT_TRUE(f->Sync().ok()) << "the retry succeeds...";
  EXPECT_EQ(Contents(*fs.CrashImage(CrashPolicy::KeepAll()), "/log"), "") << "...but the data is gone";
}

TEST(FaultFsTest, FsyncgateOverPosixFsOnlyFailsTheSync) {
  TempDir dir;
  PosixFs base;
  FaultFs fs(&base, Plan("fail op=sync lose_dirty=true"));
  std::unique_ptr<File> f = OpenRw(fs, dir / "log");
  ASSERT_TRUE(f->Write(0, Bytes("commit")).ok());
  EXPECT_EQ(f->Sync().code(), ErrorCode::kIoError);
  EXPECT_TRUE(f->Sync().ok());
  EXPECT_EQ(Contents(base, dir / "log"), "commit");
  EXPECT_EQ(fs.CrashImage(CrashPolicy::KeepAll()), nullptr) << "crash images need a MemFs base";
}

TEST(FaultFsTest, CorruptReadDamagesOnlyTheReturnedBytes) {
  MemFs base;
  FaultFs fs(&base, Plan("seed 9\ncorrupt_read corrupt=bitflip amount=1"));
  std::unique_ptr<File> f = OpenRw(fs, "/f");
  const std::vector<std::uint8_t> data(64, 0xAA);
  ASSERT_TRUE(f->Write(0, data).ok());
  std::vector<std::uint8_t> buf(64);
  std::size_t got = 0;
  ASSERT_TRUE(f->Read(0, buf, &got).ok());
  int differing_bits = 0;
  for (std::size_t i = 0; i < 64; ++i) differing_bits += __builtin_popcount(buf[i] ^ data[i]);
  EXPECT_EQ(differing_bits, 1);
  EXPECT_EQ(Contents(base, "/f"), std::string(64, '\xAA')) << "storage is intact";
  ASSERT_TRUE(f->Read(0, buf, &got).ok());
  EXPECT_EQ(buf, data) << "the rule fired once";
}

TEST(FaultFsTest, CorruptWriteStoresDamagedBytes) {
  ErrorCode code = ErrorCode::kOk;
  std::string stored = StoredAfterOneWrite("corrupt_write corrupt=zero amount=8", std::vector<std::uint8_t>(32, 0xFF),
                                           &code);
  ASSERT_EQ(code, ErrorCode::kOk);
  ASSERT_EQ(stored.size(), 32u);
  EXPECT_EQ(std::count(stored.begin(), stored.end(), '\0'), 8);
  EXPECT_NE(stored.find(std::string(8, '\0')), std::string::npos) << "one run of zeros";
}

TEST(FaultFsTest, GarbageCorruption) {
  ErrorCode code = ErrorCode::kOk;
  std::string stored = StoredAfterOneWrite("seed 3\ncorrupt_write corrupt=garbage amount=16",
                                           std::vector<std::uint8_t>(64, 0), &code);
  ASSERT_EQ(code, ErrorCode::kOk);
  EXPECT_GT(std::count_if(stored.begin(), stored.end(), [](char c) { return c != 0; }), 8);
}

TEST(FaultFsTest, TornWriteStoresAPrefixOfUnitsThenFails) {
  for (std::uint64_t seed = 0; seed < 8; ++seed) {
    ErrorCode code = ErrorCode::kOk;
    std::string stored = StoredAfterOneWrite("seed " + std::to_string(seed) + "\ntorn unit=512",
                                             std::vector<std::uint8_t>(4096, 'n'), &code);
    EXPECT_EQ(code, ErrorCode::kIoError) << "seed " << seed;
    EXPECT_EQ(stored.size() % 512, 0u) << "seed " << seed;
    EXPECT_LT(stored.size(), 4096u) << "seed " << seed;
    EXPECT_EQ(stored, std::string(stored.size(), 'n'));
  }
}

TEST(FaultFsTest, LostWriteIsAcknowledgedButNeverStored) {
  MemFs base;
  FaultFs fs(&base, Plan("lost op=write nth=1"));
  std::unique_ptr<File> f = OpenRw(fs, "/f");
  ASSERT_TRUE(f->Write(0, Bytes("aaaa")).ok());
  ASSERT_TRUE(f->Write(0, Bytes("bbbb")).ok());
  EXPECT_EQ(Contents(base, "/f"), "aaaa");
  EXPECT_EQ(Count(fs, FaultKind::kLostWrite), 1u);
}

TEST(FaultFsTest, MisdirectedWriteLandsInAnotherUnit) {
  MemFs base;
  FaultFs fs(&base, Plan("misdirect op=write nth=1 unit=4096"));
  std::unique_ptr<File> f = OpenRw(fs, "/f");
  ASSERT_TRUE(f->Write(0, std::vector<std::uint8_t>(3 * 4096, 'o')).ok());
  ASSERT_TRUE(f->Write(4096 + 10, Bytes("NEW")).ok());
  std::string stored = Contents(base, "/f");
  EXPECT_EQ(stored.substr(4096 + 10, 3), "ooo") << "the intended place is unchanged";
  std::size_t at = stored.find("NEW");
  ASSERT_NE(at, std::string::npos);
  EXPECT_EQ(at % 4096, 10u) << "same position within another unit";
}

TEST(FaultFsTest, CrashAtOperationNRefusesEverythingAfter) {
  MemFs base;
  FaultFs fs(&base, Plan("crash nth=4"));
  std::unique_ptr<File> f = OpenRw(fs, "/f");                         // op 0
  ASSERT_TRUE(fs.SyncDir("/").ok());                                  // op 1
  ASSERT_TRUE(f->Write(0, Bytes("durable")).ok());                    // op 2
  ASSERT_TRUE(f->Sync().ok());                                        // op 3
  EXPECT_EQ(f->Write(7, Bytes("lost")).code(), ErrorCode::kCrashed);  // op 4
  EXPECT_TRUE(fs.crashed());
  EXPECT_EQ(f->Sync().code(), ErrorCode::kCrashed);
  EXPECT_EQ(f->Append(Bytes("x")).code(), ErrorCode::kCrashed);
  bool exists = false;
  EXPECT_EQ(fs.Exists("/f", &exists).code(), ErrorCode::kCrashed);
  EXPECT_EQ(fs.op_count(), 8u);
  EXPECT_EQ(Contents(*fs.CrashImage(CrashPolicy::KeepAll()), "/f"), "durable");
  EXPECT_EQ(Count(fs, FaultKind::kCrash), 1u);
}

TEST(FaultFsTest, LatencyAdvancesTheSimulatedClock) {
  MemFs base;
  FaultFs fs(&base, Plan("latency op=sync times=0 latency_us=5000\nlatency op=write times=0 latency_us=10"));
  std::unique_ptr<File> f = OpenRw(fs, "/f");
  ASSERT_TRUE(f->Write(0, Bytes("a")).ok());
  ASSERT_TRUE(f->Write(1, Bytes("b")).ok());
  ASSERT_TRUE(f->Sync().ok());
  EXPECT_EQ(fs.clock_us(), 5020u);
  std::vector<TraceEvent> trace = fs.trace();
  ASSERT_EQ(trace.size(), 4u);
  EXPECT_EQ(trace[3].ToString(), "#3 sync /f -> ok [latency] t=5020us");
  EXPECT_EQ(Count(fs, FaultKind::kLatency), 3u);
}

TEST(FaultFsTest, ChanceIsSeeded) {
  auto failures = [](std::uint64_t seed) {
    MemFs base;
    FaultFs fs(&base, Plan("seed " + std::to_string(seed) + "\nfail op=exists times=0 chance=500000"));
    std::string pattern;
    for (int i = 0; i < 64; ++i) {
      bool exists = false;
      pattern += fs.Exists("/x", &exists).ok() ? '.' : 'F';
    }
    return pattern;
  };
  EXPECT_EQ(failures(1), failures(1));
  EXPECT_NE(failures(1), failures(2));
  std::string p = failures(1);
  EXPECT_GT(std::count(p.begin(), p.end(), 'F'), 10);
  EXPECT_GT(std::count(p.begin(), p.end(), '.'), 10);
}

TEST(FaultFsTest, TraceRecordsOperationsAndFaults) {
  MemFs base;
  FaultFs fs(&base, Plan("fail op=rename error=sharing_violation"));
  ASSERT_TRUE(WriteWholeFile(fs, "/a", Bytes("x")).ok());
  EXPECT_EQ(fs.Rename("/a", "/b").code(), ErrorCode::kSharingViolation);
  std::vector<TraceEvent> trace = fs.trace();
  ASSERT_EQ(trace.size(), 4u);  // open, write, sync, rename
  EXPECT_EQ(trace[1].ToString(), "#1 write /a @0+1 -> ok t=0us");
  EXPECT_EQ(trace[3].ToString(), "#3 rename /a -> /b -> sharing_violation [fail] t=0us");
}

// The documented hash, recomputed independently for a one-event trace.
TEST(FaultFsTest, TraceHashIsTheDocumentedFnv1a) {
  MemFs base;
  FaultFs fs(&base, FaultPlan{});
  ASSERT_TRUE(fs.MakeDir("/d").ok());
  std::uint64_t h = 0xcbf29ce484222325ULL;
  auto byte = [&](std::uint8_t b) { h = (h ^ b) * 0x100000001b3ULL; };
  auto u64 = [&](std::uint64_t v) {
    for (int i = 0; i < 8; ++i) byte(static_cast<std::uint8_t>(v >> (8 * i)));
  };
  u64(0);                                           // index
  byte(static_cast<std::uint8_t>(OpKind::kMkdir));  // op
  u64(2);                                           // path length
  byte('/');
  byte('d');
  u64(0);      // offset
  u64(0);      // length
  byte(0);     // result ok
  byte(0xff);  // no fault
  u64(0);      // clock
  EXPECT_EQ(fs.trace_hash(), h);
}

TEST(FaultFsTest, KeepTraceOffStillHashes) {
  MemFs base1, base2;
  FaultFs a(&base1, FaultPlan{}), b(&base2, FaultPlan{});
  b.set_keep_trace(false);
  for (FaultFs* fs : {&a, &b}) ASSERT_TRUE(fs->MakeDir("/d").ok());
  EXPECT_EQ(a.trace_hash(), b.trace_hash());
  EXPECT_TRUE(b.trace().empty());
}

// IsSymlink passes through to the base and is traced (and faultable) as an exists op.
TEST(FaultFsTest, IsSymlinkPassesThroughAsAnExistsOperation) {
  MemFs base;
  ASSERT_TRUE(WriteWholeFile(base, "/f", std::vector<std::uint8_t>{1}).ok());
  FaultFs fs(&base, Plan("fail op=exists path=/g error=io_error"));
  bool is_link = true;
  ASSERT_TRUE(fs.IsSymlink("/f", &is_link).ok());
  EXPECT_FALSE(is_link) << "MemFs has no symbolic links";
  EXPECT_EQ(fs.IsSymlink("/none", &is_link).code(), ErrorCode::kNotFound);
  ASSERT_TRUE(WriteWholeFile(base, "/g", std::vector<std::uint8_t>{1}).ok());
  EXPECT_EQ(fs.IsSymlink("/g", &is_link).code(), ErrorCode::kIoError);
  const std::vector<TraceEvent> trace = fs.trace();
  ASSERT_EQ(trace.size(), 3u);
  for (const TraceEvent& e : trace) EXPECT_EQ(e.op, OpKind::kExists);
}

}  // namespace
}  // namespace faultfs
