// libFuzzer harness for what a phone says about itself: parse_user_agent
// on the User-Agent, and match_file and rule_for_vendor on a file name.
// Neither may crash, and a MAC they report must be a well-formed one.

#include "provgate/phones.hpp"

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);

    if (const auto ua = provgate::parse_user_agent(text)) {
        if (!provgate::is_vendor_key(ua->vendor) ||
            (ua->mac && ua->mac->to_string().size() != 12)) {
            std::abort();
        }
    }

    if (const auto match = provgate::match_file(text)) {
        if (match->rules.empty() ||
            (match->mac && match->mac->to_string().size() != 12)) {
            std::abort();
        }
        for (const auto* rule : match->rules) {
            if (provgate::rule_for_vendor(*match, rule->vendor) == nullptr) {
                std::abort(); // a rule that matched must be found again
            }
            (void)provgate::content_type(*rule);
        }
    }
    return 0;
}
