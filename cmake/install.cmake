# install.cmake — the library as a library: libfoundry.so (a SONAME, only
# fd_* exported, the shared PCRE2 / utf8proc / Jansson), and what
# `make install` (cmake --install) puts under the prefix: both libraries, the
# public headers, the `foundry` binary, foundry.pc for pkg-config and a CMake
# package (find_package(foundry) -> foundry::foundry, foundry::foundry_static).
# Included by CMakeLists.txt once the foundry_obj objects and the binary exist.
# Not in the sanitizer build: a shared library there would need the sanitizer
# runtime preloaded, and what it checks is the release build's.
if(FD_SANITIZE)
  return()
endif()
include(GNUInstallDirs)

# The shared third-party libraries (the .so, not the .a fd_find_static found).
foreach(dep pcre2-8 utf8proc jansson)
  string(MAKE_C_IDENTIFIER "FD_SO_${dep}" var)
  find_library(${var} NAMES lib${dep}.so REQUIRED)
  list(APPEND FD_SHARED_DEPS ${${var}})
endforeach()

add_library(foundry_shared SHARED $<TARGET_OBJECTS:foundry_obj>)
# SOVERSION major.minor: before 1.0 a minor release may change the ABI.
set_target_properties(foundry_shared PROPERTIES OUTPUT_NAME foundry VERSION ${PROJECT_VERSION}
                      SOVERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR}
                      LINK_DEPENDS ${CMAKE_SOURCE_DIR}/cmake/foundry.map)
# The version script keeps every symbol but fd_* local (the hidden-visibility
# effect without marking each declaration); --no-undefined: the .so names
# every library it needs.
target_link_options(foundry_shared PRIVATE -Wl,--version-script=${CMAKE_SOURCE_DIR}/cmake/foundry.map
                    -Wl,--no-undefined)
target_link_libraries(foundry_shared PRIVATE ${FD_SHARED_DEPS} ${FD_CIVETWEB} OpenMP::OpenMP_C Threads::Threads ${CMAKE_DL_LIBS} m)

install(TARGETS foundry_lib foundry_shared ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS foundry RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${CMAKE_SOURCE_DIR}/include/foundry DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

# pkg-config: -lfoundry picks the .so; `--static` adds the private libraries.
# OpenMP's flag is the compiler's (-fopenmp links libgomp).
set(FD_OPENMP_LIBS "${OpenMP_C_FLAGS}")
# The prefix relative to the .pc file's folder, so `cmake --install --prefix P`,
# DESTDIR and a moved tree all find their own headers and libraries.
file(RELATIVE_PATH FD_PC_UP "/p/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/p")
string(REGEX REPLACE "/$" "" FD_PC_UP "${FD_PC_UP}")
configure_file(${CMAKE_SOURCE_DIR}/cmake/foundry.pc.in ${CMAKE_BINARY_DIR}/foundry.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/foundry.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

include(CMakePackageConfigHelpers)
configure_file(${CMAKE_SOURCE_DIR}/cmake/foundryConfig.cmake.in ${CMAKE_BINARY_DIR}/foundryConfig.cmake @ONLY)
write_basic_package_version_file(${CMAKE_BINARY_DIR}/foundryConfigVersion.cmake COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/foundryConfig.cmake ${CMAKE_BINARY_DIR}/foundryConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/foundry)
