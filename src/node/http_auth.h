#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/result.h"
#include "node/node_config.h"
#include "ports/http_message.h"
#include "ports/pg_scram.h"

namespace quanta::node {

/// The HTTP side of the node's principals (node.yaml `http.auth: bearer`): every request but
/// GET /healthz, /readyz and /metrics must carry `Authorization: Bearer NAME:SECRET` of a
/// principal, the same name and password it signs in to the SQL port with (checked against its
/// SCRAM verifier; a trusted principal needs only `Bearer NAME`). Anything else is answered 401
/// with `WWW-Authenticate: Bearer`, before the request's body is read. Thread-safe.
class HttpAuthenticator {
 public:
  /// Fails (kUsage) naming a principal whose verifier is malformed.
  static Result<std::unique_ptr<HttpAuthenticator>> Create(
      const std::vector<Principal>& principals);

  /// nullopt when `request` may go on, with its `principal` set to the name it signed in with
  /// (left empty for the unauthenticated health, readiness and metrics routes); else the 401
  /// answer.
  std::optional<ports::HttpResponse> Check(ports::HttpRequest& request);

 private:
  struct Credentials {
    bool trust = false;
    ports::ScramVerifier verifier;
  };
  HttpAuthenticator() = default;

  std::map<std::string, Credentials, std::less<>> principals_;
  std::mutex mutex_;
  // Digests of tokens already checked: a PBKDF2 per request would cost milliseconds.
  std::set<std::string> verified_;
};

}  // namespace quanta::node
