#include "ports/pg_scram.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "testing/matchers.h"

namespace quanta::ports {
namespace {

// The client side of SCRAM-SHA-256, written from RFC 5802 with OpenSSL's own base64, so that
// the server is checked against an implementation that shares none of its code.
std::string B64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int length = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                               reinterpret_cast<const unsigned char*>(bytes.data()),
                               static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(length));
  return out;
}

std::string Unb64(std::string_view text) {
  std::string out(text.size(), '\0');
  int length = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                               reinterpret_cast<const unsigned char*>(text.data()),
                               static_cast<int>(text.size()));
  if (length < 0) return {};
  std::size_t padding = 0;
  while (padding < text.size() && text[text.size() - 1 - padding] == '=') ++padding;
  out.resize(static_cast<std::size_t>(length) - padding);
  return out;
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &length);
  return std::string(reinterpret_cast<char*>(out), length);
}

std::string Sha256Of(std::string_view data) {
  unsigned char out[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out);
  return std::string(reinterpret_cast<char*>(out), sizeof(out));
}

// The value of attribute `name` in a SCRAM message ("r=...,s=...,i=...").
std::string Attribute(std::string_view message, char name) {
  std::size_t at = 0;
  while (at < message.size()) {
    std::size_t end = message.find(',', at);
    if (end == std::string_view::npos) end = message.size();
    if (message[at] == name && at + 1 < message.size() && message[at + 1] == '=') {
      return std::string(message.substr(at + 2, end - at - 2));
    }
    at = end + 1;
  }
  return {};
}

struct TestClient {
  explicit TestClient(std::string password_, std::string gs2_header_ = "n,,")
      : password(std::move(password_)), gs2_header(std::move(gs2_header_)) {}

  std::string password;
  std::string nonce = "fyko+d2lbbFgONRv9qkxdawL";
  std::string gs2_header;
  std::string binding_data;  ///< after the gs2 header in c=: the certificate hash for "p="
  std::string client_first_bare;
  std::string expected_server_final;

  std::string First() {
    client_first_bare = "n=,r=" + nonce;
    return gs2_header + client_first_bare;
  }

  std::string Final(std::string_view server_first) {
    std::string salt = Unb64(Attribute(server_first, 's'));
    int iterations = std::stoi(Attribute(server_first, 'i'));
    unsigned char salted[32];
    PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                      reinterpret_cast<const unsigned char*>(salt.data()),
                      static_cast<int>(salt.size()), iterations, EVP_sha256(), 32, salted);
    std::string salted_password(reinterpret_cast<char*>(salted), 32);
    std::string client_key = HmacSha256(salted_password, "Client Key");
    std::string server_key = HmacSha256(salted_password, "Server Key");
    std::string without_proof =
        "c=" + B64(gs2_header + binding_data) + ",r=" + Attribute(server_first, 'r');
    std::string auth_message =
        client_first_bare + "," + std::string(server_first) + "," + without_proof;
    std::string signature = HmacSha256(Sha256Of(client_key), auth_message);
    std::string proof = client_key;
    for (std::size_t i = 0; i < proof.size(); ++i) proof[i] ^= signature[i];
    expected_server_final = "v=" + B64(HmacSha256(server_key, auth_message));
    return without_proof + ",p=" + B64(proof);
  }
};

// Fast verifiers for the tests that are not about the iteration count.
ScramVerifier VerifierFor(std::string_view password) {
  Result<ScramVerifier> verifier = MakeScramVerifier(password, 64);
  EXPECT_TRUE(verifier.ok()) << verifier.status().ToString();
  return verifier.ok() ? *verifier : ScramVerifier{};
}

