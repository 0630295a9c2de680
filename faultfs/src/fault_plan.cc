// Printing and parsing of fault plans. Both forms are driven by one table of rule
// fields (kFields), so a field added there is printed, parsed and validated in both.
#include "faultfs/fault_plan.h"

#include <array>
#include <charconv>
#include <nlohmann/json.hpp>
#include <variant>

namespace faultfs {
namespace {

constexpr std::array<std::string_view, kOpKindCount> kOpNames = {
    "open",   "read",   "write", "append", "sync",  "flush",   "truncate", "size",
    "rename", "delete", "list",  "mkdir",  "rmdir", "syncdir", "exists",
};
constexpr std::array<std::string_view, kFaultKindCount> kFaultNames = {
    "fail", "corrupt_read", "corrupt_write", "torn", "lost", "misdirect", "crash", "latency",
};
constexpr std::array<std::string_view, 3> kModeNames = {"bitflip", "zero", "garbage"};

template <typename Enum, std::size_t N>
bool ParseName(const std::array<std::string_view, N>& names, std::string_view name, Enum* out) {
  for (std::size_t i = 0; i < N; ++i) {
    if (names[i] == name) {
      *out = static_cast<Enum>(i);
      return true;
    }
  }
  return false;
}

template <std::size_t N>
std::string_view NameAt(const std::array<std::string_view, N>& names, std::size_t index) {
  return index < N ? names[index] : std::string_view("unknown");
}

// One field of FaultRule as it appears in both plan forms.
using Member =
    std::variant<std::uint64_t FaultRule::*, std::uint32_t FaultRule::*, bool FaultRule::*, std::string FaultRule::*,
                 ErrorCode FaultRule::*, OpSet FaultRule::*, CorruptMode FaultRule::*>;
struct Field {
  std::string_view name;
  Member member;
};
const std::array<Field, 13> kFields = {{
    {"op", &FaultRule::ops},
    {"path", &FaultRule::path},
    {"offset_from", &FaultRule::offset_from},
    {"offset_to", &FaultRule::offset_to},
    {"nth", &FaultRule::nth},
    {"times", &FaultRule::times},
    {"chance", &FaultRule::chance},
    {"error", &FaultRule::error},
    {"lose_dirty", &FaultRule::lose_dirty},
    {"corrupt", &FaultRule::corrupt},
    {"amount", &FaultRule::amount},
    {"unit", &FaultRule::unit},
    {"latency_us", &FaultRule::latency_us},
}};

const Field* FindField(std::string_view name) {
  for (const Field& f : kFields) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

bool FieldIsDefault(const FaultRule& rule, const Field& field) {
  static const FaultRule kDefault;
  return std::visit([&](auto member) { return rule.*member == kDefault.*member; }, field.member);
}

std::string OpsToText(OpSet ops) {
  std::string out;
  for (int i = 0; i < kOpKindCount; ++i) {
    if ((ops.bits & (1u << i)) == 0) continue;
    if (!out.empty()) out += ',';
    out += kOpNames[static_cast<std::size_t>(i)];
  }
  return out.empty() ? "*" : out;
}

bool ParseOps(std::string_view text, OpSet* out, std::string* error) {
  *out = OpSet{};
  if (text == "*") return true;
  while (!text.empty()) {
    std::size_t comma = text.find(',');
    std::string_view name = text.substr(0, comma);
    OpKind op;
    if (!ParseOpKind(name, &op)) {
      *error = "unknown operation '" + std::string(name) + "'";
      return false;
    }
    out->Add(op);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
  }
  return true;
}

bool ParseUnsigned(std::string_view text, std::uint64_t max, std::uint64_t* out, std::string* error) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
    *error = "'" + std::string(text) + "' is not an unsigned number";
    return false;
  }
  if (value > max) {
    *error = std::string(text) + " is out of range (max " + std::to_string(max) + ")";
    return false;
  }
  *out = value;
  return true;
}

// --- field values as text (the line form) ---

std::string ValueToText(const FaultRule& rule, const Field& field) {
  struct Printer {
    const FaultRule& rule;
    std::string operator()(std::uint64_t FaultRule::*m) const { return std::to_string(rule.*m); }
    std::string operator()(std::uint32_t FaultRule::*m) const { return std::to_string(rule.*m); }
    std::string operator()(bool FaultRule::*m) const { return rule.*m ? "true" : "false"; }
    std::string operator()(std::string FaultRule::*m) const { return rule.*m; }
    std::string operator()(ErrorCode FaultRule::*m) const { return std::string(ErrorCodeName(rule.*m)); }
    std::string operator()(OpSet FaultRule::*m) const { return OpsToText(rule.*m); }
    std::string operator()(CorruptMode FaultRule::*m) const { return std::string(CorruptModeName(rule.*m)); }
  };
  return std::visit(Printer{rule}, field.member);
}

bool ValueFromText(std::string_view text, const Field& field, FaultRule* rule, std::string* error) {
  struct Parser {
    std::string_view text;
    FaultRule* rule;
    std::string* error;
    bool operator()(std::uint64_t FaultRule::*m) const {
      return ParseUnsigned(text, std::numeric_limits<std::uint64_t>::max(), &(rule->*m), error);
    }
    bool operator()(std::uint32_t FaultRule::*m) const {
      std::uint64_t v = 0;
      if (!ParseUnsigned(text, std::numeric_limits<std::uint32_t>::max(), &v, error)) return false;
      rule->*m = static_cast<std::uint32_t>(v);
      return true;
    }
    bool operator()(bool FaultRule::*m) const {
      if (text != "true" && text != "false") {
        *error = "expected true or false, got '" + std::string(text) + "'";
        return false;
      }
      rule->*m = text == "true";
      return true;
    }
    bool operator()(std::string FaultRule::*m) const {
      rule->*m = std::string(text);
      return true;
    }
    bool operator()(ErrorCode FaultRule::*m) const {
      if (ParseErrorCode(text, &(rule->*m))) return true;
      *error = "unknown error code '" + std::string(text) + "'";
      return false;
    }
    bool operator()(OpSet FaultRule::*m) const { return ParseOps(text, &(rule->*m), error); }
    bool operator()(CorruptMode FaultRule::*m) const {
      if (ParseCorruptMode(text, &(rule->*m))) return true;
      *error = "unknown corruption mode '" + std::string(text) + "'";
      return false;
    }
  };
  return std::visit(Parser{text, rule, error}, field.member);
}

// --- field values as JSON ---

using Json = nlohmann::ordered_json;

struct JsonPrinter {
  const FaultRule& rule;
  const Field& field;
  Json operator()(std::uint64_t FaultRule::*m) const { return rule.*m; }
  Json operator()(std::uint32_t FaultRule::*m) const { return rule.*m; }
  Json operator()(bool FaultRule::*m) const { return rule.*m; }
  Json operator()(OpSet FaultRule::*m) const {
    Json ops = Json::array();
    for (int i = 0; i < kOpKindCount; ++i) {
      if (((rule.*m).bits & (1u << i)) != 0) ops.push_back(kOpNames[static_cast<std::size_t>(i)]);
    }
    return ops;
  }
  // Everything else is a string, spelled as in the line form.
  template <typename M>
  Json operator()(M) const {
    return ValueToText(rule, field);
  }
};

Json ValueToJson(const FaultRule& rule, const Field& field) {
  return std::visit(JsonPrinter{rule, field}, field.member);
}

struct JsonParser {
  const Json& value;
  const Field& field;
  FaultRule* rule;
  std::string* error;
  bool Fail(const char* expected) const {
    *error = std::string(field.name) + ": expected " + expected;
    return false;
  }
  bool operator()(std::uint64_t FaultRule::*m) const {
    if (!value.is_number_unsigned()) return Fail("an unsigned integer");
    rule->*m = value.get<std::uint64_t>();
    return true;
  }
  bool operator()(std::uint32_t FaultRule::*m) const {
    if (!value.is_number_unsigned() || value.get<std::uint64_t>() > std::numeric_limits<std::uint32_t>::max()) {
      return Fail("an unsigned 32-bit integer");
    }
    rule->*m = static_cast<std::uint32_t>(value.get<std::uint64_t>());
    return true;
  }
  bool operator()(bool FaultRule::*m) const {
    if (!value.is_boolean()) return Fail("true or false");
    rule->*m = value.get<bool>();
    return true;
  }
  bool operator()(OpSet FaultRule::*m) const {
    if (!value.is_array()) return Fail("an array of operation names");
    OpSet ops;
    for (const Json& name : value) {
      OpKind op;
      if (!name.is_string() || !ParseOpKind(name.get_ref<const std::string&>(), &op)) {
        return Fail("an array of operation names");
      }
      ops.Add(op);
    }
    rule->*m = ops;
    return true;
  }
  // Everything else is a string, parsed as in the line form.
  template <typename M>
  bool operator()(M) const {
    if (!value.is_string()) return Fail("a string");
    if (!ValueFromText(value.get_ref<const std::string&>(), field, rule, error)) {
      *error = std::string(field.name) + ": " + *error;
      return false;
    }
    return true;
  }
};

bool ValueFromJson(const Json& value, const Field& field, FaultRule* rule, std::string* error) {
  return std::visit(JsonParser{value, field, rule, error}, field.member);
}

// Checks the constraints a parsed rule must meet, whichever form it came from.
bool ValidateRule(const FaultRule& rule, std::string* error) {
  if (rule.unit == 0 || rule.unit > kMaxUnit || (rule.unit & (rule.unit - 1)) != 0) {
    *error = "unit must be a power of two between 1 and " + std::to_string(kMaxUnit);
    return false;
  }
  if (rule.amount == 0 || rule.amount > kMaxCorruptAmount) {
    *error = "amount must be between 1 and " + std::to_string(kMaxCorruptAmount);
    return false;
  }
  if (rule.chance > 1'000'000) {
    *error = "chance is per million and must be at most 1000000";
    return false;
  }
  if (rule.offset_from > rule.offset_to) {
    *error = "offset_from must not exceed offset_to";
    return false;
  }
  if (rule.kind == FaultKind::kFail && rule.error == ErrorCode::kOk) {
    *error = "a fail rule needs an error other than ok";
    return false;
  }
  return true;
}

// --- the line form's tokens: bare words, or "quoted" with \" \\ \n \t escapes ---

bool NeedsQuotes(std::string_view value) {
  if (value.empty()) return true;
  for (char c : value) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '"' || c == '\\' || c == '#') return true;
  }
  return false;
}

