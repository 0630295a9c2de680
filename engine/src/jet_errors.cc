// The single table of JET_err codes: names, values and messages come from jet_errors.def.
#include <array>
#include <cstddef>

#include "jet/jet.h"

namespace {

struct ErrorEntry {
  JET_ERR value;
  const char* name;
  const char* message;
};

constexpr ErrorEntry kErrors[] = {
#define JET_ERROR(name, value, message) {value, #name, message},
#include "jet/jet_errors.def"
#undef JET_ERROR
};

const ErrorEntry* Find(JET_ERR err) {
  for (const auto& e : kErrors) {
    if (e.value == err) return &e;
  }
  return nullptr;
}

}  // namespace

const char* JetErrorName(JET_ERR err) {
  const ErrorEntry* e = Find(err);
  return e != nullptr ? e->name : "JET_err?";
}

const char* JetErrorMessage(JET_ERR err) {
  const ErrorEntry* e = Find(err);
  return e != nullptr ? e->message : "unknown error code";
}

std::size_t JetErrorCount() { return std::size(kErrors); }

JET_ERR JetErrorAt(std::size_t index) { return index < std::size(kErrors) ? kErrors[index].value : JET_errSuccess; }