TEST(ScramTest, ReproducesTheRfc7677Exchange) {
  ASSERT_OK_AND_ASSIGN(ScramVerifier verifier,
                       MakeScramVerifier("pencil", Unb64("W22ZaJ0SNY7soEsUEjb6gQ=="), 4096));
  ScramServerExchange exchange(verifier, "user");
  exchange.SetServerNonceForTesting("%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0");
  ASSERT_OK_AND_ASSIGN(std::string server_first,
                       exchange.HandleClientFirst("n,,n=user,r=rOprNGfwEbeRWgbNEkqO"));
  EXPECT_EQ(server_first,
            "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,"
            "i=4096");
  ASSERT_OK_AND_ASSIGN(
      std::string server_final,
      exchange.HandleClientFinal("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                                 "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="));
  EXPECT_EQ(server_final, "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
  EXPECT_TRUE(exchange.authenticated());
}

// What PostgreSQL 15 stored for CREATE ROLE alice PASSWORD 'quanta-secret'
// (password_encryption = scram-sha-256), read from pg_authid.rolpassword.
constexpr std::string_view kPostgresVerifier =
    "SCRAM-SHA-256$4096:ROqrUhPIIP3/SB7gSci/lw==$6tbJx1D2qR0tCAI3OZyqL8C6ZXrINvdzBANB+ZiMbMs=:"
    "dSKGP57hAIszxNvu8SO/3R5sZzjzqbLCSRQbsqq396w=";

TEST(ScramTest, ReadsAndWritesPostgresVerifiers) {
  ASSERT_OK_AND_ASSIGN(ScramVerifier parsed, ParseScramVerifier(kPostgresVerifier));
  EXPECT_EQ(parsed.iterations, 4096);
  EXPECT_EQ(parsed.salt.size(), 16u);
  EXPECT_EQ(parsed.ToString(), kPostgresVerifier);
  ASSERT_OK_AND_ASSIGN(ScramVerifier made,
                       MakeScramVerifier("quanta-secret", parsed.salt, parsed.iterations));
  EXPECT_EQ(made.ToString(), kPostgresVerifier);
}

TEST(ScramTest, AClientWithThePasswordOfAPostgresVerifierAuthenticates) {
  ASSERT_OK_AND_ASSIGN(ScramVerifier verifier, ParseScramVerifier(kPostgresVerifier));
  ScramServerExchange exchange(verifier, "alice");
  TestClient client("quanta-secret");
  ASSERT_OK_AND_ASSIGN(std::string server_first, exchange.HandleClientFirst(client.First()));
  EXPECT_TRUE(server_first.starts_with("r=" + client.nonce)) << server_first;
  EXPECT_EQ(Attribute(server_first, 'r').size(), client.nonce.size() + 24);  // 18 random bytes
  EXPECT_EQ(Attribute(server_first, 's'), "ROqrUhPIIP3/SB7gSci/lw==");
  EXPECT_EQ(Attribute(server_first, 'i'), "4096");
  ASSERT_OK_AND_ASSIGN(std::string server_final,
                       exchange.HandleClientFinal(client.Final(server_first)));
  EXPECT_EQ(server_final, client.expected_server_final);
  EXPECT_TRUE(exchange.authenticated());
}

TEST(ScramTest, NewVerifiersHaveFreshSalts) {
  ASSERT_OK_AND_ASSIGN(ScramVerifier a, MakeScramVerifier("same", 16));
  ASSERT_OK_AND_ASSIGN(ScramVerifier b, MakeScramVerifier("same", 16));
  EXPECT_EQ(a.salt.size(), 16u);
  EXPECT_NE(a.salt, b.salt);
  EXPECT_NE(a.stored_key, b.stored_key);
  ASSERT_OK_AND_ASSIGN(ScramVerifier round_trip, ParseScramVerifier(a.ToString()));
  EXPECT_EQ(round_trip.stored_key, a.stored_key);
  EXPECT_EQ(round_trip.server_key, a.server_key);
  EXPECT_FALSE(MakeScramVerifier("x", 0).ok());
}

TEST(ScramTest, EachExchangeDrawsANewServerNonce) {
  ScramVerifier verifier = VerifierFor("pw");
  ScramServerExchange first(verifier, "u");
  ScramServerExchange second(verifier, "u");
  TestClient client("pw");
  ASSERT_OK_AND_ASSIGN(std::string one, first.HandleClientFirst(client.First()));
  ASSERT_OK_AND_ASSIGN(std::string two, second.HandleClientFirst(client.First()));
  EXPECT_NE(Attribute(one, 'r'), Attribute(two, 'r'));
}

TEST(ScramTest, RefusesAWrongPassword) {
  ScramServerExchange exchange(VerifierFor("right"), "alice");
  TestClient client("wrong");
  ASSERT_OK_AND_ASSIGN(std::string server_first, exchange.HandleClientFirst(client.First()));
  Result<std::string> final = exchange.HandleClientFinal(client.Final(server_first));
  ASSERT_FALSE(final.ok());
  EXPECT_EQ(final.status().code(), ErrorCode::kAuthFailed);
  EXPECT_EQ(InfoFor(final.status().code()).sqlstate, "28P01");
  EXPECT_EQ(final.status().message(), "password authentication failed for user \"alice\"");
  EXPECT_FALSE(exchange.authenticated());
}

TEST(ScramTest, RefusesATamperedProof) {
  ScramServerExchange exchange(VerifierFor("pw"), "alice");
  TestClient client("pw");
  ASSERT_OK_AND_ASSIGN(std::string server_first, exchange.HandleClientFirst(client.First()));
  std::string final = client.Final(server_first);
  std::size_t proof_at = final.find(",p=") + 3;
  std::string proof = Unb64(final.substr(proof_at));
  proof[7] ^= 0x01;
  Result<std::string> answer = exchange.HandleClientFinal(final.substr(0, proof_at) + B64(proof));
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.status().code(), ErrorCode::kAuthFailed);
}

TEST(ScramTest, RefusesAChangedOrReplayedNonce) {
  ScramVerifier verifier = VerifierFor("pw");
  // A client-final that names another nonce than the server's.
  {
    ScramServerExchange exchange(verifier, "alice");
    TestClient client("pw");
    ASSERT_OK_AND_ASSIGN(std::string server_first, exchange.HandleClientFirst(client.First()));
    std::string changed = server_first;
    std::size_t at = 2 + client.nonce.size() + 3;  // inside the server's part of the nonce
    changed[at] = changed[at] == 'x' ? 'y' : 'x';
    Result<std::string> answer = exchange.HandleClientFinal(client.Final(changed));
    ASSERT_FALSE(answer.ok());
    EXPECT_EQ(answer.status().code(), ErrorCode::kProtocolViolation);
    EXPECT_NE(answer.status().message().find("nonce does not match"), std::string::npos);
  }
  // A client-final recorded from one exchange and replayed against a new one.
  ScramServerExchange recorded(verifier, "alice");
  TestClient client("pw");
  ASSERT_OK_AND_ASSIGN(std::string server_first, recorded.HandleClientFirst(client.First()));
  std::string final = client.Final(server_first);
  ASSERT_OK(recorded.HandleClientFinal(final));
  ScramServerExchange replay(verifier, "alice");
  ASSERT_OK(replay.HandleClientFirst(client.First()));
  Result<std::string> answer = replay.HandleClientFinal(final);
  ASSERT_FALSE(answer.ok());
  EXPECT_FALSE(replay.authenticated());
}

TEST(ScramTest, WithoutTlsOnlyScramSha256IsOfferedAndPlusIsRefused) {
  ScramVerifier verifier = VerifierFor("pw");
  ScramServerExchange exchange(verifier, "u");
  EXPECT_EQ(exchange.Mechanisms(), std::vector<std::string>{"SCRAM-SHA-256"});
  Status plus = exchange.SelectMechanism("SCRAM-SHA-256-PLUS");
  EXPECT_EQ(plus.code(), ErrorCode::kProtocolViolation);
  EXPECT_NE(plus.message().find("needs a TLS connection"), std::string::npos) << plus.message();
  EXPECT_FALSE(exchange.HandleClientFirst("n,,n=,r=abc").ok());  // the exchange stays failed

  ScramServerExchange other(verifier, "u");
  Status plain = other.SelectMechanism("PLAIN");
  EXPECT_EQ(plain.code(), ErrorCode::kProtocolViolation);
  EXPECT_NE(plain.message().find("offers SCRAM-SHA-256"), std::string::npos) << plain.message();
}

TEST(ScramTest, WithoutTlsTheGs2FlagsNAndYAreAcceptedAndPIsRefused) {
  ScramVerifier verifier = VerifierFor("pw");
  // "y": the client could bind but believes the server cannot; true here, so it is accepted.
  {
    ScramServerExchange exchange(verifier, "u");
    ASSERT_OK(exchange.SelectMechanism("SCRAM-SHA-256"));
    TestClient client("pw", "y,,");
    ASSERT_OK_AND_ASSIGN(std::string server_first, exchange.HandleClientFirst(client.First()));
    std::string final = client.Final(server_first);
    EXPECT_TRUE(final.starts_with("c=eSws,")) << final;
    ASSERT_OK(exchange.HandleClientFinal(final));
    EXPECT_TRUE(exchange.authenticated());
  }
  // "p" with SCRAM-SHA-256: binding asked for under the mechanism without it.
  {
    ScramServerExchange exchange(verifier, "u");
    ASSERT_OK(exchange.SelectMechanism("SCRAM-SHA-256"));
    Result<std::string> answer = exchange.HandleClientFirst("p=tls-server-end-point,,n=,r=abc");
    ASSERT_FALSE(answer.ok());
    EXPECT_EQ(answer.status().code(), ErrorCode::kProtocolViolation);
    EXPECT_NE(answer.status().message().find("without channel binding"), std::string::npos)
        << answer.status().message();
  }
  // The c= echo must match the header the client sent first.
  {
    ScramServerExchange exchange(verifier, "u");
    TestClient client("pw");
    ASSERT_OK_AND_ASSIGN(std::string server_first, exchange.HandleClientFirst(client.First()));
    std::string final = client.Final(server_first);
    final.replace(0, 6, "c=eSws");
    Result<std::string> answer = exchange.HandleClientFinal(final);
    ASSERT_FALSE(answer.ok());
    EXPECT_NE(answer.status().message().find("does not repeat the gs2 header"), std::string::npos);
  }
}

// Stands for TlsServerEndPoint of the node's certificate (a SHA-256 hash is 32 bytes).
const std::string kEndPoint = Sha256Of("the server certificate");
constexpr std::string_view kPlusHeader = "p=tls-server-end-point,,";

TEST(ScramTest, OverTlsPlusIsOfferedFirstAndAClientBoundToTheCertificateSignsIn) {
  ScramVerifier verifier = VerifierFor("pw");
  ScramServerExchange exchange(verifier, "u");
  exchange.OfferChannelBinding(kEndPoint);
  EXPECT_EQ(exchange.Mechanisms(),
            (std::vector<std::string>{"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"}));
  ASSERT_OK(exchange.SelectMechanism("SCRAM-SHA-256-PLUS"));
  TestClient client("pw", std::string(kPlusHeader));
  client.binding_data = kEndPoint;
  ASSERT_OK_AND_ASSIGN(std::string server_first, exchange.HandleClientFirst(client.First()));
  std::string final = client.Final(server_first);
  EXPECT_TRUE(final.starts_with("c=" + B64(std::string(kPlusHeader) + kEndPoint) + ","));
  ASSERT_OK_AND_ASSIGN(std::string server_final, exchange.HandleClientFinal(final));
  EXPECT_EQ(server_final, client.expected_server_final);
  EXPECT_TRUE(exchange.authenticated());
}

TEST(ScramTest, OverTlsAClientMayStillChooseScramSha256WithoutBinding) {
  ScramVerifier verifier = VerifierFor("pw");
  ScramServerExchange exchange(verifier, "u");
  exchange.OfferChannelBinding(kEndPoint);
  ASSERT_OK(exchange.SelectMechanism("SCRAM-SHA-256"));
  TestClient client("pw", "n,,");  // libpq with channel_binding=disable
  ASSERT_OK_AND_ASSIGN(std::string server_first, exchange.HandleClientFirst(client.First()));
  ASSERT_OK(exchange.HandleClientFinal(client.Final(server_first)));
  EXPECT_TRUE(exchange.authenticated());
}

TEST(ScramTest, BindingDataForAnotherCertificateFailsWith28000) {
  ScramVerifier verifier = VerifierFor("pw");
  ScramServerExchange exchange(verifier, "u");
  exchange.OfferChannelBinding(kEndPoint);
  ASSERT_OK(exchange.SelectMechanism("SCRAM-SHA-256-PLUS"));
  // The client's TLS ended at a proxy that holds another certificate.
  TestClient client("pw", std::string(kPlusHeader));
  client.binding_data = Sha256Of("the proxy's certificate");
  ASSERT_OK_AND_ASSIGN(std::string server_first, exchange.HandleClientFirst(client.First()));
  Result<std::string> answer = exchange.HandleClientFinal(client.Final(server_first));
  ASSERT_FALSE(answer.ok());
  // kPermissionDenied is SQLSTATE 28000 during sign-in (pg_session), as PostgreSQL's
  // ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION.
  EXPECT_EQ(answer.status().code(), ErrorCode::kPermissionDenied);
  EXPECT_TRUE(answer.status().message().starts_with("SCRAM channel binding check failed"))
      << answer.status().message();
  EXPECT_FALSE(exchange.authenticated());

  // No binding data at all after the header fails the same way.
  ScramServerExchange bare(verifier, "u");
  bare.OfferChannelBinding(kEndPoint);
  ASSERT_OK(bare.SelectMechanism("SCRAM-SHA-256-PLUS"));
  TestClient unbound("pw", std::string(kPlusHeader));
  ASSERT_OK_AND_ASSIGN(server_first, bare.HandleClientFirst(unbound.First()));
  EXPECT_EQ(bare.HandleClientFinal(unbound.Final(server_first)).status().code(),
            ErrorCode::kPermissionDenied);
}

TEST(ScramTest, AClientThatSaysYWhilePlusWasOfferedIsADowngradeAndFails) {
  ScramVerifier verifier = VerifierFor("pw");
  ScramServerExchange exchange(verifier, "u");
  exchange.OfferChannelBinding(kEndPoint);
  // Someone removed -PLUS from the offer the client saw; the client then says "y".
  ASSERT_OK(exchange.SelectMechanism("SCRAM-SHA-256"));
  Result<std::string> answer = exchange.HandleClientFirst("y,,n=,r=abc");
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.status().code(), ErrorCode::kProtocolViolation);
  EXPECT_TRUE(answer.status().message().starts_with("SCRAM channel binding negotiation error"))
      << answer.status().message();
}

TEST(ScramTest, TheGs2HeaderMustFitTheMechanismAndNameAKnownBindingType) {
  ScramVerifier verifier = VerifierFor("pw");
  auto plus_exchange = [&] {
    ScramServerExchange exchange(verifier, "u");
    exchange.OfferChannelBinding(kEndPoint);
    EXPECT_OK(exchange.SelectMechanism("SCRAM-SHA-256-PLUS"));
    return exchange;
  };
  struct Case {
    std::string_view client_first;
    std::string_view reason;
  };
  for (const Case& refused : {
           Case{"n,,n=,r=abc", "selected SCRAM-SHA-256-PLUS"},
           Case{"y,,n=,r=abc", "selected SCRAM-SHA-256-PLUS"},
           Case{"p=tls-unique,,n=,r=abc", "unsupported channel binding type \"tls-unique\""},
           Case{"p=tls-exporter,,n=,r=abc", "unsupported channel binding type"},
           Case{"p=,,n=,r=abc", "unsupported channel binding type \"\""},
           Case{"p=tls-server-end-point\x01,,n=,r=abc", "\"(not printable)\""},
           Case{"p,,n=,r=abc", "a '=' and the channel binding type must follow"},
           Case{"p=tls-server-end-point", "a ',' must follow"},
       }) {
    ScramServerExchange exchange = plus_exchange();
    Result<std::string> answer = exchange.HandleClientFirst(refused.client_first);
    ASSERT_FALSE(answer.ok()) << "accepted: " << refused.client_first;
    EXPECT_EQ(answer.status().code(), ErrorCode::kProtocolViolation) << refused.client_first;
    EXPECT_NE(answer.status().message().find(refused.reason), std::string::npos)
        << refused.client_first << ": " << answer.status().message();
  }
  // An authorization identity stays refused under -PLUS too.
  ScramServerExchange authzid = plus_exchange();
  EXPECT_EQ(authzid.HandleClientFirst("p=tls-server-end-point,a=admin,n=,r=abc").status().code(),
            ErrorCode::kNotSupported);
}

TEST(ScramTest, AnUnknownUserWithChannelBindingStillFailsLikeAWrongPassword) {
  ScramServerExchange exchange = ScramServerExchange::ForUnknownUser("mallory", "node-secret");
  exchange.OfferChannelBinding(kEndPoint);
  EXPECT_EQ(exchange.Mechanisms().front(), "SCRAM-SHA-256-PLUS");
  ASSERT_OK(exchange.SelectMechanism("SCRAM-SHA-256-PLUS"));
  TestClient client("anything", std::string(kPlusHeader));
  client.binding_data = kEndPoint;
  ASSERT_OK_AND_ASSIGN(std::string server_first, exchange.HandleClientFirst(client.First()));
  Result<std::string> answer = exchange.HandleClientFinal(client.Final(server_first));
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.status().code(), ErrorCode::kAuthFailed);
}

