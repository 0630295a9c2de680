# The fuzz targets, each with the parser files it needs (see CMakeLists.txt).
jetfault_fuzz_target(db_header_fuzzer REQUIRES engine/src/format/db_header.cc)
jetfault_fuzz_target(db_page_fuzzer REQUIRES engine/src/format/page.cc)
jetfault_fuzz_target(log_header_fuzzer REQUIRES engine/src/format/log_header.cc engine/src/format/log_attach.cc)
jetfault_fuzz_target(checkpoint_fuzzer REQUIRES engine/src/format/checkpoint.cc engine/src/format/log_attach.cc)
jetfault_fuzz_target(log_stream_fuzzer REQUIRES engine/src/log/log_reader.cc engine/src/log/log_writer.cc
  SOURCES log_image.cc mutators/mutation.cc mutators/log_stream_mutator.cc)
jetfault_fuzz_target(log_record_fuzzer REQUIRES engine/src/db/log_records.cc)
jetfault_fuzz_target(fault_plan_fuzzer REQUIRES faultfs/src/fault_plan.cc)
jetfault_fuzz_target(backup_manifest_fuzzer REQUIRES engine/src/format/backup_manifest.cc engine/src/format/backup_trailer.cc)
jetfault_fuzz_target(restore_fuzzer REQUIRES engine/src/backup/restore_instance.cc faultfs/src/fault_fs.cc
  harness/src/harness/engine/driver.cc
  SOURCES corpus/engine_scenario.cc restore/judge.cc restore/script.cc log_image.cc mutators/mutation.cc
          mutators/restore_mutator.cc
  LIBS faultfs jetharness)
