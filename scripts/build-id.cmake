# Writes OUTPUT: #define MLOPT_BUILD_ID "<sha256 of every compiler and runtime
# source>", so the object cache never serves code built by other sources.
file(GLOB_RECURSE sources ${SOURCE_DIR}/ir/* ${SOURCE_DIR}/passes/* ${SOURCE_DIR}/codegen/*
     ${SOURCE_DIR}/runtime/*)
list(SORT sources)
set(all "")
foreach(source ${sources})
  file(SHA256 ${source} hash)
  string(APPEND all "${hash}")
endforeach()
string(SHA256 id "${all}")
set(text "#define MLOPT_BUILD_ID \"mlopt-${id}\"\n")
if(EXISTS ${OUTPUT})
  file(READ ${OUTPUT} old)
endif()
if(NOT "${old}" STREQUAL "${text}")
  file(WRITE ${OUTPUT} "${text}")
endif()
