// fuzz/corpus/encoder_seeds.h — seeds made by calling the encoders on structs: the
// shapes an engine run does not produce on its own (every page size at once, a torn
// primary header, circular-logging flags, full and holed pages, several attached
// databases) and the fault plans, printed by FaultPlan::ToText/ToJson.
#pragma once

#include "corpus/seed_writer.h"

namespace jetfault::corpus {

void WriteEncoderSeeds(SeedWriter& out);

}  // namespace jetfault::corpus