// Certificates made with the openssl command line; each hash is what
// `openssl x509 -noout -fingerprint -<hash>` printed for it: the value RFC 5929 names.
struct CertificateCase {
  std::string_view name;
  std::string_view pem;
  std::string_view fingerprint;  // hex, or empty when RFC 5929 defines none
};

constexpr CertificateCase kCertificates[] = {
    {"ecdsa-with-SHA1, hashed with SHA-256 instead",
     "-----BEGIN CERTIFICATE-----\n"
     "MIIBgTCCASigAwIBAgIUQ43WeVoPEsBGwSOZY2Lz9VQrspYwCQYHKoZIzj0EATAW\n"
     "MRQwEgYDVQQDDAtxdWFudGEtc2hhMTAgFw0yNjEyMDExNjM0MzdaGA8yMTI2MTEw\n"
     "NzE2MzQzN1owFjEUMBIGA1UEAwwLcXVhbnRhLXNoYTEwWTATBgcqhkjOPQIBBggq\n"
     "hkjOPQMBBwNCAASUTGvitFjxV5JX6PgWiiELmvItXui33la6BF5YrKoWEjBUKlB7\n"
     "V4SO4N7BTzKsJjQzuO2HDjl1ocUHLbGTunKho1MwUTAdBgNVHQ4EFgQU39VSvspi\n"
     "d4jAPJLwMMTOfGmbRRMwHwYDVR0jBBgwFoAU39VSvspid4jAPJLwMMTOfGmbRRMw\n"
     "DwYDVR0TAQH/BAUwAwEB/zAJBgcqhkjOPQQBA0gAMEUCIQD9h9BbYtlHzAST5WVL\n"
     "BjIt6puNBM4Jv2XDqKBzxPm41gIgZ2D5NrX3dNSwv0u1mF30n2+sX1mzxswjgG7b\n"
     "vYIveco=\n"
     "-----END CERTIFICATE-----\n",
     "31EFE5D564EA0EC388954B9D593F5B81F37D793A2D84515DCEBEBC03A8D5A6F1"},
    {"ecdsa-with-SHA256",
     "-----BEGIN CERTIFICATE-----\n"
     "MIIBhzCCAS2gAwIBAgIUOqVzHblk5WEALySy9jn7smLNB3QwCgYIKoZIzj0EAwIw\n"
     "GDEWMBQGA1UEAwwNcXVhbnRhLXNoYTI1NjAgFw0yNjEyMDExNjM0MzdaGA8yMTI2\n"
     "MTEwNzE2MzQzN1owGDEWMBQGA1UEAwwNcXVhbnRhLXNoYTI1NjBZMBMGByqGSM49\n"
     "AgEGCCqGSM49AwEHA0IABJRMa+K0WPFXklfo+BaKIQua8i1e6LfeVroEXlisqhYS\n"
     "MFQqUHtXhI7g3sFPMqwmNDO47YcOOXWhxQctsZO6cqGjUzBRMB0GA1UdDgQWBBTf\n"
     "1VK+ymJ3iMA8kvAwxM58aZtFEzAfBgNVHSMEGDAWgBTf1VK+ymJ3iMA8kvAwxM58\n"
     "aZtFEzAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0gAMEUCIQDHFqqdk3KU\n"
     "X4qu0Qw5uVJ89W6TqUACjxezld8EinkbhQIgESwG3IlyGcRdt0M9EBJnlWZUZmr4\n"
     "G/vs3uV23sdCE5M=\n"
     "-----END CERTIFICATE-----\n",
     "4F9E5B438B80BE39AEE79C70FFB2F6BB80FA84E05332A28BE8C7969BC2DC94F6"},
    {"ecdsa-with-SHA384",
     "-----BEGIN CERTIFICATE-----\n"
     "MIIBhjCCAS2gAwIBAgIUFzicBiqbeTrouKG9ovvmwET+qpAwCgYIKoZIzj0EAwMw\n"
     "GDEWMBQGA1UEAwwNcXVhbnRhLXNoYTM4NDAgFw0yNjEyMDExNjM0MzdaGA8yMTI2\n"
     "MTEwNzE2MzQzN1owGDEWMBQGA1UEAwwNcXVhbnRhLXNoYTM4NDBZMBMGByqGSM49\n"
     "AgEGCCqGSM49AwEHA0IABJRMa+K0WPFXklfo+BaKIQua8i1e6LfeVroEXlisqhYS\n"
     "MFQqUHtXhI7g3sFPMqwmNDO47YcOOXWhxQctsZO6cqGjUzBRMB0GA1UdDgQWBBTf\n"
     "1VK+ymJ3iMA8kvAwxM58aZtFEzAfBgNVHSMEGDAWgBTf1VK+ymJ3iMA8kvAwxM58\n"
     "aZtFEzAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMDA0cAMEQCIFIK7DMAraFM\n"
     "yGbwIZgMfJRDDYwKw6Ia+w7T8cWMVqisAiB5wlx7cQ0udS8jV+hcu4CBIJ34LI+I\n"
     "kQp5Lz6MTkfoww==\n"
     "-----END CERTIFICATE-----\n",
     "6A312CF00D4E2461F95BE1E862E83A4F9F8D97F3A541073"
     "82BD7C7249C19051FA08EF48B08E5C646444CD28CBD2E0565"},
    {"RSASSA-PSS with SHA-512 (the hash sits in the algorithm's parameters)",
     "-----BEGIN CERTIFICATE-----\n"
     "MIICcDCCAaWgAwIBAgIUQIZ/1Zd6g+kPVl6dqjLahJgeKSYwQQYJKoZIhvcNAQEK\n"
     "MDSgDzANBglghkgBZQMEAgMFAKEcMBoGCSqGSIb3DQEBCDANBglghkgBZQMEAgMF\n"
     "AKIDAgEgMBUxEzARBgNVBAMMCnF1YW50YS1wc3MwIBcNMjYxMjAxMTYzNDQxWhgP\n"
     "MjEyNjExMDcxNjM0NDFaMBUxEzARBgNVBAMMCnF1YW50YS1wc3MwgZ8wDQYJKoZI\n"
     "hvcNAQEBBQADgY0AMIGJAoGBALlqkbG0uXjP4GC54PUmGd30PCV9QA6MLb6mLVBW\n"
     "QWdJsphZBpeOLPWkZvg4bYcL6qyGc3dInx+hUzrXPsG9kIMbKDsYSxfdAe4rVxFT\n"
     "haIi6YWHDYU5In5iqGt2rYun7XEPcnL68szJu1htiyEbG21u3ybMC62sI0KncyVK\n"
     "+VslAgMBAAGjUzBRMB0GA1UdDgQWBBSlP2/dZNHNHayRdJxpKKVKySV+7jAfBgNV\n"
     "HSMEGDAWgBSlP2/dZNHNHayRdJxpKKVKySV+7jAPBgNVHRMBAf8EBTADAQH/MEEG\n"
     "CSqGSIb3DQEBCjA0oA8wDQYJYIZIAWUDBAIDBQChHDAaBgkqhkiG9w0BAQgwDQYJ\n"
     "YIZIAWUDBAIDBQCiAwIBIAOBgQCKiAcc3WyPL3+1hv9FJg5w40aJAQCHM4trt3+T\n"
     "d/qyaF9z6w0EmtaEtyLvqtdGDRCw3PQIenECOM3ksgDgXeR4xj9+pdydGAWDi0Jo\n"
     "W9NKqnYkTXFEm4k6FYZrx7He31B/mBmeFBQFPsvP1ELYY23ZwANbEI6nQMnVXUVT\n"
     "LiUQYw==\n"
     "-----END CERTIFICATE-----\n",
     "B10DE948BFE17989B71AF401CE4579222CDE717E7F34EB1AF65B6356570269AF"
     "8364EA7B4227F846EC355AD81F4D0A92E56945F31C1613EC66FD7EC2F4D5CBCF"},
    {"Ed25519, which signs without a separate hash",
     "-----BEGIN CERTIFICATE-----\n"
     "MIIBSDCB+6ADAgECAhRdWqA8XTKvD+yVJXJ8P913Y1pmezAFBgMrZXAwGTEXMBUG\n"
     "A1UEAwwOcXVhbnRhLWVkMjU1MTkwIBcNMjYxMjAxMTYzNDM3WhgPMjEyNjExMDcx\n"
     "NjM0MzdaMBkxFzAVBgNVBAMMDnF1YW50YS1lZDI1NTE5MCowBQYDK2VwAyEALXQB\n"
     "A3quB/GPmy7/HOlLK+FHSREm7Q0Nm7mHeTBlT/OjUzBRMB0GA1UdDgQWBBRK+JjN\n"
     "l6lk9GECGNWETL/wBsmomjAfBgNVHSMEGDAWgBRK+JjNl6lk9GECGNWETL/wBsmo\n"
     "mjAPBgNVHRMBAf8EBTADAQH/MAUGAytlcANBAM/kKxoDB7/V5GRKVridq1CX2jOT\n"
     "Ytbw3OI0DGLsVsAQ06d+Whqchm9xTYktt7GzPny4O/svTcbcKOR102gFagM=\n"
     "-----END CERTIFICATE-----\n",
     ""},
};

