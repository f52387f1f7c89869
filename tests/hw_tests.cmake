# Hardware-layer tests: a stub NVML built here and loaded through
# GGPLACE_NVML_LIB, fake /proc and /sys roots under tests/data/hw.
# Included from tests/CMakeLists.txt after gp_test() is defined.
add_library(stub_nvml SHARED support/stub_nvml.c)
set_target_properties(stub_nvml PROPERTIES
  OUTPUT_NAME nvidia-ml NO_SONAME OFF SOVERSION 1 VERSION 1
  C_VISIBILITY_PRESET default
  LIBRARY_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/stub_nvml)

gp_test(test_hw)
# The CLI's hardware options and devices command, until they are part of the
# CLI object library.
get_target_property(_gp_cli_sources ggplace_cli_obj SOURCES)
if(NOT "${_gp_cli_sources}" MATCHES "hw_options.c")
  target_sources(test_hw PRIVATE ${PROJECT_SOURCE_DIR}/src/cli/hw_options.c)
endif()
if(NOT "${_gp_cli_sources}" MATCHES "cmd_devices.c")
  target_sources(test_hw PRIVATE ${PROJECT_SOURCE_DIR}/src/cli/cmd_devices.c)
endif()
target_link_libraries(test_hw PRIVATE ${GGPLACE_HW_LIBS})
add_dependencies(test_hw stub_nvml)
target_compile_definitions(test_hw PRIVATE
  GP_STUB_NVML="$<TARGET_FILE:stub_nvml>"
  GP_HW_DATA="${CMAKE_CURRENT_SOURCE_DIR}/data/hw")
