# Lays out an empty home per test: cmake -DROOT=DIR -DDIRS=a;b;c -P test_homes.cmake
file(REMOVE_RECURSE ${ROOT})
foreach(d IN LISTS DIRS)
  file(MAKE_DIRECTORY ${d})
endforeach()
