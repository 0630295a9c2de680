// jetfault/assert.h — always-on assertions of the engine's and faultfs's own invariants.
//
// Kept in release builds (no NDEBUG switch), as TigerBeetle does: a broken invariant
// found by the campaign or a fuzzer is a crash with a location, never silent damage
// that a later check blames on the disk. A failed assertion prints
//   file:line: assertion failed: <expression> (<values>)
// to stderr and aborts; the comparison forms add " (a = <value>, b = <value>)".
//
//   JF_ASSERT(cond)          the condition alone
//   JF_ASSERT_EQ(a, b) … _NE, _LT, _LE, _GT, _GE
//                            a comparison; both values are printed. Each operand is
//                            evaluated exactly once. Integers of mixed signedness
//                            compare by value (std::cmp_less …), never by conversion.
//
// Only for the program's own state. Bytes read from storage (or any input) are never
// asserted on: a bad page, log or checkpoint must come back as a JET_err (the parsers
// are fuzzed), so assert after validation, on what the code itself computed.
//
// A value prints when it is an integer, enum, bool, pointer or string, or when
// `ToString(value)` is found by argument-dependent lookup (e.g. jet::format::Lgpos);
// anything else prints as "?".
#pragma once

#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace jetfault::assert_internal {

// Prints "file:line: assertion failed: expr" and " (values)" when values is not null,
// then aborts. Out of line and cold: the passing path stays a compare and a branch.
[[noreturn]] [[gnu::cold]] void Fail(const char* file, int line, const char* expr, const std::string* values);

template <class T>
concept AdlToString = requires(const T& v) {
  { ToString(v) } -> std::convertible_to<std::string>;
};

template <class T>
std::string Show(const T& v) {
  if constexpr (std::is_same_v<T, bool>) {
    return v ? "true" : "false";
  } else if constexpr (std::is_enum_v<T>) {
    return std::to_string(static_cast<std::underlying_type_t<T>>(v));
  } else if constexpr (std::is_same_v<T, char> || std::is_same_v<T, signed char> || std::is_same_v<T, unsigned char>) {
    return std::to_string(static_cast<int>(v));
  } else if constexpr (std::is_integral_v<T>) {
    return std::to_string(v);
  } else if constexpr (std::is_convertible_v<const T&, std::string_view>) {
    return '"' + std::string(std::string_view(v)) + '"';
  } else if constexpr (std::is_pointer_v<T>) {
    return v == nullptr ? std::string("nullptr") : std::to_string(reinterpret_cast<std::uintptr_t>(v));
  } else if constexpr (AdlToString<T>) {
    return ToString(v);
  } else {
    return "?";
  }
}

// The integer types std::cmp_less accepts (not bool nor the character types).
template <class T>
inline constexpr bool kPlainInteger = std::is_integral_v<T> && !std::is_same_v<T, bool> && !std::is_same_v<T, char> &&
                                      !std::is_same_v<T, wchar_t> && !std::is_same_v<T, char8_t> &&
                                      !std::is_same_v<T, char16_t> && !std::is_same_v<T, char32_t>;

// a OP b, by value for two integers (no sign conversion), else with the operator.
template <class A, class B>
constexpr bool Eq(const A& a, const B& b) {
  if constexpr (kPlainInteger<A> && kPlainInteger<B>) return std::cmp_equal(a, b);
  else return a == b;
}
template <class A, class B>
constexpr bool Lt(const A& a, const B& b) {
  if constexpr (kPlainInteger<A> && kPlainInteger<B>) return std::cmp_less(a, b);
  else return a < b;
}

// "a_text = <a>, b_text = <b>", then Fail.
template <class A, class B>
[[noreturn]] void FailCompare(const char* file, int line, const char* expr, const char* a_text, const A& a,
                              const char* b_text, const B& b) {
  const std::string values = std::string(a_text) + " = " + Show(a) + ", " + b_text + " = " + Show(b);
  Fail(file, line, expr, &values);
}

}  // namespace jetfault::assert_internal

#define JF_ASSERT(cond)                                                      \
  do {                                                                       \
    if (!(cond)) [[unlikely]]                                                \
      ::jetfault::assert_internal::Fail(__FILE__, __LINE__, #cond, nullptr); \
  } while (false)

// The comparison forms. `holds` is an expression over jf_a_ and jf_b_.
#define JF_ASSERT_INTERNAL_CMP(a, b, op, holds)                                                             \
  do {                                                                                                      \
    const auto& jf_a_ = (a);                                                                                \
    const auto& jf_b_ = (b);                                                                                \
    if (!(holds)) [[unlikely]]                                                                              \
      ::jetfault::assert_internal::FailCompare(__FILE__, __LINE__, #a " " op " " #b, #a, jf_a_, #b, jf_b_); \
  } while (false)

#define JF_ASSERT_EQ(a, b) JF_ASSERT_INTERNAL_CMP(a, b, "==", ::jetfault::assert_internal::Eq(jf_a_, jf_b_))
#define JF_ASSERT_NE(a, b) JF_ASSERT_INTERNAL_CMP(a, b, "!=", !::jetfault::assert_internal::Eq(jf_a_, jf_b_))
#define JF_ASSERT_LT(a, b) JF_ASSERT_INTERNAL_CMP(a, b, "<", ::jetfault::assert_internal::Lt(jf_a_, jf_b_))
#define JF_ASSERT_LE(a, b) JF_ASSERT_INTERNAL_CMP(a, b, "<=", !::jetfault::assert_internal::Lt(jf_b_, jf_a_))
#define JF_ASSERT_GT(a, b) JF_ASSERT_INTERNAL_CMP(a, b, ">", ::jetfault::assert_internal::Lt(jf_b_, jf_a_))
#define JF_ASSERT_GE(a, b) JF_ASSERT_INTERNAL_CMP(a, b, ">=", !::jetfault::assert_internal::Lt(jf_a_, jf_b_))
