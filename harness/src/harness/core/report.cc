#include "harness/core/report.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <sstream>
#include <stdexcept>
#include <string_view>

namespace jetharness {

std::string TraceHashText(std::uint64_t hash) { return fmt::format("{:016x}", hash); }

std::string XmlEscape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        // XML 1.0 forbids most control characters even when escaped.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t' && c != '\r') {
          out += '?';
        } else {
          out += c;
        }
    }
  }
  return out;
}

namespace {

// Fault classes that any scenario injected, in enum order (the columns of the tables).
std::vector<std::size_t> ActiveFaultClasses(const CampaignReport& report) {
  std::vector<std::size_t> out;
  for (std::size_t c = 0; c < kFaultClassCount; ++c) {
    for (const auto& s : report.scenarios) {
      if (s.faults[c] > 0) {
        out.push_back(c);
        break;
      }
    }
  }
  return out;
}

std::string FaultSummary(const ScenarioStats& s) {
  std::string out;
  for (std::size_t c = 0; c < kFaultClassCount; ++c) {
    if (s.faults[c] == 0) continue;
    out += fmt::format("{}{}={}", out.empty() ? "" : " ", FaultClassName(static_cast<FaultClass>(c)), s.faults[c]);
  }
  return out.empty() ? "-" : out;
}

// "10 = commit 3 + restore-replay 2 + ..." (phases in name order), or "0".
std::string KillSummary(const std::map<std::string, std::uint64_t>& kills) {
  std::uint64_t total = 0;
  std::string parts;
  for (const auto& [phase, n] : kills) {
    total += n;
    parts += fmt::format("{}{} {}", parts.empty() ? "" : " + ", phase, n);
  }
  return parts.empty() ? "0" : fmt::format("{} = {}", total, parts);
}

// Which cases ran on real files and where their processes were killed; "" when none did.
std::string RealProcessSummary(const CampaignReport& report) {
  if (report.real_file_cases() == 0 && report.kills().empty()) return "";
  std::string out = fmt::format("real processes on real files: {} cases; kills by phase: {}\n",
                                report.real_file_cases(), KillSummary(report.kills()));
  for (const auto& s : report.scenarios) {
    if (s.real_file_cases == 0 && s.kills.empty()) continue;
    out += fmt::format("  {}: {} of {} cases on real files; kills: {}\n", s.name, s.real_file_cases, s.cases,
                       KillSummary(s.kills));
  }
  return out;
}

nlohmann::json KillsJson(const std::map<std::string, std::uint64_t>& kills) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [phase, n] : kills) j[phase] = n;
  return j;
}

std::string CellName(const ErrCell& cell) {
  return fmt::format("{}/{}/{}", FaultClassName(cell.fault), FileRoleName(cell.file), PhaseName(cell.phase));
}

}  // namespace

std::string TextReport(const CampaignReport& report) {
  std::string out = fmt::format(
      "jetfault run: seed {}, shard {}/{},{} {:.1f} s, {} crash states ({} distinct)\n\n", report.seed,
      report.shard.index, report.shard.count, report.size.empty() ? "" : " workload" + report.size.ToFlags() + ",",
      report.elapsed_seconds, report.crash_states, report.crash_states - report.duplicate_crash_states);
  std::size_t width = std::string_view("scenario").size();
  for (const auto& s : report.scenarios) width = std::max(width, s.name.size());
  out += fmt::format("{:<{}} {:>6} {:>7} {:>7} {:>6}  {}\n", "scenario", width, "cases", "passed", "failed", "steps",
                     "faults injected by class");
  for (const auto& s : report.scenarios) {
    out += fmt::format("{:<{}} {:>6} {:>7} {:>7} {:>6}  {}\n", s.name, width, s.cases, s.passed, s.failed, s.steps,
                       FaultSummary(s));
  }
  out += fmt::format("\nerror map: {} of {} cells exercised, {} violations\n", report.errmap.exercised_cells(),
                     report.errmap.cells(), report.errmap.violations());
  if (std::string real = RealProcessSummary(report); !real.empty()) out += "\n" + real;
  for (const auto& s : report.scenarios) {
    for (const auto& f : s.failures) {
      out += fmt::format("\nFAIL {} (trace {}): {}\n", s.name, TraceHashText(f.trace_hash), f.what);
      if (!f.fault_plan.empty()) out += fmt::format("  faults: {}\n", f.fault_plan);
      out += fmt::format("  {}\n", f.replay);
      if (!f.shrunk_replay.empty()) out += fmt::format("  shrunk ({}):\n  {}\n", f.shrunk_note, f.shrunk_replay);
    }
  }
  out += report.ok() ? "\nPASS\n" : fmt::format("\nFAILED: {} case(s)\n", report.failed_cases());
  return out;
}

