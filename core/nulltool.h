/* nulltool.h: the whole public API of libnulltool, for plugins and tools. */
#ifndef NULLTOOL_H
#define NULLTOOL_H

#include "nt-options.h"
#include "nt-registry.h"
#include "nt-plugin.h"
#include "nt-backend.h"
#include "nt-dataset.h"
#include "nt-model.h"
#include "nt-idx.h"
#include "nt-checkpoint.h"
#include "nt-layer.h"
#include "nt-network.h"
#include "nt-adam.h"
#include "nt-rng.h"
#include "nt-progress.h"
#include "nt-model-file.h"
#include "nt-train.h"
#include "nt-null.h"
#include "nt-attack.h"
#include "nt-attack-protocol.h"
#include "nt-csv.h"
#include "nt-experiment.h"

#endif