std::string DerOf(std::string_view pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  std::unique_ptr<X509, decltype(&X509_free)> certificate(
      PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), X509_free);
  if (!certificate) return {};
  unsigned char* der = nullptr;
  int length = i2d_X509(certificate.get(), &der);
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(std::max(length, 0)));
  OPENSSL_free(der);
  return out;
}

std::string Hex(std::string_view bytes) {
  std::string out;
  for (unsigned char c : bytes) out += fmt::format("{:02X}", c);
  return out;
}

TEST(ScramTest, TlsServerEndPointHashesTheCertificateWithItsSignatureHash) {
  for (const CertificateCase& certificate : kCertificates) {
    std::string der = DerOf(certificate.pem);
    ASSERT_FALSE(der.empty()) << certificate.name;
    Result<std::string> hash = TlsServerEndPoint(der);
    if (certificate.fingerprint.empty()) {
      ASSERT_FALSE(hash.ok()) << certificate.name;
      EXPECT_EQ(hash.status().code(), ErrorCode::kNotSupported);
      EXPECT_NE(hash.status().message().find("ED25519"), std::string::npos)
          << hash.status().message();
    } else {
      ASSERT_OK(hash.status());
      EXPECT_EQ(Hex(*hash), certificate.fingerprint) << certificate.name;
    }
  }
  EXPECT_EQ(TlsServerEndPoint("not a certificate").status().code(), ErrorCode::kInvalidDocument);
  std::string der = DerOf(kCertificates[1].pem);
  EXPECT_EQ(TlsServerEndPoint(der + "x").status().code(), ErrorCode::kInvalidDocument);
}

