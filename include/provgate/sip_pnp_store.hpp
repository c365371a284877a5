#pragma once

#include <memory>
#include <optional>
#include <string>

#include "provgate/mac_address.hpp"
#include "provgate/token.hpp"

namespace provgate {

// One Plug-and-Play SUBSCRIBE as the audit records it.
struct pnp_subscribe {
    std::optional<mac_address> mac; // nullopt: none in the Request-URI
    std::string client_addr;        // IPv4 address the datagram came from
    std::string request_uri;
    std::string event;
    std::string user_agent;
};

// The database's answer: outcome "answered" means the token whose digest
// was passed is now the device's, and the URL may be sent.
struct pnp_decision {
    std::string outcome;
    std::string vendor; // "" if unknown
};

// The responder's database work, as the provgate_pnp role: one call of
// provgate.pnp_answer per SUBSCRIBE (sql/003_pnp.sql). Connects on first
// use and again after a lost connection.
class pnp_store {
public:
    explicit pnp_store(std::string dsn);
    ~pnp_store();

    // Decides, stores digest if answered, and audits. Throws pqxx
    // exceptions; a pqxx::broken_connection drops the connection so that
    // the next call reconnects.
    pnp_decision answer(const pnp_subscribe& request,
                        const token_digest& digest,
                        const std::string& token_prefix);

private:
    std::string dsn_;
    struct state;
    std::unique_ptr<state> state_;
};

} // namespace provgate
