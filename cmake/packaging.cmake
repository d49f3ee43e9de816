# The Debian packages, by CPack: `cmake --build build --target package` (or
# `cpack` in the build directory) writes
#   switchboard_<version>_amd64.deb      the command, the systemd units, the
#                                        example configuration (conffiles)
#                                        and the system user (postinst)
#   switchboard-dev_<version>_amd64.deb  headers, static libraries, the CMake
#                                        package and switchboard.pc
# from the install components `runtime` and `dev` (cmake/install.cmake).
# The runtime package's Depends are computed by dpkg-shlibdeps (dpkg-dev).
#
# Installed by this file, besides cmake/install.cmake's:
#   lib/systemd/system/switchboard-{xds,up,register@}.service  (packaging/systemd/)
#   lib/sysusers.d/switchboard.conf                            (packaging/sysusers.d/)
#   <sysconfdir>/switchboard/*.conf                            (packaging/etc/)
# where <sysconfdir> is /etc for the prefix /usr (the package) and
# <prefix>/etc otherwise, GNUInstallDirs' rule, decided at install time so
# that `cmake --install build --prefix DIR` writes nothing outside DIR.

set(SWITCHBOARD_SYSTEMD_UNITS
  ${PROJECT_SOURCE_DIR}/packaging/systemd/switchboard-xds.service
  ${PROJECT_SOURCE_DIR}/packaging/systemd/switchboard-up.service
  ${PROJECT_SOURCE_DIR}/packaging/systemd/switchboard-register@.service)
set(SWITCHBOARD_EXAMPLE_CONFIGS
  ${PROJECT_SOURCE_DIR}/packaging/etc/xds.conf
  ${PROJECT_SOURCE_DIR}/packaging/etc/up.conf
  ${PROJECT_SOURCE_DIR}/packaging/etc/register.conf.example)

# lib/, not ${CMAKE_INSTALL_LIBDIR}: systemd looks in /usr/lib/systemd,
# never in a multiarch directory.
install(FILES ${SWITCHBOARD_SYSTEMD_UNITS} DESTINATION lib/systemd/system COMPONENT runtime)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/sysusers.d/switchboard.conf
        DESTINATION lib/sysusers.d COMPONENT runtime)
string(REPLACE ";" "\" \"" configs_quoted "${SWITCHBOARD_EXAMPLE_CONFIGS}")
install(CODE "
  if(\"\${CMAKE_INSTALL_PREFIX}\" STREQUAL \"/usr\")
    set(switchboard_etc /etc/switchboard)
  else()
    set(switchboard_etc \"\${CMAKE_INSTALL_PREFIX}/etc/switchboard\")
  endif()
  file(INSTALL DESTINATION \"\${switchboard_etc}\" TYPE FILE FILES \"${configs_quoted}\")
" COMPONENT runtime)
install(FILES ${PROJECT_SOURCE_DIR}/docs/deployment.md DESTINATION ${CMAKE_INSTALL_DOCDIR}
        COMPONENT runtime)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME switchboard)
set(CPACK_PACKAGE_VENDOR "Switchboard")
set(CPACK_PACKAGE_CONTACT "Switchboard maintainers <switchboard@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "service discovery and load balancing for gRPC")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
# Install with DESTDIR and the prefix /usr, so that the install code above
# sees the prefix the package has and writes /etc.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
# Debug information stays in the build tree; it is most of the size.
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGE_DIRECTORY ${PROJECT_BINARY_DIR}/packages)

set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL runtime dev)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)

set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME switchboard)
# The first line of the control file's Description is the summary.
string(CONCAT CPACK_COMPONENT_RUNTIME_DESCRIPTION
  "The switchboard command: an etcd v3 registry, an xDS control plane for gRPC\n"
  "clients (switchboard-xds.service), a registration sidecar\n"
  "(switchboard-register@.service) and a one-machine development setup\n"
  "(switchboard-up.service).")
# adduser: the postinst's fallback where systemd-sysusers is missing.
set(CPACK_DEBIAN_RUNTIME_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_RUNTIME_PACKAGE_RECOMMENDS "etcd-server")
set(CPACK_DEBIAN_RUNTIME_PACKAGE_CONTROL_EXTRA
  ${PROJECT_SOURCE_DIR}/packaging/debian/conffiles
  ${PROJECT_SOURCE_DIR}/packaging/debian/postinst
  ${PROJECT_SOURCE_DIR}/packaging/debian/postrm)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_CONTROL_STRICT_PERMISSION ON)

set(CPACK_DEBIAN_DEV_PACKAGE_NAME switchboard-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_COMPONENT_DEV_DISPLAY_NAME "development files")
string(CONCAT CPACK_COMPONENT_DEV_DESCRIPTION
  "Headers, static libraries, the CMake package (find_package(Switchboard))\n"
  "and switchboard.pc, to embed discovery in C++ servers and clients.")
# What SwitchboardConfig.cmake and switchboard.pc find.
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
  "libgrpc++-dev, libprotobuf-dev, libabsl-dev, libc-ares-dev, nlohmann-json3-dev")

include(CPack)
