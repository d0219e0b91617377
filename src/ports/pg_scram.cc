#include "ports/pg_scram.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <memory>
#include <optional>

#include "ports/saslprep.h"

namespace quanta::ports {
namespace {

constexpr std::size_t kKeyBytes = 32;  // SHA-256
constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kServerNonceBytes = 18;  // 24 base64 characters, as PostgreSQL

constexpr std::string_view kBase64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string Base64Encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  auto byte = [&](std::size_t at) { return static_cast<unsigned char>(bytes[at]); };
  for (; i + 3 <= bytes.size(); i += 3) {
    std::uint32_t group = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
    out.push_back(kBase64Alphabet[(group >> 18) & 63]);
    out.push_back(kBase64Alphabet[(group >> 12) & 63]);
    out.push_back(kBase64Alphabet[(group >> 6) & 63]);
    out.push_back(kBase64Alphabet[group & 63]);
  }
  std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    std::uint32_t group = byte(i) << 16;
    if (rest == 2) group |= byte(i + 1) << 8;
    out.push_back(kBase64Alphabet[(group >> 18) & 63]);
    out.push_back(kBase64Alphabet[(group >> 12) & 63]);
    out.push_back(rest == 2 ? kBase64Alphabet[(group >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

// Strict base64: the standard alphabet, padded to a multiple of 4, no whitespace.
std::optional<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    std::uint32_t group = 0;
    int padding = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      char c = text[i + j];
      int value;
      if (c == '=') {
        // Padding only in the last group, only at its end, at most two.
        if (i + 4 != text.size() || j < 2) return std::nullopt;
        ++padding;
        value = 0;
      } else {
        if (padding > 0) return std::nullopt;
        std::size_t at = kBase64Alphabet.find(c);
        if (at == std::string_view::npos) return std::nullopt;
        value = static_cast<int>(at);
      }
      group = (group << 6) | static_cast<std::uint32_t>(value);
    }
    out.push_back(static_cast<char>(group >> 16));
    if (padding < 2) out.push_back(static_cast<char>(group >> 8));
    if (padding < 1) out.push_back(static_cast<char>(group));
  }
  return out;
}

std::string Hmac(std::string_view key, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> out;
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &length);
  return std::string(reinterpret_cast<const char*>(out.data()), length);
}

std::string Sha256(std::string_view data) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> out;
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data());
  return std::string(reinterpret_cast<const char*>(out.data()), out.size());
}

Result<std::string> RandomBytes(std::size_t count) {
  std::string out(count, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(count)) != 1) {
    return Status::Internal("SCRAM: the system random source (OpenSSL RAND_bytes) failed");
  }
  return out;
}

// One random secret per process for mock exchanges whose caller gives none.
const std::string& ProcessMockSecret() {
  static const std::string secret = [] {
    Result<std::string> bytes = RandomBytes(kKeyBytes);
    return bytes.ok() ? *bytes : std::string(kKeyBytes, '\x5a');
  }();
  return secret;
}

Status Malformed(std::string_view message_name, std::string_view reason) {
  return Status::ProtocolViolation("SCRAM {}: {}", message_name, reason);
}

// Reads "<name>=<value>" up to the next ',' (or the end) from `text` at `position`.
Result<std::string_view> ReadAttribute(std::string_view message_name, std::string_view text,
                                       std::size_t& position, char name) {
  if (position + 2 > text.size() || text[position] != name || text[position + 1] != '=') {
    return Malformed(message_name,
                     fmt::format("expected attribute \"{}=\" at character {}", name, position + 1));
  }
  std::size_t start = position + 2;
  std::size_t end = text.find(',', start);
  if (end == std::string_view::npos) end = text.size();
  position = end;
  return text.substr(start, end - start);
}

// RFC 5802's printable: %x21-2B / %x2D-7E.
bool IsNonce(std::string_view nonce) {
  if (nonce.empty()) return false;
  for (char c : nonce) {
    if (c < 0x21 || c > 0x7E || c == ',') return false;
  }
  return true;
}

}  // namespace

std::string ScramVerifier::ToString() const {
  return fmt::format("SCRAM-SHA-256${}:{}${}:{}", iterations, Base64Encode(salt),
                     Base64Encode(stored_key), Base64Encode(server_key));
}

