// SIP messages through libosip2: the one file that knows the library. It
// parses what arrives on the wire and writes what provgate sends, so no SIP
// grammar is hand-rolled anywhere else (RFC 3261, section 25). The other
// SIP files compose header values and hand them here.

#include "provgate/sip_message.hpp"

#include <osipparser2/osip_parser.h>
#include <osipparser2/osip_port.h>

#include <sys/random.h>

#include <cerrno>
#include <cstdarg>
#include <mutex>
#include <system_error>

namespace provgate {

namespace {

void discard_trace(const char*, int, osip_trace_level_t, const char*, va_list) {
}


// libosip2 builds its parser tables once per process, and by default
// writes its own error lines to standard error; ours go to the log instead.
void init_library() {
    static std::once_flag once;
    std::call_once(once, [] {
        parser_init();
        osip_trace_initialize_func(TRACE_LEVEL0, discard_trace);
        for (int level = TRACE_LEVEL0; level < END_TRACE_LEVEL; ++level) {
            osip_trace_disable_level(static_cast<osip_trace_level_t>(level));
        }
    });
}


struct osip_free_string {
    void operator()(char* s) const {
        osip_free(s);
    }
};


// Takes ownership of a string libosip2 allocated.
std::string take(char* s) {
    std::unique_ptr<char, osip_free_string> owned(s);
    return s == nullptr ? std::string() : std::string(s);
}


std::string lower(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}


std::optional<sip_uri> from_osip_uri(const osip_uri_t* u) {
    if (u == nullptr || u->host == nullptr || u->scheme == nullptr ||
        (lower(u->scheme) != "sip" && lower(u->scheme) != "sips")) {
        return std::nullopt;
    }
    sip_uri out;
    if (u->username != nullptr) {
        out.user = u->username;
        // libosip2 reads "user:password" userinfo; PnP phones put a colon
        // in the user part ("MAC:..."), so join the two again.
        if (u->password != nullptr) {
            out.user += ":" + std::string(u->password);
        }
    }
    out.host = u->host;
    if (u->port != nullptr) {
        out.port = std::atoi(u->port);
        if (out.port < 1 || out.port > 65535) {
            return std::nullopt;
        }
    }
    osip_uri_param_t* transport = nullptr;
    if (osip_uri_uparam_get_byname(const_cast<osip_uri_t*>(u),
                                   const_cast<char*>("transport"),
                                   &transport) == OSIP_SUCCESS &&
        transport != nullptr && transport->gvalue != nullptr) {
        out.transport = lower(transport->gvalue);
    }
    return out;
}


struct osip_message_deleter {
    void operator()(osip_message_t* m) const {
        osip_message_free(m);
    }
};

using message_ptr = std::unique_ptr<osip_message_t, osip_message_deleter>;


message_ptr new_message() {
    init_library();
    osip_message_t* m = nullptr;
    if (osip_message_init(&m) != OSIP_SUCCESS) {
        throw std::bad_alloc();
    }
    return message_ptr(m);
}


// Sets one header through libosip2's parser for it, so a malformed value is
// refused here rather than sent.
void set_header(osip_message_t* m, const sip_header& h) {
    const std::string name = lower(h.name);
    const char* v = h.value.c_str();
    int rc = OSIP_SUCCESS;
    if (name == "via") {
        rc = osip_message_set_via(m, v);
    } else if (name == "from") {
        rc = osip_message_set_from(m, v);
    } else if (name == "to") {
        rc = osip_message_set_to(m, v);
    } else if (name == "call-id") {
        rc = osip_message_set_call_id(m, v);
    } else if (name == "cseq") {
        rc = osip_message_set_cseq(m, v);
    } else if (name == "contact") {
        rc = osip_message_set_contact(m, v);
    } else if (name == "content-type") {
        rc = osip_message_set_content_type(m, v);
    } else if (name == "content-length") {
        return; // always written from the body
    } else {
        rc = osip_message_set_header(m, h.name.c_str(), v);
    }
    if (rc != OSIP_SUCCESS) {
        throw sip_error("invalid value for SIP header \"" + h.name + "\": \"" +
                        h.value + "\"");
    }
}


std::string finish(osip_message_t* m, const std::vector<sip_header>& headers,
                   const std::string& body) {
    for (const sip_header& h : headers) {
        set_header(m, h);
    }
    if (!body.empty() &&
        osip_message_set_body(m, body.data(), body.size()) != OSIP_SUCCESS) {
        throw sip_error("cannot set SIP message body");
    }
    osip_message_set_content_length(m, std::to_string(body.size()).c_str());

    char* text = nullptr;
    std::size_t length = 0;
    if (osip_message_to_str(m, &text, &length) != OSIP_SUCCESS) {
        throw sip_error("cannot write SIP message");
    }
    std::unique_ptr<char, osip_free_string> owned(text);
    return std::string(text, length);
}

} // namespace


struct sip_message::impl {
    message_ptr m;
};


std::optional<sip_uri> parse_sip_uri(std::string_view text) {
    init_library();
    osip_uri_t* u = nullptr;
    if (osip_uri_init(&u) != OSIP_SUCCESS) {
        throw std::bad_alloc();
    }
    const std::string copy(text);
    std::optional<sip_uri> out;
    if (osip_uri_parse(u, copy.c_str()) == OSIP_SUCCESS) {
        out = from_osip_uri(u);
    }
    osip_uri_free(u);
    return out;
}


std::optional<sip_message> sip_message::parse(std::string_view bytes) {
    message_ptr m = new_message();
    if (bytes.empty() || osip_message_parse(m.get(), bytes.data(),
                                            bytes.size()) != OSIP_SUCCESS) {
        return std::nullopt;
    }
    // A request needs a method and a target, a response a status; and both
    // need the headers that identify a transaction (RFC 3261, section 8.1.1).
    if (m->call_id == nullptr || m->cseq == nullptr || m->from == nullptr ||
        m->to == nullptr || m->cseq->method == nullptr ||
        osip_list_size(&m->vias) < 1) {
        return std::nullopt;
    }
    if (MSG_IS_REQUEST(m.get()) && m->req_uri == nullptr) {
        return std::nullopt;
    }
    return sip_message(std::make_unique<impl>(impl{std::move(m)}));
}


sip_message::sip_message(std::unique_ptr<impl> p) : impl_(std::move(p)) {}


sip_message::sip_message(sip_message&&) noexcept = default;


sip_message& sip_message::operator=(sip_message&&) noexcept = default;


sip_message::~sip_message() = default;


bool sip_message::is_request() const {
    return MSG_IS_REQUEST(impl_->m.get());
}


std::string sip_message::method() const {
    const osip_message_t* m = impl_->m.get();
    if (m->sip_method != nullptr) {
        return m->sip_method;
    }
    return m->cseq->method;
}


int sip_message::status() const {
    return is_request() ? 0 : impl_->m->status_code;
}


std::string sip_message::reason() const {
    const char* r = impl_->m->reason_phrase;
    return r == nullptr ? "" : r;
}


std::optional<sip_uri> sip_message::request_uri() const {
    return from_osip_uri(impl_->m->req_uri);
}


std::string sip_message::header(std::string_view name) const {
    const std::string key = lower(name);
    osip_message_t* m = impl_->m.get();
    if (key == "content-type") {
        char* s = nullptr;
        if (m->content_type != nullptr) {
            osip_content_type_to_str(m->content_type, &s);
        }
        return take(s);
    }
    osip_header_t* h = nullptr;
    if (osip_message_header_get_byname(m, key.c_str(), 0, &h) < 0 ||
        h == nullptr || h->hvalue == nullptr) {
        return "";
    }
    return h->hvalue;
}


std::vector<std::string> sip_message::vias() const {
    std::vector<std::string> out;
    osip_message_t* m = impl_->m.get();
    for (int i = 0; i < osip_list_size(&m->vias); ++i) {
        osip_via_t* via = nullptr;
        osip_message_get_via(m, i, &via);
        char* s = nullptr;
        if (via != nullptr && osip_via_to_str(via, &s) == OSIP_SUCCESS) {
            out.push_back(take(s));
        }
    }
    return out;
}


std::string sip_message::from() const {
    char* s = nullptr;
    osip_from_to_str(impl_->m->from, &s);
    return take(s);
}


std::string sip_message::to() const {
    char* s = nullptr;
    osip_to_to_str(impl_->m->to, &s);
    return take(s);
}


std::string sip_message::call_id() const {
    char* s = nullptr;
    osip_call_id_to_str(impl_->m->call_id, &s);
    return take(s);
}


std::string sip_message::cseq() const {
    char* s = nullptr;
    osip_cseq_to_str(impl_->m->cseq, &s);
    return take(s);
}


namespace {

osip_via_t* top_via(osip_message_t* m) {
    osip_via_t* via = nullptr;
    osip_message_get_via(m, 0, &via);
    return via;
}

} // namespace


std::string sip_message::top_via_branch() const {
    osip_via_t* via = top_via(impl_->m.get());
    osip_generic_param_t* branch = nullptr;
    if (via == nullptr ||
        osip_via_param_get_byname(via, const_cast<char*>("branch"), &branch) !=
            OSIP_SUCCESS ||
        branch == nullptr || branch->gvalue == nullptr) {
        return "";
    }
    return branch->gvalue;
}


std::string sip_message::top_via_host() const {
    osip_via_t* via = top_via(impl_->m.get());
    return via == nullptr || via->host == nullptr ? "" : via->host;
}


int sip_message::top_via_port() const {
    osip_via_t* via = top_via(impl_->m.get());
    if (via == nullptr || via->port == nullptr) {
        return 0;
    }
    const int port = std::atoi(via->port);
    return port >= 1 && port <= 65535 ? port : 0;
}


bool sip_message::top_via_has_rport() const {
    osip_via_t* via = top_via(impl_->m.get());
    osip_generic_param_t* rport = nullptr;
    return via != nullptr &&
           osip_via_param_get_byname(via, const_cast<char*>("rport"), &rport) ==
               OSIP_SUCCESS &&
           rport != nullptr;
}


std::string sip_message::to_tag() const {
    osip_generic_param_t* tag = nullptr;
    if (osip_to_get_tag(impl_->m->to, &tag) != OSIP_SUCCESS || tag == nullptr ||
        tag->gvalue == nullptr) {
        return "";
    }
    return tag->gvalue;
}


std::optional<sip_uri> sip_message::contact_uri() const {
    osip_contact_t* contact = nullptr;
    osip_message_get_contact(impl_->m.get(), 0, &contact);
    if (contact == nullptr) {
        return std::nullopt;
    }
    return from_osip_uri(contact->url);
}


std::string sip_message::body() const {
    osip_body_t* b = nullptr;
    osip_message_get_body(impl_->m.get(), 0, &b);
    if (b == nullptr || b->body == nullptr) {
        return "";
    }
    return std::string(b->body, b->length);
}


std::string build_request(const std::string& method, const std::string& uri,
                          const std::vector<sip_header>& headers,
                          const std::string& body) {
    message_ptr m = new_message();
    osip_uri_t* u = nullptr;
    osip_uri_init(&u);
    if (osip_uri_parse(u, uri.c_str()) != OSIP_SUCCESS) {
        osip_uri_free(u);
        throw sip_error("invalid SIP request URI \"" + uri + "\"");
    }
    osip_message_set_uri(m.get(), u);
    osip_message_set_method(m.get(), osip_strdup(method.c_str()));
    osip_message_set_version(m.get(), osip_strdup("SIP/2.0"));
    return finish(m.get(), headers, body);
}


std::string build_response(int status, const std::string& reason,
                           const std::vector<sip_header>& headers,
                           const std::string& body) {
    message_ptr m = new_message();
    osip_message_set_version(m.get(), osip_strdup("SIP/2.0"));
    osip_message_set_status_code(m.get(), status);
    osip_message_set_reason_phrase(m.get(), osip_strdup(reason.c_str()));
    return finish(m.get(), headers, body);
}


std::string random_hex(std::size_t n) {
    std::string bytes((n + 1) / 2, '\0');
    std::size_t got = 0;
    while (got < bytes.size()) {
        const ssize_t r = getrandom(bytes.data() + got, bytes.size() - got, 0);
        if (r < 0 && errno != EINTR) {
            throw std::system_error(errno, std::generic_category(),
                                    "could not read random bytes");
        }
        got += r > 0 ? static_cast<std::size_t>(r) : 0;
    }
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (const char c : bytes) {
        const auto b = static_cast<unsigned char>(c);
        out += digits[b >> 4];
        out += digits[b & 0xf];
    }
    out.resize(n);
    return out;
}

} // namespace provgate
