// libFuzzer harness for load_config: any file content either loads or
// throws config_error; nothing else may escape, and nothing may crash.

#include "provgate/config.hpp"

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
    // load_config reads a file, as the worker does; one per process.
    static const std::string path =
        "/tmp/provgate-fuzz-config-" + std::to_string(getpid()) + ".yaml";
    FILE* file = std::fopen(path.c_str(), "wb");
    if (file == nullptr) {
        std::abort();
    }
    std::fwrite(data, 1, size, file);
    std::fclose(file);

    try {
        const provgate::config cfg = provgate::load_config(path);
        if (cfg.base_path.empty() || cfg.listen.empty() || cfg.threads < 1 ||
            cfg.lockout.max_failures < 1) {
            std::abort(); // loaded, but not validated
        }
    } catch (const provgate::config_error&) {
        // The expected answer to a bad file.
    }
    return 0;
}
