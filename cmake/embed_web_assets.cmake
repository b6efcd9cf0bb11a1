# Writes a C++ source holding every file of a folder as a byte array, so that
# the binary serves its dashboard with no file beside it. Run at build time:
#   cmake -DWEB_DIR=<http/web> -DOUTPUT=<build>/web_assets.cpp -P embed_web_assets.cmake
# The table's type, grace::http::web_asset, is declared in http/web_routes.hpp.
if(NOT WEB_DIR OR NOT OUTPUT)
  message(FATAL_ERROR "embed_web_assets.cmake needs -DWEB_DIR=... and -DOUTPUT=...")
endif()

file(GLOB files LIST_DIRECTORIES false RELATIVE ${WEB_DIR} ${WEB_DIR}/*)
list(SORT files)

# 16 bytes per line: "0xNN, " sixteen times.
set(byte "0x[0-9a-f][0-9a-f], ")
set(line "")
foreach(i RANGE 1 16)
  string(APPEND line "${byte}")
endforeach()

set(arrays "")
set(entries "")
set(index 0)
foreach(name IN LISTS files)
  if(NOT name MATCHES "^[A-Za-z0-9_.-]+$")
    message(FATAL_ERROR "http/web/${name}: file names are letters, digits, '_', '.' and '-'")
  endif()
  file(READ ${WEB_DIR}/${name} hex HEX)
  file(SIZE ${WEB_DIR}/${name} size)
  file(SHA256 ${WEB_DIR}/${name} sha)
  string(SUBSTRING ${sha} 0 20 etag)
  if(size EQUAL 0)
    set(bytes "0x00, ")
  else()
    string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1, " bytes "${hex}")
    string(REGEX REPLACE "${line}" "\\0\n    " bytes "${bytes}")
  endif()
  string(APPEND arrays "// ${name}, ${size} bytes\nconst unsigned char asset_${index}[] = {\n    ${bytes}};\n\n")
  string(APPEND entries "    {\"${name}\", asset_${index}, ${size}, \"\\\"${etag}\\\"\"},\n")
  math(EXPR index "${index} + 1")
endforeach()

if(index EQUAL 0)
  message(FATAL_ERROR "no files in ${WEB_DIR}")
endif()

set(text "// Generated from http/web/ by cmake/embed_web_assets.cmake: do not edit.\n")
string(APPEND text "#include \"http/web_routes.hpp\"\n\nnamespace grace::http {\n\nnamespace {\n\n")
string(APPEND text "${arrays}} // namespace\n\n")
string(APPEND text "const web_asset web_assets[] = {\n${entries}};\n")
string(APPEND text "const std::size_t web_asset_count = ${index};\n\n} // namespace grace::http\n")

# Rewritten only when it changes, so an unchanged page recompiles nothing.
if(EXISTS ${OUTPUT})
  file(READ ${OUTPUT} previous)
  if(previous STREQUAL text)
    return()
  endif()
endif()
file(WRITE ${OUTPUT} "${text}")
