#include "faultfs/fault_plan.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "plan_gen.h"

namespace faultfs {
namespace {

FaultPlan ParseTextOrFail(const std::string& text) {
  FaultPlan plan;
  std::string error;
  EXPECT_TRUE(ParseFaultPlanText(text, &plan, &error)) << error;
  return plan;
}

std::string TextError(const std::string& text) {
  FaultPlan plan;
  std::string error;
  EXPECT_FALSE(ParseFaultPlanText(text, &plan, &error)) << "accepted: " << text;
  return error;
}

std::string JsonError(const std::string& text) {
  FaultPlan plan;
  std::string error;
  EXPECT_FALSE(ParseFaultPlanJson(text, &plan, &error)) << "accepted: " << text;
  return error;
}

TEST(FaultPlanTest, ParsesTheLineForm) {
  FaultPlan plan = ParseTextOrFail(
      "# fsyncgate on the log, then a crash\n"
      "seed 42\n"
      "fail op=sync path=*.log nth=2 error=io_error lose_dirty=true\n"
      "\n"
      "torn op=write,append unit=512 error=ok   # silent tear\n"
      "crash nth=120\n");
  EXPECT_EQ(plan.seed, 42u);
  ASSERT_EQ(plan.rules.size(), 3u);
  EXPECT_EQ(plan.rules[0].kind, FaultKind::kFail);
  EXPECT_TRUE(plan.rules[0].ops.Contains(OpKind::kSync));
  EXPECT_FALSE(plan.rules[0].ops.Contains(OpKind::kWrite));
  EXPECT_EQ(plan.rules[0].path, "*.log");
  EXPECT_EQ(plan.rules[0].nth, 2u);
  EXPECT_TRUE(plan.rules[0].lose_dirty);
  EXPECT_EQ(plan.rules[1].kind, FaultKind::kTornWrite);
  EXPECT_EQ(plan.rules[1].unit, 512u);
  EXPECT_EQ(plan.rules[1].error, ErrorCode::kOk);
  EXPECT_TRUE(plan.rules[1].ops.Contains(OpKind::kAppend));
  EXPECT_EQ(plan.rules[2].kind, FaultKind::kCrash);
  EXPECT_TRUE(plan.rules[2].ops.Contains(OpKind::kRename)) << "no op= means every operation";
}

TEST(FaultPlanTest, PrintsOnlyWhatDiffersFromDefaults) {
  FaultPlan plan;
  plan.seed = 7;
  FaultRule rule;
  rule.kind = FaultKind::kLatency;
  rule.ops.Add(OpKind::kSync);
  rule.times = 0;
  rule.latency_us = 5000;
  plan.rules.push_back(rule);
  EXPECT_EQ(plan.ToText(), "seed 7\nlatency op=sync times=0 latency_us=5000\n");
  EXPECT_EQ(plan.ToJson(),
            "{\n  \"seed\": 7,\n  \"rules\": [\n    {\n      \"kind\": \"latency\",\n      \"op\": [\n        "
            "\"sync\"\n      ],\n      \"times\": 0,\n      \"latency_us\": 5000\n    }\n  ]\n}\n");
}

TEST(FaultPlanTest, QuotedValuesRoundTrip) {
  FaultPlan plan;
  FaultRule rule;
  rule.path = "/my dir/#1 \"x\"\\\n";
  plan.rules.push_back(rule);
  FaultPlan parsed = ParseTextOrFail(plan.ToText());
  EXPECT_EQ(parsed, plan) << plan.ToText();
}

TEST(FaultPlanTest, TextErrorsNameLineAndProblem) {
  EXPECT_EQ(TextError("seed 1\nexplode op=read\n"), "line 2: unknown rule kind 'explode'");
  EXPECT_EQ(TextError("fail colour=red"), "line 1: unknown key 'colour'");
  EXPECT_EQ(TextError("fail nth=-1"), "line 1: nth: '-1' is not an unsigned number");
  EXPECT_EQ(TextError("fail nth=99999999999999999999999"),
            "line 1: nth: '99999999999999999999999' is not an unsigned number");
  EXPECT_EQ(TextError("fail chance=4294967296"), "line 1: chance: 4294967296 is out of range (max 4294967295)");
  EXPECT_EQ(TextError("fail nth=1 nth=2"), "line 1: duplicate key 'nth'");
  EXPECT_EQ(TextError("torn unit=3000"), "line 1: unit must be a power of two between 1 and 1048576");
  EXPECT_EQ(TextError("fail op=read,bogus"), "line 1: op: unknown operation 'bogus'");
  EXPECT_EQ(TextError("fail error=ok"), "line 1: a fail rule needs an error other than ok");
  EXPECT_EQ(TextError("fail error=meltdown"), "line 1: error: unknown error code 'meltdown'");
  EXPECT_EQ(TextError("fail path=\"open"), "line 1: unterminated quoted value");
  EXPECT_EQ(TextError("fail path=\"\\q\""), "line 1: unknown escape \\q");
  EXPECT_EQ(TextError("fail lose_dirty=yes"), "line 1: lose_dirty: expected true or false, got 'yes'");
  EXPECT_EQ(TextError("seed 1\nseed 2"), "line 2: seed given twice");
  EXPECT_EQ(TextError("fail offset_from=10 offset_to=5"), "line 1: offset_from must not exceed offset_to");
  EXPECT_EQ(TextError("fail nth"), "line 1: expected key=value, got 'nth'");
  std::string many;
  for (std::size_t i = 0; i <= kMaxPlanRules; ++i) many += "crash\n";
  EXPECT_EQ(TextError(many), "line 10001: more than 10000 rules");
}

TEST(FaultPlanTest, JsonErrorsAreReportedNotThrown) {
  EXPECT_EQ(JsonError("{"), "not valid JSON");
  EXPECT_EQ(JsonError("[]"), "a plan must be a JSON object");
  EXPECT_EQ(JsonError(R"({"seed": -1})"), "seed: expected an unsigned integer");
  EXPECT_EQ(JsonError(R"({"rules": {}})"), "rules: expected an array");
  EXPECT_EQ(JsonError(R"({"rules": [{"kind": "fail", "nth": "3"}]})"), "rule 0: nth: expected an unsigned integer");
  EXPECT_EQ(JsonError(R"({"rules": [{"kind": "fail", "op": "read"}]})"),
            "rule 0: op: expected an array of operation names");
  EXPECT_EQ(JsonError(R"({"rules": [{"nth": 3}]})"), "rule 0: missing or unknown \"kind\"");
  EXPECT_EQ(JsonError(R"({"rules": [{"kind": "fail", "error": "nope"}]})"), "rule 0: error: unknown error code 'nope'");
  EXPECT_EQ(JsonError(R"({"rules": [], "extra": 1})"), "unknown key 'extra'");
  EXPECT_EQ(JsonError(R"({"rules": [{"kind": "lost", "chance": 5000000000}]})"),
            "rule 0: chance: expected an unsigned 32-bit integer");
  EXPECT_EQ(JsonError(std::string(100000, '[')), "JSON nested too deeply");
}

TEST(FaultPlanTest, ParseFaultPlanDetectsTheForm) {
  FaultPlan plan;
  std::string error;
  ASSERT_TRUE(ParseFaultPlan("  \n{\"seed\": 3}", &plan, &error)) << error;
  EXPECT_EQ(plan.seed, 3u);
  ASSERT_TRUE(ParseFaultPlan("seed 4\n", &plan, &error)) << error;
  EXPECT_EQ(plan.seed, 4u);
}

// Every ```text and ```json block of docs/FAULTS.md is a plan that parses.
TEST(FaultPlanTest, DocumentedExamplesParse) {
  std::ifstream in(FAULTS_MD_PATH);
  ASSERT_TRUE(in) << FAULTS_MD_PATH;
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string doc = buffer.str();
  int examples = 0;
  for (const char* fence : {"```text\n", "```json\n"}) {
    for (std::size_t at = doc.find(fence); at != std::string::npos; at = doc.find(fence, at + 1)) {
      std::size_t start = at + std::strlen(fence);
      std::size_t end = doc.find("```", start);
      ASSERT_NE(end, std::string::npos);
      FaultPlan plan;
      std::string error;
      EXPECT_TRUE(ParseFaultPlan(doc.substr(start, end - start), &plan, &error)) << error;
      EXPECT_FALSE(plan.rules.empty());
      ++examples;
    }
  }
  EXPECT_GE(examples, 2);
}

RC_GTEST_PROP(FaultPlanProperty, TextFormRoundTrips, ()) {
  FaultPlan plan = *testing_util::GenFaultPlan();
  FaultPlan parsed;
  std::string error;
  RC_ASSERT(ParseFaultPlanText(plan.ToText(), &parsed, &error));
  RC_ASSERT(parsed == plan);
}

RC_GTEST_PROP(FaultPlanProperty, JsonFormRoundTrips, ()) {
  FaultPlan plan = *testing_util::GenFaultPlan();
  FaultPlan parsed;
  std::string error;
  RC_ASSERT(ParseFaultPlanJson(plan.ToJson(), &parsed, &error));
  RC_ASSERT(parsed == plan);
}

// Plans are user-given bytes: any input is either parsed or rejected with a message.
RC_GTEST_PROP(FaultPlanProperty, ArbitraryBytesNeverCrashTheParsers, (const std::string& text)) {
  FaultPlan plan;
  std::string error;
  if (!ParseFaultPlan(text, &plan, &error)) RC_ASSERT(!error.empty());
  if (!ParseFaultPlanJson(text, &plan, &error)) RC_ASSERT(!error.empty());
}

}  // namespace
}  // namespace faultfs
