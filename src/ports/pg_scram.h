#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/status.h"

namespace quanta::ports {

// SCRAM-SHA-256 password authentication (RFC 5802 with RFC 7677's hash), as PostgreSQL does it
// for the SQL port: the server keeps only a verifier, never the password, and the client
// proves that it knows the password without sending it. Over TLS the server also offers
// SCRAM-SHA-256-PLUS, which binds the exchange to the TLS channel with tls-server-end-point
// (RFC 5929): a client that selects it proves that it talks TLS with the holder of the
// server's certificate, not with someone in the middle. Passwords are prepared with SASLprep
// (saslprep.h) before they are hashed, as PostgreSQL and libpq do.

/// The mechanism without channel binding, always offered in AuthenticationSASL.
inline constexpr std::string_view kScramSha256 = "SCRAM-SHA-256";
/// The mechanism with channel binding, offered first over TLS.
inline constexpr std::string_view kScramSha256Plus = "SCRAM-SHA-256-PLUS";
/// The one channel binding type offered, as in PostgreSQL (tls-unique has no TLS 1.3 form).
inline constexpr std::string_view kTlsServerEndPoint = "tls-server-end-point";
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

/// The tls-server-end-point channel binding data (RFC 5929 section 4.1) of a server
/// certificate given in DER: the certificate hashed with the hash function of its signature
/// algorithm, or with SHA-256 when that is MD5 or SHA-1 (RSA-PSS: the PSS hash). Fails
/// (kNotSupported) for a signature algorithm without one hash function (Ed25519, Ed448), for
/// which RFC 5929 defines no binding, and (kInvalidDocument) for bytes that are no certificate.
Result<std::string> TlsServerEndPoint(std::string_view certificate_der);

/// The server side of one SCRAM-SHA-256(-PLUS) exchange:
///   [OfferChannelBinding over TLS] Mechanisms -> AuthenticationSASL
///   SASLInitialResponse: SelectMechanism, then its client-first-message -> HandleClientFirst
///   -> server-first-message (AuthenticationSASLContinue)
///   client-final-message -> HandleClientFinal -> server-final-message (AuthenticationSASLFinal)
/// then AuthenticationOk. Malformed messages and channel binding negotiation errors fail with
/// kProtocolViolation (08P01), binding data that does not match the certificate with
/// kPermissionDenied (SQLSTATE 28000 during sign-in, as PostgreSQL's "SCRAM channel binding
/// check failed"), a wrong password with kAuthFailed (28P01) and "password authentication
/// failed for user ...". The object is single-use and not thread-safe; it belongs to one
/// connection.
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

  /// The connection runs over TLS and `tls_server_end_point` is its binding data
  /// (TlsServerEndPoint of the server's certificate): SCRAM-SHA-256-PLUS is offered, and a
  /// client that could bind but thinks the server cannot ("y") is refused as a downgrade.
  /// Call before Mechanisms; an empty value offers nothing more.
  void OfferChannelBinding(std::string tls_server_end_point);

  /// The mechanisms for AuthenticationSASL, most preferred first, as PostgreSQL lists them:
  /// SCRAM-SHA-256-PLUS and SCRAM-SHA-256 with channel binding offered, else SCRAM-SHA-256.
  std::vector<std::string> Mechanisms() const;

  /// Checks the mechanism the client chose in SASLInitialResponse: one of Mechanisms().
  /// SCRAM-SHA-256-PLUS on a connection without TLS fails naming the reason.
  Status SelectMechanism(std::string_view mechanism);

  /// Reads the client-first-message and returns the server-first-message with a fresh nonce.
  /// The gs2 header must fit the mechanism: "p=tls-server-end-point,," for -PLUS; "n,," or
  /// "y,," for SCRAM-SHA-256, where "y" fails when channel binding was offered (the client
  /// was led to believe it was not: a downgrade). Any other binding type fails.
  Result<std::string> HandleClientFirst(std::string_view client_first);

  /// Reads the client-final-message, checks the channel binding (the gs2 header again, and
  /// for -PLUS the certificate hash after it), the nonce and the proof (in constant time), and
  /// returns the server-final-message with the ServerSignature.
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
  std::string tls_server_end_point_;       ///< binding data offered; empty: no -PLUS
  bool channel_binding_selected_ = false;  ///< the client chose SCRAM-SHA-256-PLUS
  std::string gs2_header_;
  std::string client_first_bare_;
  std::string server_first_;
  std::string nonce_;  ///< client nonce + server nonce
  std::string fixed_server_nonce_;
};

}  // namespace quanta::ports