TEST(ScramTest, RefusesMalformedClientFirstMessages) {
  ScramVerifier verifier = VerifierFor("pw");
  for (std::string_view hostile : {"", "n", "x,,n=,r=abc", "n;,n=,r=abc", "n,", "n,,", "n,,n=",
                                   "n,,n=u", "n,,n=u,", "n,,n=u,r=", "n,,n=u,x=abc", "n,,r=abc",
                                   "n,,n=u,r=a\x01"
                                   "b",
                                   "n,,n=u,r=\xff\xfe"}) {
    ScramServerExchange exchange(verifier, "u");
    Result<std::string> answer = exchange.HandleClientFirst(hostile);
    ASSERT_FALSE(answer.ok()) << "accepted: " << hostile;
    EXPECT_EQ(answer.status().code(), ErrorCode::kProtocolViolation) << hostile;
    EXPECT_TRUE(answer.status().message().starts_with("SCRAM client-first-message: "))
        << answer.status().message();
    // A failed exchange stays failed.
    EXPECT_FALSE(exchange.HandleClientFinal("c=biws,r=x,p=AAAA").ok());
  }
  ScramServerExchange authzid(verifier, "u");
  EXPECT_EQ(authzid.HandleClientFirst("n,a=admin,n=,r=abc").status().code(),
            ErrorCode::kNotSupported);
  ScramServerExchange extension(verifier, "u");
  EXPECT_EQ(extension.HandleClientFirst("n,,m=ext,n=,r=abc").status().code(),
            ErrorCode::kNotSupported);
  // Extensions after the nonce are ignored, as RFC 5802 allows.
  ScramServerExchange trailing(verifier, "u");
  EXPECT_OK(trailing.HandleClientFirst("n,,n=,r=abc,x=future"));
}

