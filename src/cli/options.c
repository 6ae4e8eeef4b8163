/* TODO(skeleton): being written */
#include "config.h"
