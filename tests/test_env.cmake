# Every test runs as a user with nothing of their own: a private, empty HOME
# and cache directory each (wiped before every ctest run), and none of the
# variables through which a user's setup would steer ggplace (tokens, hub
# endpoints, proxies, visible devices, a bandwidth figure, time-outs).
# GGPLACE_LLAMA_DIR and GGPLACE_NPM_PREFIX pass through: they name what the
# integration and browser tests run, not what ggplace reads.
set(GP_TEST_HOME_ROOT ${CMAKE_BINARY_DIR}/test-home)
set(GP_TEST_UNSET
  HF_TOKEN HF_TOKEN_PATH HF_HOME HF_ENDPOINT MODEL_ENDPOINT
  GGPLACE_MEMBW GGPLACE_SYSROOT GGPLACE_HTTP_TIMEOUT GGPLACE_HTTP_CONNECT_TIMEOUT GGPLACE_CURL_LIB
  GGPLACE_FAKE_MODE GGPLACE_FAKE_PIDFILE
  CUDA_VISIBLE_DEVICES HIP_VISIBLE_DEVICES ROCR_VISIBLE_DEVICES GGML_VK_VISIBLE_DEVICES CUDA_DEVICE_ORDER
  NO_COLOR COLUMNS
  http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy no_proxy NO_PROXY)
set_property(GLOBAL PROPERTY GP_ISOLATED_TESTS "")

function(gp_test_isolate name)
  set(home ${GP_TEST_HOME_ROOT}/${name})
  set(mods
    "HOME=set:${home}" "XDG_CACHE_HOME=set:${home}/.cache"
    "CMOCKA_MESSAGE_OUTPUT=set:stdout" "GGPLACE_NVML_LIB=set:off" "GGPLACE_VULKAN_LIB=set:off")
  foreach(v IN LISTS GP_TEST_UNSET)
    list(APPEND mods "${v}=unset:")
  endforeach()
  set_tests_properties(${name} PROPERTIES ENVIRONMENT_MODIFICATION "${mods}")
  # Appended: a fixture the test already requires (accuracy_zoo's zoo) stays.
  set_property(TEST ${name} APPEND PROPERTY FIXTURES_REQUIRED gp_test_home)
  set_property(GLOBAL APPEND PROPERTY GP_ISOLATED_TESTS ${name})
endfunction()

# Called once every test is registered: the fixture that lays out the homes.
function(gp_test_homes_fixture)
  get_property(names GLOBAL PROPERTY GP_ISOLATED_TESTS)
  set(dirs "")
  foreach(n IN LISTS names)
    list(APPEND dirs ${GP_TEST_HOME_ROOT}/${n}/.cache)
  endforeach()
  add_test(NAME test_homes COMMAND ${CMAKE_COMMAND}
    -DROOT=${GP_TEST_HOME_ROOT} "-DDIRS=${dirs}" -P ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/test_homes.cmake)
  set_tests_properties(test_homes PROPERTIES FIXTURES_SETUP gp_test_home)
endfunction()