TEST(ScramTest, RefusesMalformedClientFinalMessages) {
  ScramVerifier verifier = VerifierFor("pw");
  TestClient client("pw");
  std::string nonce;
  {
    ScramServerExchange probe(verifier, "u");
    probe.SetServerNonceForTesting("SERVERNONCE");
    ASSERT_OK_AND_ASSIGN(std::string server_first, probe.HandleClientFirst(client.First()));
    nonce = Attribute(server_first, 'r');
  }
  std::string good_proof = B64(std::string(32, 'x'));
  for (const std::string& hostile : std::vector<std::string>{
           "", "c=", "c=biws", "c=biws,", "c=biws,r=" + nonce, "c=biws,r=" + nonce + ",p=",
           "c=biws,r=" + nonce + ",p=AAAA", "c=biws,r=" + nonce + ",p=" + good_proof + ",x=1",
           "c=biws,r=" + nonce + ",p=" + good_proof.substr(1),
           "c=bi*s,r=" + nonce + ",p=" + good_proof, "r=" + nonce + ",c=biws,p=" + good_proof,
           "c=biws,p=" + good_proof + ",r=" + nonce}) {
    ScramServerExchange exchange(verifier, "u");
    exchange.SetServerNonceForTesting("SERVERNONCE");
    ASSERT_OK(exchange.HandleClientFirst(client.First()));
    Result<std::string> answer = exchange.HandleClientFinal(hostile);
    ASSERT_FALSE(answer.ok()) << "accepted: " << hostile;
    EXPECT_EQ(answer.status().code(), ErrorCode::kProtocolViolation) << hostile;
    EXPECT_FALSE(exchange.authenticated());
  }
  // Out of order: a final message before the first, and a second first message.
  ScramServerExchange early(verifier, "u");
  EXPECT_EQ(early.HandleClientFinal("c=biws,r=x,p=" + good_proof).status().code(),
            ErrorCode::kProtocolViolation);
  ScramServerExchange twice(verifier, "u");
  ASSERT_OK(twice.HandleClientFirst(client.First()));
  EXPECT_FALSE(twice.HandleClientFirst(client.First()).ok());
}