nlohmann::json JsonReport(const CampaignReport& report) {
  nlohmann::json j;
  j["seed"] = report.seed;
  j["shard"] = fmt::format("{}/{}", report.shard.index, report.shard.count);
  // Only with --txns and the like, so a default campaign's report keeps its schema.
  if (!report.size.empty()) j["workload"] = report.size.ToFlags().substr(1);
  j["elapsed_seconds"] = report.elapsed_seconds;
  j["crash_states"] = report.crash_states;
  j["duplicate_crash_states"] = report.duplicate_crash_states;
  j["ok"] = report.ok();
  j["real_file_cases"] = report.real_file_cases();
  j["kills"] = KillsJson(report.kills());
  j["scenarios"] = nlohmann::json::array();
  for (const auto& s : report.scenarios) {
    nlohmann::json js;
    js["name"] = s.name;
    js["cases"] = s.cases;
    js["passed"] = s.passed;
    js["failed"] = s.failed;
    js["steps"] = s.steps;
    js["crash_states"] = s.crash_states;
    js["duplicate_crash_states"] = s.duplicate_crash_states;
    js["rechecked"] = s.rechecked;
    js["trace_hash"] = TraceHashText(s.trace_hash);
    js["elapsed_seconds"] = s.elapsed_seconds;
    js["real_file_cases"] = s.real_file_cases;
    js["kills"] = KillsJson(s.kills);
    js["faults"] = nlohmann::json::object();
    for (std::size_t c = 0; c < kFaultClassCount; ++c) {
      if (s.faults[c] > 0) js["faults"][FaultClassName(static_cast<FaultClass>(c))] = s.faults[c];
    }
    js["failures"] = nlohmann::json::array();
    for (const auto& f : s.failures) {
      nlohmann::json jf = {{"step", f.step},
                           {"what", f.what},
                           {"fault_plan", f.fault_plan},
                           {"trace_hash", TraceHashText(f.trace_hash)},
                           {"replay", f.replay}};
      if (!f.shrunk_replay.empty()) {
        jf["shrunk_replay"] = f.shrunk_replay;
        jf["shrunk_note"] = f.shrunk_note;
      }
      js["failures"].push_back(std::move(jf));
    }
    j["scenarios"].push_back(std::move(js));
  }
  nlohmann::json em;
  em["cells"] = report.errmap.cells();
  em["exercised"] = report.errmap.exercised_cells();
  em["violations"] = report.errmap.violations();
  em["unexercised"] = nlohmann::json::array();
  em["rows"] = nlohmann::json::array();
  const auto& table = ErrorMapTable();
  for (std::size_t i = 0; i < table.size(); ++i) {
    std::string cell = CellName(table[i]);
    nlohmann::json codes = nlohmann::json::object();
    for (const auto& [code, n] : report.errmap.codes_seen()[i]) codes[JetErrorName(code)] = n;
    em["rows"].push_back({{"cell", cell}, {"hits", report.errmap.hits(i)}, {"codes", codes}});
    if (report.errmap.hits(i) == 0) em["unexercised"].push_back(cell);
  }
  j["errmap"] = std::move(em);
  return j;
}

nlohmann::json JsonReportWithoutTimes(const CampaignReport& report) {
  nlohmann::json j = JsonReport(report);
  j.erase("elapsed_seconds");
  // Which phase a SIGKILL lands in depends on how far the child ran before the signal
  // arrived (a race); how many kills there were does not.
  auto total = [](const nlohmann::json& kills) {
    std::uint64_t n = 0;
    for (const auto& [phase, count] : kills.items()) n += count.get<std::uint64_t>();
    return n;
  };
  j["kills"] = total(j["kills"]);
  for (auto& s : j["scenarios"]) {
    s.erase("elapsed_seconds");
    s["kills"] = total(s["kills"]);
  }
  return j;
}

namespace {

std::uint64_t HashFromText(const std::string& text) {
  std::uint64_t value = 0;
  auto [end, err] = std::from_chars(text.data(), text.data() + text.size(), value, 16);
  if (err != std::errc() || end != text.data() + text.size() || text.size() != 16) {
    throw std::runtime_error("bad trace hash: " + text);
  }
  return value;
}

JET_ERR CodeFromName(const std::string& name) {
  for (std::size_t i = 0; i < JetErrorCount(); ++i) {
    if (name == JetErrorName(JetErrorAt(i))) return JetErrorAt(i);
  }
  throw std::runtime_error("unknown error code name: " + name);
}

Shard ShardFromText(const std::string& text) {
  Shard shard;
  if (!ParseShard(text, &shard)) throw std::runtime_error("bad shard: " + text);
  return shard;
}

// "--txns 48 --keys 200", as JsonReport writes it.
WorkloadSize SizeFromText(const std::string& text) {
  WorkloadSize size;
  std::istringstream in(text);
  std::string flag;
  std::uint64_t value = 0;
  while (in >> flag) {
    if (!(in >> value) || !size.Set(flag, value)) throw std::runtime_error("bad workload size: " + text);
  }
  return size;
}

}  // namespace