std::string Quote(std::string_view value) {
  if (!NeedsQuotes(value)) return std::string(value);
  std::string out = "\"";
  for (char c : value) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: out += c;
    }
  }
  return out + "\"";
}

// Splits a line into tokens. A token "key=value" may have a quoted value.
bool Tokenize(std::string_view line, std::vector<std::string>* tokens, std::string* error) {
  std::size_t i = 0;
  while (i < line.size()) {
    if (line[i] == ' ' || line[i] == '\t' || line[i] == '\r') {
      ++i;
      continue;
    }
    if (line[i] == '#') break;  // comment to end of line
    std::string token;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') {
      if (line[i] != '"') {
        token += line[i++];
        continue;
      }
      ++i;  // opening quote
      for (;;) {
        if (i >= line.size()) {
          *error = "unterminated quoted value";
          return false;
        }
        char c = line[i++];
        if (c == '"') break;
        if (c != '\\') {
          token += c;
          continue;
        }
        if (i >= line.size()) {
          *error = "unterminated escape";
          return false;
        }
        char e = line[i++];
        switch (e) {
          case '"': token += '"'; break;
          case '\\': token += '\\'; break;
          case 'n': token += '\n'; break;
          case 'r': token += '\r'; break;
          case 't': token += '\t'; break;
          default: *error = std::string("unknown escape \\") + e; return false;
        }
      }
    }
    tokens->push_back(std::move(token));
  }
  return true;
}

