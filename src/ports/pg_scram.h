#pragma once

#include <string>
#include <string_view>

#include "base/result.h"
#include "base/status.h"

namespace quanta::ports {

// SCRAM-SHA-256 password authentication (RFC 5802 with RFC 7677's hash), as PostgreSQL does it
// for the SQL port: the server keeps only a verifier, never the password, and the client
// proves that it knows the password without sending it. Channel binding (SCRAM-SHA-256-PLUS) is
// not offered. Passwords are prepared with SASLprep (saslprep.h) before they are hashed, as
// PostgreSQL and libpq do.

/// The one mechanism offered in AuthenticationSASL.
inline constexpr std::string_view kScramSha256 = "SCRAM-SHA-256";
/// PostgreSQL's default iteration count for new verifiers.
inline constexpr int kScramDefaultIterations = 4096;

/// A SCRAM-SHA-256 verifier: what the server stores instead of the password.
struct ScramVerifier {
  int iterations = kScramDefaultIterations;
  std::string salt;        ///< raw bytes (PostgreSQL draws 16)
  std::string stored_key;  ///< raw 32 bytes: SHA-256(HMAC(SaltedPassword, "Client Key"))
  std::string server_key;  ///< raw 32 bytes: HMAC(SaltedPassword, "Server Key")

  /// PostgreSQL's stored format:
  /// SCRAM-SHA-256$<iterations>:<base64 salt>$<base64 StoredKey>:<base64 ServerKey>
  std::string ToString() const;
};

/// A verifier for `password` with a fresh random 16-byte salt. The password is prepared with
/// PrepareScramPassword (SASLprep, or its own bytes when SASLprep refuses it), so a verifier
/// made here accepts what libpq sends for the same password in any Unicode form. Fails only
/// when the system's random source fails or `iterations` is not positive.
Result<ScramVerifier> MakeScramVerifier(std::string_view password,
                                        int iterations = kScramDefaultIterations);
/// A verifier for `password` with the given salt (for reproducing a known verifier); the
/// password is prepared the same way.
Result<ScramVerifier> MakeScramVerifier(std::string_view password, std::string_view salt,
                                        int iterations);
/// Reads a verifier in PostgreSQL's stored format; the error names the part that is wrong.
Result<ScramVerifier> ParseScramVerifier(std::string_view text);

/// True when `password` is the password `verifier` was made from (the password is prepared as
/// by MakeScramVerifier, the keys are derived again with the verifier's salt and iterations
/// and compared in constant time). Costs one PBKDF2 of
/// `iterations` rounds: callers that check often cache the answer by ScramDigest.
bool ScramVerifierMatches(const ScramVerifier& verifier, std::string_view password);
/// SHA-256 of `bytes`, raw 32 bytes: SCRAM's H(), and a key for caches of checked secrets.
std::string ScramDigest(std::string_view bytes);

/// Checks the mechanism a client chose in SASLInitialResponse: only SCRAM-SHA-256 is offered.
Status CheckScramMechanism(std::string_view mechanism);

/// The server side of one SCRAM-SHA-256 exchange:
///   client-first-message  -> HandleClientFirst -> server-first-message
///   (AuthenticationSASLContinue) client-final-message  -> HandleClientFinal ->
///   server-final-message (AuthenticationSASLFinal)
/// then AuthenticationOk. Malformed messages fail with kProtocolViolation (08P01), a wrong
/// password with kAuthFailed (28P01) and "password authentication failed for user ...". The
/// object is single-use and not thread-safe; it belongs to one connection.
class ScramServerExchange {
 public:
  /// An exchange for a user whose verifier is known. `user_name` (the startup message's user)
  /// is only used in error messages; SCRAM's own n= user name is ignored, as in PostgreSQL.
  ScramServerExchange(ScramVerifier verifier, std::string user_name);

  /// An exchange for a user that does not exist (or has no SCRAM verifier). It runs the same
  /// steps at the same cost with a salt derived from `user_name` and `mock_secret`, so that the
  /// same name always sees the same salt, and fails at the end exactly like a wrong password:
  /// nothing on the wire tells a missing user from a wrong password. `mock_secret` should be a
  /// random value kept by the node; when empty, one drawn once per process is used.
  static ScramServerExchange ForUnknownUser(std::string user_name,
                                            std::string_view mock_secret = {});

  /// Reads the client-first-message (gs2 header "n,," or "y,,"; "p=" is refused since channel
  /// binding is not offered) and returns the server-first-message with a fresh nonce.
  Result<std::string> HandleClientFirst(std::string_view client_first);

  /// Reads the client-final-message, checks the channel binding echo, the nonce and the proof
  /// (in constant time), and returns the server-final-message with the ServerSignature.
  Result<std::string> HandleClientFinal(std::string_view client_final);

  /// True once HandleClientFinal has succeeded: the client proved the password.
  bool authenticated() const { return state_ == State::kAuthenticated; }

  /// Replaces the random server nonce, for reproducing published test vectors only.
  void SetServerNonceForTesting(std::string nonce) { fixed_server_nonce_ = std::move(nonce); }

 private:
  enum class State { kExpectClientFirst, kExpectClientFinal, kAuthenticated, kFailed };

  Status Fail(Status status);

  ScramVerifier verifier_;
  std::string user_name_;
  bool doomed_ = false;  ///< a mock exchange: fails at the proof whatever the client sends
  State state_ = State::kExpectClientFirst;
  std::string gs2_header_;
  std::string client_first_bare_;
  std::string server_first_;
  std::string nonce_;  ///< client nonce + server nonce
  std::string fixed_server_nonce_;
};

}  // namespace quanta::ports