TEST(ScramTest, VerifiersAreMadeFromTheSaslPrepFormOfThePassword) {
  // libpq sends SASLprep("I\u00ADX") = "IX": a verifier made from either form accepts it.
  for (std::string_view typed : {"I\u00ADX", "\u2168", "IX"}) {
    SCOPED_TRACE(typed);
    ScramVerifier verifier = VerifierFor(typed);
    ScramServerExchange exchange(verifier, "u");
    TestClient libpq("IX");
    ASSERT_OK_AND_ASSIGN(std::string server_first, exchange.HandleClientFirst(libpq.First()));
    EXPECT_OK(exchange.HandleClientFinal(libpq.Final(server_first)));
    EXPECT_TRUE(ScramVerifierMatches(verifier, "I\u00ADX"));
  }
  // A client that hashes the unprepared bytes is not PostgreSQL's and does not sign in.
  ScramVerifier verifier = VerifierFor("I\u00ADX");
  ScramServerExchange exchange(verifier, "u");
  TestClient unprepared("I\u00ADX");
  ASSERT_OK_AND_ASSIGN(std::string server_first, exchange.HandleClientFirst(unprepared.First()));
  EXPECT_EQ(exchange.HandleClientFinal(unprepared.Final(server_first)).status().code(),
            ErrorCode::kAuthFailed);
  // A password SASLprep refuses is hashed as its bytes, as libpq sends it.
  ScramVerifier raw = VerifierFor("\xFF\xFEpw");
  EXPECT_TRUE(ScramVerifierMatches(raw, "\xFF\xFEpw"));
  ScramServerExchange raw_exchange(raw, "u");
  TestClient raw_client("\xFF\xFEpw");
  ASSERT_OK_AND_ASSIGN(server_first, raw_exchange.HandleClientFirst(raw_client.First()));
  EXPECT_OK(raw_exchange.HandleClientFinal(raw_client.Final(server_first)));
}

