# Read by debian/rules through CMAKE_PROJECT_ciguard_INCLUDE, right after
# project(): with CMAKE_INTERPROCEDURAL_OPTIMIZATION on, CMake's GCC
# defaults (-flto=auto -fno-fat-lto-objects) would put only GCC's LTO
# bytecode in libciguard.a, which clang, other GCC versions and links
# without the LTO plugin cannot use. Fat objects hold machine code too.
if(CMAKE_C_COMPILER_ID STREQUAL "GNU")
	set(CMAKE_C_COMPILE_OPTIONS_IPO -flto=auto -ffat-lto-objects)
endif()
