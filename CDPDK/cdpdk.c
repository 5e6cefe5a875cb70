// CDPDK has no out-of-line code of its own yet: every helper in CDPDK.h is static inline so that it folds
// into the Swift caller. SwiftPM needs at least one source file to build a C target.
#include "CDPDK.h"
