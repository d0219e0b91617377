#include "ports/pg_scram.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <string>

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
    std::string without_proof = "c=" + B64(gs2_header) + ",r=" + Attribute(server_first, 'r');
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

TEST(ScramTest, HandlesChannelBindingFlags) {
  ScramVerifier verifier = VerifierFor("pw");
  // "y": the client could bind but believes the server cannot; true, so it is accepted.
  {
    ScramServerExchange exchange(verifier, "u");
    TestClient client("pw", "y,,");
    ASSERT_OK_AND_ASSIGN(std::string server_first, exchange.HandleClientFirst(client.First()));
    std::string final = client.Final(server_first);
    EXPECT_TRUE(final.starts_with("c=eSws,")) << final;
    ASSERT_OK(exchange.HandleClientFinal(final));
    EXPECT_TRUE(exchange.authenticated());
  }
  // "p": channel binding was not offered.
  {
    ScramServerExchange exchange(verifier, "u");
    Result<std::string> answer = exchange.HandleClientFirst("p=tls-server-end-point,,n=,r=abc");
    ASSERT_FALSE(answer.ok());
    EXPECT_EQ(answer.status().code(), ErrorCode::kProtocolViolation);
    EXPECT_NE(answer.status().message().find("channel binding"), std::string::npos);
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
  EXPECT_OK(CheckScramMechanism("SCRAM-SHA-256"));
  EXPECT_EQ(CheckScramMechanism("SCRAM-SHA-256-PLUS").code(), ErrorCode::kProtocolViolation);
  EXPECT_EQ(CheckScramMechanism("PLAIN").code(), ErrorCode::kProtocolViolation);
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