bool ParseRuleTokens(const std::vector<std::string>& tokens, FaultRule* rule, std::string* error) {
  if (!ParseFaultKind(tokens[0], &rule->kind)) {
    *error = "unknown rule kind '" + tokens[0] + "'";
    return false;
  }
  std::vector<std::string_view> seen;
  for (std::size_t i = 1; i < tokens.size(); ++i) {
    std::string_view token = tokens[i];
    std::size_t eq = token.find('=');
    if (eq == std::string_view::npos) {
      *error = "expected key=value, got '" + tokens[i] + "'";
      return false;
    }
    std::string_view key = token.substr(0, eq);
    const Field* field = FindField(key);
    if (field == nullptr) {
      *error = "unknown key '" + std::string(key) + "'";
      return false;
    }
    for (std::string_view s : seen) {
      if (s == key) {
        *error = "duplicate key '" + std::string(key) + "'";
        return false;
      }
    }
    seen.push_back(key);
    if (!ValueFromText(token.substr(eq + 1), *field, rule, error)) {
      *error = std::string(key) + ": " + *error;
      return false;
    }
  }
  return ValidateRule(*rule, error);
}

// nlohmann's parser recurses per nesting level: refuse deep nesting before parsing so
// a hostile plan cannot exhaust the stack.
bool NestingWithinLimit(std::string_view text, int limit) {
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limit) return false;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return true;
}

bool ParseRuleJson(const Json& object, FaultRule* rule, std::string* error) {
  if (!object.is_object()) {
    *error = "a rule must be an object";
    return false;
  }
  auto kind = object.find("kind");
  if (kind == object.end() || !kind->is_string() || !ParseFaultKind(kind->get_ref<const std::string&>(), &rule->kind)) {
    *error = "missing or unknown \"kind\"";
    return false;
  }
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (it.key() == "kind") continue;
    const Field* field = FindField(it.key());
    if (field == nullptr) {
      *error = "unknown key '" + it.key() + "'";
      return false;
    }
    if (!ValueFromJson(it.value(), *field, rule, error)) return false;
  }
  return ValidateRule(*rule, error);
}

}  // namespace

