#pragma once

// Helpers shared by the unit tests: where the source tree is, and reading a
// file whole.

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace provgate::testing {

// The source tree: meson's test runner sets PROVGATE_SOURCE_DIR. When the
// binary is run by hand, __FILE__ is relative to the build directory, which
// holds the tests/ directory that holds this binary.
inline std::filesystem::path source_dir() {
    if (const char* dir = std::getenv("PROVGATE_SOURCE_DIR")) {
        return dir;
    }
    const std::filesystem::path self = __FILE__;
    if (self.is_absolute()) {
        return self.parent_path().parent_path();
    }
    const std::filesystem::path build =
        std::filesystem::canonical("/proc/self/exe")
            .parent_path()
            .parent_path();
    return std::filesystem::weakly_canonical(build / self)
        .parent_path()
        .parent_path();
}


inline std::string read_text(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    REQUIRE_MESSAGE(in, "cannot open ", path.string());
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

} // namespace provgate::testing
