// Replaces a file so that after a crash (of the process or the machine) it
// holds either its old bytes or its new ones, never a mix: the bytes go to
// "<path>.tmp", which is fsync'ed, renamed over `path`, and the directory is
// fsync'ed so that the rename itself survives.
#pragma once

#include <string>
#include <string_view>

namespace tickcast::matching {

// Returns an empty string on success, else what failed (with errno's text).
std::string replace_file_durably(const std::string& path, std::string_view bytes);

}  // namespace tickcast::matching
