#pragma once

#include <memory>

#include "provgate/audit_writer.hpp"
#include "provgate/config.hpp"
#include "provgate/device_cache.hpp"
#include "provgate/http.hpp"
#include "provgate/lockout.hpp"
#include "provgate/lookup_batcher.hpp"
#include "provgate/render.hpp"
#include "provgate/render_cache.hpp"
#include "provgate/request.hpp"
#include "provgate/store.hpp"

namespace provgate {

// What a request is served with: the configuration and the templates
// loaded from it, replaced together as one snapshot, with the cache of
// files rendered from those templates.
struct settings {
    config cfg;
    std::shared_ptr<const template_set> templates;
    std::shared_ptr<render_cache> renders;
    std::string seal_key; // from token_seal_key_file; empty if none
};

// Loads the configuration, its templates and the token sealing key.
// Throws config_error, template_error or seal_error.
std::shared_ptr<const settings> load_settings(const std::string& path);

// Serves provisioning requests for one worker thread, with that thread's
// database connection and the process's device cache, token lookups,
// lockout list and audit queue.
class handler {
public:
    handler(store& db, device_cache& cache, lookup_batcher& lookups,
            lockout_list& lockouts, audit_queue& audit)
        : db_(db), cache_(cache), lookups_(lookups), lockouts_(lockouts),
          audit_(audit) {}

    // Answers one request, writes its access-log line and queues its audit
    // row. Never throws: every failure becomes a response.
    response handle(const settings& s, const request& req);

private:
    store& db_;
    device_cache& cache_;
    lookup_batcher& lookups_;
    lockout_list& lockouts_;
    audit_queue& audit_;
};

} // namespace provgate
