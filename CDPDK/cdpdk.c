// Every helper in CDPDK.h is static inline so that it folds into the Swift caller; the only out-of-line
// code is the tap link query (tap_link.c), which the control thread calls, and the software checksum of
// vhost-user receive (vhost.c). SwiftPM needs at least one source file to build a C target.
#include "CDPDK.h"
