// fault_plan_fuzzer — the fault plan parsers (faultfs/fault_plan.h). Plans are user
// input (command line, files), so both forms must reject anything malformed with a
// message, and never crash, hang or allocate without bound.
//
// The input is plan text; it goes through the text parser, the JSON parser and the
// auto-detecting ParseFaultPlan. For every accepted plan:
//   * a rejection always comes with a non-empty message;
//   * ParseFaultPlan agrees with the parser its first character selects;
//   * ToText and ToJson both parse back to the same plan (Parse(Print(plan)) == plan),
//     except that a string holding invalid UTF-8 prints as U+FFFD in JSON: then the
//     JSON form must be a fixed point (printing the re-parsed plan gives the same JSON).
#include <cstdint>
#include <string>
#include <string_view>

#include "faultfs/fault_plan.h"
#include "fuzz_check.h"

namespace {

// Well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF).
bool IsValidUtf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 1, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3, cp = c & 0x07;
    } else {
      return false;
    }
    for (std::size_t k = 1; k <= n; ++k) {
      if (i + k >= s.size()) return false;
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    const std::uint32_t min[] = {0, 0x80, 0x800, 0x10000};
    if (cp < min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}

bool AllStringsValidUtf8(const faultfs::FaultPlan& plan) {
  for (const auto& rule : plan.rules) {
    if (!IsValidUtf8(rule.path)) return false;
  }
  return true;
}

void CheckPrintsBack(const faultfs::FaultPlan& plan) {
  faultfs::FaultPlan again;
  std::string error;
  FUZZ_CHECK(faultfs::ParseFaultPlanText(plan.ToText(), &again, &error));
  FUZZ_CHECK(again == plan);

  const std::string json = plan.ToJson();
  FUZZ_CHECK(faultfs::ParseFaultPlanJson(json, &again, &error));
  if (AllStringsValidUtf8(plan)) {
    FUZZ_CHECK(again == plan);
  } else {
    FUZZ_CHECK(again.ToJson() == json);
  }
}

// Parses with one parser; on success checks printing back, on failure the message.
bool Check(bool (*parse)(std::string_view, faultfs::FaultPlan*, std::string*), std::string_view text,
           faultfs::FaultPlan* plan) {
  std::string error;
  if (!parse(text, plan, &error)) {
    FUZZ_CHECK(!error.empty());
    return false;
  }
  CheckPrintsBack(*plan);
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  faultfs::FaultPlan as_text, as_json, detected;
  const bool text_ok = Check(faultfs::ParseFaultPlanText, text, &as_text);
  const bool json_ok = Check(faultfs::ParseFaultPlanJson, text, &as_json);
  const bool detected_ok = Check(faultfs::ParseFaultPlan, text, &detected);

  // The auto-detecting parser is one of the two, chosen by the first non-blank byte.
  const std::size_t first = text.find_first_not_of(" \t\r\n");
  const bool looks_json = first != std::string_view::npos && text[first] == '{';
  FUZZ_CHECK(detected_ok == (looks_json ? json_ok : text_ok));
  if (detected_ok) FUZZ_CHECK(detected == (looks_json ? as_json : as_text));
  return 0;
}
