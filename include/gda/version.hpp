/// \file
/// The library's version, the single source CMake reads too.
#pragma once

#define GDA_VERSION_MAJOR 0
#define GDA_VERSION_MINOR 1
#define GDA_VERSION_PATCH 0

namespace gda {

/// The version as major * 10000 + minor * 100 + patch, for compile-time checks.
inline constexpr int version = GDA_VERSION_MAJOR * 10000 + GDA_VERSION_MINOR * 100 + GDA_VERSION_PATCH;

}  // namespace gda
