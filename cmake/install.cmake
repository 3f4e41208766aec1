# `cmake --install` puts headers, libraries and an exported CMake package under the prefix, so a service
# embeds evlite with find_package(evlite) and links evlite::engine.
include(CMakePackageConfigHelpers)
set(EVLITE_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/evlite)
install(EXPORT evliteTargets NAMESPACE evlite:: DESTINATION ${EVLITE_CMAKE_DIR})
configure_package_config_file(cmake/evliteConfig.cmake.in ${CMAKE_CURRENT_BINARY_DIR}/evliteConfig.cmake
  INSTALL_DESTINATION ${EVLITE_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/evliteConfigVersion.cmake COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/evliteConfig.cmake ${CMAKE_CURRENT_BINARY_DIR}/evliteConfigVersion.cmake
  DESTINATION ${EVLITE_CMAKE_DIR})
