// The Plug-and-Play responder's one query. The decision and the audit row
// live in the SQL function provgate.pnp_answer, so the responder's role
// needs no privilege on any table and cannot skip the audit.

#include "provgate/sip_pnp_store.hpp"

#include <pqxx/pqxx>

namespace provgate {

struct pnp_store::state {
    explicit state(const std::string& dsn) : cx(dsn) {
        cx.prepare("pnp_answer", R"(
SELECT outcome, coalesce(vendor, '')
FROM provgate.pnp_answer($1, decode($2, 'hex'), $3, $4::inet, $5, $6, $7)
)");
    }

    pqxx::connection cx;
};


pnp_store::pnp_store(std::string dsn) : dsn_(std::move(dsn)) {}


pnp_store::~pnp_store() = default;


pnp_decision pnp_store::answer(const pnp_subscribe& request,
                               const token_digest& digest,
                               const std::string& token_prefix) {
    if (!state_) {
        state_ = std::make_unique<state>(dsn_);
    }
    const std::string mac = request.mac ? request.mac->to_string() : "";
    try {
        pqxx::work tx(state_->cx);
        const pqxx::row row = tx.exec_prepared1(
            "pnp_answer", request.mac ? mac.c_str() : nullptr, to_hex(digest),
            token_prefix, request.client_addr, request.request_uri,
            request.event, request.user_agent);
        tx.commit();
        return {row[0].as<std::string>(), row[1].as<std::string>()};
    } catch (const pqxx::broken_connection&) {
        state_.reset();
        throw;
    }
}

} // namespace provgate
