// harness/core/report.h — a campaign's outcome, in the formats people and CI read.
//
//   Text   the summary table `jetfault run` prints (scenario, cases, faults injected
//          by class, passed, failed), then one replay line per failure.
//   JSON   machine-readable, schema in docs/HARNESS.md: seed, elapsed_seconds,
//          crash_states, real_file_cases, kills{phase: n}, scenarios[] (name, cases,
//          passed, failed, trace_hash, real_file_cases, kills{phase: n}, faults{class: n},
//          failures[] {step, what, fault_plan, trace_hash, replay[, shrunk_replay,
//          shrunk_note]}), errmap
//          {cells, exercised, violations, unexercised[], rows[]}.
//   JUnit  one <testsuite> per scenario, one <testcase> per failure (or one passing
//          testcase for the whole scenario), so CI dashboards show each failure.
//   HTML   one self-contained page: the summary, the fault-class x outcome matrix,
//          the error-map coverage (which cells were hit, with which codes), failures.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "harness/core/campaign.h"

namespace jetharness {

std::string TextReport(const CampaignReport& report);
nlohmann::json JsonReport(const CampaignReport& report);
std::string JunitReport(const CampaignReport& report);
std::string HtmlReport(const CampaignReport& report);
// JsonReport without elapsed_seconds (the campaign's and each scenario's), and with
// each kills object reduced to its total (the phase a kill lands in is a race): what
// two runs of one campaign (any --jobs, shards merged) must agree on.
nlohmann::json JsonReportWithoutTimes(const CampaignReport& report);
// The inverse of JsonReport (everything but `ok` and `unexercised`, which it derives).
// Throws std::runtime_error (or nlohmann::json::exception) for a malformed report.
CampaignReport ReportFromJson(const nlohmann::json& j);

// Escapes &, <, >, " and ' for XML/HTML text and attributes.
std::string XmlEscape(const std::string& text);
// The 16-hex-digit form used wherever a trace hash is printed.
std::string TraceHashText(std::uint64_t hash);

}  // namespace jetharness