CampaignReport ReportFromJson(const nlohmann::json& j) {
  CampaignReport report;
  report.seed = j.at("seed").get<std::uint64_t>();
  report.shard = ShardFromText(j.at("shard").get<std::string>());
  if (j.contains("workload")) report.size = SizeFromText(j.at("workload").get<std::string>());
  report.elapsed_seconds = j.at("elapsed_seconds").get<double>();
  report.crash_states = j.at("crash_states").get<std::uint64_t>();
  report.duplicate_crash_states = j.value("duplicate_crash_states", std::uint64_t{0});
  for (const auto& js : j.at("scenarios")) {
    ScenarioStats s;
    s.name = js.at("name").get<std::string>();
    s.cases = js.at("cases").get<std::uint64_t>();
    s.passed = js.at("passed").get<std::uint64_t>();
    s.failed = js.at("failed").get<std::uint64_t>();
    s.steps = js.at("steps").get<std::uint64_t>();
    s.crash_states = js.at("crash_states").get<std::uint64_t>();
    s.duplicate_crash_states = js.value("duplicate_crash_states", std::uint64_t{0});
    s.rechecked = js.at("rechecked").get<std::uint64_t>();
    s.trace_hash = HashFromText(js.at("trace_hash").get<std::string>());
    s.elapsed_seconds = js.at("elapsed_seconds").get<double>();
    for (const auto& [name, n] : js.at("faults").items()) {
      FaultClass fault;
      if (!ParseFaultClass(name, &fault)) throw std::runtime_error("unknown fault class: " + name);
      s.faults[static_cast<std::size_t>(fault)] = n.get<std::uint64_t>();
    }
    // Absent from reports written before real processes were counted.
    s.real_file_cases = js.value("real_file_cases", std::uint64_t{0});
    if (js.contains("kills")) {
      for (const auto& [phase, n] : js.at("kills").items()) s.kills[phase] = n.get<std::uint64_t>();
    }
    for (const auto& jf : js.at("failures")) {
      Failure f;
      f.step = jf.at("step").get<std::uint64_t>();
      f.what = jf.at("what").get<std::string>();
      f.fault_plan = jf.at("fault_plan").get<std::string>();
      f.trace_hash = HashFromText(jf.at("trace_hash").get<std::string>());
      f.replay = jf.at("replay").get<std::string>();
      f.shrunk_replay = jf.value("shrunk_replay", std::string());
      f.shrunk_note = jf.value("shrunk_note", std::string());
      s.failures.push_back(std::move(f));
    }
    report.scenarios.push_back(std::move(s));
  }
  const auto& em = j.at("errmap");
  const auto& rows = em.at("rows");
  const auto& table = ErrorMapTable();
  if (rows.size() != table.size()) {
    throw std::runtime_error(
        fmt::format("the report's error map has {} rows, this jetfault's {}", rows.size(), table.size()));
  }
  for (std::size_t i = 0; i < table.size(); ++i) {
    if (rows[i].at("cell").get<std::string>() != CellName(table[i])) {
      throw std::runtime_error("the report's error map differs from this jetfault's at " + CellName(table[i]));
    }
    for (const auto& [name, n] : rows[i].at("codes").items()) report.errmap.Add(i, CodeFromName(name), n);
  }
  report.errmap.AddViolations(em.at("violations").get<std::size_t>());
  return report;
}

std::string JunitReport(const CampaignReport& report) {
  std::uint64_t tests = 0;
  for (const auto& s : report.scenarios) tests += std::max<std::uint64_t>(1, s.failures.size());
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format("<testsuites name=\"jetfault\" tests=\"{}\" failures=\"{}\" time=\"{:.3f}\">\n", tests,
                     report.failed_cases(), report.elapsed_seconds);
  for (const auto& s : report.scenarios) {
    out += fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" time=\"{:.3f}\">\n", XmlEscape(s.name),
                       std::max<std::uint64_t>(1, s.failures.size()), s.failures.size(), s.elapsed_seconds);
    if (s.failures.empty()) {
      out += fmt::format("    <testcase classname=\"jetfault.{0}\" name=\"{0} ({1} cases)\"/>\n", XmlEscape(s.name),
                         s.cases);
    }
    for (const auto& f : s.failures) {
      out += fmt::format("    <testcase classname=\"jetfault.{}\" name=\"{}\">\n", XmlEscape(s.name),
                         XmlEscape(f.replay));
      out += fmt::format("      <failure message=\"{}\">{}\ntrace hash: {}\nfaults: {}\n{}</failure>\n",
                         XmlEscape(f.what.substr(0, 200)), XmlEscape(f.what), TraceHashText(f.trace_hash),
                         XmlEscape(f.fault_plan), XmlEscape(f.replay));
      out += "    </testcase>\n";
    }
    out += "  </testsuite>\n";
  }
  out += "</testsuites>\n";
  return out;
}