Result<ScramVerifier> MakeScramVerifier(std::string_view password, std::string_view salt,
                                        int iterations) {
  if (iterations <= 0) {
    return Status::Invalid("SCRAM verifier: iteration count {} must be positive", iterations);
  }
  if (salt.empty()) return Status::Invalid("SCRAM verifier: the salt must not be empty");
  QUANTA_ASSIGN_OR_RETURN(std::string prepared, PrepareScramPassword(password));
  std::array<unsigned char, kKeyBytes> salted;
  if (PKCS5_PBKDF2_HMAC(prepared.data(), static_cast<int>(prepared.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()),
                        static_cast<int>(salt.size()), iterations, EVP_sha256(), kKeyBytes,
                        salted.data()) != 1) {
    return Status::Internal("SCRAM verifier: OpenSSL PKCS5_PBKDF2_HMAC failed");
  }
  std::string_view salted_password(reinterpret_cast<const char*>(salted.data()), salted.size());
  ScramVerifier verifier;
  verifier.iterations = iterations;
  verifier.salt = std::string(salt);
  verifier.stored_key = Sha256(Hmac(salted_password, "Client Key"));
  verifier.server_key = Hmac(salted_password, "Server Key");
  OPENSSL_cleanse(salted.data(), salted.size());
  OPENSSL_cleanse(prepared.data(), prepared.size());
  return verifier;
}

Result<ScramVerifier> MakeScramVerifier(std::string_view password, int iterations) {
  QUANTA_ASSIGN_OR_RETURN(std::string salt, RandomBytes(kSaltBytes));
  return MakeScramVerifier(password, salt, iterations);
}

Result<ScramVerifier> ParseScramVerifier(std::string_view text) {
  constexpr std::string_view kPrefix = "SCRAM-SHA-256$";
  auto bad = [&](std::string_view reason) {
    return Status::Invalid(
        "SCRAM verifier: {}; the format is "
        "SCRAM-SHA-256$<iterations>:<base64 salt>$<base64 StoredKey>:<base64 ServerKey>",
        reason);
  };
  if (!text.starts_with(kPrefix)) return bad("it does not start with \"SCRAM-SHA-256$\"");
  text.remove_prefix(kPrefix.size());
  std::size_t dollar = text.find('$');
  if (dollar == std::string_view::npos) return bad("the '$' before the keys is missing");
  std::string_view salt_part = text.substr(0, dollar);
  std::string_view key_part = text.substr(dollar + 1);
  std::size_t colon = salt_part.find(':');
  if (colon == std::string_view::npos) return bad("the ':' after the iteration count is missing");
  std::string_view iterations_text = salt_part.substr(0, colon);
  ScramVerifier verifier;
  auto [end, error] = std::from_chars(
      iterations_text.data(), iterations_text.data() + iterations_text.size(), verifier.iterations);
  if (error != std::errc() || end != iterations_text.data() + iterations_text.size() ||
      iterations_text.empty() || verifier.iterations <= 0) {
    return bad(
        fmt::format("the iteration count \"{}\" is not a positive integer", iterations_text));
  }
  std::optional<std::string> salt = Base64Decode(salt_part.substr(colon + 1));
  if (!salt || salt->empty()) return bad("the salt is not base64");
  colon = key_part.find(':');
  if (colon == std::string_view::npos) return bad("the ':' between the two keys is missing");
  std::optional<std::string> stored_key = Base64Decode(key_part.substr(0, colon));
  std::optional<std::string> server_key = Base64Decode(key_part.substr(colon + 1));
  if (!stored_key || stored_key->size() != kKeyBytes) {
    return bad("the StoredKey is not 32 bytes of base64");
  }
  if (!server_key || server_key->size() != kKeyBytes) {
    return bad("the ServerKey is not 32 bytes of base64");
  }
  verifier.salt = std::move(*salt);
  verifier.stored_key = std::move(*stored_key);
  verifier.server_key = std::move(*server_key);
  return verifier;
}

