#include "node/http_auth.h"

#include "base/ascii.h"
#include "ports/http_error.h"

namespace quanta::node {
namespace {

ports::HttpResponse Unauthorized(std::string message) {
  ports::HttpResponse response = ports::ErrorResponse(Status(ErrorCode::kAuthFailed, message));
  response.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"quanta\"");
  return response;
}

}  // namespace

Result<std::unique_ptr<HttpAuthenticator>> HttpAuthenticator::Create(
    const std::vector<Principal>& principals) {
  std::unique_ptr<HttpAuthenticator> authenticator(new HttpAuthenticator());
  for (const Principal& principal : principals) {
    Credentials credentials;
    credentials.trust = principal.trust;
    if (!principal.trust) {
      Result<ports::ScramVerifier> verifier = ports::ParseScramVerifier(principal.scram_verifier);
      if (!verifier.ok()) {
        return Status::Usage("principal '{}': {}", principal.name, verifier.status().message());
      }
      credentials.verifier = std::move(verifier).value();
    }
    authenticator->principals_[principal.name] = std::move(credentials);
  }
  return authenticator;
}

std::optional<ports::HttpResponse> HttpAuthenticator::Check(ports::HttpRequest& request) {
  if ((request.method == "GET" || request.method == "HEAD") &&
      (request.path == "/healthz" || request.path == "/readyz" || request.path == "/metrics")) {
    return std::nullopt;
  }
  std::optional<std::string> header = request.Header("Authorization");
  if (!header) {
    return Unauthorized(
        "this node needs a principal: send Authorization: Bearer NAME:PASSWORD (the quanta "
        "command line sends $QUANTA_TOKEN)");
  }
  std::string_view value = TrimBlanks(*header);
  if (value.size() < 7 || AsciiLower(value.substr(0, 7)) != "bearer ") {
    return Unauthorized("the Authorization header must be Bearer NAME:PASSWORD");
  }
  std::string token(TrimBlanks(value.substr(7)));
  std::size_t colon = token.find(':');
  std::string name = token.substr(0, colon);
  std::string secret = colon == std::string::npos ? std::string() : token.substr(colon + 1);
  auto found = principals_.find(name);
  // Unknown name and wrong password read alike, as on the SQL port.
  std::string refusal = "the bearer token does not name a principal with that password";
  if (found == principals_.end()) return Unauthorized(refusal);
  if (found->second.trust) {
    request.principal = name;
    return std::nullopt;
  }
  std::string digest = ports::ScramDigest(token);
  bool verified = false;
  {
    std::lock_guard lock(mutex_);
    verified = verified_.count(digest) > 0;
  }
  if (!verified) {
    if (!ports::ScramVerifierMatches(found->second.verifier, secret)) return Unauthorized(refusal);
    std::lock_guard lock(mutex_);
    if (verified_.size() > 10'000) verified_.clear();  // bounded, whatever the clients send
    verified_.insert(std::move(digest));
  }
  request.principal = name;
  return std::nullopt;
}

}  // namespace quanta::node
