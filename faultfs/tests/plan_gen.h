// plan_gen.h — RapidCheck generators for fault plans (tests only).
#pragma once

#include <rapidcheck.h>

#include "faultfs/fault_plan.h"

namespace faultfs::testing_util {

inline rc::Gen<FaultRule> GenFaultRule() {
  return rc::gen::exec([] {
    FaultRule rule;
    rule.kind = static_cast<FaultKind>(*rc::gen::inRange(0, kFaultKindCount));
    rule.ops.bits = *rc::gen::inRange<std::uint32_t>(0, 1u << kOpKindCount);
    rule.path = *rc::gen::oneOf(rc::gen::element<std::string>("*", "/db/*.log", "*.edb", "/a b/#x\"q\\", ""),
                                // ASCII: JSON text is UTF-8 (ToJson replaces invalid bytes).
                                rc::gen::container<std::string>(rc::gen::inRange<char>(0, 127)));
    rule.offset_from = *rc::gen::inRange<std::uint64_t>(0, 1 << 20);
    rule.offset_to = rule.offset_from + *rc::gen::inRange<std::uint64_t>(0, 1 << 20);
    rule.nth = *rc::gen::inRange<std::uint64_t>(0, 50);
    rule.times = *rc::gen::inRange<std::uint64_t>(0, 4);
    rule.chance = *rc::gen::inRange<std::uint32_t>(0, 1'000'001);
    rule.error = static_cast<ErrorCode>(*rc::gen::inRange(1, 10));
    rule.lose_dirty = *rc::gen::arbitrary<bool>();
    rule.corrupt = static_cast<CorruptMode>(*rc::gen::inRange(0, 3));
    rule.amount = *rc::gen::inRange<std::uint32_t>(1, 64);
    rule.unit = 1u << *rc::gen::inRange(0, 13);
    rule.latency_us = *rc::gen::inRange<std::uint64_t>(0, 100'000);
    return rule;
  });
}

inline rc::Gen<FaultPlan> GenFaultPlan() {
  return rc::gen::exec([] {
    FaultPlan plan;
    plan.seed = *rc::gen::arbitrary<std::uint64_t>();
    plan.rules = *rc::gen::container<std::vector<FaultRule>>(*rc::gen::inRange(0, 6), GenFaultRule());
    return plan;
  });
}

}  // namespace faultfs::testing_util
