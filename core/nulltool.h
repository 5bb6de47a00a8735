/* nulltool.h: the whole public API of libnulltool, for plugins and tools. */
#ifndef NULLTOOL_H
#define NULLTOOL_H

#include "nt-options.h"
#include "nt-registry.h"
#include "nt-plugin.h"
#include "nt-backend.h"
#include "nt-dataset.h"
#include "nt-model.h"

#endif
