# sb_test(NAME SOURCES <files> [LINK <targets>] [LABELS <labels>] [TIMEOUT <s>])
# One GoogleTest executable registered with CTest. Labels: unit (pure logic,
# no I/O), integration (real etcd / DNS / gRPC on loopback), scenario (whole
# behaviours on real processes).
# Nothing when SWITCHBOARD_BUILD_TESTS is OFF, so the layers' CMakeLists.txt
# declare their tests unconditionally.
function(sb_test NAME)
  if(NOT SWITCHBOARD_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(T "" "TIMEOUT" "SOURCES;LINK;LABELS" ${ARGN})
  add_executable(${NAME} ${T_SOURCES})
  target_link_libraries(${NAME} PRIVATE ${T_LINK} GTest::gtest GTest::gmock GTest::gtest_main)
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  if(NOT T_LABELS)
    set(T_LABELS unit)
  endif()
  add_test(NAME ${NAME} COMMAND ${NAME})
  set_tests_properties(${NAME} PROPERTIES TIMEOUT ${T_TIMEOUT} LABELS "${T_LABELS}"
    ENVIRONMENT "SWITCHBOARD_BUILD_DIR=${PROJECT_BINARY_DIR};SWITCHBOARD_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
endfunction()
