/// \file
/// gda: Gaussian generative classifiers on Eigen. Including this header brings in the whole library.
#pragma once

#include "classifier.hpp"
#include "covariance.hpp"
#include "errors.hpp"
#include "model_file.hpp"
#include "options.hpp"
#include "statistics.hpp"
#include "threads.hpp"
#include "version.hpp"
