# What `cmake --install` puts where (GNUInstallDirs), and the Debian package (cpack -G DEB).
# tests/cli/install_test.sh installs into a scratch prefix, checks the files, runs
# `systemd-analyze verify` on the units, builds the package and runs its binary.
include(GNUInstallDirs)
set(IOTMAP_SYSTEMD_UNIT_DIR "lib/systemd/system" CACHE STRING
    "systemd system unit directory, relative to the install prefix")

install(FILES deploy/iotmap.toml deploy/blocklist.conf
        DESTINATION ${CMAKE_INSTALL_DATADIR}/iotmap/examples)
install(DIRECTORY deploy/kubernetes deploy/slurm
        DESTINATION ${CMAKE_INSTALL_DATADIR}/iotmap/examples USE_SOURCE_PERMISSIONS)
install(FILES deploy/systemd/iotmap-daily.timer deploy/systemd/iotmap-hourly.timer
        DESTINATION ${IOTMAP_SYSTEMD_UNIT_DIR})
# The services name the installed binary, whose path is known only at install time (cpack
# installs under /usr, `cmake --install --prefix P` under P).
install(CODE "
  set(IOTMAP_BIN \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}/iotmap\")
  foreach(job daily hourly)
    set(unit \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${IOTMAP_SYSTEMD_UNIT_DIR}/iotmap-\${job}.service\")
    message(STATUS \"Installing: \${unit}\")
    configure_file(\"${PROJECT_SOURCE_DIR}/deploy/systemd/iotmap-\${job}.service.in\" \"\${unit}\" @ONLY)
  endforeach()
")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME iotmap)
set(CPACK_PACKAGE_VENDOR "iotmap")
set(CPACK_PACKAGE_CONTACT "iotmap maintainers <iotmap@example.org>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "finds the servers of IoT backend providers by DNS and TLS and maps them")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
include(CPack)
