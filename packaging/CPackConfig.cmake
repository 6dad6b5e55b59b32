# Debian package: `cpack -G DEB` in the build folder after a build.
include(GNUInstallDirs)
if(SVGEN_GUI)
  install(FILES ${PROJECT_SOURCE_DIR}/packaging/io.github.svgen.Studio.desktop
          DESTINATION ${CMAKE_INSTALL_DATADIR}/applications)
  install(FILES ${PROJECT_SOURCE_DIR}/packaging/io.github.svgen.Studio.metainfo.xml
          DESTINATION ${CMAKE_INSTALL_DATADIR}/metainfo)
  install(FILES ${PROJECT_SOURCE_DIR}/resources/icons/svgen.svg
          DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/scalable/apps
          RENAME io.github.svgen.Studio.svg)
endif()

set(CPACK_PACKAGE_NAME "svgen")
set(CPACK_PACKAGE_VENDOR "Sparse VideoGen Studio")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Video diffusion with training-free sparse attention")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "svgen developers")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_GENERATOR "DEB")
include(CPack)
