# Read by debian/rules through CMAKE_PROJECT_ciguard_INCLUDE, right after
# project(): with CMAKE_INTERPROCEDURAL_OPTIMIZATION on, CMake's GCC
# defaults (-flto=auto -fno-fat-lto-objects) put only GCC's LTO bytecode
# in libciguard.a, and dh_strip removes the .gnu.lto sections of static
# libraries: libciguard.a would hold no code at all. Fat objects hold
# machine code too, which is what dh_strip leaves.
if(CMAKE_C_COMPILER_ID STREQUAL "GNU")
	set(CMAKE_C_COMPILE_OPTIONS_IPO -flto=auto -ffat-lto-objects)
endif()
