// libFuzzer harness for rendering: escape_value in both formats, and every
// shipped device template rendered with account values taken from the
// input. A value either renders escaped or is refused with render_error;
// an escaped value never carries a line break into a line format, nor
// markup into XML.

#include "provgate/render.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#ifndef PROVGATE_TEMPLATES_DIR
#define PROVGATE_TEMPLATES_DIR "templates"
#endif

namespace {

// The input cut at NUL bytes into up to n values.
std::vector<std::string> split(const std::uint8_t* data, std::size_t size,
                               std::size_t n) {
    std::vector<std::string> out(n);
    std::size_t field = 0;
    for (std::size_t i = 0; i < size && field < n; ++i) {
        if (data[i] == 0) {
            ++field;
        } else {
            out[field] += static_cast<char>(data[i]);
        }
    }
    return out;
}


void check_escaped(provgate::file_format format, const std::string& value) {
    try {
        const std::string out = provgate::escape_value(format, "f", value);
        if (out.find_first_of(format == provgate::file_format::line
                                  ? "\r\n"
                                  : "<>\"'") != std::string::npos) {
            std::abort();
        }
    } catch (const provgate::render_error&) {
        // Refused: the value cannot be carried safely.
    }
}

} // namespace


extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
    static const auto templates =
        provgate::template_set::load(PROVGATE_TEMPLATES_DIR);

    const auto v = split(data, size, 7);
    check_escaped(provgate::file_format::line, v[0]);
    check_escaped(provgate::file_format::xml, v[0]);

    provgate::sip_account account;
    account.extension = v[0];
    account.auth_user = v[1];
    account.password = v[2];
    account.display_name = v[3];
    account.sip_server = v[4];
    account.sip_port = size > 0 ? 1 + data[0] * 256 % 65535 : 5060;
    account.transport = v[5];
    account.enabled = true;

    provgate::render_input in;
    in.account = &account;
    in.mac = "001565a1b2c3";
    in.model = v[6];
    in.provisioning_url = "https://prov.example.net/prov/t/";
    for (const auto& rule : provgate::file_rules()) {
        if (rule.template_name.empty()) {
            continue;
        }
        try {
            (void)templates->render(rule, in);
        } catch (const provgate::render_error&) {
            // Refused, as a value with a line break must be.
        }
    }
    return 0;
}
