// libopendkim's C API, made includable from C++.
//
// dkim.h spells booleans as C99 `_Bool`, which is not a C++ type; it has the
// same size and representation as C++ bool on every ABI the daemon targets,
// so the name is mapped for the duration of the include only.
#ifndef CARTWATCH_OPENDKIM_API_HPP
#define CARTWATCH_OPENDKIM_API_HPP

#define _Bool bool
#include <opendkim/dkim.h>
#undef _Bool

#endif
