#pragma once

#include <memory>

#include "provgate/config.hpp"
#include "provgate/http.hpp"
#include "provgate/render.hpp"
#include "provgate/request.hpp"
#include "provgate/store.hpp"

namespace provgate {

// What a request is served with: the configuration and the templates
// loaded from it, replaced together as one snapshot.
struct settings {
    config cfg;
    std::shared_ptr<const template_set> templates;
    std::string seal_key; // from token_seal_key_file; empty if none
};

// Loads the configuration, its templates and the token sealing key.
// Throws config_error, template_error or seal_error.
std::shared_ptr<const settings> load_settings(const std::string& path);

// Serves provisioning requests for one worker thread, with that thread's
// database connection.
class handler {
public:
    explicit handler(store& db) : db_(db) {}

    // Answers one request, writes its access-log line and audit row. Never
    // throws: every failure becomes a response.
    response handle(const settings& s, const request& req);

private:
    store& db_;
};

} // namespace provgate
