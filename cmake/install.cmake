# Install rules, the CMake package (SwitchboardConfig.cmake, exported
# targets Switchboard::<name>) and the pkg-config file (switchboard.pc).
#
# The exported libraries are listed once, in SWITCHBOARD_EXPORTED_LIBRARIES
# below, as <target>:<export name>, in link order (a library before what it
# links), which is also the order of -l flags in switchboard.pc.
#
# To export a new layer's library:
#   1. add "<target>:<name>" to SWITCHBOARD_EXPORTED_LIBRARIES at its place
#      in link order (it becomes Switchboard::<name>, libswitchboard_<name>);
#   2. if it brings a new dependency, add its find_dependency() line to
#      cmake/SwitchboardConfig.cmake.in (the "Dependencies" block) and its
#      pkg-config module to SWITCHBOARD_PC_REQUIRES below;
#   3. if it has public headers, list them in cmake/public_headers.cmake.
# The layer's own CMakeLists.txt stays as it is: include directories given
# there as ${PROJECT_SOURCE_DIR}/src are rewritten here for the install tree.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(SWITCHBOARD_EXPORTED_LIBRARIES
  sb_client:client
  sb_server:server
  sb_xds:xds
  sb_xds_resources:xds_resources
  sb_xds_protos:xds_protos
  sb_lookup:lookup
  sb_lookup_etcd:lookup_etcd
  sb_lookup_file:lookup_file
  sb_lookup_dns:lookup_dns
  sb_lookup_base:lookup_base
  sb_registry:registry
  sb_etcd:etcd
  sb_etcd_protos:etcd_protos
  sb_core:core
  sb_common:common
)

# pkg-config modules the libraries need (Debian ships each one's .pc).
set(SWITCHBOARD_PC_REQUIRES
  grpc++ protobuf libcares nlohmann_json
  absl_status absl_statusor absl_strings absl_str_format absl_time
  absl_synchronization absl_random_random)

# Where generated .pb.h files go, below the include directory; they are
# included as "etcd/...", "envoy/...", so they get a directory of their own.
set(SWITCHBOARD_INSTALL_PROTO_INCLUDEDIR ${CMAKE_INSTALL_INCLUDEDIR}/switchboard/protos)
set(SWITCHBOARD_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/Switchboard)

# Shared builds: installed binaries find the libraries beside them, and
# each library the ones it links (RUNPATH is not inherited by a library's
# own dependencies, so every library needs its own).
if(BUILD_SHARED_LIBS)
  file(RELATIVE_PATH bin_to_lib ${CMAKE_INSTALL_FULL_BINDIR} ${CMAKE_INSTALL_FULL_LIBDIR})
  set_target_properties(switchboard PROPERTIES INSTALL_RPATH "$ORIGIN/${bin_to_lib}")
endif()

set(exported_targets)
set(pc_libs)
foreach(entry ${SWITCHBOARD_EXPORTED_LIBRARIES})
  string(REPLACE ":" ";" pair ${entry})
  list(GET pair 0 target)
  list(GET pair 1 name)
  if(NOT TARGET ${target})
    message(FATAL_ERROR "cmake/install.cmake exports ${target}, which no CMakeLists.txt defines")
  endif()
  # Plain directories from the source or build tree hold only in the build
  # tree; the install tree has one include directory.
  get_target_property(dirs ${target} INTERFACE_INCLUDE_DIRECTORIES)
  set(rewritten)
  if(dirs)
    foreach(dir ${dirs})
      if(dir MATCHES "^\\$<")
        list(APPEND rewritten "${dir}")
      else()
        list(APPEND rewritten "$<BUILD_INTERFACE:${dir}>")
      endif()
    endforeach()
  endif()
  list(APPEND rewritten "$<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>")
  if(BUILD_SHARED_LIBS)
    set_target_properties(${target} PROPERTIES INSTALL_RPATH "$ORIGIN")
  endif()
  set_target_properties(${target} PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${rewritten}"
    EXPORT_NAME ${name}
    OUTPUT_NAME switchboard_${name})
  if(NOT TARGET Switchboard::${name})
    add_library(Switchboard::${name} ALIAS ${target})
  endif()
  list(APPEND exported_targets ${target})
  string(APPEND pc_libs " -lswitchboard_${name}")
  # Generated protos (cmake/protos.cmake records where they are).
  get_target_property(proto_dir ${target} SWITCHBOARD_PROTO_OUTPUT_DIR)
  if(proto_dir)
    install(DIRECTORY ${proto_dir}/ DESTINATION ${SWITCHBOARD_INSTALL_PROTO_INCLUDEDIR}
            COMPONENT dev FILES_MATCHING PATTERN "*.h")
  endif()
endforeach()

install(TARGETS switchboard RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)
install(TARGETS ${exported_targets} EXPORT SwitchboardTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime NAMELINK_COMPONENT dev
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)

# Public headers, keeping their switchboard/<layer>/ paths.
include(${CMAKE_CURRENT_LIST_DIR}/public_headers.cmake)
foreach(header ${SWITCHBOARD_PUBLIC_HEADERS})
  get_filename_component(dir ${header} DIRECTORY)
  install(FILES ${PROJECT_SOURCE_DIR}/src/${header}
          DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/${dir} COMPONENT dev)
endforeach()

install(EXPORT SwitchboardTargets NAMESPACE Switchboard::
        DESTINATION ${SWITCHBOARD_INSTALL_CMAKEDIR} COMPONENT dev)
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/SwitchboardConfig.cmake.in
  ${PROJECT_BINARY_DIR}/SwitchboardConfig.cmake
  INSTALL_DESTINATION ${SWITCHBOARD_INSTALL_CMAKEDIR})
# 0.x: a minor version may break the API.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/SwitchboardConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/SwitchboardConfig.cmake
              ${PROJECT_BINARY_DIR}/SwitchboardConfigVersion.cmake
        DESTINATION ${SWITCHBOARD_INSTALL_CMAKEDIR} COMPONENT dev)

# switchboard.pc finds its prefix from where it lies (${pcfiledir}), so
# `cmake --install --prefix <dir>` gives a working file anywhere.
file(RELATIVE_PATH pc_to_prefix ${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig ${CMAKE_INSTALL_PREFIX})
string(REGEX REPLACE "/$" "" pc_to_prefix "${pc_to_prefix}")
string(REPLACE ";" " " SWITCHBOARD_PC_REQUIRES_LINE "${SWITCHBOARD_PC_REQUIRES}")
set(SWITCHBOARD_PC_PREFIX "\${pcfiledir}/${pc_to_prefix}")
set(SWITCHBOARD_PC_LIBS "${pc_libs}")
configure_file(${CMAKE_CURRENT_LIST_DIR}/switchboard.pc.in ${PROJECT_BINARY_DIR}/switchboard.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/switchboard.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)
