# The hardware layer: device list, detection (NVML and Vulkan through dlopen,
# AMD from sysfs, the CPU from hwloc), machine descriptions as JSON.
# Included from the top-level CMakeLists.txt after GGPLACE_LIB_SOURCES is set;
# targets that hold these sources link ${GGPLACE_HW_LIBS}.
list(APPEND GGPLACE_LIB_SOURCES
  src/hw/gpu_table.c
  src/hw/detect.c
  src/hw/detect_cpu.c
  src/hw/membw.c
  src/hw/detect_nvml.c
  src/hw/detect_amd.c
  src/hw/detect_vulkan.c
  src/hw/hw_json.c
)
list(REMOVE_DUPLICATES GGPLACE_LIB_SOURCES)

find_package(PkgConfig REQUIRED)
pkg_check_modules(HWLOC REQUIRED IMPORTED_TARGET hwloc)
set(THREADS_PREFER_PTHREAD_FLAG ON)
find_package(Threads REQUIRED)
set(GGPLACE_HW_LIBS PkgConfig::HWLOC Threads::Threads ${CMAKE_DL_LIBS})

# Vulkan needs only its headers at build time (the loader is opened at run
# time); without them Vulkan detection is left out.
include(CheckIncludeFile)
check_include_file(vulkan/vulkan.h GGPLACE_HAVE_VULKAN_H)
if(GGPLACE_HAVE_VULKAN_H)
  set_source_files_properties(src/hw/detect_vulkan.c PROPERTIES COMPILE_DEFINITIONS GGPLACE_HAVE_VULKAN)
endif()