Result<std::string> TlsServerEndPoint(std::string_view certificate_der) {
  const auto* cursor = reinterpret_cast<const unsigned char*>(certificate_der.data());
  const auto* end = cursor + certificate_der.size();
  std::unique_ptr<X509, decltype(&X509_free)> certificate(
      d2i_X509(nullptr, &cursor, static_cast<long>(certificate_der.size())), X509_free);
  if (!certificate || cursor != end) {
    return Status::Invalid("tls-server-end-point: the bytes are not one DER certificate");
  }
  int digest = NID_undef;
  int key = NID_undef;
  const EVP_MD* hash = nullptr;
  if (X509_get_signature_info(certificate.get(), &digest, &key, nullptr, nullptr) == 1) {
    // RFC 5929 section 4.1: MD5 and SHA-1 are replaced by SHA-256.
    hash = digest == NID_md5 || digest == NID_sha1 ? EVP_sha256() : EVP_get_digestbynid(digest);
  }
  if (hash == nullptr) {
    return Status::NotSupported(
        "tls-server-end-point: the certificate's signature algorithm {} names no single hash "
        "function, so RFC 5929 defines no channel binding for it",
        OBJ_nid2ln(X509_get_signature_nid(certificate.get())));
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> out;
  unsigned int length = 0;
  if (X509_digest(certificate.get(), hash, out.data(), &length) != 1) {
    return Status::Internal("tls-server-end-point: OpenSSL X509_digest failed");
  }
  return std::string(reinterpret_cast<const char*>(out.data()), length);
}

ScramServerExchange::ScramServerExchange(ScramVerifier verifier, std::string user_name)
    : verifier_(std::move(verifier)), user_name_(std::move(user_name)) {}

ScramServerExchange ScramServerExchange::ForUnknownUser(std::string user_name,
                                                        std::string_view mock_secret) {
  std::string secret(mock_secret.empty() ? std::string_view(ProcessMockSecret()) : mock_secret);
  // A salt that depends only on the name and the secret, as PostgreSQL's scram_mock_salt; keys
  // of the right size that no password gives except by chance.
  std::string digest = Sha256(user_name + '\0' + secret);
  ScramVerifier verifier;
  verifier.iterations = kScramDefaultIterations;
  verifier.salt = digest.substr(0, kSaltBytes);
  verifier.stored_key = Hmac(secret, digest + "stored");
  verifier.server_key = Hmac(secret, digest + "server");
  ScramServerExchange exchange(std::move(verifier), std::move(user_name));
  exchange.doomed_ = true;
  return exchange;
}

void ScramServerExchange::OfferChannelBinding(std::string tls_server_end_point) {
  tls_server_end_point_ = std::move(tls_server_end_point);
}

std::vector<std::string> ScramServerExchange::Mechanisms() const {
  if (tls_server_end_point_.empty()) return {std::string(kScramSha256)};
  return {std::string(kScramSha256Plus), std::string(kScramSha256)};
}

Status ScramServerExchange::SelectMechanism(std::string_view mechanism) {
  if (mechanism == kScramSha256) {
    channel_binding_selected_ = false;
    return Status::Ok();
  }
  if (mechanism == kScramSha256Plus) {
    if (tls_server_end_point_.empty()) {
      return Fail(Status::ProtocolViolation(
          "SASL mechanism SCRAM-SHA-256-PLUS was not offered: channel binding needs a TLS "
          "connection (sslmode=require or stronger); the server offers SCRAM-SHA-256"));
    }
    channel_binding_selected_ = true;
    return Status::Ok();
  }
  std::vector<std::string> offered = Mechanisms();
  return Fail(
      Status::ProtocolViolation("SASL mechanism \"{}\" was not offered; the server offers {}",
                                mechanism, fmt::join(offered, " and ")));
}

Status ScramServerExchange::Fail(Status status) {
  state_ = State::kFailed;
  return status;
}

Result<std::string> ScramServerExchange::HandleClientFirst(std::string_view message) {
  constexpr std::string_view kName = "client-first-message";
  if (state_ != State::kExpectClientFirst) {
    return Fail(Malformed(kName, "it arrived after the exchange had already started"));
  }
  // gs2-header: cbind-flag "," [authzid] ","
  if (message.empty()) return Fail(Malformed(kName, "it is empty"));
  std::size_t position = 1;
  switch (message[0]) {
    case 'n':  // the client does not support channel binding
      if (channel_binding_selected_) {
        return Fail(Malformed(kName,
                              "the client selected SCRAM-SHA-256-PLUS, but its gs2 header "
                              "\"n\" asks for no channel binding"));
      }
      break;
    case 'y':  // the client supports it but thinks the server does not
      if (channel_binding_selected_) {
        return Fail(Malformed(kName,
                              "the client selected SCRAM-SHA-256-PLUS, but its gs2 header "
                              "\"y\" asks for no channel binding"));
      }
      if (!tls_server_end_point_.empty()) {
        // The server did offer -PLUS: someone between the two removed it from the list.
        return Fail(Status::ProtocolViolation(
            "SCRAM channel binding negotiation error: the client supports channel binding "
            "and thinks the server does not, but the server offered SCRAM-SHA-256-PLUS over "
            "this TLS connection; something between them changed the offer"));
      }
      break;
    case 'p': {  // the client requires channel binding: "p=<type>"
      if (!channel_binding_selected_) {
        return Fail(Malformed(kName,
                              "the client selected SCRAM-SHA-256 without channel binding, but "
                              "its gs2 header \"p=\" asks for channel binding"));
      }
      if (message.size() < 2 || message[1] != '=') {
        return Fail(Malformed(kName, "a '=' and the channel binding type must follow \"p\""));
      }
      std::size_t end = message.find(',', 2);
      std::string_view type = message.substr(2, end == std::string_view::npos ? end : end - 2);
      if (type != kTlsServerEndPoint) {
        bool printable =
            std::all_of(type.begin(), type.end(), [](char c) { return c >= 0x21 && c <= 0x7E; });
        return Fail(Malformed(
            kName, fmt::format("unsupported channel binding type \"{}\"; the server binds "
                               "with tls-server-end-point only",
                               printable ? type : std::string_view("(not printable)"))));
      }
      position = 2 + type.size();
      break;
    }
    default:
      return Fail(Malformed(kName, fmt::format("the channel binding flag '{}' at character 1 "
                                               "is not 'n', 'y' or 'p'",
                                               message[0])));
  }
  if (position >= message.size() || message[position] != ',') {
    return Fail(Malformed(kName, fmt::format("a ',' must follow the channel binding flag at "
                                             "character {}",
                                             position + 1)));
  }
  ++position;
  if (position < message.size() && message[position] == 'a') {
    return Fail(Status::NotSupported(
        "SCRAM {}: an authorization identity (\"a=\") is not supported", kName));
  }
  if (position >= message.size() || message[position] != ',') {
    return Fail(Malformed(
        kName, fmt::format("a ',' must end the gs2 header at character {}", position + 1)));
  }
  ++position;
  gs2_header_ = std::string(message.substr(0, position));
  client_first_bare_ = std::string(message.substr(position));
  std::string_view bare = client_first_bare_;
  std::size_t at = 0;
  if (bare.starts_with("m=")) {
    return Fail(
        Status::NotSupported("SCRAM {}: the client requires an extension (\"m=\") that "
                             "the server does not support",
                             kName));
  }
  // The SCRAM user name is ignored: the startup message's user is the one authenticated.
  Result<std::string_view> user = ReadAttribute(kName, bare, at, 'n');
  if (!user.ok()) return Fail(user.status());
  if (at >= bare.size()) return Fail(Malformed(kName, "the nonce attribute \"r=\" is missing"));
  ++at;  // ','
  Result<std::string_view> client_nonce = ReadAttribute(kName, bare, at, 'r');
  if (!client_nonce.ok()) return Fail(client_nonce.status());
  if (!IsNonce(*client_nonce)) {
    return Fail(Malformed(kName,
                          "the client nonce is empty or holds characters outside "
                          "printable ASCII"));
  }
  // Anything after the nonce is an optional extension, ignored as RFC 5802 allows.
  std::string server_nonce = fixed_server_nonce_;
  if (server_nonce.empty()) {
    Result<std::string> random = RandomBytes(kServerNonceBytes);
    if (!random.ok()) return Fail(random.status());
    server_nonce = Base64Encode(*random);
  }
  nonce_ = std::string(*client_nonce) + server_nonce;
  server_first_ =
      fmt::format("r={},s={},i={}", nonce_, Base64Encode(verifier_.salt), verifier_.iterations);
  state_ = State::kExpectClientFinal;
  return server_first_;
}

Result<std::string> ScramServerExchange::HandleClientFinal(std::string_view message) {
  constexpr std::string_view kName = "client-final-message";
  if (state_ != State::kExpectClientFinal) {
    return Fail(Malformed(kName,
                          "it arrived before the client-first-message or after the end "
                          "of the exchange"));
  }
  std::size_t at = 0;
  Result<std::string_view> binding = ReadAttribute(kName, message, at, 'c');
  if (!binding.ok()) return Fail(binding.status());
  std::optional<std::string> binding_bytes = Base64Decode(*binding);
  if (!binding_bytes) return Fail(Malformed(kName, "the channel binding \"c=\" is not base64"));
  if (channel_binding_selected_) {
    // The gs2 header again, then the hash of the certificate the client saw in its handshake.
    // Not secret: both ends know it, so a plain comparison does.
    if (*binding_bytes != gs2_header_ + tls_server_end_point_) {
      return Fail(Status(
          ErrorCode::kPermissionDenied,
          fmt::format(
              "SCRAM channel binding check failed: {}",
              binding_bytes->starts_with(gs2_header_)
                  ? "the certificate hash the client sends is not that of this server's "
                    "certificate, so the client's TLS connection does not end at this server (a "
                    "TLS-terminating proxy, or someone in the middle)"
                  : "the channel binding \"c=\" does not start with the gs2 header of the "
                    "client-first-message")));
    }
  } else if (*binding_bytes != gs2_header_) {
    return Fail(Malformed(kName,
                          "the channel binding \"c=\" does not repeat the gs2 header of "
                          "the client-first-message"));
  }
  if (at >= message.size()) return Fail(Malformed(kName, "the nonce attribute \"r=\" is missing"));
  ++at;
  Result<std::string_view> nonce = ReadAttribute(kName, message, at, 'r');
  if (!nonce.ok()) return Fail(nonce.status());
  if (*nonce != nonce_) {
    return Fail(Malformed(kName, "the nonce does not match the one the server sent"));
  }
  // Optional extensions, then ",p=" and the proof as the last attribute.
  std::size_t proof_at = message.rfind(",p=");
  if (proof_at == std::string_view::npos || proof_at < at) {
    return Fail(Malformed(kName, "the proof attribute \"p=\" is missing"));
  }
  std::string_view without_proof = message.substr(0, proof_at);
  std::optional<std::string> proof = Base64Decode(message.substr(proof_at + 3));
  if (!proof || proof->size() != kKeyBytes) {
    return Fail(Malformed(kName, "the proof \"p=\" is not 32 bytes of base64, or bytes follow it"));
  }
  std::string auth_message = client_first_bare_;
  auth_message += ',';
  auth_message += server_first_;
  auth_message += ',';
  auth_message += without_proof;
  // ClientKey = ClientProof XOR HMAC(StoredKey, AuthMessage); the client knows the password if
  // SHA-256(ClientKey) is the StoredKey. The same work runs for a mock exchange.
  std::string client_key = Hmac(verifier_.stored_key, auth_message);
  for (std::size_t i = 0; i < kKeyBytes; ++i) client_key[i] ^= (*proof)[i];
  std::string computed = Sha256(client_key);
  bool match = CRYPTO_memcmp(computed.data(), verifier_.stored_key.data(), kKeyBytes) == 0;
  std::string server_signature = Hmac(verifier_.server_key, auth_message);
  OPENSSL_cleanse(client_key.data(), client_key.size());
  if (!match || doomed_) {
    return Fail(Status::AuthFailed("password authentication failed for user \"{}\"", user_name_));
  }
  state_ = State::kAuthenticated;
  return "v=" + Base64Encode(server_signature);
}

}  // namespace quanta::ports

namespace quanta::ports {

bool ScramVerifierMatches(const ScramVerifier& verifier, std::string_view password) {
  Result<ScramVerifier> derived = MakeScramVerifier(password, verifier.salt, verifier.iterations);
  if (!derived.ok() || derived->stored_key.size() != verifier.stored_key.size() ||
      derived->server_key.size() != verifier.server_key.size()) {
    return false;
  }
  return CRYPTO_memcmp(derived->stored_key.data(), verifier.stored_key.data(),
                       verifier.stored_key.size()) == 0 &&
         CRYPTO_memcmp(derived->server_key.data(), verifier.server_key.data(),
                       verifier.server_key.size()) == 0;
}

std::string ScramDigest(std::string_view bytes) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof digest);
}

}  // namespace quanta::ports
