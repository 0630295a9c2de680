// db/page_buffer.h — page-sized heap buffers, allocated through the faultfs
// allocation-failure hook so every out-of-memory path can be driven by tests.
#pragma once

#include <cstdint>
#include <memory>
#include <new>
#include <string_view>

#include "faultfs/alloc_fault.h"
#include "jet/jet.h"

namespace jet::db {

using PageBuffer = std::unique_ptr<std::uint8_t[]>;

// JET_errOutOfMemory when the hook refuses `site` or the heap is exhausted.
inline JET_ERR AllocatePageBuffer(std::size_t size, std::string_view site, PageBuffer* out) {
  if (!faultfs::AllocationAllowed(site)) return JET_errOutOfMemory;
  out->reset(new (std::nothrow) std::uint8_t[size]);
  return *out ? JET_errSuccess : JET_errOutOfMemory;
}

}  // namespace jet::db
