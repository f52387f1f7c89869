# Generated documentation (man page, bash and zsh completions) from the
# option table, where cmake --install puts them, and the Debian package.
# Included from the top-level CMakeLists.txt after the targets exist.

# A host tool: the option table is plain data, so the generator needs
# nothing else of ggplace.
add_executable(gen_docs tools/gen_docs.c src/cli/options_table.c)
target_include_directories(gen_docs PRIVATE src)

set(GGPLACE_GEN_DIR ${CMAKE_CURRENT_BINARY_DIR}/gen)
set(GGPLACE_GEN_FILES ${GGPLACE_GEN_DIR}/ggplace.1 ${GGPLACE_GEN_DIR}/ggplace.bash ${GGPLACE_GEN_DIR}/_ggplace)
add_custom_command(
  OUTPUT ${GGPLACE_GEN_FILES}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${GGPLACE_GEN_DIR}
  COMMAND gen_docs ${PROJECT_VERSION} ${GGPLACE_GEN_DIR}
  DEPENDS gen_docs
  COMMENT "Generating the man page and shell completions"
  VERBATIM)

# Debian ships man pages gzip-compressed (-n: no name or time, reproducible).
find_program(GGPLACE_GZIP gzip)
set(GGPLACE_MAN_PAGE ${GGPLACE_GEN_DIR}/ggplace.1)
if(GGPLACE_GZIP)
  add_custom_command(
    OUTPUT ${GGPLACE_GEN_DIR}/ggplace.1.gz
    COMMAND ${GGPLACE_GZIP} -9nkf ${GGPLACE_GEN_DIR}/ggplace.1
    DEPENDS ${GGPLACE_GEN_DIR}/ggplace.1
    VERBATIM)
  set(GGPLACE_MAN_PAGE ${GGPLACE_GEN_DIR}/ggplace.1.gz)
endif()
add_custom_target(ggplace_docs ALL DEPENDS ${GGPLACE_GEN_FILES} ${GGPLACE_MAN_PAGE})

install(FILES ${GGPLACE_MAN_PAGE} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${GGPLACE_GEN_DIR}/ggplace.bash
  DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME ggplace)
install(FILES ${GGPLACE_GEN_DIR}/_ggplace DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions)

# cpack -G DEB (from the build directory) builds ggplace_VERSION_ARCH.deb.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME ggplace)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "ggplace maintainers <maintainers@ggplace.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "what llama.cpp allocates for a GGUF model, and the fastest settings that fit")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
  "ggplace reads a GGUF model's header, predicts byte for byte what llama.cpp\n allocates on each device and plans the fastest llama-server settings that\n fit. Includes libggplace (shared and static), its header and pkg-config file.")
# Debian 12 names of the runtime libraries the binary and libggplace link.
set(CPACK_DEBIAN_PACKAGE_DEPENDS
  "libc6 (>= 2.34), libcjson1, libpcre2-8-0, libhwloc15, libyaml-0-2")
# libcurl is opened at run time, only to read URLs (and to time llama-server).
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "libcurl4")
include(CPack)
