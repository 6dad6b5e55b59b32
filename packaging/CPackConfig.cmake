# Debian package: `cpack -G DEB` in the build folder after a build.
include(GNUInstallDirs)
if(SVGEN_GUI)
  install(FILES ${PROJECT_SOURCE_DIR}/packaging/io.github.svgen.studio.desktop
          DESTINATION ${CMAKE_INSTALL_DATADIR}/applications)
  install(FILES ${PROJECT_SOURCE_DIR}/packaging/io.github.svgen.studio.metainfo.xml
          DESTINATION ${CMAKE_INSTALL_DATADIR}/metainfo)
  install(FILES ${PROJECT_SOURCE_DIR}/resources/icons/svgen.svg
          DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/scalable/apps
          RENAME io.github.svgen.studio.svg)
endif()

set(CPACK_PACKAGE_NAME "svgen")
set(CPACK_PACKAGE_VENDOR "Sparse VideoGen Studio")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Video diffusion with training-free sparse attention")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "Sparse VideoGen Studio developers <svgen-devel@lists.svgen.invalid>")
set(CPACK_DEBIAN_PACKAGE_SECTION "video")
string(CONCAT CPACK_PACKAGE_DESCRIPTION
  "Generates short video clips from a prompt with video diffusion transformers, made faster by "
  "training-free sparse attention (SVG, SVG2, SVOO). Ships a small built-in model that runs on "
  "any CPU; loads Wan 2.1 checkpoints. Contains the svgen command line and the svgen-studio "
  "desktop application.")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_GENERATOR "DEB")
include(CPack)