std::string HtmlReport(const CampaignReport& report) {
  std::string out =
      "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>jetfault campaign</title>\n"
      "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin:1em 0}"
      "td,th{border:1px solid #999;padding:3px 8px;text-align:right}th{background:#eee}"
      "td.l{text-align:left}.bad{background:#f99}.good{background:#9e9}.none{background:#ddd}"
      "pre{background:#f6f6f6;padding:6px;white-space:pre-wrap}</style></head><body>\n";
  out += fmt::format("<h1>jetfault campaign: {}</h1>\n", report.ok() ? "PASS" : "FAILED");
  out += fmt::format("<p>seed {} &middot; shard {}/{} &middot; {:.1f} s &middot; {} crash states</p>\n", report.seed,
                     report.shard.index, report.shard.count, report.elapsed_seconds, report.crash_states);

  // Fault class x outcome: how many faults of each class each scenario injected,
  // coloured by whether that scenario's cases passed.
  auto classes = ActiveFaultClasses(report);
  out +=
      "<h2>Fault class &times; outcome</h2>\n<table><tr><th>scenario</th><th>cases</th><th>passed</th>"
      "<th>failed</th>";
  for (std::size_t c : classes) out += fmt::format("<th>{}</th>", FaultClassName(static_cast<FaultClass>(c)));
  out += "</tr>\n";
  for (const auto& s : report.scenarios) {
    const char* cls = s.failed > 0 ? "bad" : "good";
    out += fmt::format("<tr><td class=\"l\">{}</td><td>{}</td><td>{}</td><td class=\"{}\">{}</td>", XmlEscape(s.name),
                       s.cases, s.passed, cls, s.failed);
    for (std::size_t c : classes) {
      out += s.faults[c] == 0 ? "<td class=\"none\"></td>" : fmt::format("<td class=\"{}\">{}</td>", cls, s.faults[c]);
    }
    out += "</tr>\n";
  }
  out += "</table>\n";

  if (std::string real = RealProcessSummary(report); !real.empty()) {
    out += "<h2>Real processes</h2>\n<pre>" + XmlEscape(real) + "</pre>\n";
  }
  out += fmt::format("<h2>Error-map coverage: {} of {} cells, {} violations</h2>\n", report.errmap.exercised_cells(),
                     report.errmap.cells(), report.errmap.violations());
  out += "<table><tr><th>fault</th><th>file</th><th>phase</th><th>hits</th><th>codes returned</th></tr>\n";
  const auto& table = ErrorMapTable();
  for (std::size_t i = 0; i < table.size(); ++i) {
    std::string codes;
    // By name: the order codes were first seen differs between a campaign and its
    // merged shards or jobs.
    auto seen = report.errmap.codes_seen()[i];
    std::sort(seen.begin(), seen.end(), [](const auto& a, const auto& b) {
      return std::string_view(JetErrorName(a.first)) < JetErrorName(b.first);
    });
    for (const auto& [code, n] : seen) {
      codes += fmt::format("{}{} &times;{}", codes.empty() ? "" : "<br>", JetErrorName(code), n);
    }
    out += fmt::format(
        "<tr><td class=\"l\">{}</td><td class=\"l\">{}</td><td class=\"l\">{}</td><td class=\"{}\">{}</td>"
        "<td class=\"l\">{}</td></tr>\n",
        FaultClassName(table[i].fault), FileRoleName(table[i].file), PhaseName(table[i].phase),
        report.errmap.hits(i) > 0 ? "good" : "none", report.errmap.hits(i), codes);
  }
  out += "</table>\n<h2>Failures</h2>\n";
  bool any = false;
  for (const auto& s : report.scenarios) {
    for (const auto& f : s.failures) {
      any = true;
      out += fmt::format("<h3>{} &middot; trace {}</h3><pre>{}\nfaults: {}\n{}</pre>\n", XmlEscape(s.name),
                         TraceHashText(f.trace_hash), XmlEscape(f.what), XmlEscape(f.fault_plan), XmlEscape(f.replay));
    }
  }
  if (!any) out += "<p>none</p>\n";
  out += "</body></html>\n";
  return out;
}

}  // namespace jetharness
