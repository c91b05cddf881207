# Compiles every_path.cpp as a user's optimised build would (-O2 -march=native -Wall -Wextra -Wpedantic) and
# fails on any warning raised in gda's headers or in code inlined into them. Arguments (-D): CXX (compiler),
# SOURCE_DIR (gda's source tree), EIGEN_INCLUDE (Eigen's include directories, a list), WORK_DIR (scratch).
file(MAKE_DIRECTORY "${WORK_DIR}")
set(includes "-I${SOURCE_DIR}/include")
foreach(dir IN LISTS EIGEN_INCLUDE)
  list(APPEND includes -isystem "${dir}")
endforeach()
execute_process(COMMAND ${CMAKE_COMMAND} -E env LC_ALL=C "${CXX}" -std=c++17 -O2 -march=native -Wall -Wextra
                        -Wpedantic ${includes} -c "${SOURCE_DIR}/tests/diagnostics/every_path.cpp"
                        -o "${WORK_DIR}/every_path.o"
                RESULT_VARIABLE rc ERROR_VARIABLE log)
if(rc)
  message(FATAL_ERROR "every_path.cpp did not compile:\n${log}")
endif()
# GCC names each function a warning was inlined through; a warning in Eigen's own code names none of gda's.
string(REGEX MATCHALL "[^\n]*/include/gda/[^:\n]*:[0-9]+:[0-9]+: warning[^\n]*" located "${log}")
string(REGEX MATCHALL "inlined from [^\n]* at [^\n]*/include/gda/[^\n]*" inlined "${log}")
list(LENGTH located n_located)
list(LENGTH inlined n_inlined)
if(n_located OR n_inlined)
  file(WRITE "${WORK_DIR}/log.txt" "${log}")
  set(some ${located} ${inlined})
  list(JOIN some "\n" some)
  string(SUBSTRING "${some}" 0 2000 some)
  message(FATAL_ERROR "${n_located} warnings in gda's headers, ${n_inlined} inlining steps through them "
                      "(the whole log is in ${WORK_DIR}/log.txt), among them:\n${some}")
endif()
string(REGEX MATCHALL "warning:" all "${log}")
list(LENGTH all n_all)
message(STATUS "no warning from gda's headers (${n_all} from other code)")
