# The include rules of docs/architecture.md, checked on the source tree (cmake -P, no build):
# - nothing under ui/ reaches a LibTorch header (<ATen/...>, <torch/...>, <c10/...>) through the
#   project's headers: the studio sees core/ only through the Engine API and plain data;
# - no arrow runs back up core's floors (FORBIDDEN below: a folder, with the folders under it,
#   and what it must not include; files of one folder may include each other);
# - the engine library, and the studio above it, do not include the tools beside it.
# Run: cmake -DSOURCE_DIR=<repo> -P tests/include_rules.cmake
cmake_minimum_required(VERSION 3.25)
if(NOT SOURCE_DIR)
  message(FATAL_ERROR "pass -DSOURCE_DIR=<repository root>")
endif()

set(TOOLS "core/bench/" "core/selftest/" "core/eval/" "core/training/" "core/data/")
set(ENGINE core/attention core/common core/io core/model core/pipeline core/sampling core/text)
# folder|prefix it must not include
set(FORBIDDEN
  "core/model|core/pipeline/"
  "core/text|core/model/"
  "core/text|core/pipeline/"
  "core/sampling|core/model/"
  "core/sampling|core/pipeline/"
  "core/attention|core/model/"
  "core/attention|core/pipeline/"
  "core/io|core/model/"
  "core/io|core/pipeline/"
  "core/io|core/attention/"
  "core/common|core/"
  # The families' shared pieces (core/model/*) know no family; a family knows no other.
  "core/model|core/model/builtin/"
  "core/model|core/model/wan/")
foreach(folder ${ENGINE})
  foreach(tool ${TOOLS})
    list(APPEND FORBIDDEN "${folder}|${tool}")
  endforeach()
endforeach()

set(problems "")

# Project includes of one file, as repository paths.
function(project_includes file out)
  file(STRINGS "${SOURCE_DIR}/${file}" lines REGEX "^[ \t]*#[ \t]*include[ \t]*\"")
  set(found "")
  foreach(line ${lines})
    string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]*\"([^\"]+)\".*" "\\1" inc "${line}")
    if(EXISTS "${SOURCE_DIR}/${inc}")
      list(APPEND found "${inc}")
    endif()
  endforeach()
  set(${out} "${found}" PARENT_SCOPE)
endfunction()

function(torch_includes file out)
  file(STRINGS "${SOURCE_DIR}/${file}" lines REGEX "^[ \t]*#[ \t]*include[ \t]*<(ATen|torch|c10)/")
  set(${out} "${lines}" PARENT_SCOPE)
endfunction()

# ui/: breadth-first over project headers, remembering how each was reached.
file(GLOB_RECURSE ui_files RELATIVE "${SOURCE_DIR}" "${SOURCE_DIR}/ui/*.h" "${SOURCE_DIR}/ui/*.cpp")
foreach(start ${ui_files})
  set(queue "${start}")
  set(seen "${start}")
  set(via_${start} "${start}")
  while(queue)
    list(POP_FRONT queue file)
    torch_includes("${file}" torch)
    if(torch)
      list(GET torch 0 first)
      string(STRIP "${first}" first)
      list(APPEND problems "ui reaches LibTorch: ${via_${file}} -> ${first}")
      break()
    endif()
    project_includes("${file}" incs)
    foreach(inc ${incs})
      if(NOT inc IN_LIST seen AND inc MATCHES "\\.h$")
        list(APPEND seen "${inc}")
        list(APPEND queue "${inc}")
        set(via_${inc} "${via_${file}} -> ${inc}")
      endif()
    endforeach()
  endwhile()
endforeach()

# ui/: the studio links the engine only, never the tools.
foreach(file ${ui_files})
  project_includes("${file}" incs)
  foreach(inc ${incs})
    foreach(tool ${TOOLS})
      string(FIND "${inc}" "${tool}" hit)
      if(hit EQUAL 0)
        list(APPEND problems "${file} includes ${inc} (the studio links the engine, not ${tool})")
      endif()
    endforeach()
  endforeach()
endforeach()

# core/: direct includes against the forbidden pairs.
file(GLOB_RECURSE core_files RELATIVE "${SOURCE_DIR}" "${SOURCE_DIR}/core/*.h"
  "${SOURCE_DIR}/core/*.cpp")
foreach(file ${core_files})
  project_includes("${file}" incs)
  foreach(pair ${FORBIDDEN})
    string(REPLACE "|" ";" parts "${pair}")
    list(GET parts 0 folder)
    list(GET parts 1 prefix)
    string(FIND "${file}" "${folder}/" at)
    if(NOT at EQUAL 0)
      continue()
    endif()
    get_filename_component(file_dir "${file}" DIRECTORY)
    foreach(inc ${incs})
      string(FIND "${inc}" "${prefix}" hit)
      get_filename_component(inc_dir "${inc}" DIRECTORY)
      # A folder's files may include each other.
      if(hit EQUAL 0 AND NOT inc_dir STREQUAL file_dir)
        list(APPEND problems "${file} includes ${inc} (${folder} must not include ${prefix})")
      endif()
    endforeach()
  endforeach()
endforeach()

list(LENGTH problems count)
if(count GREATER 0)
  list(JOIN problems "\n  " text)
  message(FATAL_ERROR "include rules broken (${count}):\n  ${text}")
endif()
list(LENGTH ui_files n_ui)
list(LENGTH core_files n_core)
message(STATUS "include rules hold: ${n_ui} ui files, ${n_core} core files")
