// Property: for any record sequence, any flush/sync points and any crash image, the
// reader returns a prefix of the appended records that includes every record
// appended before the last successful sync.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "faultfs/mem_fs.h"
#include "log/log.h"
#include "log_test_util.h"

namespace jet::log {
namespace {

struct Step {
  std::size_t payload_size = 0;
  int flush = 0;  // 0 none, 1 flush, 2 flush+sync, 3 roll
};

RC_GTEST_PROP(LogCrashProperty, ReaderReturnsPrefixCoveringLastSync, ()) {
  const auto steps = *rc::gen::container<std::vector<Step>>(rc::gen::build<Step>(
      rc::gen::set(&Step::payload_size, rc::gen::inRange<std::size_t>(0, 9000)),
      rc::gen::set(&Step::flush, rc::gen::weightedElement<int>({{6, 0}, {2, 1}, {2, 2}, {1, 3}}))));
  const auto crash_seed = *rc::gen::arbitrary<std::uint64_t>();
  const auto tear = *rc::gen::element<std::uint32_t>(0, 300'000, 1'000'000);
  const bool reorder = *rc::gen::arbitrary<bool>();

  faultfs::MemFs fs;
  RC_ASSERT(fs.MakeDir("/logs").ok());
  RC_ASSERT(fs.SyncDir("/").ok());
  std::unique_ptr<LogWriter> writer;
  RC_ASSERT(LogWriter::Create(testing::SmallLogConfig(&fs, 8), testing::TestSignature(3), 1, Lgpos{}, nullptr,
                              &writer) == JET_errSuccess);
  std::vector<std::vector<std::uint8_t>> payloads;
  std::size_t durable_count = 0;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    payloads.push_back(testing::TestPayload(static_cast<std::uint32_t>(i), steps[i].payload_size));
    Lgpos lgpos;
    RC_ASSERT(writer->Append(static_cast<std::uint8_t>(i), payloads.back(), &lgpos) == JET_errSuccess);
    if (steps[i].flush == 1) RC_ASSERT(writer->Flush(false) == JET_errSuccess);
    if (steps[i].flush == 2) {
      RC_ASSERT(writer->Flush(true) == JET_errSuccess);
      durable_count = payloads.size();
    }
    if (steps[i].flush == 3) {
      RC_ASSERT(writer->Roll() == JET_errSuccess);
      durable_count = payloads.size();
    }
  }
  faultfs::CrashPolicy policy = faultfs::CrashPolicy::Random(crash_seed, tear);
  policy.reorder = reorder;
  auto image = fs.CrashImage(policy);
  auto result = testing::ReadAllRecords(*image, "/logs");
  RC_LOG() << "crash seed " << crash_seed << " tear " << tear << " reorder " << reorder << "\n";
  RC_ASSERT(result.err == JET_errSuccess);
  RC_ASSERT(result.records.size() >= durable_count);
  RC_ASSERT(result.records.size() <= payloads.size());
  for (std::size_t i = 0; i < result.records.size(); ++i) {
    RC_ASSERT(result.records[i].payload == payloads[i]);
    RC_ASSERT(result.records[i].type == static_cast<std::uint8_t>(i));
  }
}

}  // namespace
}  // namespace jet::log
