// Everything a plugin includes from tickcast.
#pragma once

#include "tickcast/abi.hpp"
#include "tickcast/config.hpp"
#include "tickcast/event.hpp"
#include "tickcast/export.hpp"
#include "tickcast/metrics.hpp"
#include "tickcast/plugin.hpp"
#include "tickcast/generator_source.hpp"
