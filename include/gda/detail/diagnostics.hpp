/// \file
/// GDA_DIAGNOSTICS_PUSH and GDA_DIAGNOSTICS_POP bracket the code of each of gda's headers, after its includes.
/// GCC 12's AVX-512 intrinsics pass an undefined value as the unused merge source of their masked builtins, and
/// -Wuninitialized reports it in every function they are inlined into (GCC bug 105593, fixed in later
/// releases): well over a thousand false warnings in a user's -march=native -Wall build. They are silenced for
/// gda's code only, and only where AVX-512 is enabled; Eigen's code, included before the push, keeps its
/// diagnostics.
#pragma once

#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ == 12 && defined(__AVX512F__)
#define GDA_DIAGNOSTICS_PUSH                                                                 \
  _Pragma("GCC diagnostic push") _Pragma("GCC diagnostic ignored \"-Wmaybe-uninitialized\"") \
      _Pragma("GCC diagnostic ignored \"-Wuninitialized\"")
#define GDA_DIAGNOSTICS_POP _Pragma("GCC diagnostic pop")
#else
#define GDA_DIAGNOSTICS_PUSH
#define GDA_DIAGNOSTICS_POP
#endif
