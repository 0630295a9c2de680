#include "corpus/encoder_seeds.h"

#include <cstdint>
#include <string>
#include <vector>

#include <fmt/core.h>

#include "corpus/harvest.h"
#include "faultfs/fault_plan.h"
#include "format/checkpoint.h"
#include "format/db_header.h"
#include "format/log_header.h"
#include "format/page.h"

namespace jetfault::corpus {

namespace {

namespace format = jet::format;

// 2026-11-25 12:04:05.000 UTC: a fixed time keeps the corpus reproducible.
constexpr format::LogTime kTime{{5, 4, 12, 25, 10, 126, 0x01, 0}};
const format::Signature kSignLog = format::MakeSignature(0x1F2E3D4C, kTime);
const format::Signature kSignDb = format::MakeSignature(0x0A0B0C0D, kTime);

format::AttachInfo Attachment(std::uint32_t dbid, const std::string& path, std::uint32_t page_size) {
  format::AttachInfo a;
  a.dbid = dbid;
  a.path = path;
  a.sign_db = kSignDb;
  a.sign_db.random += dbid;
  a.lgpos_attach = {0, 1, 1};
  a.page_size = page_size;
  return a;
}

// ---- database headers: the primary and its shadow, as at the start of the file ----
void DbHeaderSeeds(SeedWriter& out) {
  for (std::uint32_t page_size : {4096u, 8192u, 16384u, 32768u}) {
    format::DbHeader h;
    h.page_size = page_size;
    h.sign_db = kSignDb;
    h.sign_log = kSignLog;
    h.dbid = 1;
    h.objid_last = 7;
    h.pgno_last = 12;
    h.dbtime_dirtied = 0x1234;
    h.logtime_attach = kTime;
    h.lgpos_attach = {0, 1, 1};
    h.dbstate = format::DbState::kDirtyShutdown;
    h.gen_min_required = 1;
    h.gen_max_required = 3;
    Bytes dirty(2 * page_size);
    format::EncodeDbHeader(h, std::span(dirty).first(page_size));
    format::EncodeDbHeader(h, std::span(dirty).last(page_size));
    out.Write("db_header_fuzzer", fmt::format("dirty-{}k", page_size / 1024), dirty);

    h.dbstate = format::DbState::kCleanShutdown;
    h.lgpos_consistent = {0x20, 3, 3};
    h.logtime_consistent = kTime;
    h.bkinfo_full_cur = {{0x10, 2, 3}, kTime, 1, 3};
    Bytes clean(2 * page_size);
    format::EncodeDbHeader(h, std::span(clean).first(page_size));
    format::EncodeDbHeader(h, std::span(clean).last(page_size));
    out.Write("db_header_fuzzer", fmt::format("clean-{}k", page_size / 1024), clean);
    // A torn primary: the shadow must carry the file.
    std::fill(clean.begin() + 512, clean.begin() + page_size, std::uint8_t{0xAB});
    out.Write("db_header_fuzzer", fmt::format("torn-primary-{}k", page_size / 1024), clean);
  }
}

// ---- database pages (PageInput: the db_page_fuzzer layout) ----
void AppendU32(Bytes& bytes, std::uint32_t value) {
  for (int i = 0; i < 4; ++i) bytes.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
}

// A leaf with `count` records: node = u8 key length, key "key-NNNN", value bytes.
Bytes LeafPage(std::size_t page_size, std::uint32_t pgno, int count, int delete_every) {
  Bytes page(page_size);
  format::InitPage(page, 5, format::kPageFlagLeaf, 0x4400 + pgno);
  for (int i = 0; i < count; ++i) {
    const std::string key = fmt::format("key-{:04}", i);
    Bytes node = {static_cast<std::uint8_t>(key.size())};
    node.insert(node.end(), key.begin(), key.end());
    node.insert(node.end(), 16 + i % 7, static_cast<std::uint8_t>('a' + i % 26));
    if (!format::PageHasRoom(page, node.size())) break;
    format::InsertNode(page, static_cast<std::size_t>(i), node);
  }
  if (delete_every > 0) {
    for (std::size_t i = format::NodeCount(page); i-- > 0;) {
      if (i % static_cast<std::size_t>(delete_every) == 0) format::DeleteNode(page, i);
    }
  }
  format::SealPage(page, pgno);
  return page;
}

void DbPageSeeds(SeedWriter& out) {
  for (std::uint32_t size : {4096u, 8192u, 16384u, 32768u}) {
    const std::string k = fmt::format("{}k", size / 1024);
    Bytes empty(size);
    format::InitPage(empty, 5, format::kPageFlagRoot | format::kPageFlagLeaf | format::kPageFlagEmpty, 0x4400);
    format::SealPage(empty, 3);
    out.Write("db_page_fuzzer", "empty-root-" + k, PageInput(size, 3, empty));
    out.Write("db_page_fuzzer", "leaf-" + k, PageInput(size, 4, LeafPage(size, 4, 40, 0)));
    out.Write("db_page_fuzzer", "full-leaf-" + k, PageInput(size, 5, LeafPage(size, 5, 2000, 0)));
    out.Write("db_page_fuzzer", "leaf-with-holes-" + k, PageInput(size, 6, LeafPage(size, 6, 60, 3)));
  }
  // An interior page: nodes = separator key + child pgno.
  Bytes parent(8192);
  format::InitPage(parent, 5, format::kPageFlagRoot | format::kPageFlagParentOfLeaf, 0x4500);
  for (std::uint32_t child = 0; child < 8; ++child) {
    Bytes node;
    node.push_back(2);  // key length
    node.push_back('k');
    node.push_back(static_cast<std::uint8_t>('0' + child));
    AppendU32(node, 10 + child);
    format::InsertNode(parent, child, node);
  }
  format::SealPage(parent, 2);
  out.Write("db_page_fuzzer", "parent-8k", PageInput(8192, 2, parent));
}

// ---- log file headers and checkpoints ----
void LogHeaderSeeds(SeedWriter& out) {
  format::LogFileHeader h;
  h.generation = 1;
  h.csec_file = 256;
  h.page_size = 8192;
  h.tm_create = kTime;
  h.sign_log = kSignLog;
  Bytes first(format::kLogHeaderSize);
  format::EncodeLogFileHeader(h, std::span<std::uint8_t, format::kLogHeaderSize>(first));
  out.Write("log_header_fuzzer", "gen1-no-attach", first);

  h.generation = 7;
  h.tm_prev_gen = kTime;
  h.tm_create.bytes[0] = 9;
  h.flags = format::kLogFlagCircularCurrent | format::kLogFlagCircularHistory;
  h.prev_generation_end = {0x1A0, 37, 6};
  h.attach = {Attachment(1, "/data/main.edb", 8192), Attachment(2, "/data/second database.edb", 8192)};
  Bytes seventh(format::kLogHeaderSize);
  format::EncodeLogFileHeader(h, std::span<std::uint8_t, format::kLogHeaderSize>(seventh));
  out.Write("log_header_fuzzer", "gen7-circular-two-attached", seventh);
}

void CheckpointSeeds(SeedWriter& out) {
  format::Checkpoint c;
  c.checkpoint = {0x28, 1, 1};
  c.sign_log = kSignLog;
  Bytes fresh(format::kCheckpointCopySize);
  format::EncodeCheckpoint(c, std::span<std::uint8_t, format::kCheckpointCopySize>(fresh));
  out.Write("checkpoint_fuzzer", "fresh", fresh);

  c.checkpoint = {0x310, 12, 5};
  c.attach = {Attachment(1, "/data/main.edb", 8192)};
  c.lgpos_full_backup = {0x10, 2, 4};
  c.full_backup_gen_low = 3;
  c.full_backup_gen_high = 4;
  c.lgpos_inc_backup = {0x10, 1, 5};
  Bytes backed_up(format::kCheckpointCopySize);
  format::EncodeCheckpoint(c, std::span<std::uint8_t, format::kCheckpointCopySize>(backed_up));
  out.Write("checkpoint_fuzzer", "after-backups", backed_up);
}

// ---- fault plans: realistic plans, printed in both forms ----
void FaultPlanSeeds(SeedWriter& out) {
  using faultfs::FaultKind;
  using faultfs::OpKind;
  std::vector<faultfs::FaultPlan> plans(4);
  plans[0].seed = 42;  // the empty plan: no faults
  plans[1].seed = 7;
  faultfs::FaultRule fsync_fails;
  fsync_fails.kind = FaultKind::kFail;
  fsync_fails.ops.Add(OpKind::kSync);
  fsync_fails.path = "*.log";
  fsync_fails.nth = 2;
  fsync_fails.lose_dirty = true;
  plans[1].rules.push_back(fsync_fails);
  faultfs::FaultRule crash;
  crash.kind = FaultKind::kCrash;
  crash.nth = 120;
  plans[1].rules.push_back(crash);
  plans[2].seed = 0xFFFFFFFFFFFFFFFFull;
  faultfs::FaultRule torn;
  torn.kind = FaultKind::kTornWrite;
  torn.ops.Add(OpKind::kWrite);
  torn.ops.Add(OpKind::kAppend);
  torn.path = "/db/*.edb";
  torn.offset_from = 8192;
  torn.offset_to = 65536;
  torn.unit = 512;
  torn.times = 0;
  torn.chance = 250000;
  torn.error = faultfs::ErrorCode::kDiskFull;
  plans[2].rules.push_back(torn);
  plans[3].seed = 3;
  for (FaultKind kind : {FaultKind::kCorruptRead, FaultKind::kCorruptWrite, FaultKind::kLostWrite,
                         FaultKind::kMisdirectedWrite, FaultKind::kLatency}) {
    faultfs::FaultRule rule;
    rule.kind = kind;
    rule.corrupt = kind == FaultKind::kCorruptWrite ? faultfs::CorruptMode::kGarbage : faultfs::CorruptMode::kZero;
    rule.amount = 16;
    rule.latency_us = kind == FaultKind::kLatency ? 1500 : 0;
    rule.path = "backup/edb0000?.log";
    plans[3].rules.push_back(rule);
  }
  for (std::size_t i = 0; i < plans.size(); ++i) {
    const std::string text = plans[i].ToText();
    const std::string json = plans[i].ToJson();
    out.Write("fault_plan_fuzzer", fmt::format("plan{}.txt", i), Bytes(text.begin(), text.end()));
    out.Write("fault_plan_fuzzer", fmt::format("plan{}.json", i), Bytes(json.begin(), json.end()));
  }
  const std::string commented = "# a comment, then a blank line\n\nseed 9\ncrash nth=3  # trailing comment\n";
  out.Write("fault_plan_fuzzer", "commented.txt", Bytes(commented.begin(), commented.end()));
}

// ---- restore scripts (restore_fuzzer.cc): edits of the backup set, then a fault plan ----
struct Edit {
  std::uint8_t file;
  std::uint8_t action;  // 0 overwrite, 1 xor, 2 truncate at, 3 delete
  std::uint32_t offset;
  Bytes bytes;
};

Bytes RestoreScript(const std::vector<Edit>& edits, const std::string& plan) {
  Bytes script = {static_cast<std::uint8_t>(edits.size())};
  for (const Edit& e : edits) {
    script.push_back(e.file);
    script.push_back(e.action);
    for (int i = 0; i < 4; ++i) script.push_back(static_cast<std::uint8_t>(e.offset >> (8 * i)));
    script.push_back(static_cast<std::uint8_t>(e.bytes.size()));
    script.push_back(static_cast<std::uint8_t>(e.bytes.size() >> 8));
    script.insert(script.end(), e.bytes.begin(), e.bytes.end());
  }
  script.insert(script.end(), plan.begin(), plan.end());
  return script;
}

void RestoreSeeds(SeedWriter& out) {
  out.Write("restore_fuzzer", "untouched", RestoreScript({}, ""));
  out.Write("restore_fuzzer", "bitflip-set-file", RestoreScript({{0, 1, 9000, {0x10}}}, ""));
  out.Write("restore_fuzzer", "bitflip-log-path-file", RestoreScript({{6, 1, 4200, {0x01}}}, ""));
  out.Write("restore_fuzzer", "truncate-set-file", RestoreScript({{1, 2, 4096, {}}}, ""));
  out.Write("restore_fuzzer", "delete-two-files", RestoreScript({{2, 3, 0, {}}, {5, 3, 0, {}}}, ""));
  out.Write("restore_fuzzer", "zero-header", RestoreScript({{0, 0, 0, Bytes(64, 0)}}, ""));
  out.Write("restore_fuzzer", "sync-fails", RestoreScript({}, "seed 1\nfail op=sync nth=3 lose_dirty=true\n"));
  out.Write("restore_fuzzer", "crash", RestoreScript({}, "seed 2\ncrash nth=40\n"));
  out.Write("restore_fuzzer", "disk-full", RestoreScript({}, "seed 3\nfail op=write,append nth=10 error=disk_full\n"));
  out.Write("restore_fuzzer", "corrupt-read-json",
            RestoreScript({}, R"({"seed": 4, "rules": [{"kind": "corrupt_read", "path": "*.log", "nth": 2}]})"));
}

}  // namespace

void WriteEncoderSeeds(SeedWriter& out) {
  RestoreSeeds(out);
  DbHeaderSeeds(out);
  DbPageSeeds(out);
  LogHeaderSeeds(out);
  CheckpointSeeds(out);
  FaultPlanSeeds(out);
}

}  // namespace jetfault::corpus