std::string_view OpKindName(OpKind op) { return NameAt(kOpNames, static_cast<std::size_t>(op)); }
bool ParseOpKind(std::string_view name, OpKind* out) { return ParseName(kOpNames, name, out); }
std::string_view FaultKindName(FaultKind kind) { return NameAt(kFaultNames, static_cast<std::size_t>(kind)); }
bool ParseFaultKind(std::string_view name, FaultKind* out) { return ParseName(kFaultNames, name, out); }
std::string_view CorruptModeName(CorruptMode mode) { return NameAt(kModeNames, static_cast<std::size_t>(mode)); }
bool ParseCorruptMode(std::string_view name, CorruptMode* out) { return ParseName(kModeNames, name, out); }

std::string FaultPlan::ToText() const {
  std::string out = "seed " + std::to_string(seed) + "\n";
  for (const FaultRule& rule : rules) {
    out += FaultKindName(rule.kind);
    for (const Field& field : kFields) {
      if (FieldIsDefault(rule, field)) continue;
      out += ' ';
      out += field.name;
      out += '=';
      out += Quote(ValueToText(rule, field));
    }
    out += '\n';
  }
  return out;
}

std::string FaultPlan::ToJson() const {
  Json plan;
  plan["seed"] = seed;
  plan["rules"] = Json::array();
  for (const FaultRule& rule : rules) {
    Json object;
    object["kind"] = FaultKindName(rule.kind);
    for (const Field& field : kFields) {
      if (FieldIsDefault(rule, field)) continue;
      object[std::string(field.name)] = ValueToJson(rule, field);
    }
    plan["rules"].push_back(std::move(object));
  }
  // Paths are UTF-8 (vfs.h); an invalid byte is printed as U+FFFD rather than thrown on.
  return plan.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

bool ParseFaultPlanText(std::string_view text, FaultPlan* out, std::string* error) {
  *out = FaultPlan{};
  if (text.size() > kMaxPlanBytes) {
    *error = "plan larger than " + std::to_string(kMaxPlanBytes) + " bytes";
    return false;
  }
  bool seen_seed = false;
  std::size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    std::size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text = newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
    std::vector<std::string> tokens;
    std::string problem;
    bool ok = Tokenize(line, &tokens, &problem);
    if (ok && !tokens.empty()) {
      if (tokens[0] == "seed") {
        if (seen_seed || tokens.size() != 2) {
          problem = seen_seed ? "seed given twice" : "expected 'seed N'";
          ok = false;
        } else {
          ok = ParseUnsigned(tokens[1], std::numeric_limits<std::uint64_t>::max(), &out->seed, &problem);
          seen_seed = true;
        }
      } else if (out->rules.size() >= kMaxPlanRules) {
        problem = "more than " + std::to_string(kMaxPlanRules) + " rules";
        ok = false;
      } else {
        FaultRule rule;
        ok = ParseRuleTokens(tokens, &rule, &problem);
        if (ok) out->rules.push_back(std::move(rule));
      }
    }
    if (!ok) {
      *error = "line " + std::to_string(line_number) + ": " + problem;
      return false;
    }
  }
  return true;
}

bool ParseFaultPlanJson(std::string_view text, FaultPlan* out, std::string* error) {
  *out = FaultPlan{};
  if (text.size() > kMaxPlanBytes) {
    *error = "plan larger than " + std::to_string(kMaxPlanBytes) + " bytes";
    return false;
  }
  if (!NestingWithinLimit(text, 16)) {
    *error = "JSON nested too deeply";
    return false;
  }
  Json plan = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (plan.is_discarded()) {
    *error = "not valid JSON";
    return false;
  }
  if (!plan.is_object()) {
    *error = "a plan must be a JSON object";
    return false;
  }
  for (auto it = plan.begin(); it != plan.end(); ++it) {
    if (it.key() != "seed" && it.key() != "rules") {
      *error = "unknown key '" + it.key() + "'";
      return false;
    }
  }
  if (auto seed = plan.find("seed"); seed != plan.end()) {
    if (!seed->is_number_unsigned()) {
      *error = "seed: expected an unsigned integer";
      return false;
    }
    out->seed = seed->get<std::uint64_t>();
  }
  auto rules = plan.find("rules");
  if (rules == plan.end()) return true;
  if (!rules->is_array()) {
    *error = "rules: expected an array";
    return false;
  }
  if (rules->size() > kMaxPlanRules) {
    *error = "more than " + std::to_string(kMaxPlanRules) + " rules";
    return false;
  }
  for (std::size_t i = 0; i < rules->size(); ++i) {
    FaultRule rule;
    if (!ParseRuleJson((*rules)[i], &rule, error)) {
      *error = "rule " + std::to_string(i) + ": " + *error;
      return false;
    }
    out->rules.push_back(std::move(rule));
  }
  return true;
}

bool ParseFaultPlan(std::string_view text, FaultPlan* out, std::string* error) {
  std::size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && text[first] == '{') return ParseFaultPlanJson(text, out, error);
  return ParseFaultPlanText(text, out, error);
}

}  // namespace faultfs
