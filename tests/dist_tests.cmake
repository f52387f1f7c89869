# Tests of what ships: the documentation generated from the option table,
# the Debian package, and the HTML report in a real browser.
# Included from tests/CMakeLists.txt (after gp_test is defined).

# --help, ggplace.1 and the completions agree with the option table.
gp_test(test_docs)
target_compile_definitions(test_docs PRIVATE GP_DOCS_DIR="${GGPLACE_GEN_DIR}")
add_dependencies(test_docs ggplace_docs)

# cpack -G DEB, its file list, and the packaged ggplace --version.
find_program(GGPLACE_CPACK cpack)
find_program(GGPLACE_DPKG_DEB dpkg-deb)
if(GGPLACE_CPACK AND GGPLACE_DPKG_DEB)
  add_test(NAME package_deb
    COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/package_test.sh ${PROJECT_BINARY_DIR} ${PROJECT_VERSION})
  set_tests_properties(package_deb PROPERTIES TIMEOUT 300 RUN_SERIAL TRUE)
  gp_test_isolate(package_deb)
endif()

# The HTML report in chromium (skipped, exit 77, without node, playwright-core or chromium).
# playwright-core is where the configuring user keeps it (the test's own HOME is empty).
if(DEFINED ENV{GGPLACE_NPM_PREFIX})
  set(_gp_npm_prefix $ENV{GGPLACE_NPM_PREFIX})
else()
  set(_gp_npm_prefix $ENV{HOME}/.cache/ggplace/npm)
endif()
add_test(NAME browser_report
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/browser/run.sh $<TARGET_FILE:ggplace> ${PROJECT_SOURCE_DIR}
          ${CMAKE_CURRENT_BINARY_DIR}/browser)
set_tests_properties(browser_report PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 300)
gp_test_isolate(browser_report)
set_property(TEST browser_report APPEND PROPERTY ENVIRONMENT_MODIFICATION "GGPLACE_NPM_PREFIX=set:${_gp_npm_prefix}")

# The report's HTML and the plan JSON it is drawn from, without a browser.
gp_test(test_report)

# examples/plan.c built against the installed ggplace.pc (shared and static)
# plans what `ggplace plan --args` plans (skipped, exit 77, without pkg-config
# or a C compiler). A sanitized tree's library needs the sanitizers in the
# program too.
set(_gp_example_cflags "")
if(GGPLACE_SANITIZE)
  set(_gp_example_cflags "-fsanitize=address,undefined -fno-sanitize-recover=all")
endif()
add_test(NAME example_pkgconfig
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/example_pkgconfig.sh ${PROJECT_BINARY_DIR} ${PROJECT_SOURCE_DIR}
          ${CMAKE_C_COMPILER} "${_gp_example_cflags}")
set_tests_properties(example_pkgconfig PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 300)
gp_test_isolate(example_pkgconfig)