TEST(ScramTest, AnUnknownUserLooksLikeAWrongPassword) {
  ScramServerExchange known(VerifierFor("right"), "alice");
  ScramServerExchange unknown = ScramServerExchange::ForUnknownUser("mallory", "node-secret");
  TestClient client("guess");
  ASSERT_OK_AND_ASSIGN(std::string known_first, known.HandleClientFirst(client.First()));
  ASSERT_OK_AND_ASSIGN(std::string unknown_first, unknown.HandleClientFirst(client.First()));
  // The same shape: nonce, a 16-byte salt, the default iteration count.
  EXPECT_EQ(Unb64(Attribute(unknown_first, 's')).size(), 16u);
  EXPECT_EQ(Attribute(unknown_first, 'i'), "4096");
  EXPECT_EQ(Attribute(unknown_first, 'r').size(), Attribute(known_first, 'r').size());
  Result<std::string> unknown_final = unknown.HandleClientFinal(client.Final(unknown_first));
  Result<std::string> known_final = known.HandleClientFinal(client.Final(known_first));
  ASSERT_FALSE(unknown_final.ok());
  ASSERT_FALSE(known_final.ok());
  EXPECT_EQ(unknown_final.status().code(), known_final.status().code());
  EXPECT_EQ(unknown_final.status().message(),
            "password authentication failed for user \"mallory\"");
  // The same name sees the same salt on every attempt; another name another salt.
  ScramServerExchange again = ScramServerExchange::ForUnknownUser("mallory", "node-secret");
  ScramServerExchange other = ScramServerExchange::ForUnknownUser("eve", "node-secret");
  ASSERT_OK_AND_ASSIGN(std::string again_first, again.HandleClientFirst(client.First()));
  ASSERT_OK_AND_ASSIGN(std::string other_first, other.HandleClientFirst(client.First()));
  EXPECT_EQ(Attribute(again_first, 's'), Attribute(unknown_first, 's'));
  EXPECT_NE(Attribute(other_first, 's'), Attribute(unknown_first, 's'));
  // Without a node secret, one per process keeps the salt stable.
  ScramServerExchange process_a = ScramServerExchange::ForUnknownUser("mallory");
  ScramServerExchange process_b = ScramServerExchange::ForUnknownUser("mallory");
  ASSERT_OK_AND_ASSIGN(std::string a_first, process_a.HandleClientFirst(client.First()));
  ASSERT_OK_AND_ASSIGN(std::string b_first, process_b.HandleClientFirst(client.First()));
  EXPECT_EQ(Attribute(a_first, 's'), Attribute(b_first, 's'));
}

TEST(ScramTest, ExplainsMalformedVerifiers) {
  const std::string keys =
      "$6tbJx1D2qR0tCAI3OZyqL8C6ZXrINvdzBANB+ZiMbMs=:dSKGP57hAIszxNvu8SO/3R5sZzjzqbLCSRQbsqq396w=";
  const std::string cases[][2] = {
      {"md5abcdef", "does not start with"},
      {"SCRAM-SHA-256$4096:ROqrUhPIIP3/SB7gSci/lw==", "'$' before the keys"},
      {"SCRAM-SHA-256$4096ROqrUhPIIP3/SB7gSci/lw==" + keys, "':' after the iteration count"},
      {"SCRAM-SHA-256$0:ROqrUhPIIP3/SB7gSci/lw==" + keys, "not a positive integer"},
      {"SCRAM-SHA-256$40x96:ROqrUhPIIP3/SB7gSci/lw==" + keys, "not a positive integer"},
      {"SCRAM-SHA-256$4096:ROqr!hPIIP3/SB7gSci/lw==" + keys, "salt is not base64"},
      {"SCRAM-SHA-256$4096:ROqrUhPIIP3/SB7gSci/lw==$6tbJx1D2qR0tCAI3OZyqL8C6ZXrINvdzBANB+ZiMbMs=",
       "':' between the two keys"},
      {"SCRAM-SHA-256$4096:ROqrUhPIIP3/SB7gSci/lw==$AAAA:dSKGP57hAIszxNvu8SO/"
       "3R5sZzjzqbLCSRQbsqq396w=",
       "StoredKey is not 32 bytes"},
      {"SCRAM-SHA-256$4096:ROqrUhPIIP3/SB7gSci/lw==$6tbJx1D2qR0tCAI3OZyqL8C6ZXrINvdzBANB+ZiMbMs=:x",
       "ServerKey is not 32 bytes"},
  };
  for (const auto& [text, reason] : cases) {
    Result<ScramVerifier> parsed = ParseScramVerifier(text);
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_NE(parsed.status().message().find(reason), std::string::npos)
        << parsed.status().message();
  }
}

}  // namespace
}  // namespace quanta::ports
