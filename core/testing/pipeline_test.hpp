// `tickcastd test`: pipeline tests written in YAML (format in docs/testing.md).
// A test file names a pipeline config and one of its pipelines; each test
// replaces the source with mock_source fed `input`, replaces every sink with
// capture_sink, runs the pipeline to completion, and compares what each sink
// received with `expect`, printing a readable diff on mismatch.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include <boost/json/value.hpp>
#include <spdlog/common.h>

namespace tickcast::core {

// Returns 0 if every test passed, 1 if any failed, 2 if a test file is malformed.
int run_pipeline_tests(const std::vector<std::string>& paths, spdlog::level::level_enum level, std::ostream& out);

// Compares one expected event (or part of one) with an actual one; appends a
// line per difference to `diffs`, each naming the field path.
// subset: fields absent from `expected` are ignored, at every depth.
void compare_json(const boost::json::value& expected, const boost::json::value& actual, const std::string& path,
                  bool subset, const std::vector<std::string>& ignore, std::vector<std::string>& diffs);

}  // namespace tickcast::core
