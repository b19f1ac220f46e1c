# Checks that every lesson page ends with its navigation line, in course order:
#   index -> emulated_gpu -> untrusted_input -> ch00_... -> ch01_... -> ... (chapter folders sorted) -> glossary -> index
# A page's last line must be, exactly,
#   **Previous:** \ref PREVIOUS · **Next:** \ref NEXT · \ref index "Contents"
# where the index is written \ref index "Contents" and the third link is left out
# when PREVIOUS or NEXT already is the index. Page ids come from each page's first
# line, "# Title {#id}".
#
#   cmake -DSOURCE=<source root> -P check_navigation.cmake
cmake_policy(VERSION 3.25)
if(NOT SOURCE)
  message(FATAL_ERROR "check_navigation.cmake: needs -DSOURCE=<source root>")
endif()

file(GLOB chapter_readmes "${SOURCE}/chapters/[0-9][0-9]_*/README.md")
list(SORT chapter_readmes)
set(pages "${SOURCE}/docs/emulated_gpu.md" "${SOURCE}/docs/untrusted_input.md" ${chapter_readmes} "${SOURCE}/docs/glossary.md")

set(ids index)
foreach(page IN LISTS pages)
  file(STRINGS "${page}" first_line LIMIT_COUNT 1 ENCODING UTF-8)
  if(NOT first_line MATCHES "^# .*\\{#([a-z0-9_]+)\\}$")
    message(FATAL_ERROR "${page}: expected a first line \"# Title {#id}\", got \"${first_line}\"")
  endif()
  list(APPEND ids "${CMAKE_MATCH_1}")
endforeach()
list(APPEND ids index)

function(link id out)
  if(id STREQUAL "index")
    set(${out} "\\ref index \"Contents\"" PARENT_SCOPE)
  else()
    set(${out} "\\ref ${id}" PARENT_SCOPE)
  endif()
endfunction()

set(failures 0)
set(position 0)
foreach(page IN LISTS pages)
  math(EXPR previous_at "${position}")
  math(EXPR next_at "${position} + 2")
  list(GET ids ${previous_at} previous)
  list(GET ids ${next_at} next)
  link(${previous} previous_link)
  link(${next} next_link)
  set(expected "**Previous:** ${previous_link} · **Next:** ${next_link}")
  if(NOT previous STREQUAL "index" AND NOT next STREQUAL "index")
    string(APPEND expected " · \\ref index \"Contents\"")
  endif()
  file(READ "${page}" text)
  string(REGEX MATCH "[^\n]*\n*$" last_line "${text}")  # the last non-empty line
  string(STRIP "${last_line}" last_line)
  if(NOT last_line STREQUAL expected)
    message(SEND_ERROR "${page}: the last line should be\n  ${expected}\nbut is\n  ${last_line}")
    math(EXPR failures "${failures} + 1")
  endif()
  math(EXPR position "${position} + 1")
endforeach()

list(LENGTH pages count)
if(failures GREATER 0)
  message(FATAL_ERROR "${failures} of ${count} pages lack their navigation line")
endif()
message(STATUS "all ${count} lesson pages end with their previous/next line, in course order")
